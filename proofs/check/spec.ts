// The plaintext specification of every op the protocols implement, written directly from
// docs/LANGUAGE.md with BigInt (an implementation independent of interpreter/plain/).
// Values are the *readings* of ring elements: signed in [−2^(N−1), 2^(N−1)), unsigned in
// [0, 2^N). Every function returns the exact result reduced to its result type.

export const range = (bits: number, signed: boolean): [bigint, bigint] =>
  signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];

/** Reduce an exact integer to the type (wrap-around), reading it with the type's signedness. */
export const wrapTo = (v: bigint, bits: number, signed: boolean): bigint => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));

/** msb(x): the top bit of the N-bit representation. */
export const msb = (v: bigint, bits: number): number => Number(BigInt.asUintN(bits, v) >> BigInt(bits - 1));

/** drelu(x) = 1 − msb(x). */
export const drelu = (v: bigint, bits: number): number => 1 - msb(v, bits);

/** wrap(x, y): carry out of the unsigned N-bit addition. */
export const wrap = (x: bigint, y: bigint, bits: number): number => (BigInt.asUintN(bits, x) + BigInt.asUintN(bits, y) >= 1n << BigInt(bits) ? 1 : 0);

/** relu(x) = max(x, 0), same type. */
export const relu = (v: bigint): bigint => (v > 0n ? v : 0n);

/** clamp(x, lo, hi) = min(max(x, lo), hi). */
export const clamp = (v: bigint, lo: bigint, hi: bigint): bigint => {
  const t = v < lo ? lo : v;
  return t > hi ? hi : t;
};

/** ⌊v / 2^s⌋ (toward −∞). */
export const floorShift = (v: bigint, s: number): bigint => v >> BigInt(s);

/** trunc(x, by = s) in the same type. */
export const trunc = (v: bigint, s: number, bits: number, signed: boolean): bigint => wrapTo(floorShift(v, s), bits, signed);

/** truncreduce(x, by = s): ⌊v / 2^s⌋ in N − s bits, same signedness. */
export const truncreduce = (v: bigint, s: number, bits: number, signed: boolean): bigint => wrapTo(floorShift(v, s), bits - s, signed);

/** zext / sext: x's N bits read unsigned / signed, represented in the wider type (to, signedness of the target). */
export const zext = (v: bigint, bits: number, to: number, toSigned: boolean): bigint => wrapTo(BigInt.asUintN(bits, v), to, toSigned);
export const sext = (v: bigint, bits: number, to: number, toSigned: boolean): bigint => wrapTo(BigInt.asIntN(bits, v), to, toSigned);

/**
 * x as T, printed requant(x, mult = M, shift = s): s > 0: clamp(⌊(x·M + 2^(s−1)) / 2^s⌋),
 * s ≤ 0: clamp(x·M·2^(−s)); clamp saturates to T's range.
 */
export function requant(v: bigint, mult: bigint, shift: number, toBits: number, toSigned: boolean): bigint {
  const [lo, hi] = range(toBits, toSigned);
  const y = shift > 0 ? (v * mult + (1n << BigInt(shift - 1))) >> BigInt(shift) : (v * mult) << BigInt(-shift);
  return clamp(y, lo, hi);
}

/** argmax: the smallest index of the largest value. */
export function argmax(v: readonly bigint[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** maxpool over consecutive windows (flat form used by the checks): max of each window. */
export const max = (v: readonly bigint[]): bigint => v.reduce((a, b) => (b > a ? b : a));
