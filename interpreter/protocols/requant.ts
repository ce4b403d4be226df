// Requantization `x as T` (docs/LANGUAGE.md, the `as` row), exactly:
//   s > 0: y = clamp(⌊(x·M + 2^(s−1)) / 2^s⌋),   s ≤ 0: y = clamp(x·M·2^(−s)),
// clamp saturating to T's range. The range analysis' interval [lo, hi] of x fixes every
// ring width, so nothing wraps and each step is exact:
//  0. only when z below would need more than 64 bits over x's whole interval: x is clamped
//     (clamp.ts, in its own ring) to [a, b], where every x ≤ a already gives y ≤ lo_T and
//     every x ≥ b gives y ≥ hi_T, so no result changes and z fits (else check rejects the
//     requantization, PQ3004).
//  1. x is reduced (free) to the narrowest ring K holding its interval — a non-negative
//     interval in K = bitlen(hi) + 1 bits, so its MSB is known — and extended to the
//     working ring W (extend.ts: known-MSB when lo ≥ 0, else lift.ts on K bits). The
//     general extension costs a comparison on K bits, so the narrowing is what makes a
//     wide accumulator with a small interval cheap.
//  2. z = x·M (+ 2^(s−1), added by the client) is local; W is the smallest width holding z
//     (read signed) and the comparisons of step 4.
//  3. truncReduce by s (trunc.ts): ⌊z / 2^s⌋ in R = W − s bits, a comparison on s bits.
//  4. clamp: a side is skipped when the interval proves it cannot bind (so when x is
//     non-negative and M > 0 the lower clamp is free — the ReLU fusion); a bound
//     side costs msb of the difference (d = y − lo_T or e = y − hi_T − 1, both sides batched
//     into one comparison on R − 1 bits whose second half reuses the first's tree nodes over
//     the low bits d and e share — tz(hi_T + 1 − lo_T) of them, 6 for u6) and one select
//     (select.ts, one round):
//     y + [d<0]·(lo_T − y) + [e≥0]·(hi_T − y).
//     R is chosen so d and e do not wrap in Z_2^R. If the interval lies wholly beyond a
//     bound, the result is that public bound and nothing is sent.
//  5. the clamped value lies in T's range: reduce to the result's ring (T's, or K bits with
//     `ring = K`) for free, or, when R is narrower, extend (known MSB when non-negative).
// Cost (dealer), per element and party, online: extension of step 1 (3 bits with known MSB,
// else ≈ 6K bits) + truncReduce (≈ 6s + 1 bits) + per bound side ≈ 6(R − 1) + 2R + 1 bits,
// less ≈ 6t for the second side's t shared low bits.
// Proof: proofs/requant.md.
import { clampShare, requantPlan } from "../../compiler/requant-plan.js";
import { signedWidthFor, typeRange } from "../../compiler/types.js";
import { step, type Party } from "../twopc/party.js";
import { constShare, getRing, inRing, mulScalar, setBig, zeroShare, type Share } from "../twopc/ring.js";
import { bitLength, numWrapper } from "../plain/tensor.js";
import { clamp } from "./clamp.js";
import { extend } from "./extend.js";
import { msb } from "./msb.js";
import { select } from "./select.js";
import { truncReduce } from "./trunc.js";

export interface Interval {
  lo: bigint;
  hi: bigint;
}

/** The narrowest width N ≥ 1 whose signed reading holds [a, b]. */
export const signedWidth = signedWidthFor;

export function requant(
  p: Party, x: Share, signed: boolean, nonneg: boolean, mult: number, shift: number,
  to: { bits: number; signed: boolean }, range: Interval, outBits = to.bits,
): Promise<Share> {
  return step(p, "requant", async () => {
    const N = x.bits;
    if (!Number.isSafeInteger(mult) || mult < 1) throw new Error(`requant: multiplier ${mult} is not a positive integer`);
    if (!Number.isInteger(shift)) throw new Error(`requant: shift ${shift} is not an integer`);
    if (!Number.isInteger(to.bits) || to.bits < 1 || to.bits > 64) throw new Error(`requant: target width ${to.bits} outside 1..64`);
    // The ring plan (compiler/requant-plan.ts, shared with the cost model).
    const plan = requantPlan(range, { bits: N, signed, nonneg }, mult, shift, to);
    if (plan.constant !== undefined) {
      const v = plan.constant;
      return constShare(outBits, x.shape, () => (p.role === "client" ? v : 0n));
    }
    const { lo, hi, K, add, s, W, R, needLo, needHi, T, zlo, ylo, pre } = plan;
    // 0. a wide x whose product would pass 64 bits: clamped first where y saturates anyway.
    if (pre) {
      const [tlo, thi] = typeRange({ bits: N, signed });
      x = await clamp(p, x, signed, pre.lo ?? tlo, pre.hi ?? thi);
    }

    // 1. x into Z_2^W via its narrowest ring.
    let xw: Share;
    if (lo >= 0n && bitLength(hi) + 1 <= N) {
      const k = bitLength(hi) + 1;
      xw = k === W ? inRing(x, W) : await extend(p, inRing(x, k), true, true, W);
    } else {
      // lo < 0 (x signed) or an unsigned x using its top bit: a general extension.
      const k = lo < 0n ? signedWidth(lo, hi) : N;
      xw = k === W ? inRing(x, W) : await extend(p, inRing(x, k), lo < 0n, false, W);
    }

    // 2. z = x·K + add (local).
    let z = mulScalar(xw, K);
    if (add !== 0n && p.role === "client") z = addConst(z, add);

    // 3. ⌊z / 2^s⌋ in Z_2^R.
    let y = s > 0 ? await truncReduce(p, z, s, true, zlo >= 0n) : z;

    // 4. clamp.
    if (needLo || needHi) y = await clampSides(p, y, needLo ? T.lo : undefined, needHi ? T.hi : undefined);
    const flo = ylo < T.lo ? T.lo : ylo;

    // 5. into the result's ring (T's, or wider with `ring`).
    if (R >= outBits) return inRing(y, outBits);
    return extend(p, y, true, flo >= 0n, outBits);
  });
}

/**
 * min(max(y, lo), hi) for the given sides, y read signed in its ring; the caller guarantees
 * y − lo and hi − y do not wrap (then neither does y − (hi + 1) = −(hi − y) − 1), so each
 * comparison is the msb of a difference (one batched comparison on R − 1 bits for both
 * sides, sharing their common low bits). lo ≤ hi makes the two conditions exclusive:
 * y + [y < lo]·(lo − y) + [y > hi]·(hi − y), both products in one select (one round).
 */
async function clampSides(p: Party, y: Share, lo: bigint | undefined, hi: bigint | undefined): Promise<Share> {
  return step(p, "clamp", async () => {
    const R = y.bits;
    const n = y.data.length;
    const client = p.role === "client";
    // Each side: the difference whose sign tests it (flipped for hi), and the amount to move
    // y by when it binds. The client's share carries the public constants; the server's is y1.
    const sides: { test: (v: bigint) => bigint; move: (v: bigint) => bigint; flip: number }[] = [];
    if (lo !== undefined) sides.push({ test: (v) => v - (client ? lo : 0n), move: (v) => (client ? lo : 0n) - v, flip: 0 });
    if (hi !== undefined) sides.push({ test: (v) => v - (client ? hi + 1n : 0n), move: (v) => (client ? hi : 0n) - v, flip: client ? 1 : 0 });
    const k = sides.length;
    const D = zeroShare(R, [k * n]);
    const G = zeroShare(R, [k * n]);
    if (D.data instanceof Float64Array) {
      // The same in doubles (R ≤ 52): y − t and t' − y for the side's constants, wrapped.
      const consts = sides.map((side) => [Number(BigInt.asIntN(R, -side.test(0n))), Number(BigInt.asIntN(R, side.move(0n)))] as const);
      const wrap = numWrapper({ bits: R, signed: true });
      const yd = y.data as Float64Array;
      const Dd = D.data;
      const Gd = G.data as Float64Array;
      consts.forEach(([t, m], j) => {
        for (let i = 0; i < n; i++) {
          Dd[j * n + i] = wrap(yd[i]! - t);
          Gd[j * n + i] = wrap(m - yd[i]!);
        }
      });
    } else {
      sides.forEach((side, j) => {
        for (let i = 0; i < n; i++) {
          const v = getRing(y, i);
          setBig(D, j * n + i, BigInt.asIntN(R, side.test(v)));
          setBig(G, j * n + i, BigInt.asIntN(R, side.move(v)));
        }
      });
    }
    // [y < lo] = msb(y − lo), [y > hi] = ¬msb(y − hi − 1): the client flips its XOR share.
    const binds = await msb(p, D, clampShare(R, lo, hi));
    sides.forEach((side, j) => {
      if (side.flip) for (let i = 0; i < n; i++) binds[j * n + i]! ^= 1;
    });
    const moved = await select(p, binds, G, zeroShare(R, [1]));
    const out = zeroShare(R, y.shape);
    if (out.data instanceof Float64Array) {
      const wrap = numWrapper({ bits: R, signed: true });
      const yd = y.data as Float64Array;
      const md = moved.data as Float64Array;
      for (let i = 0; i < n; i++) {
        let v = yd[i]!;
        for (let j = 0; j < k; j++) v += md[j * n + i]!;
        out.data[i] = wrap(v);
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      let v = getRing(y, i);
      for (let j = 0; j < k; j++) v += getRing(moved, j * n + i);
      setBig(out, i, BigInt.asIntN(R, v));
    }
    return out;
  });
}

/** z + a (a public constant) mod 2^bits, element-wise: the client's share of z + a. */
function addConst(z: Share, a: bigint): Share {
  const out = zeroShare(z.bits, z.shape);
  if (out.data instanceof Float64Array) {
    const wrap = numWrapper({ bits: z.bits, signed: true });
    const c = Number(BigInt.asIntN(z.bits, a));
    const zd = z.data as Float64Array;
    for (let i = 0; i < zd.length; i++) out.data[i] = wrap(zd[i]! + c);
    return out;
  }
  for (let i = 0; i < out.data.length; i++) setBig(out, i, BigInt.asIntN(z.bits, getRing(z, i) + a));
  return out;
}
