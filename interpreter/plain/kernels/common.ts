// Shared machinery of the kernels. Every kernel has two paths computing the same exact
// integer: a double path, taken only when a bound proves every intermediate is an integer
// of magnitude ≤ 2^53 (so no double operation rounds), and a BigInt path otherwise. The
// exact integer is then reduced mod 2^N of the result type.
import {
  DOUBLE_EXACT_LOG2,
  bigStorer,
  bitLength,
  getBig,
  isWide,
  numData,
  numWrapper,
  numelOf,
  wrapTo,
  type Elem,
  type Tensor,
} from "../tensor.js";

/** True when all operands are stored as doubles and |every intermediate| ≤ 2^log2Bound ≤ 2^53. */
/** A run-time error of the program itself (LANGUAGE.md: divexact of a non-multiple), not of pq: runPlain reports it as PQ4020 at the node. */
export class ProgramFault extends Error {}

export function exactInDoubles(log2Bound: number, ...operands: readonly Tensor[]): boolean {
  return log2Bound <= DOUBLE_EXACT_LOG2 && operands.every((t) => !isWide(t.bits));
}

/** Element i is the exact integer f(i), an integer double of magnitude ≤ 2^53. */
export function buildNum(out: Elem, shape: number[], f: (i: number) => number): Tensor {
  const n = numelOf(shape);
  const meta = { shape: [...shape], bits: out.bits, signed: out.signed };
  if (isWide(out.bits)) {
    const store = bigStorer(out);
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) data[i] = store(BigInt(f(i)));
    return { ...meta, data };
  }
  const wrap = numWrapper(out);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = wrap(f(i));
  return { ...meta, data };
}

/**
 * The exact integers in `values` (doubles of magnitude ≤ 2^53) reduced into `out`'s type.
 * For a narrow type the array itself is reduced in place and becomes the tensor's data (pass
 * a copy to keep it); up to 32 bits the reduction is inline (ToUint32 is v mod 2^32).
 */
export function numFrom(out: Elem, shape: number[], values: Float64Array): Tensor {
  if (isWide(out.bits)) return buildNum(out, shape, (i) => values[i]!);
  const m = 2 ** out.bits;
  const lo = out.signed ? -(m / 2) : 0;
  const hi = lo + m - 1;
  if (out.bits <= 32) {
    const mask = out.bits === 32 ? 0xffffffff : m - 1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v >= lo && v <= hi) values[i] = v + 0;
      else {
        const r = ((v >>> 0) & mask) >>> 0;
        values[i] = r > hi ? r - m : r;
      }
    }
  } else {
    const wrap = numWrapper(out);
    for (let i = 0; i < values.length; i++) values[i] = wrap(values[i]!);
  }
  return { shape: [...shape], bits: out.bits, signed: out.signed, data: values };
}

/** Element i is the exact integer f(i). */
export function buildBig(out: Elem, shape: number[], f: (i: number) => bigint): Tensor {
  const n = numelOf(shape);
  const meta = { shape: [...shape], bits: out.bits, signed: out.signed };
  if (isWide(out.bits)) {
    const store = bigStorer(out);
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) data[i] = store(f(i));
    return { ...meta, data };
  }
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Number(wrapTo(f(i), out.bits, out.signed));
  return { ...meta, data };
}

/** The same values in another element type (reduced mod 2^N; the identity when they fit). */
export function convert(x: Tensor, out: Elem, shape: number[] = x.shape): Tensor {
  if (numelOf(shape) !== x.data.length) throw new Error(`cannot view [${x.shape.join(", ")}] as [${shape.join(", ")}]`);
  if (x.bits === out.bits && x.signed === out.signed) return { shape: [...shape], bits: x.bits, signed: x.signed, data: x.data };
  const xd = x.data;
  if (xd instanceof Float64Array) return numFrom(out, shape, xd.slice());
  return buildBig(out, shape, (i) => getBig(x, i));
}

/**
 * Gather windows: output element q reduces the input elements base[q] + offsets[t] for
 * all t. Pools, sums along an axis and (with per-output coefficients) linmap use it.
 */
export interface Windows {
  outShape: number[];
  base: Int32Array;
  offsets: Int32Array;
}

/** [C,H,W] → k×k windows with a stride, no padding, partial windows dropped. */
export function poolWindows(shape: readonly number[], k: number, stride: number): Windows {
  if (shape.length !== 3) throw new Error(`pooling needs [C,H,W], got [${shape.join(", ")}]`);
  const [C, H, W] = shape as [number, number, number];
  if (!(k >= 1 && stride >= 1 && k <= H && k <= W)) throw new Error(`pool k=${k} stride=${stride} on ${H}×${W}`);
  const OH = Math.floor((H - k) / stride) + 1;
  const OW = Math.floor((W - k) / stride) + 1;
  const base = new Int32Array(C * OH * OW);
  for (let c = 0, q = 0; c < C; c++)
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) base[q++] = (c * H + i * stride) * W + j * stride;
  const offsets = new Int32Array(k * k);
  for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) offsets[u * k + v] = u * W + v;
  return { outShape: [C, OH, OW], base, offsets };
}

/** Reduction of one axis (or all axes when `axis` is undefined, giving a scalar). */
export function axisWindows(shape: readonly number[], axis: number | undefined): Windows {
  const n = numelOf(shape);
  if (axis === undefined) return { outShape: [], base: new Int32Array(1), offsets: Int32Array.from({ length: n }, (_, i) => i) };
  const { outer, len, inner } = splitAxis(shape, axis);
  const base = new Int32Array(outer * inner);
  for (let a = 0, q = 0; a < outer; a++) for (let b = 0; b < inner; b++) base[q++] = a * len * inner + b;
  const offsets = Int32Array.from({ length: len }, (_, k) => k * inner);
  return { outShape: shape.filter((_, i) => i !== axis), base, offsets };
}

/** shape = [outer…, len, inner…] around `axis`. */
export function splitAxis(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw new Error(`axis ${axis} out of range for shape [${shape.join(", ")}]`);
  }
  return { outer: numelOf(shape.slice(0, axis)), len: shape[axis]!, inner: numelOf(shape.slice(axis + 1)) };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function requireSameShape(what: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${what}: shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] differ`);
}

/** Largest bitLength over integer coefficients: |c| < 2^maxBitLength for all c. */
export function maxBitLength(cs: readonly bigint[]): number {
  let m = 0;
  for (const c of cs) m = Math.max(m, bitLength(c));
  return m;
}

/** Element-wise f(x); `log2Bound` bounds |every intermediate of fNum| for the double path. */
export function unary(
  x: Tensor,
  out: Elem,
  log2Bound: number,
  fNum: (v: number) => number,
  fBig: (v: bigint) => bigint,
): Tensor {
  if (exactInDoubles(log2Bound, x)) {
    const xd = numData(x);
    return buildNum(out, x.shape, (i) => fNum(xd[i]!));
  }
  return buildBig(out, x.shape, (i) => fBig(getBig(x, i)));
}

/** Element-wise f(x, y) on equal shapes; `log2Bound` as for `unary`. */
export function binary(
  what: string,
  x: Tensor,
  y: Tensor,
  out: Elem,
  log2Bound: number,
  fNum: (a: number, b: number) => number,
  fBig: (a: bigint, b: bigint) => bigint,
): Tensor {
  requireSameShape(what, x, y);
  if (exactInDoubles(log2Bound, x, y)) {
    const xd = numData(x);
    const yd = numData(y);
    return buildNum(out, x.shape, (i) => fNum(xd[i]!, yd[i]!));
  }
  return buildBig(out, x.shape, (i) => fBig(getBig(x, i), getBig(y, i)));
}
