// The one channel interface both parties talk through. A Transport moves whole frames
// (in memory, or length-prefixed over TCP); the Channel adds a header (magic, sequence
// number, payload length) so a lost, duplicated or foreign frame is detected, a timeout so
// a stalled peer cannot hang the run, and the accounting of every byte on the wire.
import { HEADER_BYTES } from "../../compiler/cost/wire.js";
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { Meter } from "./meter.js";

export interface Transport {
  send(frame: Uint8Array): void;
  /** The next frame; rejects with a TransportClosed when the peer is gone. */
  recv(): Promise<Uint8Array>;
  close(): void;
}

export class TransportClosed extends Error {}

export type Role = "client" | "server";

const MAGIC = 0x5051; // "PQ"
export { HEADER_BYTES };

export interface ChannelOptions {
  /** Milliseconds to wait for one message before giving up. */
  timeoutMs?: number;
}

export class Channel {
  private sendSeq = 0;
  private recvSeq = 0;
  /** Milliseconds to wait for one message (the client waits longer for its first, the program). */
  timeoutMs: number;
  /** What the party is doing, for error messages: `lenet/conv1 (conv2d)`. */
  where = "setup";

  constructor(
    private readonly transport: Transport,
    readonly meter: Meter,
    readonly role: Role,
    opts: ChannelOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  send(payload: Uint8Array): void {
    this.sendParts([payload]);
  }

  /** One message whose payload is the parts in order, copied once, into the frame. */
  sendParts(parts: readonly Uint8Array[]): void {
    let length = 0;
    for (const p of parts) length += p.length;
    const frame = new Uint8Array(HEADER_BYTES + length);
    const v = new DataView(frame.buffer);
    v.setUint16(0, MAGIC);
    v.setUint32(2, this.sendSeq++);
    v.setUint32(6, length);
    let o = HEADER_BYTES;
    for (const p of parts) {
      frame.set(p, o);
      o += p.length;
    }
    this.meter.onSend(frame.length);
    this.transport.send(frame);
  }

  /** Receive the next message; `expectedBytes` (payload) is checked when given. */
  async recv(expectedBytes?: number): Promise<Uint8Array> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PqError(diag("PQ5003", { party: this.role, ms: this.timeoutMs, where: this.where }))), this.timeoutMs);
    });
    let frame: Uint8Array;
    try {
      frame = await Promise.race([this.transport.recv(), timeout]);
    } catch (e) {
      if (e instanceof TransportClosed) throw new PqError(diag("PQ5002", { party: this.role, where: this.where }));
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const bad = (detail: string): never => {
      throw new PqError(diag("PQ5004", { party: this.role, where: this.where, detail }));
    };
    if (frame.length < HEADER_BYTES) bad(`a ${frame.length}-byte frame is shorter than its header`);
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    if (v.getUint16(0) !== MAGIC) bad("bad magic number (not a pq peer?)");
    const seq = v.getUint32(2);
    if (seq !== this.recvSeq) bad(`message ${seq} arrived where message ${this.recvSeq} was expected`);
    this.recvSeq++;
    const len = v.getUint32(6);
    if (len !== frame.length - HEADER_BYTES) bad(`the header announces ${len} bytes, the frame holds ${frame.length - HEADER_BYTES}`);
    if (expectedBytes !== undefined && len !== expectedBytes) bad(`expected ${expectedBytes} bytes, got ${len}`);
    this.meter.onRecv(frame.length);
    return frame.subarray(HEADER_BYTES);
  }

  close(): void {
    this.transport.close();
  }
}

/** Two connected in-memory transports (both parties in one process). */
export function memoryPair(): [Transport, Transport] {
  class End implements Transport {
    peer!: End;
    private readonly queue: Uint8Array[] = [];
    private waiting: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void } | undefined;
    private closed = false;

    deliver(frame: Uint8Array): void {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(frame);
      } else this.queue.push(frame);
    }

    shut(): void {
      this.closed = true;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.reject(new TransportClosed());
      }
    }

    send(frame: Uint8Array): void {
      if (!this.closed && !this.peer.closed) this.peer.deliver(frame.slice());
    }

    recv(): Promise<Uint8Array> {
      const f = this.queue.shift();
      if (f) return Promise.resolve(f);
      if (this.closed) return Promise.reject(new TransportClosed());
      return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
    }

    close(): void {
      this.shut();
      this.peer.shut();
    }
  }
  const a = new End();
  const b = new End();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
