// Server sessions in a worker thread of their own (server.ts keeps a pool of them): one
// session at a time, each with its own provider and OT state, started by a `start` message;
// a worker that served a session well serves the next (its modules loaded, SEAL's library
// made, its JIT warm), one that failed or passed a deadline is terminated. Every message
// carries its session's number, and a message of another session is dropped, so nothing of
// one session reaches the next. The socket stays with the main thread; frames cross as
// messages. The worker pulls frames (at most two ahead of what the session has read), so a
// fast client cannot make frames pile up here: they wait in the main thread's transport,
// which pauses the socket.
import { parentPort, workerData } from "node:worker_threads";
import { diag, PqError, type Diagnostic } from "../../grammar/diagnostics.js";
import { TransportClosed } from "./channel.js";
import type { MeterRow } from "./meter.js";
import { serveSession, type BoundedTransport, type Served } from "./remote.js";
import { seal } from "../he/seal.js";

export interface WorkerInit {
  served: Served;
  timeoutMs: number;
}

/** Main thread → a session. */
type ToSession =
  | { kind: "frame"; frame: Uint8Array }
  | { kind: "closed"; reason: string }
  | { kind: "failed"; diagnostics: Diagnostic[] };

/** A session → main thread. */
type FromSession =
  | { kind: "frame"; frame: Uint8Array }
  | { kind: "pull" }
  | { kind: "limit"; bytes: number; after: number }
  | { kind: "handshake" }
  | { kind: "close" }
  | { kind: "done"; meter: MeterRow[] }
  | { kind: "error"; diagnostics: Diagnostic[] };

/** Main thread → worker: start session `session`, or a message for it. */
export type ToWorker = ({ kind: "start" } | ToSession) & { session: number };

/** Worker → main thread, from session `session`. */
export type FromWorker = FromSession & { session: number };

type Post = (m: FromSession, transfer?: ArrayBuffer[]) => void;

const AHEAD = 2;

class RelayTransport implements BoundedTransport {
  private readonly frames: Uint8Array[] = [];
  private readonly waiters: { resolve(f: Uint8Array): void; reject(e: Error): void }[] = [];
  private pulls = 0;
  private failure: Error | undefined;

  constructor(private readonly post: Post) {
    this.pullAhead();
  }

  onMessage(m: ToSession): void {
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
let current: { session: number; t: RelayTransport } | undefined;
port.on("message", (m: ToWorker) => {
  if (m.kind !== "start") {
    if (m.session === current?.session) current.t.onMessage(m);
    return; // a late message of a finished session
  }
  const session = m.session;
  const post: Post = (msg, transfer = []) => port.postMessage({ ...msg, session }, transfer);
  const t = new RelayTransport(post);
  current = { session, t };
  serveSession(t, init.served, { timeoutMs: init.timeoutMs, onHandshake: () => post({ kind: "handshake" }) }).then(
    (r) => post({ kind: "done", meter: r.meter }),
    (e: unknown) => post({ kind: "error", diagnostics: e instanceof PqError ? e.diagnostics : [diag("PQ5001", { where: "a session", detail: e instanceof Error ? e.message : String(e) })] }),
  ).finally(() => {
    if (current?.session === session) current = undefined;
  });
});
// Load what the first session will need before it starts: SEAL's library under he.
if (init.served.correlations === "he") void seal().catch(() => undefined);
