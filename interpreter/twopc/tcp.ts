// The two parties over TCP. A TcpTransport moves whole frames over one socket: each frame
// is written as a 4-byte big-endian length and its bytes, and the receiving side
// re-assembles frames from whatever chunks TCP delivers (a frame may be split across
// chunks, several frames may share one). The Channel on top adds its own header, the
// timeout and the accounting, so the meter counts exactly the same bytes as in memory;
// the 4-byte prefix is TCP framing, not protocol traffic, and is not metered.
//
// Also here: `listen` / `connect` (with retries while the server is not up yet), and the
// `handshake` by which both parties check that they run the same program before any
// share crosses the wire.
import { createHash } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { diag, PqError } from "../../grammar/diagnostics.js";
import { TransportClosed, type Channel, type ChannelOptions, type Role, type Transport } from "./channel.js";
import { makeEndpoint } from "./party.js";
import type { Endpoint } from "../providers/correlations.js";
import { checkPeer, type TlsOptions } from "./tls.js";

/** Frames above this are refused: no pq message comes near it, so the stream is corrupt. */
export const MAX_FRAME_BYTES = 1 << 30;
/**
 * What a server reads from a client before the handshake proved they run the same program
 * (the handshake line is ~100 bytes): a stranger's declared 1 GiB frame is refused at its
 * prefix, before any allocation. The session raises it afterwards (remote.ts).
 */
export const HANDSHAKE_FRAME_BYTES = 1 << 16;
/** Frames queued unread beyond this pause the socket (TCP's flow control holds the rest at the peer). */
const HIGH_WATER_BYTES = 16 << 20;
const PREFIX_BYTES = 4;
/** How long `close()` lets buffered writes drain before the socket is torn down. */
const LINGER_MS = 2_000;

interface Waiter {
  resolve(frame: Uint8Array): void;
  reject(e: Error): void;
}

/** Why no more frames will arrive. */
type Failure = { kind: "closed"; reason: string } | { kind: "malformed"; detail: string };

/** Who is using the transport, for the diagnostics it raises itself (PQ5004). */
export interface TransportContext {
  readonly role: Role;
  readonly where: string;
}

export class TcpTransport implements Transport {
  private readonly frames: Uint8Array[] = [];
  private readonly waiters: Waiter[] = [];
  // Re-assembly state: the length prefix being read, then the chunks of the body.
  private readonly prefix = new Uint8Array(PREFIX_BYTES);
  private prefixFill = 0;
  private bodyLength = -1; // −1 while reading a prefix
  private bodyChunks: Uint8Array[] = [];
  private bodyFill = 0;
  private failure: Failure | undefined;
  private closing = false;
  private context: TransportContext | undefined;
  private queuedBytes = 0;
  /** Frames whose prefix has been read; `nextLimit` applies from frame number `at`. */
  private framesIn = 0;
  private nextLimit: { bytes: number; at: number } | undefined;

  /** `maxFrame`: the largest frame this side accepts (`limit` changes it). */
  constructor(private readonly socket: net.Socket, private maxFrame = MAX_FRAME_BYTES) {
    // Protocol messages are latency-bound (one per round): do not let Nagle hold them back.
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => this.fail({ kind: "closed", reason: this.midFrame() ? "the peer closed the connection in the middle of a frame" : "the peer closed the connection" }));
    socket.on("close", () => this.fail({ kind: "closed", reason: "the connection is closed" }));
    // Always listened to: an unhandled 'error' event (ECONNRESET, EPIPE) would crash the process.
    socket.on("error", (e: Error) => this.fail({ kind: "closed", reason: e.message }));
    // A listener's sockets arrive paused (unread while queued): reading starts here.
    socket.resume();
  }

  /**
   * Name the party and the step in the PQ5004 diagnostics this transport raises when the
   * byte stream itself is corrupt (the Channel passes those errors through unchanged).
   */
  attach(ctx: TransportContext): this {
    this.context = ctx;
    return this;
  }

  /**
   * Accept frames up to `bytes` (never above MAX_FRAME_BYTES) once `after` more frames have
   * arrived (0: from the next one): what the protocol can send from that step on. Counting
   * frames, not time, makes the switch exact even when the peer's frames are already in
   * flight. A larger announced frame fails the stream at its prefix (PQ5004).
   */
  limit(bytes: number, after = 0): void {
    this.nextLimit = { bytes: Math.min(bytes, MAX_FRAME_BYTES), at: this.framesIn + after };
  }

  /** The address of the other end, for messages. */
  get remote(): string {
    return `${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? "?"}`;
  }

  send(frame: Uint8Array): void {
    if (frame.length > MAX_FRAME_BYTES) throw this.malformed(`refusing to send a ${frame.length}-byte frame (the limit is ${MAX_FRAME_BYTES})`);
    // After either side closed there is nobody to read it: dropping it is what memoryPair does.
    if (this.closing || this.failure || !this.socket.writable) return;
    // One write per frame (prefix and body together) so a frame is never interleaved.
    const out = Buffer.allocUnsafe(PREFIX_BYTES + frame.length);
    out.writeUInt32BE(frame.length, 0);
    out.set(frame, PREFIX_BYTES);
    this.socket.write(out);
  }

  recv(): Promise<Uint8Array> {
    const f = this.frames.shift();
    if (f) {
      this.queuedBytes -= f.length;
      if (this.queuedBytes < HIGH_WATER_BYTES && this.socket.isPaused() && !this.failure) this.socket.resume();
      return Promise.resolve(f);
    }
    if (this.failure) return Promise.reject(this.errorOf(this.failure));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.fail({ kind: "closed", reason: "closed locally" });
    // end() flushes what was written, then sends FIN; if the peer never acknowledges (a hung
    // process), destroy after a while — unref'd so it never keeps the process alive.
    this.socket.end();
    if (!this.socket.destroyed) {
      const timer = setTimeout(() => this.socket.destroy(), LINGER_MS);
      timer.unref();
      this.socket.once("close", () => clearTimeout(timer));
    }
  }

  private onData(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length && this.failure?.kind !== "malformed" && !this.closing) {
      if (this.bodyLength < 0) {
        const take = Math.min(PREFIX_BYTES - this.prefixFill, chunk.length - off);
        this.prefix.set(chunk.subarray(off, off + take), this.prefixFill);
        this.prefixFill += take;
        off += take;
        if (this.prefixFill < PREFIX_BYTES) break;
        this.prefixFill = 0;
        const len = new DataView(this.prefix.buffer).getUint32(0);
        if (this.nextLimit && this.framesIn >= this.nextLimit.at) {
          this.maxFrame = this.nextLimit.bytes;
          this.nextLimit = undefined;
        }
        this.framesIn++;
        if (len > this.maxFrame) {
          // There is no way to find the next frame boundary: the connection is unusable.
          this.fail({ kind: "malformed", detail: `the stream announces a ${len}-byte frame (the limit here is ${this.maxFrame}); not a pq peer?` });
          this.socket.destroy();
          return;
        }
        this.bodyLength = len;
        this.bodyChunks = [];
        this.bodyFill = 0;
      } else {
        // Chunks are gathered and joined once the body is complete: a bogus length cannot
        // make us allocate memory the peer has not actually sent.
        const take = Math.min(this.bodyLength - this.bodyFill, chunk.length - off);
        this.bodyChunks.push(chunk.subarray(off, off + take));
        this.bodyFill += take;
        off += take;
      }
      if (this.bodyLength >= 0 && this.bodyFill === this.bodyLength) {
        const b = Buffer.concat(this.bodyChunks, this.bodyLength);
        this.deliver(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        this.bodyLength = -1;
        this.bodyChunks = [];
      }
    }
  }

  private midFrame(): boolean {
    return this.prefixFill > 0 || this.bodyLength >= 0;
  }

  private deliver(frame: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) return w.resolve(frame);
    this.frames.push(frame);
    this.queuedBytes += frame.length;
    // A peer that sends faster than this party reads is held back by TCP, not by our memory.
    if (this.queuedBytes >= HIGH_WATER_BYTES) this.socket.pause();
  }

  /** The first failure wins; waiters exist only when no frame is queued, so order is kept. */
  private fail(f: Failure): void {
    if (this.failure) return;
    this.failure = f;
    for (const w of this.waiters.splice(0)) w.reject(this.errorOf(f));
  }

  private errorOf(f: Failure): Error {
    return f.kind === "closed" ? new TransportClosed(f.reason) : this.malformed(f.detail);
  }

  private malformed(detail: string): PqError {
    return new PqError(diag("PQ5004", { party: this.context?.role ?? "tcp", where: this.context?.where ?? "the connection", detail }));
  }
}

// ---------------------------------------------------------------- listen / connect

/** A connection taken from the listen queue: not read until `open` (no TLS handshake, no buffer). */
export interface Incoming {
  /** The client's address, for logs. */
  readonly remote: string;
  /**
   * The TLS handshake and the client's pin check when the listener has TLS (PQ5012, PQ5009),
   * within `deadlineMs` (PQ5003). The connection is then still unread by pq (TLS buffers at
   * most one record) until `transport`.
   */
  open(deadlineMs: number): Promise<Opened>;
  /** Refuse it unread. */
  destroy(): void;
}

export interface Opened {
  readonly remote: string;
  /** Start reading: frames bounded by `maxFrame` (default MAX_FRAME_BYTES) until changed (`TcpTransport.limit`). */
  transport(maxFrame?: number): TcpTransport;
  destroy(): void;
}

export interface Listener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** The next incoming connection, unread; with `timeoutMs`, PQ5003 if none comes in time. */
  next(timeoutMs?: number): Promise<Incoming>;
  /** `next` then `open` (handshake deadline: `timeoutMs`, else 30 s): for one-client uses. */
  accept(timeoutMs?: number, maxFrame?: number): Promise<TcpTransport>;
  /** Connections waiting, unread, for `next`. */
  readonly pending: number;
  /** Stop listening; connections not yet taken are closed, pending `next` calls rejected. */
  close(): void;
}

export interface ListenOptions {
  /** TLS with this identity (and client pins); plaintext TCP when absent. */
  tls?: TlsOptions;
  /**
   * Connections queued beyond this are closed at once. Queued ones are accepted by the
   * kernel but never read (paused), so they cost a socket each, not memory of ours.
   */
  maxPending?: number;
}

export function listen(port: number, host = "127.0.0.1", opts: ListenOptions = {}): Promise<Listener> {
  return new Promise((resolve, reject) => {
    // Paused on connect: a queued connection's bytes stay in the kernel until a session takes it.
    const server = net.createServer({ pauseOnConnect: true });
    const maxPending = opts.maxPending ?? 128;
    const context = opts.tls?.identity ? tls.createSecureContext({ cert: opts.tls.identity.cert, key: opts.tls.identity.key, minVersion: "TLSv1.3" }) : undefined;
    const ready: net.Socket[] = [];
    const waiters: { resolve(s: net.Socket): void; reject(e: Error): void }[] = [];
    let closed = false;
    server.on("connection", (socket) => {
      socket.on("error", () => undefined); // a reset while queued must not crash the process
      if (closed || (waiters.length === 0 && ready.length >= maxPending)) return void socket.destroy();
      const w = waiters.shift();
      if (w) w.resolve(socket);
      else ready.push(socket);
    });
    const onListenError = (e: NodeJS.ErrnoException) => {
      server.close();
      reject(new PqError(diag("PQ5006", { party: "server", address: `${host}:${port}`, reason: `cannot listen there (${e.code ?? e.message})` })));
    };
    server.once("error", onListenError);
    server.listen(port, host, () => {
      server.off("error", onListenError);
      // Errors after listening (rare: e.g. EMFILE on accept) must not crash the process.
      server.on("error", () => undefined);
      const bound = (server.address() as net.AddressInfo).port;
      const incoming = (socket: net.Socket): Incoming => {
        const remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
        return {
          remote,
          destroy: () => socket.destroy(),
          open: async (deadlineMs) => {
            const s = context ? await secureServerSide(socket, context, opts.tls!.pins, remote, deadlineMs) : socket;
            return { remote, destroy: () => s.destroy(), transport: (maxFrame) => new TcpTransport(s, maxFrame) };
          },
        };
      };
      const listener: Listener = {
        port: bound,
        get pending() {
          return ready.length;
        },
        next(timeoutMs?: number): Promise<Incoming> {
          const s = ready.shift();
          if (s) return Promise.resolve(incoming(s));
          if (closed) return Promise.reject(new TransportClosed("the listener is closed"));
          return new Promise((res, rej) => {
            let timer: NodeJS.Timeout | undefined;
            const w = {
              resolve: (x: net.Socket) => {
                clearTimeout(timer);
                res(incoming(x));
              },
              reject: (e: Error) => {
                clearTimeout(timer);
                rej(e);
              },
            };
            waiters.push(w);
            if (timeoutMs !== undefined) {
              timer = setTimeout(() => {
                waiters.splice(waiters.indexOf(w), 1);
                rej(new PqError(diag("PQ5003", { party: "server", ms: timeoutMs, where: `waiting for the client on port ${bound}` })));
              }, timeoutMs);
            }
          });
        },
        async accept(timeoutMs?: number, maxFrame?: number): Promise<TcpTransport> {
          return (await (await listener.next(timeoutMs)).open(timeoutMs ?? 30_000)).transport(maxFrame);
        },
        close(): void {
          if (closed) return;
          closed = true;
          server.close();
          for (const s of ready.splice(0)) s.destroy();
          for (const w of waiters.splice(0)) w.reject(new TransportClosed("the listener is closed"));
        },
      };
      resolve(listener);
    });
  });
}

/** A TLS handshake within `deadlineMs` on an accepted socket, then the client's pin check. */
function secureServerSide(socket: net.Socket, context: tls.SecureContext, pins: readonly string[], remote: string, deadlineMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = new tls.TLSSocket(socket, { isServer: true, secureContext: context, requestCert: pins.length > 0, rejectUnauthorized: false });
    const fail = (e: Error) => {
      clearTimeout(timer);
      s.on("error", () => undefined); // a second error of a socket being torn down must not crash the process
      s.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new PqError(diag("PQ5003", { party: "server", ms: deadlineMs, where: `the TLS handshake with ${remote}` }))), deadlineMs);
    const onError = (e: Error) => fail(new PqError(diag("PQ5012", { party: "server", address: remote, reason: e.message })));
    const onClose = () => fail(new PqError(diag("PQ5012", { party: "server", address: remote, reason: "the client closed the connection during the TLS handshake (did it refuse this server's key, or speak plaintext?)" })));
    s.once("error", onError);
    s.once("close", onClose);
    s.once("secure", () => {
      clearTimeout(timer);
      s.off("error", onError);
      s.off("close", onClose);
      try {
        if (pins.length > 0) checkPeer(s, pins, "server", remote);
        resolve(s);
      } catch (e) {
        reject(e as Error);
      }
    });
    socket.resume();
  });
}

export interface ConnectOptions {
  /** Further attempts after the first while the server is not listening yet. */
  retries?: number;
  /** Pause between attempts. */
  delayMs?: number;
  /** Give one attempt up after this long (a silent host never answers a SYN). */
  attemptTimeoutMs?: number;
  /** The TLS handshake's deadline: a busy server starts it only when a session is free (default 120 s). */
  handshakeMs?: number;
  /** TLS, the server pinned by `tls.pins` (with `tls.identity` for client authentication); plaintext when absent. */
  tls?: TlsOptions;
  /** The largest frame accepted until raised (`TcpTransport.limit`). */
  maxFrame?: number;
}

export async function connect(host: string, port: number, opts: ConnectOptions = {}): Promise<TcpTransport> {
  const retries = opts.retries ?? 50;
  const delayMs = opts.delayMs ?? 100;
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 5_000;
  const address = `${host}:${port}`;
  let reason = "no attempt made";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, delayMs));
    let socket: net.Socket;
    try {
      socket = await attemptConnect(host, port, attemptTimeoutMs);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      reason = err.code ? `${err.code}${attempt > 0 ? ` after ${attempt + 1} attempts` : ""}` : err.message;
      // An unknown host or an invalid port will not fix itself by waiting.
      if (err.code === "ENOTFOUND" || err.code === "ERR_SOCKET_BAD_PORT" || err.code === "ERR_INVALID_ARG_TYPE") break;
      continue;
    }
    // Connected: a TLS failure or a wrong identity is not retried.
    return opts.tls ? secureClientSide(socket, host, address, opts.tls, opts.handshakeMs ?? 120_000, opts.maxFrame) : new TcpTransport(socket, opts.maxFrame);
  }
  throw new PqError(diag("PQ5006", { party: "client", address, reason }));
}

function attemptConnect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (e: Error) => {
      socket.off("timeout", onTimeout);
      socket.destroy();
      reject(e);
    };
    const onTimeout = () => fail(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    socket.once("error", fail);
    socket.setTimeout(timeoutMs, onTimeout);
    socket.once("connect", () => {
      socket.off("error", fail);
      socket.off("timeout", onTimeout);
      socket.setTimeout(0);
      resolve(socket);
    });
  });
}

/** The client's TLS handshake, then the server's pin check, before any protocol byte. */
function secureClientSide(socket: net.Socket, host: string, address: string, t: TlsOptions, deadlineMs: number, maxFrame?: number): Promise<TcpTransport> {
  return new Promise((resolve, reject) => {
    // Trust comes from the pin, not from a CA: the chain is not verified, the key is.
    const s = tls.connect({
      socket, minVersion: "TLSv1.3", rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }),
      ...(t.identity ? { cert: t.identity.cert, key: t.identity.key } : {}),
    });
    const fail = (e: Error) => {
      clearTimeout(timer);
      s.on("error", () => undefined); // a second error of a socket being torn down must not crash the process
      s.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new PqError(diag("PQ5012", { party: "client", address, reason: `no TLS handshake within ${deadlineMs} ms` }))), deadlineMs);
    const onError = (e: Error) => fail(new PqError(diag("PQ5012", { party: "client", address, reason: e.message })));
    s.once("error", onError);
    s.once("secureConnect", () => {
      clearTimeout(timer);
      s.off("error", onError);
      try {
        checkPeer(s, t.pins, "client", address);
        resolve(new TcpTransport(s, maxFrame));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

// ---------------------------------------------------------------- parties

/** An endpoint over TCP, like `makeEndpoint` in party.ts, with the transport naming it in diagnostics. */
export function makeTcpEndpoint(role: Role, transport: TcpTransport, opts: ChannelOptions = {}): Endpoint {
  const e = makeEndpoint(role, transport, opts);
  transport.attach(e.ch);
  return e;
}

// ---------------------------------------------------------------- handshake

const HELLO = "pq-handshake/1";

/** A short, stable fingerprint of whatever identifies the program (e.g. its printed IR). */
export function fingerprint(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest("hex");
}

/**
 * Both parties send their role and the fingerprint of the program they run and compare
 * (one round, metered under the primitive `handshake`). A different program — or two
 * parties in the same role — is PQ5005 on both sides, before any share is exchanged.
 */
export async function handshake(ch: Channel, fp: string): Promise<void> {
  const before = ch.where;
  ch.where = "handshake";
  try {
    const theirs = await ch.meter.scope("handshake", async () => {
      ch.send(new TextEncoder().encode(`${HELLO} ${ch.role} ${fp}`));
      return ch.recv();
    });
    const text = new TextDecoder().decode(theirs);
    const [hello, role, ...rest] = text.split(" ");
    const mismatch = (detail: string): never => {
      throw new PqError(diag("PQ5005", { party: ch.role, detail }));
    };
    if (hello !== HELLO || (role !== "client" && role !== "server")) mismatch("the peer did not answer with a pq handshake");
    if (role === ch.role) mismatch(`both parties are the ${ch.role}`);
    const other = rest.join(" ");
    if (other !== fp) mismatch(`this side's program is ${short(fp)}, the peer's is ${short(other)}`);
  } finally {
    ch.where = before;
  }
}

/** The peer's text is untrusted: show a bounded, printable prefix. */
function short(s: string): string {
  const clean = JSON.stringify(s.length > 64 ? s.slice(0, 60) : s).slice(1, -1);
  return s.length > 64 ? `${clean}…` : clean;
}
