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
  /** x's interval, narrowed by its type, the known-MSB fact and the pre-clamp. */
  lo: bigint;
  hi: bigint;
  /**
   * Bounds x is clamped to first, in its own ring (clamp.ts), when z = x·K + add would not
   * fit 64 bits over x's whole interval: beyond them y saturates anyway. Unset: no pre-clamp.
   */
  pre?: { lo?: bigint; hi?: bigint };
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
  /** Set when y is wholly beyond a bound, or a single value: the result is this public value. */
  constant?: bigint;
}

/** The two-party requantization would need a ring wider than 64 bits (check reports it as PQ3004). */
export class RequantTooWide extends Error {
  constructor(readonly W: number, lo: bigint, hi: bigint, mult: number, shift: number) {
    super(`requant: x in [${lo}, ${hi}] times ${mult} with shift ${shift} needs a ${W}-bit ring; the two-party backend supports at most 64 bits`);
  }
}

/** ⌈a / b⌉ for b > 0 (bigint division truncates toward zero, which is the ceiling below 0). */
const ceilDiv = (a: bigint, b: bigint): bigint => a / b + (a % b !== 0n && a > 0n ? 1n : 0n);

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
  const [tlo, thi] = typeRange(to);
  const T = { lo: tlo, hi: thi };
  const plan = (lo: bigint, hi: bigint): RequantPlan => {
    const zlo = lo * K + add;
    const zhi = hi * K + add;
    const ylo = zlo >> BigInt(s); // >> on bigint rounds toward −∞
    const yhi = zhi >> BigInt(s);
    const base = { lo, hi, K, add, s, T, zlo, ylo };
    const none = { W: 0, R: 0, needLo: false, needHi: false };
    if (yhi <= T.lo || ylo >= T.hi) return { ...base, ...none, constant: yhi <= T.lo ? T.lo : T.hi };
    if (ylo === yhi) return { ...base, ...none, constant: ylo };
    const needLo = ylo < T.lo;
    const needHi = yhi > T.hi;
    let R = signedWidthFor(ylo, yhi);
    if (needLo) R = Math.max(R, signedWidthFor(ylo - T.lo, yhi - T.lo));
    if (needHi) R = Math.max(R, signedWidthFor(T.hi - yhi, T.hi - ylo));
    // Without a clamp, working in T's width (when the budget allows) saves a final extension.
    if (!needLo && !needHi) R = Math.max(R, Math.min(to.bits, 64 - s));
    const W = Math.max(signedWidthFor(zlo, zhi), signedWidthFor(lo, hi), R + s);
    return { ...base, W, R: W - s, needLo, needHi };
  };
  const whole = plan(lo, hi);
  if (whole.W <= 64) return whole;
  // y = ⌊(x·K + add) / 2^s⌋ does not decrease with x: every x ≤ a gives y ≤ T.lo, every
  // x ≥ b gives y ≥ T.hi, so clamping x to [a, b] first changes no result and bounds z.
  const a = ceilDiv(((T.lo + 1n) << BigInt(s)) - add, K) - 1n;
  const b = ceilDiv((T.hi << BigInt(s)) - add, K);
  const pre = { ...(a > lo ? { lo: a } : {}), ...(b < hi ? { hi: b } : {}) };
  const narrowed = plan(a > lo ? a : lo, b < hi ? b : hi);
  if (narrowed.W > 64 || (pre.lo === undefined && pre.hi === undefined)) throw new RequantTooWide(narrowed.W, lo, hi, mult, shift);
  return narrowed.constant !== undefined ? narrowed : { ...narrowed, pre };
}
