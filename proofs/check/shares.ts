// Small helpers for building experiments: shares drawn from a Source, reconstruction,
// readings of ring elements, and text forms for views and counterexamples.
import { constShare, getRing, type Share } from "../../interpreter/twopc/ring.js";
import type { Source } from "../../interpreter/providers/enumerated.js";

/** n unsigned N-bit values from the source. */
export function drawVec(src: Source, bits: number, n: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(src.draw(bits));
  return out;
}

/** n bits (0/1) from the source. */
export function drawBits(src: Source, n: number): Uint8Array {
  return Uint8Array.from(drawVec(src, 1, n), Number);
}

export const share = (bits: number, values: readonly bigint[], shape: number[] = [values.length]): Share => constShare(bits, shape, (i) => values[i]!);

/** Unsigned readings of a share's elements. */
export function uvals(s: Share): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < s.data.length; i++) out.push(BigInt.asUintN(s.bits, getRing(s, i)));
  return out;
}

/** x0 + x1 read unsigned or signed in Z_2^bits. */
export function joinRing(a: Share, b: Share, signed: boolean): bigint[] {
  if (a.bits !== b.bits || a.data.length !== b.data.length) return [-999999n];
  const out: bigint[] = [];
  for (let i = 0; i < a.data.length; i++) {
    const v = getRing(a, i) + getRing(b, i);
    out.push(signed ? BigInt.asIntN(a.bits, v) : BigInt.asUintN(a.bits, v));
  }
  return out;
}

export const joinBits = (a: Uint8Array, b: Uint8Array): number[] => Array.from(a, (v, i) => v ^ b[i]!);

export const txt = (v: readonly (bigint | number)[]): string => `[${v.join(",")}]`;

/** Signed reading of an unsigned N-bit value. */
export const sread = (u: bigint, bits: number): bigint => BigInt.asIntN(bits, u);
export const uread = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);
