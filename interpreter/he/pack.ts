// Coefficient encodings of a product with server weights (Cheetah, Huang et al., USENIX
// Security 2022: polynomial products place inner products at known coefficients, no
// rotations). Two encodings, chosen per product by bytes (compiler/cost/he-sizes.ts
// heEncoding, which `pq cost` prices too); both are functions of public data only (the map's
// shapes and types, the ring width, the parameters), so both parties compute the same plan.
//
// blocks — every LinearMap, over the matrix blocks it decomposes into (twopc/linear-map.ts
// matBlocks: Y[o, p] = Σ_q W[o, q]·X̂[q, p]), cut into tiles of Qt × Pt inputs and Ot outputs:
//   input   x̂ = Σ_{q<Qt, p<Pt} X̂[q, p]·X^(q·Pt + p)
//   kernel  ŵ = Σ_{o<Ot, q<Qt} W[o, q]·X^(o·S + (Qt−1−q)·Pt),   S = Qt·Pt
//   x̂·ŵ has Σ_q W[o, q]·X̂[q, p] at coefficient o·S + (Qt−1)·Pt + p
// (proofs/he-linear.md Lemma 1). Sums over the Q tiles are ciphertext additions.
//
// conv — a conv2d with one group, on its zero-padded input (Cheetah's HomConv, §4.1): each
// input element once, Cn channels × Hn × Wn positions per ciphertext (HW = Hn·Wn), Ot output
// channels per reply, D = Cn·HW apart, Ot·Cn·HW ≤ N:
//   input   x̂ = Σ_{c<Cn, i<Hn, j<Wn} X[c, i, j]·X^(c·HW + i·Wn + j)
//   kernel  ŵ = Σ_{o<Ot, c<Cn, l<kh, l'<kw} K[o, c, l, l']·X^(o·D + Off − c·HW − l·Wn − l'),
//           Off = (Cn−1)·HW + (kh−1)·Wn + kw − 1
//   x̂·ŵ has the tile's stride-1 correlation Σ_{c,l,l'} X[c, i+l, j+l']·K[o, c, l, l'] at
//   coefficient o·D + Off + i·Wn + j, for i < th = Hn − kh + 1, j < tw = Wn − kw + 1
// (proofs/he-linear.md Lemma 1'). Sums over the channel blocks are ciphertext additions; a
// strided output is read at its stride-1 position.
//
// A plan's `layout` says, for the kernel: which polynomial each upload holds, which uploads
// and kernels each reply sums, and which coefficients of each reply are outputs.
import { matBlocks, type LinearMap, type MatBlock } from "../twopc/linear-map.js";
import { convDims, heConvTiling, heEncoding, heTiling, type BlockTiling, type ConvTiling, type HeModuli } from "../../compiler/cost/he-sizes.js";
import type { ProductShape } from "../../compiler/cost/ot-sizes.js";

/** A block tiling with the map's blocks, or a conv tiling. */
export type HePlan = (BlockTiling & { blocks: MatBlock[] }) | ConvTiling;

/**
 * The plan for `map` in Z_2^N — the encoding that moves fewest bytes, or the one `force`
 * names (tests) — or a reason why the HE kernel cannot run it with these parameters (the
 * kernel then runs the OT kernel: both parties decide alike, from public data).
 */
export function hePlan(map: LinearMap, N: number, he: HeModuli, force?: "blocks" | "conv"): HePlan | string {
  const shape = map as ProductShape;
  let tiling;
  if (force === "blocks") {
    const blocks = matBlocks(map);
    const { O, Q, P } = blocks[0]!;
    tiling = heTiling({ count: blocks.length, O, Q, P }, map.wElem, map.xElem, N, he);
  } else if (force === "conv") {
    const d = convDims(shape);
    tiling = d ? heConvTiling(d, map.wElem, map.xElem, N, he) : "not a conv2d with one group";
  } else tiling = heEncoding(shape, N, he);
  if (typeof tiling === "string" || tiling.kind === "conv") return tiling;
  return { ...tiling, blocks: matBlocks(map) };
}

/** Output coefficients of one reply and the y index each holds. */
export interface Slots {
  coef: number[];
  y: number[];
}

/** How a plan's polynomials are laid out: uploads, the terms of each reply, the outputs in each reply. */
export interface HeLayout {
  /** Coefficients of upload k from the client's operand (its readings, one per x element). */
  input(k: number, x: Float64Array, out: Float64Array): void;
  /** The uploads reply r sums, each times its kernel. */
  terms(r: number): number[];
  /** Coefficients (mod t: a negative weight w is t + w) of the kernel of reply r's term k; false if all are zero. */
  kernel(r: number, k: number, w: Float64Array, t: number, out: Float64Array): boolean;
  /** Reply r's useful coefficients, in the order the reply carries them. */
  slots(r: number): Slots;
}

export function layoutOf(plan: HePlan): HeLayout {
  return plan.kind === "conv" ? convLayout(plan) : blockLayout(plan);
}

// Blocks: upload k = (b·nQ + qt)·nP + pt; reply r = (b·nO + ot)·nP + pt sums the q tiles.
function blockLayout(plan: BlockTiling & { blocks: MatBlock[] }): HeLayout {
  const { O, Q, P, Ot, Qt, Pt, nO, nQ, nP } = plan;
  const S = Qt * Pt;
  const reply = (r: number) => ({ b: Math.floor(r / (nO * nP)), ot: Math.floor(r / nP) % nO, pt: r % nP });
  return {
    input(k, x, out) {
      const b = Math.floor(k / (nQ * nP));
      const qt = Math.floor(k / nP) % nQ;
      const pt = k % nP;
      const blk = plan.blocks[b]!;
      out.fill(0);
      for (let q = 0; q < Qt && qt * Qt + q < Q; q++) {
        for (let p = 0; p < Pt && pt * Pt + p < P; p++) {
          const src = blk.x[(qt * Qt + q) * P + pt * Pt + p]!;
          if (src >= 0) out[q * Pt + p] = x[src]!;
        }
      }
    },
    terms(r) {
      const { b, pt } = reply(r);
      return Array.from({ length: nQ }, (_, qt) => (b * nQ + qt) * nP + pt);
    },
    kernel(r, k, w, t, out) {
      const { b, ot } = reply(r);
      const qt = Math.floor(k / nP) % nQ;
      const blk = plan.blocks[b]!;
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
    },
    slots(r) {
      const { b, ot, pt } = reply(r);
      const blk = plan.blocks[b]!;
      const coef: number[] = [];
      const y: number[] = [];
      for (let o = 0; o < Ot && ot * Ot + o < O; o++) {
        for (let p = 0; p < Pt && pt * Pt + p < P; p++) {
          coef.push(o * S + (Qt - 1) * Pt + p);
          y.push(blk.y[(ot * Ot + o) * P + pt * Pt + p]!);
        }
      }
      return { coef, y };
    },
  };
}

// Conv: upload k = (cb·nH + hi)·nW + wi (channel block, tile row, tile column); reply
// r = (ot·nH + hi)·nW + wi (output channels ot·Ot …) sums the channel blocks of its tile. Tile (hi, wi) covers the
// stride-1 output rows hi·th … and columns wi·tw … of the padded input.
function convLayout(plan: ConvTiling): HeLayout {
  const { C, H, W, O, kh, kw, stride, pad, OH, OW, th, tw, Hn, Wn, Cn, Ot, nC, nH, nW } = plan;
  const HW = Hn * Wn;
  // Output channel ot·Ot + oo of a reply sits D coefficients after the one before it.
  const D = Cn * HW;
  const off = (Cn - 1) * HW + (kh - 1) * Wn + kw - 1;
  const tileOf = (r: number) => ({ hi: Math.floor(r / nW) % nH, wi: r % nW });
  return {
    input(k, x, out) {
      const cb = Math.floor(k / (nH * nW));
      const { hi, wi } = tileOf(k);
      out.fill(0);
      for (let c = 0; c < Cn && cb * Cn + c < C; c++) {
        const ch = cb * Cn + c;
        for (let i = 0; i < Hn; i++) {
          const h = hi * th + i - pad; // a row of the unpadded input (padding reads 0)
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < Wn; j++) {
            const v = wi * tw + j - pad;
            if (v >= 0 && v < W) out[c * HW + i * Wn + j] = x[(ch * H + h) * W + v]!;
          }
        }
      }
    },
    terms(r) {
      const { hi, wi } = tileOf(r);
      return Array.from({ length: nC }, (_, cb) => (cb * nH + hi) * nW + wi);
    },
    kernel(r, k, w, t, out) {
      const ot = Math.floor(r / (nH * nW));
      const cb = Math.floor(k / (nH * nW));
      out.fill(0);
      let any = false;
      for (let oo = 0; oo < Ot && ot * Ot + oo < O; oo++) {
        const o = ot * Ot + oo;
        for (let c = 0; c < Cn && cb * Cn + c < C; c++) {
          for (let l = 0; l < kh; l++) {
            for (let l2 = 0; l2 < kw; l2++) {
              const v = w[((o * C + cb * Cn + c) * kh + l) * kw + l2]!;
              out[oo * D + off - c * HW - l * Wn - l2] = v < 0 ? t + v : v;
              if (v !== 0) any = true;
            }
          }
        }
      }
      return any;
    },
    slots(r) {
      const ot = Math.floor(r / (nH * nW));
      const { hi, wi } = tileOf(r);
      const coef: number[] = [];
      const y: number[] = [];
      for (let oo = 0; oo < Ot && ot * Ot + oo < O; oo++) {
        const o = ot * Ot + oo;
        // The strided outputs (a, b) whose stride-1 position (a·stride, b·stride) lies in this tile.
        for (let a = Math.ceil((hi * th) / stride); a < OH && a * stride < (hi + 1) * th; a++) {
          for (let b = Math.ceil((wi * tw) / stride); b < OW && b * stride < (wi + 1) * tw; b++) {
            coef.push(oo * D + off + (a * stride - hi * th) * Wn + (b * stride - wi * tw));
            y.push((o * OH + a) * OW + b);
          }
        }
      }
      return { coef, y };
    },
  };
}
