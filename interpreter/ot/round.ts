// One OT round trip in both directions at once, for the kernels and the OT provider: each
// party extends the batches it receives in (its IKNP receiver) and answers the batches the
// peer receives in (its IKNP sender). Flights: the receivers' u columns of all batches in one
// message each way, then the senders' corrections of all batches in one message each way
// (skipped on both sides when no batch has any: random OT). Both parties build their batch
// lists from the same public sizes, so each knows every message's length in advance and
// the channel rejects anything else (PQ5004).
// A flight above OT_FRAME_BYTES is written as several frames in a row (otFrames: still one
// round), copied from the batches' messages without building the whole flight.
// A receiver batch's work that needs nothing from the peer (`ready`: the pads) is done while
// the peer computes its corrections.
// Wire: Σ iknpMsgBytes(n) for this party's receiver batches + Σ corrections of its sender
// batches; 1 round, or 2 when there are corrections.
import type { ReceiverRows, SenderRows } from "./iknp.js";
import { iknpMsgBytes, KAPPA, KK_LAMBDA, otFrames } from "../../compiler/cost/ot-sizes.js";
import { kkColumns } from "./kk13.js";
import type { OtLink } from "./base.js";
import type { OtPair } from "./session.js";
import type { IdealReceive, IdealSend } from "./batches.js";

export interface ReceiveIn<R> {
  /** One choice bit per OT (0 or 1, one per byte); under `kk`, one value below 16 per OT. */
  choices: Uint8Array;
  /** Extend on the KK13 extension (256 columns, kk13.ts) instead of IKNP. */
  kk?: boolean;
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
  /** The peer's batch runs on the KK13 extension. */
  kk?: boolean;
  /** The corrections to send (empty for random OT) and this party's output. */
  respond(rows: SenderRows): { msg: Uint8Array; out: S };
  /** The batch as an ideal functionality (batches.ts); not read here. */
  ideal?: IdealSend;
}

/** One flight: the parts' bytes in order, as the frames otFrames gives. */
export function sendFlight(link: OtLink, parts: readonly Uint8Array[], cap?: number): void {
  let p = 0;
  let off = 0;
  for (const size of otFrames(parts.reduce((a, q) => a + q.length, 0), cap)) {
    const frame = new Uint8Array(size);
    let o = 0;
    while (o < size) {
      const part = parts[p]!;
      const take = Math.min(size - o, part.length - off);
      frame.set(part.subarray(off, off + take), o);
      o += take;
      off += take;
      if (off === part.length) {
        p++;
        off = 0;
      }
    }
    link.send(frame);
  }
}

/** The peer's flight of `bytes` bytes, frame by frame (each frame's size checked by the channel). */
export async function recvFlight(link: OtLink, bytes: number, cap?: number): Promise<Uint8Array> {
  const frames = otFrames(bytes, cap);
  if (frames.length === 1) return link.recv(bytes);
  const out = new Uint8Array(bytes);
  let o = 0;
  for (const size of frames) {
    out.set(await link.recv(size), o);
    o += size;
  }
  return out;
}

export async function otRound<R, S>(
  link: OtLink, ot: OtPair, receive: readonly ReceiveIn<R>[], send: readonly SendIn<S>[],
): Promise<{ received: R[]; sent: S[] }> {
  const mine = receive.map((b) => (b.kk ? ot.kkReceiver.extendColumns(b.choices, kkColumns(b.choices)) : ot.receiver.extend(b.choices)));
  if (mine.length > 0) sendFlight(link, mine.map((m) => m.msg));
  // With nothing to answer, the pads are made while the peer answers; else after answering.
  const ready = () => receive.forEach((b, i) => b.ready?.(mine[i]!.rows));
  if (send.length === 0) ready();
  const sent: S[] = [];
  const answers: Uint8Array[] = [];
  const uBytes = (b: SendIn<S>) => iknpMsgBytes(b.n, b.kk ? KK_LAMBDA : KAPPA);
  if (send.length > 0) {
    const us = await recvFlight(link, send.reduce((a, b) => a + uBytes(b), 0));
    let o = 0;
    for (const b of send) {
      const len = uBytes(b);
      const { msg, out } = b.respond((b.kk ? ot.kkSender : ot.sender).extend(b.n, us.subarray(o, o + len)));
      o += len;
      answers.push(msg);
      sent.push(out);
    }
  }
  const answerBytes = answers.reduce((a, m) => a + m.length, 0);
  if (answerBytes > 0) sendFlight(link, answers);
  if (send.length > 0) ready();
  const replyBytes = receive.reduce((a, b) => a + b.reply, 0);
  const replies = replyBytes > 0 ? await recvFlight(link, replyBytes) : new Uint8Array(0);
  let o = 0;
  const received = receive.map((b, i) => {
    const r = b.finish(mine[i]!.rows, replies.subarray(o, o + b.reply));
    o += b.reply;
    return r;
  });
  return { received, sent };
}
