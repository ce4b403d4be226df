// One OT round trip in both directions at once, for the kernels and the OT provider: each
// party extends the batches it receives in (its silent-OT receiver, silent.ts) and answers the
// batches the peer receives in (its sender); the provider has refilled the pools first.
// Flights: the receivers' derandomizing bits of all batches in one message each way, then the senders' corrections of all batches in one message each way
// (skipped on both sides when no batch has any: random OT). Both parties build their batch
// lists from the same public sizes, so each knows every message's length in advance and
// the channel rejects anything else (PQ5004).
// A flight above OT_FRAME_BYTES is written as several frames in a row (otFrames: still one
// round), each sent as soon as the batches' messages fill it (FlightWriter) — the sender
// yields to the event loop after a batch that completed a frame, since a socket writes only
// between tasks — and the receiving side finishes each batch as soon as the frames holding
// its answer are in (FlightReader): the two parties' work on one round overlaps. Work that
// needs nothing from the round (`meanwhile`) runs while the peer answers.
// A receiver batch's work that needs nothing from the peer (`ready`: the pads) is done while
// the peer computes its corrections.
// Wire: Σ silentMsgBytes(n) for this party's receiver batches + Σ corrections of its sender
// batches; 1 round, or 2 when there are corrections.
import type { ReceiverRows, SenderRows } from "./iknp.js";
import { OT_FRAME_BYTES, otFrames, silentMsgBytes } from "../../compiler/cost/ot-sizes.js";
import type { OtLink } from "./base.js";
import type { OtPair } from "./session.js";
import type { IdealReceive, IdealSend } from "./batches.js";

export interface ReceiveIn<R> {
  /** One choice bit per OT (0 or 1, one per byte). */
  choices: Uint8Array;
  /** Bytes the peer's sender answers this batch with (0 for random OT). */
  reply: number;
  /**
   * Work on this party's own rows that needs nothing from the peer (e.g. the pads), done while
   * the peer computes its corrections; `finish` then uses it.
   */
  ready?(rows: ReceiverRows): void;
  finish(rows: ReceiverRows, reply: Uint8Array): R;
  /** The batch as an ideal functionality (batches.ts); not read here. */
  ideal?: IdealReceive;
}

export interface SendIn<S> {
  /** The number of OTs in the peer's matching receiver batch. */
  n: number;
  /** The corrections to send (empty for random OT) and this party's output. */
  respond(rows: SenderRows): { msg: Uint8Array; out: S };
  /** The batch as an ideal functionality (batches.ts); not read here. */
  ideal?: IdealSend;
}

/**
 * A flight written as its parts come: every full frame of `cap` bytes goes out as soon as it
 * is complete, the rest at `end` — the frames otFrames gives for the flight's total, so the
 * peer can work on the first frames while the later parts are computed.
 */
export class FlightWriter {
  private parts: Uint8Array[] = [];
  private pending = 0;
  /** Frames sent so far. */
  frames = 0;

  constructor(private readonly link: OtLink, private readonly cap = OT_FRAME_BYTES) {}

  push(part: Uint8Array): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.pending += part.length;
    while (this.pending >= this.cap) this.emit(this.cap);
  }

  end(): void {
    if (this.pending > 0) this.emit(this.pending);
  }

  /** One frame of `size` bytes from the front of the pending parts (joined by the link when it can). */
  private emit(size: number): void {
    const pieces: Uint8Array[] = [];
    let o = 0;
    while (o < size) {
      const part = this.parts[0]!;
      const take = Math.min(size - o, part.length);
      pieces.push(part.subarray(0, take));
      o += take;
      if (take === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(take);
    }
    this.pending -= size;
    this.frames++;
    if (this.link.sendParts) this.link.sendParts(pieces);
    else if (pieces.length === 1) this.link.send(pieces[0]!);
    else {
      const frame = new Uint8Array(size);
      o = 0;
      for (const p of pieces) {
        frame.set(p, o);
        o += p.length;
      }
      this.link.send(frame);
    }
  }
}

/** Resolves after the event loop has run its pending I/O (a macrotask, not a microtask). */
export const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One flight: the parts' bytes in order, as the frames otFrames gives. */
export function sendFlight(link: OtLink, parts: readonly Uint8Array[], cap?: number): void {
  const w = new FlightWriter(link, cap);
  for (const p of parts) w.push(p);
  w.end();
}

/**
 * The peer's flight of `total` bytes, read frame by frame as far as a caller needs it
 * (each frame's size checked by the channel): `upTo(n)` resolves with the flight's buffer
 * once its first n bytes are in.
 */
export class FlightReader {
  private readonly frames: number[];
  private buf: Uint8Array;
  private next = 0;
  private got = 0;

  constructor(private readonly link: OtLink, total: number, cap?: number) {
    this.frames = otFrames(total, cap);
    // One frame is the flight itself (no copy); several are copied into one buffer.
    this.buf = this.frames.length > 1 ? new Uint8Array(total) : new Uint8Array(0);
  }

  async upTo(n: number): Promise<Uint8Array> {
    while (this.got < n) {
      const f = await this.link.recv(this.frames[this.next++]!);
      if (this.frames.length === 1) this.buf = f;
      else this.buf.set(f, this.got);
      this.got += f.length;
    }
    return this.buf;
  }
}

/** The peer's flight of `bytes` bytes, whole. */
export async function recvFlight(link: OtLink, bytes: number, cap?: number): Promise<Uint8Array> {
  return new FlightReader(link, bytes, cap).upTo(bytes);
}

/**
 * One round. `meanwhile`: this party's own work that needs nothing from the round (e.g. a
 * product with its own share), run once its messages are out and before it waits for the
 * peer's answers — so it overlaps the peer's computing them.
 */
export async function otRound<R, S>(
  link: OtLink, ot: OtPair, receive: readonly ReceiveIn<R>[], send: readonly SendIn<S>[], meanwhile?: () => void,
): Promise<{ received: R[]; sent: S[] }> {
  const mine = receive.map((b) => ot.receiver.extend(b.choices));
  if (mine.length > 0) sendFlight(link, mine.map((m) => m.msg));
  // With nothing to answer, the pads are made while the peer answers; else after answering.
  const ready = () => receive.forEach((b, i) => b.ready?.(mine[i]!.rows));
  if (send.length === 0) ready();
  const sent: S[] = [];
  const uBytes = (b: SendIn<S>) => silentMsgBytes(b.n);
  if (send.length > 0) {
    // The peer's u columns whole (then only sends follow: one run of sends, one round), the
    // answers framed as they are computed.
    const us = await recvFlight(link, send.reduce((a, b) => a + uBytes(b), 0));
    const answers = new FlightWriter(link);
    let o = 0;
    for (const b of send) {
      const len = uBytes(b);
      const { msg, out } = b.respond(ot.sender.extend(b.n, us.subarray(o, o + len)));
      o += len;
      const before = answers.frames;
      answers.push(msg);
      sent.push(out);
      // Let the event loop write the frames just made (a socket writes only between tasks),
      // so the peer finishes this batch while the next one is computed.
      if (answers.frames > before) await yieldToIo();
    }
    answers.end();
    ready();
  }
  meanwhile?.();
  // Each batch finished as soon as its answer is in (only receives follow: no new round).
  const replies = new FlightReader(link, receive.reduce((a, b) => a + b.reply, 0));
  let o = 0;
  const received: R[] = [];
  for (let i = 0; i < receive.length; i++) {
    const b = receive[i]!;
    const bytes = b.reply > 0 ? await replies.upTo(o + b.reply) : new Uint8Array(0);
    received.push(b.finish(mine[i]!.rows, bytes.subarray(o, o + b.reply)));
    o += b.reply;
  }
  return { received, sent };
}
