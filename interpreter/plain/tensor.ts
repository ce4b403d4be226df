// Plaintext tensors. A value of element type iN/uN is an element of Z_{2^N}; we store its
// canonical integer reading (signed: [−2^(N−1), 2^(N−1)), unsigned: [0, 2^N)).
// N ≤ 52: a Float64Array holds it exactly (every integer of magnitude ≤ 2^53 is a double).
// N > 52: a BigInt64Array holds BigInt.asIntN(64, canonical); an unsigned value is read back
// with asUintN(64, ·), which is the identity for N < 64 because the stored value is ≥ 0.

export interface Tensor {
  shape: number[];
  bits: number;
  signed: boolean;
  data: Float64Array | BigInt64Array;
}

/** An element type: ring width and signed reading. */
export interface Elem {
  bits: number;
  signed: boolean;
}

/** Widest ring whose canonical values are stored as doubles. */
export const MAX_DOUBLE_BITS = 52;

/** Largest magnitude for which double arithmetic on integers is exact. */
export const DOUBLE_EXACT_LOG2 = 53;

export function isWide(bits: number): boolean {
  return bits > MAX_DOUBLE_BITS;
}

/** log2 of a bound on |value| for the type: signed |v| ≤ 2^(N−1), unsigned |v| < 2^N. */
export function magBits(e: Elem): number {
  return e.signed ? e.bits - 1 : e.bits;
}

/** ⌈log2 n⌉ for n ≥ 1: a sum of n terms each ≤ 2^m is ≤ 2^(m + ceilLog2(n)). */
export function ceilLog2(n: number): number {
  let k = 0;
  while (2 ** k < n) k++;
  return k;
}

/** Number of bits of |v| (0 for 0): |v| < 2^bitLength(v). */
export function bitLength(v: bigint): number {
  let a = v < 0n ? -v : v;
  let k = 0;
  while (a > 0n) {
    a >>= 1n;
    k++;
  }
  return k;
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new Error(`element width ${bits} outside 1..64`);
}

/** Reduce an exact integer modulo 2^N and read it with the given signedness. */
export function wrapTo(value: number, bits: number, signed: boolean): number;
export function wrapTo(value: bigint, bits: number, signed: boolean): bigint;
export function wrapTo(value: number | bigint, bits: number, signed: boolean): number | bigint {
  checkBits(bits);
  if (typeof value === "bigint") return signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
  // The double form only serves narrow rings: for N ≤ 52 the remainder and its ±2^N
  // correction stay exact integers below 2^53.
  if (isWide(bits)) throw new Error(`wrapTo(number) needs N ≤ ${MAX_DOUBLE_BITS}, got ${bits}`);
  if (!Number.isInteger(value)) throw new Error(`wrapTo of non-integer ${value}`);
  return numWrapper({ bits, signed })(value);
}

/**
 * A reducer mod 2^N for N ≤ 52 on exact integer doubles. `%` on doubles is exact (the
 * remainder is always representable), and adding/subtracting 2^N to a remainder of
 * magnitude < 2^N stays below 2^53, so the result is exact for any integer input.
 */
export function numWrapper(e: Elem): (v: number) => number {
  const m = 2 ** e.bits;
  const lo = e.signed ? -(m / 2) : 0;
  const hi = lo + m - 1;
  const narrow = e.bits <= 32;
  const mask = e.bits >= 32 ? 0xffffffff : m - 1;
  // `+ 0` turns −0 (from e.g. 0·(−3)) into 0 so stored values compare equal.
  return (v: number): number => {
    if (v >= lo && v <= hi) return v + 0;
    // one period out (a sum or difference of two reduced values): no division
    if (v > hi && v <= hi + m) return v - m;
    if (v < lo && v >= lo - m) return v + m;
    let r: number;
    // up to 32 bits: >>> 0 is the integer v mod 2^32 (ECMAScript's ToUint32), and 2^N divides 2^32
    if (narrow) r = ((v >>> 0) & mask) >>> 0;
    else r = v % m;
    if (r < 0) r += m;
    if (r > hi) r -= m;
    return r + 0;
  };
}

/** The BigInt64Array storage form of an exact integer reduced into a wide type. */
export function bigStorer(e: Elem): (v: bigint) => bigint {
  const { bits, signed } = e;
  return signed ? (v) => BigInt.asIntN(bits, v) : (v) => BigInt.asIntN(64, BigInt.asUintN(bits, v));
}

export function zeros(shape: number[], bits: number, signed: boolean): Tensor {
  checkBits(bits);
  const n = numelOf(shape);
  return { shape: [...shape], bits, signed, data: isWide(bits) ? new BigInt64Array(n) : new Float64Array(n) };
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`bad dimension ${d} in shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

/** A tensor from exact integers, each reduced modulo 2^N of the type. */
export function tensorFromBigints(shape: number[], bits: number, signed: boolean, values: readonly bigint[]): Tensor {
  const t = zeros(shape, bits, signed);
  if (values.length !== t.data.length) {
    throw new Error(`${values.length} values for shape [${shape.join(", ")}] (${t.data.length} elements)`);
  }
  if (t.data instanceof BigInt64Array) {
    const store = bigStorer(t);
    for (let i = 0; i < values.length; i++) t.data[i] = store(values[i]!);
  } else {
    for (let i = 0; i < values.length; i++) t.data[i] = Number(wrapTo(values[i]!, bits, signed));
  }
  return t;
}

/** The canonical value of element i. */
export function getBig(t: Tensor, i: number): bigint {
  const d = t.data;
  if (d instanceof Float64Array) return BigInt(d[i]!);
  return t.signed ? d[i]! : BigInt.asUintN(64, d[i]!);
}

export function toBigints(t: Tensor): bigint[] {
  const out: bigint[] = new Array<bigint>(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = getBig(t, i);
  return out;
}

/** The Float64Array of a narrow tensor (callers have checked N ≤ 52). */
export function numData(t: Tensor): Float64Array {
  if (!(t.data instanceof Float64Array)) throw new Error(`internal: ${t.bits}-bit tensor has no double form`);
  return t.data;
}
