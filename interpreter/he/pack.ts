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
import type { HeContext } from "./seal.js";

/** Statistical security parameter of the noise flooding and of nothing else (proofs/he-linear.md §4). */
export const SIGMA = 40;

/** SEAL's fresh noise: a normal of σ = 3.2 clipped at 6σ, so |e| ≤ 19 per coefficient. */
const FRESH_NOISE = 19;

export interface HePlan {
  blocks: MatBlock[];
  O: number;
  Q: number;
  P: number;
  Ot: number;
  Qt: number;
  Pt: number;
  /** Tiles per block along o, q, p. */
  nO: number;
  nQ: number;
  nP: number;
  /** Ciphertexts the client uploads and the server returns. */
  inCts: number;
  outCts: number;
  /** Public bound on |Z| = |f(W, u0)| for the client's operand u0 (its unsigned reading, or its input's range). */
  bound: number;
  /** Bits of the flooding noise: uniform in [−2^flood, 2^flood] per coefficient. */
  flood: number;
  /** The wrap bit's truncation shift s and threshold θ, and the client's digit range (proofs/he-linear.md §2). */
  shift: number;
  theta: number;
  digits: number;
}

/** Largest |value| of an element type. */
function maxAbs(bits: number, signed: boolean): number {
  return signed ? 2 ** (bits - 1) : 2 ** bits - 1;
}

/**
 * The plan for `map` in Z_2^N, or a reason why the HE kernel cannot run it with these
 * parameters (the kernel then runs the OT kernel: both parties decide alike, from public data).
 */
export function hePlan(map: LinearMap, N: number, he: HeContext): HePlan | string {
  const blocks = matBlocks(map);
  const { O, Q, P } = blocks[0]!;
  const deg = he.params.degree;
  const wMax = maxAbs(map.wElem.bits, map.wElem.signed);
  const xMax = maxAbs(map.xElem.bits, map.xElem.signed);
  const bound = Q * wMax * xMax;
  const t = he.t;
  // t ≥ 8·bound: Z + bound ∈ [0, 2·bound] stays below t, and the wrap test needs t − M ≥ 3t/4 (M = 2·bound).
  if (8 * bound > t) return `|f(W, x0)| ≤ ${bound} needs a plaintext modulus ≥ 2^${Math.ceil(Math.log2(8 * bound))}, the parameters' is 2^${Math.log2(t).toFixed(1)}`;
  if (N > 32) return `a ${N}-bit ring (the wrap OT carries at most 32-bit messages)`;
  let best: { Ot: number; Qt: number; Pt: number; cts: number } | undefined;
  for (const nQ of tileCounts(Q)) {
    const Qt = Math.ceil(Q / nQ);
    for (const nP of tileCounts(P)) {
      const Pt = Math.ceil(P / nP);
      const S = Qt * Pt;
      if (S > deg) continue;
      const Ot = Math.min(O, Math.floor((deg - (Qt - 1) * Pt) / S));
      if (Ot < 1) continue;
      const cts = nQ * nP + Math.ceil(O / Ot) * nP;
      if (!best || cts < best.cts) best = { Ot, Qt, Pt, cts };
    }
  }
  if (!best) throw new Error(`internal: no tiling of ${O}×${Q}×${P} in ${deg} coefficients`);
  const { Ot, Qt, Pt } = best;
  const nO = Math.ceil(O / Ot);
  const nQ = Math.ceil(Q / Qt);
  const nP = Math.ceil(P / Pt);
  // Noise of an output coefficient before flooding: Σ over the Q tiles of ŵ·(e + ε), ‖ŵ‖₁ summed ≤ Ot·Q·wMax, |e + ε| ≤ 19.5.
  const noise = Ot * Q * wMax * (FRESH_NOISE + 0.5);
  const flood = SIGMA + Math.ceil(Math.log2(deg)) + Math.ceil(Math.log2(noise + 1));
  const qTop = he.q.reduce((a, b) => a * Number(b), 1);
  const qLast = Number(he.q[0]!);
  // Correctness at the lowest level (proofs/he-linear.md §3): 2^(flood+1) ≤ q/(4t), (N+1)/2 + 2 ≤ q_L/(4t).
  if (2 ** (flood + 1) > qTop / (4 * t)) return `flooding noise of 2^${flood} does not fit the coefficient modulus`;
  if ((deg + 1) / 2 + 2 > qLast / (4 * t)) throw new Error("internal: the lowest level's prime is too small for the plaintext modulus");
  const M = 2 * bound;
  const shift = Math.floor(Math.log2((t - M) / 3));
  const theta = Math.floor(t / 2 ** shift) - 1;
  const digits = Math.floor((t - 1) / 2 ** shift) + 1;
  if (digits > 8) throw new Error(`internal: ${digits} wrap digits`);
  const nb = blocks.length;
  return { blocks, O, Q, P, Ot, Qt, Pt, nO, nQ, nP, inCts: nb * nQ * nP, outCts: nb * nO * nP, bound, flood, shift, theta, digits };
}

/** Distinct tile counts of a length-L axis (each count k with its own tile size ⌈L/k⌉). */
function tileCounts(L: number): number[] {
  const out: number[] = [];
  let last = 0;
  for (let k = 1; k <= L; k++) {
    const size = Math.ceil(L / k);
    if (size !== last) out.push(Math.ceil(L / size));
    last = size;
  }
  return [...new Set(out)];
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
