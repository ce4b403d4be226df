// One server session in its own worker thread (server.ts starts it): its own heap, provider
// and OT state. The socket stays with the main thread; frames cross as messages. The worker
// pulls frames (at most two ahead of what the session has read), so a fast client cannot make
// frames pile up here: they wait in the main thread's transport, which pauses the socket.
import { parentPort, workerData } from "node:worker_threads";
import { diag, PqError, type Diagnostic } from "../../grammar/diagnostics.js";
import { TransportClosed } from "./channel.js";
import type { MeterRow } from "./meter.js";
import { serveSession, type BoundedTransport, type Served } from "./remote.js";

export interface WorkerInit {
  served: Served;
  timeoutMs: number;
}

/** Main thread → worker. */
export type ToWorker =
  | { kind: "frame"; frame: Uint8Array }
  | { kind: "closed"; reason: string }
  | { kind: "failed"; diagnostics: Diagnostic[] };

/** Worker → main thread. */
export type FromWorker =
  | { kind: "frame"; frame: Uint8Array }
  | { kind: "pull" }
  | { kind: "limit"; bytes: number; after: number }
  | { kind: "handshake" }
  | { kind: "close" }
  | { kind: "done"; meter: MeterRow[] }
  | { kind: "error"; diagnostics: Diagnostic[] };

const AHEAD = 2;

class RelayTransport implements BoundedTransport {
  private readonly frames: Uint8Array[] = [];
  private readonly waiters: { resolve(f: Uint8Array): void; reject(e: Error): void }[] = [];
  private pulls = 0;
  private failure: Error | undefined;

  constructor(private readonly post: (m: FromWorker, transfer?: ArrayBuffer[]) => void) {
    this.pullAhead();
  }

  onMessage(m: ToWorker): void {
    this.pulls--;
    if (m.kind !== "frame") {
      this.failure ??= m.kind === "closed" ? new TransportClosed(m.reason) : new PqError(m.diagnostics);
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
      return;
    }
    const w = this.waiters.shift();
    if (w) w.resolve(m.frame);
    else this.frames.push(m.frame);
    this.pullAhead();
  }

  private pullAhead(): void {
    while (!this.failure && this.frames.length + this.pulls < AHEAD) {
      this.pulls++;
      this.post({ kind: "pull" });
    }
  }

  send(frame: Uint8Array): void {
    const own = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength ? frame : frame.slice();
    this.post({ kind: "frame", frame: own }, [own.buffer as ArrayBuffer]);
  }

  recv(): Promise<Uint8Array> {
    const f = this.frames.shift();
    if (f) {
      this.pullAhead();
      return Promise.resolve(f);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  limit(bytes: number, after = 0): void {
    this.post({ kind: "limit", bytes, after });
  }

  close(): void {
    this.post({ kind: "close" });
  }
}

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const t = new RelayTransport(post);
port.on("message", (m: ToWorker) => t.onMessage(m));
serveSession(t, init.served, { timeoutMs: init.timeoutMs, onHandshake: () => post({ kind: "handshake" }) }).then(
  (r) => post({ kind: "done", meter: r.meter }),
  (e: unknown) => post({ kind: "error", diagnostics: e instanceof PqError ? e.diagnostics : [diag("PQ5001", { where: "a session", detail: e instanceof Error ? e.message : String(e) })] }),
);
