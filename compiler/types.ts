// Tensor types of the IR: element width and signedness, shape, visibility, scale and
// the known-MSB fact. See docs/LANGUAGE.md "Types".
import type { Visibility } from "../grammar/ast.js";

export type { Visibility };

/**
 * The real value of an integer q is q·scale. Power-of-two scales are kept symbolic so
 * that alignment and requantization by shifts stay exact; other scales are doubles.
 */
export type Scale = { kind: "pow2"; exp: number } | { kind: "real"; value: number };

export interface TensorType {
  /** Ring width N: values live in Z_{2^N}. 1..64. */
  bits: number;
  signed: boolean;
  shape: number[];
  vis: Visibility;
  scale: Scale;
  /** Known-MSB fact: every value is in [0, 2^(N-1)), so the MSB is 0 (e.g. after ReLU). */
  nonneg: boolean;
}

export const ONE: Scale = { kind: "pow2", exp: 0 };

export function scaleValue(s: Scale): number {
  return s.kind === "pow2" ? 2 ** s.exp : s.value;
}

/** A canonical form: a real scale that is exactly a power of two becomes pow2. */
export function normScale(s: Scale): Scale {
  if (s.kind === "pow2") return s;
  const e = Math.log2(s.value);
  if (Number.isInteger(e) && 2 ** e === s.value) return { kind: "pow2", exp: e };
  return s;
}

export function mulScale(a: Scale, b: Scale): Scale {
  if (a.kind === "pow2" && b.kind === "pow2") return { kind: "pow2", exp: a.exp + b.exp };
  return normScale({ kind: "real", value: scaleValue(a) * scaleValue(b) });
}

/** Scale divided by a positive integer (average-pool divisors). */
export function divScale(a: Scale, d: number): Scale {
  if (a.kind === "pow2" && Number.isInteger(Math.log2(d))) return { kind: "pow2", exp: a.exp - Math.log2(d) };
  return normScale({ kind: "real", value: scaleValue(a) / d });
}

/** Relative tolerance for comparing real scales written in decimal in a file. */
export function sameScale(a: Scale, b: Scale): boolean {
  const x = normScale(a);
  const y = normScale(b);
  if (x.kind === "pow2" && y.kind === "pow2") return x.exp === y.exp;
  const u = scaleValue(x);
  const v = scaleValue(y);
  return Math.abs(u - v) <= 1e-9 * Math.max(Math.abs(u), Math.abs(v));
}

/** log2(a/b) when it is an integer (scales align by shifts), else undefined. */
export function scaleShift(a: Scale, b: Scale): number | undefined {
  if (a.kind === "pow2" && b.kind === "pow2") return a.exp - b.exp;
  const r = Math.log2(scaleValue(a) / scaleValue(b));
  const k = Math.round(r);
  return Math.abs(r - k) < 1e-9 ? k : undefined;
}

export function formatScale(s: Scale): string {
  return s.kind === "pow2" ? `2^${s.exp}` : String(s.value);
}

export function elemName(t: { bits: number; signed: boolean }): string {
  return `${t.signed ? "i" : "u"}${t.bits}`;
}

/** `shared i16[6,28,28] scale 2^-8 nonneg` — the same text the parser accepts. */
export function formatType(t: TensorType, withVis = true): string {
  let s = withVis ? `${t.vis} ` : "";
  s += elemName(t);
  if (t.shape.length > 0) s += `[${t.shape.join(", ")}]`;
  if (!(t.scale.kind === "pow2" && t.scale.exp === 0)) s += ` scale ${formatScale(t.scale)}`;
  if (t.nonneg) s += " nonneg";
  return s;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The smallest and largest value of an element type. */
export function typeRange(t: { bits: number; signed: boolean }): [bigint, bigint] {
  const n = BigInt(t.bits);
  return t.signed ? [-(1n << (n - 1n)), (1n << (n - 1n)) - 1n] : [0n, (1n << n) - 1n];
}

/**
 * The interval of a value as both parties of a two-party run know it: the range analysis'
 * exact interval rounded outward to PUBLIC_BITS significant bits at each end, then cut to the
 * type's range. The exact interval depends on the weights (a convolution's bound is the
 * largest row sum of |w| times the input's bound); what survives the rounding is each end's
 * bit length — which the ring widths the server chooses show anyway — and the bit after it.
 * Idempotent; the protocols (interpreter/twopc/run.ts), the forecast (compiler/cost/trace.ts)
 * and the program sent to a client (interpreter/twopc/remote.ts) all read this one.
 * Why two bits and not one: a bound rounded up to 2^k − 1 makes requant's z = x·K + 2^(s−1)
 * one bit wider than x, and each such site then pays a general extension (ResNet-20 under
 * he: +46 % online bytes with one bit, +1.8 % with two; docs/REPORT.md).
 */
const PUBLIC_BITS = 2;

export function publicRange(r: { lo: bigint; hi: bigint }, t: { bits: number; signed: boolean }): { lo: bigint; hi: bigint } {
  const [tlo, thi] = typeRange(t);
  const lo = r.lo >= 0n ? down(r.lo, PUBLIC_BITS) : -up(-r.lo, PUBLIC_BITS);
  const hi = r.hi >= 0n ? up(r.hi + 1n, PUBLIC_BITS) - 1n : -down(-r.hi, PUBLIC_BITS);
  return { lo: lo < tlo ? tlo : lo, hi: hi > thi ? thi : hi };
}

/** The largest v' ≤ v (v ≥ 0) with at most P significant bits. */
function down(v: bigint, P: number): bigint {
  const drop = BigInt(Math.max(bitLen(v) - P, 0));
  return (v >> drop) << drop;
}

/** The smallest v' ≥ v (v ≥ 0) with at most P significant bits. */
function up(v: bigint, P: number): bigint {
  const d = down(v, P);
  if (d === v) return v;
  const drop = BigInt(Math.max(bitLen(v) - P, 0));
  return d + (1n << drop);
}

/** Bits of a non-negative bigint (0 for 0). */
function bitLen(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Minimal signed width holding [lo, hi]. */
export function signedWidthFor(lo: bigint, hi: bigint): number {
  let n = 1;
  while (lo < -(1n << BigInt(n - 1)) || hi > (1n << BigInt(n - 1)) - 1n) n++;
  return n;
}

/** Minimal unsigned width holding [0, hi]. */
export function unsignedWidthFor(hi: bigint): number {
  let n = 1;
  while (hi > (1n << BigInt(n)) - 1n) n++;
  return n;
}

/** Visibility of a value computed from operands of these visibilities. */
export function joinVis(vs: readonly Visibility[]): Visibility {
  let out: Visibility = "public";
  for (const v of vs) {
    if (v === "public" || v === out) continue;
    out = out === "public" ? v : "shared";
  }
  return out;
}

export function sameType(a: TensorType, b: TensorType): boolean {
  return (
    a.bits === b.bits &&
    a.signed === b.signed &&
    a.vis === b.vis &&
    a.nonneg === b.nonneg &&
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]) &&
    sameScale(a.scale, b.scale)
  );
}

/**
 * A public offset c that brings every value of `range` (a value's interval, read as its type
 * reads it) into [0, 2^(N−1)), so that x + c has a known MSB (0): c = −lo when the range
 * spans less than half of Z_2^N (hi − lo < 2^(N−1)); undefined otherwise. A non-negative
 * value below 2^(N−1) needs c = 0. Used by the backend's extension (interpreter/protocols/
 * extend.ts) and priced the same way by the cost trace.
 */
export function msbOffset(range: { lo: bigint; hi: bigint }, N: number): bigint | undefined {
  return range.hi - range.lo < 1n << BigInt(N - 1) ? -range.lo : undefined;
}

/** The inverse of an odd q modulo 2^N (Newton's iteration: each step doubles the correct bits). */
export function oddInverse(q: bigint, N: number): bigint {
  if ((q & 1n) === 0n) throw new Error(`oddInverse: ${q} is even`);
  const m = (1n << BigInt(N)) - 1n;
  let inv = q & m; // correct to 3 bits for odd q (q·q ≡ 1 mod 8)
  for (let bits = 3; bits < N; bits *= 2) inv = (inv * (2n - q * inv)) & m;
  return inv & m;
}
