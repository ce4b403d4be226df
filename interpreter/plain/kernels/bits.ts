// Bit-level and selection primitives: msb, drelu, wrap, b2a, select, clamp, trunc,
// truncreduce, zext, sext (docs/LANGUAGE.md "Interactive primitives"). On narrow types
// (N ≤ 52) their double paths only compare, add 2^N to a value in (−2^N, 2^N), or divide by a
// power of two and floor, all exact below 2^53.
import { getBig, isWide, magBits, numData, type Elem, type Tensor } from "../tensor.js";
import { binary, buildBig, buildNum, ProgramFault, sameShape, unary } from "./common.js";
import { clampBig } from "./arith.js";

const U1: Elem = { bits: 1, signed: false };

/** The top bit of the N-bit representation: negative (signed) or ≥ 2^(N−1) (unsigned). */
export function msb(x: Tensor): Tensor {
  const half = 2 ** (x.bits - 1);
  const bHalf = 1n << BigInt(x.bits - 1);
  return x.signed
    ? unary(x, U1, magBits(x), (v) => (v < 0 ? 1 : 0), (v) => (v < 0n ? 1n : 0n))
    : unary(x, U1, magBits(x), (v) => (v >= half ? 1 : 0), (v) => (v >= bHalf ? 1n : 0n));
}

/** 1 iff x ≥ 0 read as two's complement, i.e. the complement of the top bit. */
export function drelu(x: Tensor): Tensor {
  const m = msb(x);
  const md = numData(m);
  return buildNum(U1, m.shape, (i) => 1 - md[i]!);
}

/** Carry out of the N-bit addition of x and y read as unsigned. Bound: N + 1 ≤ 53. */
export function wrapCarry(x: Tensor, y: Tensor): Tensor {
  if (x.bits !== y.bits) throw new Error(`wrap: widths ${x.bits} and ${y.bits} differ`);
  const N = x.bits;
  const m = 2 ** N;
  const bm = 1n << BigInt(N);
  const un = (v: number): number => (v < 0 ? v + m : v);
  const ub = (v: bigint): bigint => BigInt.asUintN(N, v);
  return binary("wrap", x, y, U1, N + 1, (a, b) => (un(a) + un(b) >= m ? 1 : 0), (a, b) => (ub(a) + ub(b) >= bm ? 1n : 0n));
}

function requireBit(what: string, b: Tensor): void {
  if (b.bits !== 1 || b.signed) throw new Error(`${what}: condition must be u1, got ${b.signed ? "i" : "u"}${b.bits}`);
}

/** A u1 bit as the integer 0 or 1 in `out` (so 1 reads as −1 in i1). */
export function b2a(b: Tensor, out: Elem): Tensor {
  requireBit("b2a", b);
  return unary(b, out, 1, (v) => v, (v) => v);
}

/** b ? x : y element-wise, result shaped like x; b and y have x's shape or one element (broadcast). */
export function select(b: Tensor, x: Tensor, y: Tensor, out: Elem): Tensor {
  requireBit("select", b);
  const at = (t: Tensor): ((i: number) => number) => {
    if (t.data.length === 1) return () => 0;
    if (!sameShape(t.shape, x.shape)) throw new Error(`select: shape [${t.shape.join(", ")}] is neither x's [${x.shape.join(", ")}] nor one element`);
    return (i) => i;
  };
  const bi = at(b);
  const yi = at(y);
  const bd = numData(b);
  if (!isWide(x.bits) && !isWide(y.bits)) {
    const xd = numData(x);
    const yd = numData(y);
    return buildNum(out, x.shape, (i) => (bd[bi(i)] !== 0 ? xd[i]! : yd[yi(i)]!));
  }
  return buildBig(out, x.shape, (i) => (bd[bi(i)] !== 0 ? getBig(x, i) : getBig(y, yi(i))));
}

/** min(max(x, lo), hi) in x's type; the double path needs |lo|, |hi| ≤ 2^53 to compare exactly. */
export function clamp(x: Tensor, lo: bigint, hi: bigint): Tensor {
  const lim = 1n << 53n;
  const small = (v: bigint): boolean => v >= -lim && v <= lim;
  const loN = Number(lo);
  const hiN = Number(hi);
  return unary(
    x,
    x,
    small(lo) && small(hi) ? magBits(x) : Infinity,
    (v) => Math.min(Math.max(v, loN), hiN),
    (v) => clampBig(v, lo, hi),
  );
}

function floorShift(x: Tensor, s: number, out: Elem): Tensor {
  if (!Number.isInteger(s) || s < 0) throw new Error(`trunc: bad shift ${s}`);
  // For |v| < 2^53 every s ≥ 53 gives 0 or −1, so capping the divisor at 2^64 keeps it a
  // finite power of two and v / d exact (no underflow).
  const d = 2 ** Math.min(s, 64);
  const bs = BigInt(s);
  return unary(x, out, magBits(x), (v) => Math.floor(v / d), (v) => v >> bs);
}

/** ⌊x / 2^s⌋ in x's type (arithmetic shift for iN, logical for uN). */
export function trunc(x: Tensor, s: number): Tensor {
  return floorShift(x, s, x);
}

/**
 * ⌊x / 2^s⌋ in the ring of N − s bits, same signedness. `exact`: x is declared a multiple of
 * 2^s (docs/LANGUAGE.md); a value that is not is a run-time error of the program.
 */
export function truncreduce(x: Tensor, s: number, exact = false): Tensor {
  if (!(s >= 0 && s < x.bits)) throw new Error(`truncreduce: shift ${s} must be in [0, ${x.bits})`);
  if (exact) {
    const m = 2 ** s;
    const M = 1n << BigInt(s);
    for (const v of x.data) {
      if (typeof v === "bigint" ? v % M !== 0n : v % m !== 0) throw new ProgramFault(`${v} is not a multiple of 2^${s} (truncreduce with exact = 1)`);
    }
  }
  return floorShift(x, s, { bits: x.bits - s, signed: x.signed });
}

function requireWider(what: string, x: Tensor, out: Elem): void {
  if (out.bits < x.bits) throw new Error(`${what}: target width ${out.bits} is narrower than ${x.bits}`);
}

/** x's N bits read as unsigned, represented in `out`. */
export function zext(x: Tensor, out: Elem): Tensor {
  requireWider("zext", x, out);
  const N = x.bits;
  const m = 2 ** N;
  return unary(x, out, N, (v) => (v < 0 ? v + m : v), (v) => BigInt.asUintN(N, v));
}

/** x's N bits read as two's complement, represented in `out`. */
export function sext(x: Tensor, out: Elem): Tensor {
  requireWider("sext", x, out);
  const N = x.bits;
  const m = 2 ** N;
  const half = m / 2;
  return unary(x, out, N, (v) => (v >= half ? v - m : v), (v) => BigInt.asIntN(N, v));
}
