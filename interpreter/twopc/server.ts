// The server of `pq serve`: many clients, each in its own session, within bounds.
// - At most `maxSessions` sessions run at once, each in a worker thread of its own (its own
//   provider and OT state; two cores serve two clients). A worker whose session ended well
//   serves a later one (up to maxSessions kept, warm: modules, SEAL and JIT); one that failed
//   or passed a deadline is terminated (session-worker.ts). This thread owns the
//   sockets: it accepts, runs TLS, re-assembles frames and relays them to the session's
//   worker (session-worker.ts), which runs serveSession (remote.ts).
// - A connection is read only when it can be served soon: up to MAX_HANDSHAKES connections do
//   their TLS handshake (deadline `handshakeMs`) outside the session slots — a silent or
//   dripping client holds a handshake, not a session — then wait, unread, for a slot. Beyond
//   that, connections wait unread in the listener's queue (at most `maxPending`, beyond which
//   they are closed) and the kernel's backlog.
// - Deadlines: the program handshake within `handshakeMs` of the session's start, every
//   message within `timeoutMs` (the Channel's), the whole session within `sessionMs`; a
//   session past a deadline is ended (its socket closed, its worker terminated), its slot freed.
// - Frames: a client's first frame (its handshake) may hold HANDSHAKE_FRAME_BYTES, the frames
//   after it what the program can make it send in a whole run (Served.maxClientFrame); tcp.ts
//   refuses a larger declared frame at its 4-byte prefix, before allocating it.
// - `drain()` (SIGTERM) stops accepting, closes the queue and resolves once live sessions end;
//   `health()` is what the probe of `--health-port` reports (health.ts), 503 while draining.
// Run from the TypeScript sources (vitest) there is no compiled worker next to this file:
// sessions then run in this thread (same serveSession, same bounds, no second core).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { partyWorker } from "./party-worker.js";
import { diag, PqError, type Diagnostic } from "../../grammar/diagnostics.js";
import { TransportClosed } from "./channel.js";
import { totals, type MeterRow } from "./meter.js";
import { serveSession, type Served } from "./remote.js";
import { HANDSHAKE_FRAME_BYTES, listen, type Incoming, type Listener, type Opened, type TcpTransport } from "./tcp.js";
import type { TlsOptions } from "./tls.js";
import type { Health } from "./health.js";
import type { FromWorker, ToWorker, WorkerInit } from "./session-worker.js";

export interface ServerOptions {
  host: string;
  port: number;
  /** TLS identity and client pins; plaintext TCP when absent (the CLI requires --insecure-plaintext for that). */
  tls?: TlsOptions;
  maxSessions: number;
  maxPending?: number;
  handshakeMs: number;
  /** Per message. */
  timeoutMs: number;
  sessionMs: number;
  /** Serve this many sessions, then stop (e.g. 1 for `--once`); unbounded when absent. */
  limit?: number;
  /** Worker threads for sessions (default: when the compiled worker exists). */
  workers?: boolean;
  onSession(log: SessionLog): void;
}

/** One line per session (`pq serve` prints it, as text or JSON). */
export interface SessionLog {
  client: string;
  model: string;
  outcome: "ok" | Diagnostic["code"];
  detail?: string;
  /** Bytes the server sent and received (frame headers included), rounds, all phases. */
  sent: number;
  recv: number;
  rounds: number;
  ms: number;
}

const WORKER_URL = new URL("./session-worker.js", import.meta.url);

/** TLS handshakes in progress at most (they cost a socket and one TLS record each, and run in this thread). */
const MAX_HANDSHAKES = 32;

export class SessionServer {
  private live = 0;
  private handshaking = 0;
  private started = 0;
  private draining = false;
  private wake: (() => void) | undefined;
  /** Connections through TLS, waiting (unread) for a session slot, oldest first. */
  private readonly ready: { opened: Opened; t0: number }[] = [];
  private readonly sessions = new Set<Promise<void>>();
  private readonly workers: boolean;
  /** Workers whose last session ended well, ready for the next (at most maxSessions). */
  private readonly idle: Worker[] = [];
  /** Each idle worker's exit listener (removed when the worker is taken). */
  private readonly leaving = new Map<Worker, () => void>();
  private sessionNumber = 0;
  /** Resolves when the server has stopped (drained, or `limit` sessions served) and every session ended. */
  readonly done: Promise<void>;

  private constructor(private readonly listener: Listener, private readonly program: Served, private readonly opts: ServerOptions) {
    this.workers = opts.workers ?? existsSync(fileURLToPath(WORKER_URL));
    // One worker made before the first client, so its thread start and module loading are not the client's wait.
    if (this.workers) this.keepWorker(this.takeWorker());
    this.done = this.loop().finally(() => {
      for (const w of this.idle.splice(0)) void w.terminate();
    });
  }

  static async start(program: Served, opts: ServerOptions): Promise<SessionServer> {
    const listener = await listen(opts.port, opts.host, { ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.maxPending !== undefined ? { maxPending: opts.maxPending } : {}) });
    return new SessionServer(listener, program, opts);
  }

  get port(): number {
    return this.listener.port;
  }

  /** Sessions running now. */
  get active(): number {
    return this.live;
  }

  /** What the health probe reports (health.ts): sessions live and allowed, connections waiting, draining. */
  health(): Health {
    return { live: this.live, max: this.opts.maxSessions, pending: this.ready.length + this.handshaking + this.listener.pending, draining: this.draining };
  }

  /** Stop accepting; queued connections are closed; `done` resolves when live sessions end. */
  drain(): Promise<void> {
    this.draining = true;
    this.listener.close();
    for (const r of this.ready.splice(0)) r.opened.destroy();
    this.wake?.();
    return this.done;
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private get finished(): boolean {
    return this.draining || (this.opts.limit !== undefined && this.started >= this.opts.limit);
  }

  /**
   * Take connections while a session slot is free or could soon be: TLS handshakes run
   * outside the session slots (a silent or dripping client holds no session, only a
   * handshake, until --handshake-timeout), then a connection waits unread for a slot.
   */
  private async loop(): Promise<void> {
    try {
      while (!this.finished) {
        while (!this.finished && (this.handshaking >= MAX_HANDSHAKES || this.live + this.ready.length + this.handshaking >= this.opts.maxSessions + MAX_HANDSHAKES || (this.opts.limit !== undefined && this.started + this.ready.length + this.handshaking >= this.opts.limit))) {
          await new Promise<void>((r) => (this.wake = r));
        }
        if (this.finished) break;
        let inc: Incoming;
        try {
          inc = await this.listener.next();
        } catch {
          break; // the listener is closed
        }
        this.handshaking++;
        const t0 = performance.now();
        inc.open(this.opts.handshakeMs).then(
          (opened) => {
            this.ready.push({ opened, t0 });
            this.startSessions();
          },
          (e: unknown) => {
            this.started++; // a failed TLS handshake is that connection's session (`--once` ends with it)
            this.log(inc.remote, t0, [], e);
          },
        ).finally(() => {
          this.handshaking--;
          this.signal();
        });
      }
    } finally {
      this.listener.close();
      while (this.handshaking > 0) await new Promise<void>((r) => (this.wake = r));
      this.startSessions();
      while (this.sessions.size > 0) await Promise.all([...this.sessions]);
    }
  }

  private startSessions(): void {
    while (this.live < this.opts.maxSessions && this.ready.length > 0 && (this.opts.limit === undefined || this.started < this.opts.limit)) {
      const { opened, t0 } = this.ready.shift()!;
      this.live++;
      this.started++;
      const s = this.session(opened, t0).finally(() => {
        this.live--;
        this.sessions.delete(s);
        this.startSessions();
        this.signal();
      });
      this.sessions.add(s);
    }
  }

  private log(client: string, t0: number, meter: MeterRow[], e?: unknown): void {
    const d = e === undefined ? undefined : e instanceof PqError ? e.diagnostics[0]! : diag("PQ5001", { where: "pq serve", detail: e instanceof Error ? e.message : String(e) });
    const t = totals(meter);
    this.opts.onSession({ client, model: this.program.hash, outcome: d?.code ?? "ok", ...(d ? { detail: d.message } : {}), sent: t.sent, recv: t.recv, rounds: t.rounds, ms: Math.round(performance.now() - t0) });
  }

  private async session(opened: Opened, t0: number): Promise<void> {
    const transport = opened.transport(HANDSHAKE_FRAME_BYTES);
    let stop: ((d: Diagnostic) => void) | undefined;
    // A deadline ends the session whatever it is doing: the socket closes, the worker goes.
    const deadline = (ms: number, what: string) => setTimeout(() => stop?.(diag("PQ5003", { party: "server", ms, where: what })), ms);
    const handshakeTimer = deadline(this.opts.handshakeMs, "the program handshake");
    const sessionTimer = deadline(this.opts.sessionMs, "the session (its whole-session deadline)");
    const stopped = new Promise<never>((_, reject) => {
      stop = (d) => {
        transport.close();
        reject(new PqError(d));
      };
    });
    stopped.catch(() => undefined);
    const onHandshake = () => clearTimeout(handshakeTimer);
    try {
      const meter = this.workers
        ? await this.inWorker(transport, onHandshake, stopped)
        : (await Promise.race([serveSession(transport, this.program, { timeoutMs: this.opts.timeoutMs, onHandshake }), stopped])).meter;
      this.log(opened.remote, t0, meter);
    } catch (e) {
      transport.close();
      this.log(opened.remote, t0, [], e);
    } finally {
      clearTimeout(handshakeTimer);
      clearTimeout(sessionTimer);
      stop = undefined;
    }
  }

  /** A worker for the next session: an idle one (warm), or a new one. */
  private takeWorker(): Worker {
    const init: WorkerInit = { served: this.program, timeoutMs: this.opts.timeoutMs };
    const w = this.idle.pop();
    if (w) {
      w.off("exit", this.leaving.get(w)!);
      this.leaving.delete(w);
      return w;
    }
    return partyWorker(WORKER_URL, { workerData: init });
  }

  /** Keep a worker that served its session well for the next one, while the server runs. */
  private keepWorker(w: Worker): void {
    if (this.finished || this.idle.length >= this.opts.maxSessions) {
      void w.terminate();
      return;
    }
    // An idle worker that dies is forgotten, never handed a session.
    const forget = () => {
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
    };
    w.once("exit", forget);
    this.idle.push(w);
    this.leaving.set(w, forget);
  }

  /**
   * The session in a worker thread: frames relayed both ways, the worker pulling at most two
   * ahead; messages of other sessions (late ones of the worker's previous session) dropped.
   * The worker goes back to the pool when the session ends well, and is terminated when it
   * fails, passes a deadline or the server stops.
   */
  private inWorker(t: TcpTransport, onHandshake: () => void, stopped: Promise<never>): Promise<MeterRow[]> {
    const w = this.takeWorker();
    const session = ++this.sessionNumber;
    const post = (m: ToWorker, transfer: ArrayBuffer[] = []) => w.postMessage(m, transfer);
    let onMessage: ((m: FromWorker) => void) | undefined;
    let onError: ((e: Error) => void) | undefined;
    let onExit: ((code: number) => void) | undefined;
    let ok = false;
    const result = new Promise<MeterRow[]>((resolve, reject) => {
      onMessage = (m: FromWorker) => {
        if (m.session !== session) return;
        switch (m.kind) {
          case "frame":
            t.send(m.frame);
            return;
          case "pull":
            t.recv().then(
              (f) => {
                const copy = f.slice(); // never transfer a view of a shared Buffer pool
                post({ session, kind: "frame", frame: copy }, [copy.buffer]);
              },
              (e: unknown) => post(e instanceof PqError ? { session, kind: "failed", diagnostics: e.diagnostics } : { session, kind: "closed", reason: e instanceof TransportClosed ? e.message : String(e) }),
            );
            return;
          case "limit":
            t.limit(m.bytes, m.after);
            return;
          case "handshake":
            onHandshake();
            return;
          case "close":
            t.close();
            return;
          case "done":
            ok = true;
            resolve(m.meter);
            return;
          case "error":
            reject(new PqError(m.diagnostics));
        }
      };
      onError = (e) => reject(new PqError(diag("PQ5001", { where: "a session's worker", detail: e.message })));
      onExit = (code) => reject(new PqError(diag("PQ5001", { where: "a session's worker", detail: `it exited with code ${code}` })));
      w.on("message", onMessage);
      w.once("error", onError);
      w.once("exit", onExit);
    });
    post({ session, kind: "start" });
    return Promise.race([result, stopped]).finally(() => {
      t.close();
      w.off("message", onMessage!);
      w.off("error", onError!);
      w.off("exit", onExit!);
      if (ok) this.keepWorker(w);
      else void w.terminate();
    });
  }
}
