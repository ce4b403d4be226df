// Vectors of unsigned values mod 2^ℓ in pq's convention for unsigned readings: a Float64Array
// when ℓ ≤ 52 (exact doubles), a BigUint64Array when ℓ > 52. The OT code reads and writes
// them as (low, high) 32-bit halves so no BigInt is made on a hot path. No wire cost.
import { isWide } from "../plain/tensor.js";
import { misuse } from "./wire.js";

export type Vec = Float64Array | BigUint64Array;

/** n zeros in the representation for ℓ-bit values. */
export function vecZeros(n: number, ell: number): Vec {
  return isWide(ell) ? new BigUint64Array(n) : new Float64Array(n);
}

/** The values (each in [0, 2^ℓ)) as a Vec. */
export function vecFrom(values: readonly (number | bigint)[], ell: number): Vec {
  const v = vecZeros(values.length, ell);
  const top = 1n << BigInt(ell);
  values.forEach((x, i) => {
    const b = BigInt(x);
    if (b < 0n || b >= top) misuse("vecFrom", `value ${x} at ${i} is outside [0, 2^${ell})`);
    if (v instanceof BigUint64Array) v[i] = b;
    else v[i] = Number(b);
  });
  return v;
}

/** Element j as a bigint (tests and diagnostics; not for hot loops). */
export function vecGet(v: Vec, j: number): bigint {
  return v instanceof BigUint64Array ? v[j]! : BigInt(v[j]!);
}

/** Check that v holds n values of the representation for ℓ bits. */
export function checkVec(where: string, v: Vec, n: number, ell: number): void {
  if (v.length !== n) misuse(where, `${v.length} values, expected ${n}`);
  if (isWide(ell) !== v instanceof BigUint64Array) misuse(where, `values mod 2^${ell} must be a ${isWide(ell) ? "BigUint64Array" : "Float64Array"}`);
}

/** The values as (low 32 bits, high 32 bits) word pairs, 2 words per element. */
export function toHalves(v: Vec): Uint32Array {
  if (v instanceof BigUint64Array) return new Uint32Array(v.buffer.slice(v.byteOffset, v.byteOffset + 8 * v.length));
  const h = new Uint32Array(2 * v.length);
  for (let j = 0; j < v.length; j++) {
    const x = v[j]!;
    h[2 * j] = x % 4294967296;
    h[2 * j + 1] = Math.floor(x / 4294967296);
  }
  return h;
}

/** The inverse of `toHalves`, in the representation for ℓ bits. */
export function fromHalves(h: Uint32Array, ell: number): Vec {
  const n = h.length >>> 1;
  if (isWide(ell)) return new BigUint64Array(h.buffer.slice(h.byteOffset, h.byteOffset + 8 * n));
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) v[j] = h[2 * j]! + h[2 * j + 1]! * 4294967296;
  return v;
}
