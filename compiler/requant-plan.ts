// The ring plan of the two-party requantization (interpreter/protocols/requant.ts), shared
// with the cost model (compiler/cost/trace.ts) so the forecast follows the protocol exactly:
// from x's interval (range analysis) and the constants, the working ring W of
// z = x·K + add, the truncation s, whether each clamp side can bind, and the result when the
// whole interval lies beyond a bound (then it is a public constant).
import type { Interval } from "./ir.js";
import { signedWidthFor, typeRange } from "./types.js";

/**
 * Comparisons that agree on their low bits (millionaire.ts): n inputs in k blocks, element
 * j·(n/k) + i (j ≥ 1) equal to element i, on both sides, in the low `low` bits (≤ m).
 */
export interface SharedLow {
  k: number;
  low: number;
}

/** Trailing zero bits of d > 0. */
export function trailingZeros(d: bigint): number {
  let t = 0;
  while (d > 0n && (d & 1n) === 0n) {
    d >>= 1n;
    t++;
  }
  return t;
}

/**
 * requant's clamp compares [y < lo] = msb(y − lo) and [y > hi] = ¬msb(y − (hi + 1)) in R
 * bits: both are y minus a public constant (the client adds it), so the server's shares are
 * y1 in both and the client's agree on the low tz(hi + 1 − lo) bits; the second comparison
 * reuses the first's nodes over those bits.
 */
export function clampShare(R: number, lo: bigint | undefined, hi: bigint | undefined): SharedLow | undefined {
  if (lo === undefined || hi === undefined) return undefined;
  const low = Math.min(trailingZeros(hi + 1n - lo), R - 1);
  return low > 0 ? { k: 2, low } : undefined;
}

export interface RequantPlan {
  /** x's interval, narrowed by its type and the known-MSB fact. */
  lo: bigint;
  hi: bigint;
  /** z = x·K + add; y = ⌊z / 2^s⌋. */
  K: bigint;
  add: bigint;
  s: number;
  /** Lower ends of z's and y's intervals (the sign facts the protocol uses). */
  zlo: bigint;
  ylo: bigint;
  /** The working ring of z, and R = W − s, the ring of y and the clamp differences. */
  W: number;
  R: number;
  needLo: boolean;
  needHi: boolean;
  T: Interval;
  /** Set when y is wholly beyond a bound: the result is this public value. */
  constant?: bigint;
}

export function requantPlan(
  range: Interval, x: { bits: number; signed: boolean; nonneg: boolean }, mult: number, shift: number, to: { bits: number; signed: boolean },
): RequantPlan {
  const [txlo, txhi] = typeRange(x);
  let lo = range.lo > txlo ? range.lo : txlo;
  let hi = range.hi < txhi ? range.hi : txhi;
  if (x.nonneg) {
    if (lo < 0n) lo = 0n;
    const top = (1n << BigInt(x.bits - 1)) - 1n;
    if (hi > top) hi = top;
  }
  if (lo > hi) throw new Error(`requant: empty interval [${range.lo}, ${range.hi}] for a ${x.signed ? "i" : "u"}${x.bits} value`);
  const M = BigInt(mult);
  const s = Math.max(shift, 0);
  // z = x·K + add, then ⌊z / 2^s⌋; K and add fold both cases of the definition.
  const K = shift > 0 ? M : M << BigInt(-shift);
  const add = shift > 0 ? 1n << BigInt(shift - 1) : 0n;
  const zlo = lo * K + add;
  const zhi = hi * K + add;
  const ylo = zlo >> BigInt(s); // >> on bigint rounds toward −∞
  const yhi = zhi >> BigInt(s);
  const [tlo, thi] = typeRange(to);
  const T = { lo: tlo, hi: thi };
  const base = { lo, hi, K, add, s, T, zlo, ylo };
  if (yhi <= T.lo || ylo >= T.hi) return { ...base, W: 0, R: 0, needLo: false, needHi: false, constant: yhi <= T.lo ? T.lo : T.hi };
  const needLo = ylo < T.lo;
  const needHi = yhi > T.hi;
  let R = signedWidthFor(ylo, yhi);
  if (needLo) R = Math.max(R, signedWidthFor(ylo - T.lo, yhi - T.lo));
  if (needHi) R = Math.max(R, signedWidthFor(T.hi - yhi, T.hi - ylo));
  // Without a clamp, working in T's width (when the budget allows) saves a final extension.
  if (!needLo && !needHi) R = Math.max(R, Math.min(to.bits, 64 - s));
  const W = Math.max(signedWidthFor(zlo, zhi), signedWidthFor(lo, hi), R + s);
  if (W > 64) {
    throw new Error(`requant: x in [${lo}, ${hi}] times ${mult} with shift ${shift} needs a ${W}-bit ring; the two-party backend supports at most 64 bits`);
  }
  return { ...base, W, R: W - s, needLo, needHi };
}
