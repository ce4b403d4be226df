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

/** The bytes as little-endian words (a view when aligned, a zero-padded copy otherwise). */
export function words(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const w = new Uint32Array(Math.ceil(bytes.length / 4));
  new Uint8Array(w.buffer).set(bytes);
  return w;
}

/** Writes values of 1..32 bits each, densely, LSB-first. */
export class BitWriter {
  private readonly out: Uint32Array;
  private k = 0;
  private acc = 0;
  private used = 0;

  constructor(private readonly totalBits: number) {
    this.out = new Uint32Array(Math.ceil(totalBits / 32));
  }

  /** Append the low `w` bits of `v` (1 ≤ w ≤ 32; higher bits of v must be zero). */
  put(v: number, w: number): void {
    this.acc = (this.acc | (v << this.used)) >>> 0;
    this.used += w;
    if (this.used >= 32) {
      this.out[this.k++] = this.acc;
      this.used -= 32;
      this.acc = this.used > 0 ? v >>> (w - this.used) : 0;
    }
  }

  /** The packed bytes: exactly ⌈totalBits / 8⌉. */
  bytes(): Uint8Array {
    if (this.used > 0) this.out[this.k] = this.acc;
    return new Uint8Array(this.out.buffer, 0, Math.ceil(this.totalBits / 8));
  }
}

/** Reads values of 1..32 bits written by a BitWriter, in order. */
export class BitReader {
  private readonly src: Uint32Array;
  private k = 0;
  private used = 0;

  constructor(bytes: Uint8Array) {
    this.src = words(bytes);
  }

  /** The next `w` bits (1 ≤ w ≤ 32) as an unsigned number. */
  get(w: number): number {
    const lo = this.src[this.k]! >>> this.used;
    let v: number;
    if (this.used + w < 32) {
      v = lo & ((1 << w) - 1);
      this.used += w;
    } else {
      const spill = this.used + w - 32;
      this.k++;
      v = spill > 0 ? (lo | (this.src[this.k]! << (w - spill))) & (w === 32 ? -1 : (1 << w) - 1) : lo;
      this.used = spill;
    }
    return v >>> 0;
  }
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
