// Progress of long work, on stderr (stdout keeps the results): one piece for `pq run`,
// `serve`, `connect`, `eval` and the REPL's line mode.
// - On a terminal: one status line (`[k/N] layer`), repainted in place, erased when done.
// - Not a terminal (a log file, CI): a plain line `pq: … (T s)` at most every 10 s, so a
//   short run writes none (its log stays the same from run to run) and a long one shows
//   that it is alive and where it is.
import { performance } from "node:perf_hooks";

export interface StatusSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

/** Seconds between two plain progress lines when stderr is not a terminal. */
export const PLAIN_EVERY_MS = 10_000;

export class Status {
  private painted = false;
  private readonly start: number;
  private last: number;

  constructor(
    private readonly sink: StatusSink = process.stderr,
    private readonly now: () => number = () => performance.now(),
    private readonly every = PLAIN_EVERY_MS,
  ) {
    this.start = now();
    this.last = this.start;
  }

  show(text: string): void {
    if (this.sink.isTTY === true) {
      this.sink.write(`\r\x1b[K${text}`);
      this.painted = true;
      return;
    }
    const t = this.now();
    if (t - this.last < this.every) return;
    this.last = t;
    this.sink.write(`pq: ${text} (${Math.round((t - this.start) / 1000)} s)\n`);
  }

  /** Erase the status line (a terminal); nothing to do for plain lines. */
  done(): void {
    if (this.painted) this.sink.write("\r\x1b[K");
    this.painted = false;
  }
}

/**
 * `[k/N] layer` over the layers the command's table lists (the same N as its rows), or
 * undefined for a path that is not one of them (parameters, a provider's set-up).
 */
export function layerCounter(layers: readonly string[], label = ""): (path: string) => string | undefined {
  return (path) => {
    const k = layers.indexOf(path);
    return k < 0 ? undefined : `${label}[${k + 1}/${layers.length}] ${path}`;
  };
}

/** A run's per-layer progress: call `layer` as the run enters a node's layer (repeats are ignored), `done` at the end. */
export function layerProgress(layers: readonly string[], status: Status = new Status()): { layer: (path: string) => void; done: () => void } {
  const text = layerCounter(layers);
  let current: string | undefined;
  return {
    layer: (path) => {
      if (path === current) return;
      current = path;
      const t = text(path);
      if (t !== undefined) status.show(t);
    },
    done: () => status.done(),
  };
}
