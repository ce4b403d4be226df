// Wire helpers shared by the OT flavours: dense bit packing (LSB-first, no padding between
// values, the last byte zero-padded), aligned word views, and the PQ5007 error for a message
// that has the wrong size or content. No wire cost of its own; it defines the layout whose
// sizes the flavours' `…Bytes` functions state.
import { diag, PqError } from "../../grammar/diagnostics.js";

/** Who is speaking and in which step, for PQ5007 messages. */
export interface OtLabel {
  party: string;
  where: string;
}

export function malformed(label: OtLabel, detail: string): never {
  throw new PqError(diag("PQ5007", { party: label.party, where: label.where, detail }));
}

/** A caller broke an OT function's contract (a bug in pq, not the peer's fault). */
export function misuse(where: string, detail: string): never {
  throw new PqError(diag("PQ5001", { where, detail }));
}

export function checkLength(label: OtLabel, msg: Uint8Array, expected: number, what: string): void {
  if (msg.length !== expected) malformed(label, `${what} has ${msg.length} bytes, expected ${expected}`);
}

/** Write a batch header (both extensions' messages start with one): the batch's first OT index mod 2^32 and its size. */
export function writeBatchHeader(msg: Uint8Array, first: number, n: number): void {
  const head = new DataView(msg.buffer, msg.byteOffset, 8);
  head.setUint32(0, first >>> 0, true);
  head.setUint32(4, n, true);
}

/**
 * A receiver's batch message as its sender checks it: `expected` bytes (`what` names them),
 * starting at OT `next`, holding n OTs — else PQ5007 (a replayed, reordered or mis-sized batch).
 */
export function checkBatch(label: OtLabel, msg: Uint8Array, expected: number, what: string, next: number, n: number): void {
  checkLength(label, msg, expected, what);
  const head = new DataView(msg.buffer, msg.byteOffset, 8);
  const claimed = head.getUint32(0, true);
  if (claimed !== next >>> 0) malformed(label, `the batch starts at OT #${claimed} (mod 2^32), this party is at OT #${next} (a replayed or reordered batch)`);
  const count = head.getUint32(4, true);
  if (count !== n) malformed(label, `the batch holds ${count} OTs, this party expected ${n}`);
}

/** The bytes as little-endian words (a view when aligned, a zero-padded copy otherwise). */
export function words(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const w = new Uint32Array(Math.ceil(bytes.length / 4));
  new Uint8Array(w.buffer).set(bytes);
  return w;
}

/**
 * Pack values densely, LSB-first: value j takes widths[j mod widths.length] bits (1..32) and
 * must fit in them (as words, int32 words mod 2^32, or doubles below 2^32). The result has exactly
 * ⌈total bits / 8⌉ bytes. Plain loops over locals: the same packer as a class with fields
 * ran 10× slower in V8.
 */
export function packBits(values: Uint32Array | Int32Array | Float64Array, widths: readonly number[]): Uint8Array {
  const n = values.length;
  const p = widths.length;
  let total = 0;
  for (let j = 0; j < p; j++) total += widths[j]! * Math.ceil((n - j) / p);
  const out = new Uint32Array(Math.ceil(total / 32) + 1);
  let acc = 0;
  let used = 0;
  let k = 0;
  for (let j = 0, r = 0; j < n; j++) {
    const w = widths[r]!;
    r = r + 1 === p ? 0 : r + 1;
    const v = values[j]!;
    acc |= v << used;
    used += w;
    if (used >= 32) {
      out[k++] = acc;
      used -= 32;
      acc = used > 0 ? v >>> (w - used) : 0;
    }
  }
  out[k] = acc;
  return new Uint8Array(out.buffer, 0, Math.ceil(total / 8));
}

/** The inverse of `packBits`: `count` values with the same width pattern, into `out` (words by default; int32 words hold 32-bit values mod 2^32). */
export function unpackBits<T extends Uint32Array | Int32Array | Float64Array = Uint32Array>(bytes: Uint8Array, count: number, widths: readonly number[], out: T = new Uint32Array(count) as T): T {
  const src = words(bytes);
  const p = widths.length;
  let k = 0;
  let used = 0;
  for (let j = 0, r = 0; j < count; j++) {
    const w = widths[r]!;
    r = r + 1 === p ? 0 : r + 1;
    let v = src[k]! >>> used;
    used += w;
    if (used >= 32) {
      k++;
      used -= 32;
      if (used > 0) v |= src[k]! << (w - used);
    }
    out[j] = (w === 32 ? v : v & ((1 << w) - 1)) >>> 0;
  }
  return out;
}

/** The `w`-bit value (1 ≤ w ≤ 32) at bit offset `off` of little-endian words. */
export function bitsAt(src: Uint32Array, off: number, w: number): number {
  const k = off >>> 5;
  const s = off & 31;
  let v = src[k]! >>> s;
  if (s + w > 32) v |= src[k + 1]! << (32 - s);
  return (w === 32 ? v : v & ((1 << w) - 1)) >>> 0;
}

/** Mask of the low `w` bits, 0 ≤ w ≤ 32. */
export function lowMask(w: number): number {
  return 2 ** Math.min(w, 32) - 1;
}
