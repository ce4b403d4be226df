// Coefficient encoding of a product with server weights (Cheetah's idea, Huang et al. 2022,
// §3: polynomial products place inner products at known coefficients, no rotations), over
// the matrix blocks every LinearMap decomposes into (twopc/linear-map.ts matBlocks:
// Y[o, p] = Σ_q W[o, q]·X̂[q, p]). A block is cut into tiles of Qt × Pt inputs and Ot outputs:
//   input   x̂ = Σ_{q<Qt, p<Pt} X̂[q, p]·X^(q·Pt + p)
//   kernel  ŵ = Σ_{o<Ot, q<Qt} W[o, q]·X^(o·S + (Qt−1−q)·Pt),   S = Qt·Pt
//   x̂·ŵ has Σ_q W[o, q]·X̂[q, p] at coefficient o·S + (Qt−1)·Pt + p
// and no other term lands there, nor wraps around X^N + 1, when Ot·S + (Qt−1)·Pt ≤ N
// (proofs/he-linear.md §2). Sums over the Q tiles are ciphertext additions. The plan is a
// function of public data only (the map's shapes and types, the ring width, the parameters),
// so both parties compute the same one; the cost of a plan is its ciphertext count.
import { matBlocks, type LinearMap, type MatBlock } from "../twopc/linear-map.js";
import { heTiling, type HeModuli, type HeTiling } from "../../compiler/cost/he-sizes.js";

/** A tiling (compiler/cost/he-sizes.ts: counts and bounds, shared with the forecast) with the map's blocks. */
export interface HePlan extends HeTiling {
  blocks: MatBlock[];
}

/**
 * The plan for `map` in Z_2^N, or a reason why the HE kernel cannot run it with these
 * parameters (the kernel then runs the OT kernel: both parties decide alike, from public data).
 */
export function hePlan(map: LinearMap, N: number, he: HeModuli): HePlan | string {
  const blocks = matBlocks(map);
  const { O, Q, P } = blocks[0]!;
  const tiling = heTiling({ count: blocks.length, O, Q, P }, map.wElem, map.xElem, N, he);
  return typeof tiling === "string" ? tiling : { ...tiling, blocks };
}

/** Coefficients of the input polynomial of (block b, q tile, p tile) from the client's operand (unsigned readings). */
export function inputPoly(plan: HePlan, b: number, qt: number, pt: number, x: Float64Array, out: Float64Array): void {
  const { Qt, Pt, Q, P } = plan;
  const blk = plan.blocks[b]!;
  out.fill(0);
  for (let q = 0; q < Qt && qt * Qt + q < Q; q++) {
    for (let p = 0; p < Pt && pt * Pt + p < P; p++) {
      const src = blk.x[(qt * Qt + q) * P + pt * Pt + p]!;
      if (src >= 0) out[q * Pt + p] = x[src]!;
    }
  }
}

/** Coefficients (mod t, so negatives become t − |w|) of the kernel polynomial of (block b, o tile, q tile); false if all are zero. */
export function kernelPoly(plan: HePlan, b: number, ot: number, qt: number, w: Float64Array, t: number, out: Float64Array): boolean {
  const { Ot, Qt, Pt, O, Q } = plan;
  const blk = plan.blocks[b]!;
  const S = Qt * Pt;
  out.fill(0);
  let any = false;
  for (let o = 0; o < Ot && ot * Ot + o < O; o++) {
    for (let q = 0; q < Qt && qt * Qt + q < Q; q++) {
      const v = w[blk.w[(ot * Ot + o) * Q + qt * Qt + q]!]!;
      out[o * S + (Qt - 1 - q) * Pt] = v < 0 ? t + v : v;
      if (v !== 0) any = true;
    }
  }
  return any;
}

/** For output ciphertext (b, o tile, p tile): pairs (coefficient, y index) of its useful coefficients. */
export function outputSlots(plan: HePlan, b: number, ot: number, pt: number): { coef: number[]; y: number[] } {
  const { Ot, Qt, Pt, O, P } = plan;
  const blk = plan.blocks[b]!;
  const S = Qt * Pt;
  const coef: number[] = [];
  const y: number[] = [];
  for (let o = 0; o < Ot && ot * Ot + o < O; o++) {
    for (let p = 0; p < Pt && pt * Pt + p < P; p++) {
      coef.push(o * S + (Qt - 1) * Pt + p);
      y.push(blk.y[(ot * Ot + o) * P + pt * Pt + p]!);
    }
  }
  return { coef, y };
}
