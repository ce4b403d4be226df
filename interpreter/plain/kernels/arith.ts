// Arithmetic: relu, sqplus, add/sub, neg, mulc, shl, sum, linmap, mul, requant
// (docs/LANGUAGE.md "Layers" and "Local primitives"). Each double path states the bound on
// |intermediate| that makes it exact; `exactInDoubles` checks it is ≤ 2^53.
import { typeRange } from "../../../compiler/types.js";
import { bitLength, ceilLog2, getBig, magBits, numData, type Elem, type Tensor } from "../tensor.js";
import { axisWindows, binary, buildBig, buildNum, exactInDoubles, maxBitLength, numFrom, ProgramFault, splitAxis, unary } from "./common.js";
import { sumWindows } from "./layers.js";

/** max(x, 0); same type as x. */
export function relu(x: Tensor): Tensor {
  return unary(x, x, magBits(x), (v) => (v > 0 ? v : 0), (v) => (v > 0n ? v : 0n));
}

/**
 * x² + x at scale 2^e: e ≤ 0 gives q² + q·2^(−e), e > 0 gives q²·2^e + q.
 * Bound: two terms, each ≤ 2^(2·mag + max(e, 0)) or 2^(mag + max(−e, 0)).
 */
export function sqplus(x: Tensor, e: number, out: Elem): Tensor {
  if (!Number.isInteger(e)) throw new Error(`sqplus: scale exponent ${e} is not an integer`);
  const m = magBits(x);
  const sq = e > 0 ? e : 0; // shift applied to q²
  const lin = e > 0 ? 0 : -e; // shift applied to q
  const ps = 2 ** sq;
  const pl = 2 ** lin;
  const bs = BigInt(sq);
  const bl = BigInt(lin);
  return unary(
    x,
    out,
    Math.max(2 * m + sq, m + lin) + 1,
    (q) => q * q * ps + q * pl,
    (q) => ((q * q) << bs) + (q << bl),
  );
}

/**
 * x·2^sx ± y·2^sy (one of the alignment shifts is 0: the coarser operand is shifted left).
 * Bound: two terms, max(mag x + sx, mag y + sy) + 1.
 */
export function addSub(x: Tensor, y: Tensor, sx: number, sy: number, sign: 1 | -1, out: Elem): Tensor {
  if (!(Number.isInteger(sx) && Number.isInteger(sy) && sx >= 0 && sy >= 0)) throw new Error(`add/sub: bad shifts ${sx}, ${sy}`);
  const px = 2 ** sx;
  const py = sign * 2 ** sy;
  const bx = BigInt(sx);
  const by = BigInt(sy);
  const bsign = BigInt(sign);
  return binary(
    sign === 1 ? "add" : "sub",
    x,
    y,
    out,
    Math.max(magBits(x) + sx, magBits(y) + sy) + 1,
    (a, b) => a * px + b * py,
    (a, b) => (a << bx) + bsign * (b << by),
  );
}

export function neg(x: Tensor, out: Elem): Tensor {
  return unary(x, out, magBits(x), (v) => -v, (v) => -v);
}

/** x·c, or x[ch,…]·c[ch] along axis 0. Bound: mag x + bitLength(max |c|). */
export function mulc(x: Tensor, c: bigint | readonly bigint[], out: Elem): Tensor {
  const cs = typeof c === "bigint" ? [c] : c;
  const per = typeof c === "bigint" ? x.data.length : x.data.length / (x.shape[0] ?? NaN);
  if (typeof c !== "bigint" && x.shape[0] !== cs.length) {
    throw new Error(`mulc: ${cs.length} per-channel constants for shape [${x.shape.join(", ")}]`);
  }
  if (exactInDoubles(magBits(x) + maxBitLength(cs), x)) {
    const xd = numData(x);
    const cn = cs.map(Number);
    return buildNum(out, x.shape, (i) => xd[i]! * cn[Math.floor(i / per)]!);
  }
  return buildBig(out, x.shape, (i) => getBig(x, i) * cs[Math.floor(i / per)]!);
}

/** x·2^k. Bound: mag x + k. */
export function shl(x: Tensor, k: number, out: Elem): Tensor {
  if (!Number.isInteger(k) || k < 0) throw new Error(`shl: bad shift ${k}`);
  const p = 2 ** k;
  const bk = BigInt(k);
  return unary(x, out, magBits(x) + k, (v) => v * p, (v) => v << bk);
}

/** x / q for an odd q dividing every element (docs/LANGUAGE.md `divexact`); anything else is an error. */
export function divexact(x: Tensor, q: number, out: Elem): Tensor {
  const Q = BigInt(q);
  const fail = (v: bigint | number) => {
    throw new ProgramFault(`${v} is not a multiple of ${q}`);
  };
  return unary(
    x, out, magBits(x),
    (v) => (v % q === 0 ? v / q : fail(v)),
    (v) => (v % Q === 0n ? v / Q : fail(v)),
  );
}

export function sum(x: Tensor, axis: number | undefined, out: Elem): Tensor {
  return sumWindows(x, axisWindows(x.shape, axis), out);
}

/** y[…, j, …] = Σ_k m[j][k]·x[…, k, …]. Bound: mag x + bitLength(max |m|) + ⌈log2 K⌉. */
export function linmap(x: Tensor, m: readonly (readonly bigint[])[], axis: number, out: Elem): Tensor {
  const { len: K, inner } = splitAxis(x.shape, axis);
  const J = m.length;
  if (m.some((row) => row.length !== K)) throw new Error(`linmap: matrix rows must have length ${K} (axis ${axis} of [${x.shape.join(", ")}])`);
  const shape = x.shape.map((d, i) => (i === axis ? J : d));
  const index = (q: number): { xBase: number; j: number } => {
    const b = q % inner;
    const j = Math.floor(q / inner) % J;
    const a = Math.floor(q / (inner * J));
    return { xBase: a * K * inner + b, j };
  };
  if (exactInDoubles(magBits(x) + maxBitLength(m.flat()) + ceilLog2(K), x)) {
    // The sums in output order (a, j, b), row by row: rows of a transform are mostly zeros
    // and ±1, so each row is a list of its nonzero (coefficient, offset) pairs.
    const xd = numData(x);
    const A = x.shape.reduce((p, d) => p * d, 1) / (K * inner);
    const raw = new Float64Array(A * J * inner);
    const rows = m.map((row) => row.flatMap((c, k) => (c === 0n ? [] : [Number(c), k * inner])));
    let q = 0;
    for (let a = 0; a < A; a++) {
      const base = a * K * inner;
      for (let j = 0; j < J; j++) {
        const row = rows[j]!;
        for (let b = 0; b < inner; b++) {
          let acc = 0;
          for (let t = 0; t < row.length; t += 2) acc += row[t]! * xd[base + b + row[t + 1]!]!;
          raw[q++] = acc;
        }
      }
    }
    return numFrom(out, shape, raw);
  }
  return buildBig(out, shape, (q) => {
    const { xBase, j } = index(q);
    const row = m[j]!;
    let acc = 0n;
    for (let k = 0; k < K; k++) acc += row[k]! * getBig(x, xBase + k * inner);
    return acc;
  });
}

/** Element-wise product. Bound: mag x + mag y. */
export function mul(x: Tensor, y: Tensor, out: Elem): Tensor {
  return binary("mul", x, y, out, magBits(x) + magBits(y), (a, b) => a * b, (a, b) => a * b);
}

/**
 * s > 0: clamp(⌊(x·M + 2^(s−1)) / 2^s⌋); s ≤ 0: clamp(x·M·2^(−s)); clamp saturates to out.
 * Bound for s > 0: |x·M| + 2^(s−1) ≤ 2^(max(mag x + bitLength M, s − 1) + 1); division by a
 * power of two and floor are exact on doubles. For s ≤ 0: mag x + bitLength M − s.
 * Clamping compares with Number(lo), Number(hi): these round only when |bound| > 2^53,
 * i.e. beyond any value the double path produces, so the comparisons are exact.
 */
/** `to`: the saturation's type (default: `out`, the result's element type, which may be wider). */
export function requant(x: Tensor, mult: bigint, shift: number, out: Elem, to: Elem = out): Tensor {
  if (!Number.isInteger(shift)) throw new Error(`requant: shift ${shift} is not an integer`);
  const [lo, hi] = typeRange(to);
  const mx = magBits(x) + bitLength(mult);
  const log2Bound = shift > 0 ? Math.max(mx, shift - 1) + 1 : mx - shift;
  const mulN = Number(mult);
  const loN = Number(lo);
  const hiN = Number(hi);
  if (shift > 0) {
    const half = 2 ** (shift - 1);
    const div = 2 ** shift;
    const bHalf = 1n << BigInt(shift - 1);
    const bShift = BigInt(shift);
    return unary(
      x,
      out,
      log2Bound,
      (v) => Math.min(hiN, Math.max(loN, Math.floor((v * mulN + half) / div))),
      (v) => clampBig((v * mult + bHalf) >> bShift, lo, hi),
    );
  }
  const p = 2 ** -shift;
  const bp = BigInt(-shift);
  return unary(
    x,
    out,
    log2Bound,
    (v) => Math.min(hiN, Math.max(loN, v * mulN * p)),
    (v) => clampBig((v * mult) << bp, lo, hi),
  );
}

export function clampBig(v: bigint, lo: bigint, hi: bigint): bigint {
  const t = v < lo ? lo : v;
  return t > hi ? hi : t;
}
