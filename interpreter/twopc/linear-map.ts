// The description of a product with a server-held operand: which bilinear map y = f(W, x)
// it is (conv2d with its stride, padding and groups; a dense linear layer; per-channel
// scaling; Winograd's element-wise products), with the three shapes. serverLinear
// (protocols/linear.ts) receives this instead of a closure, so a provider can encode the map itself
// (HE: the kernel polynomials of Cheetah's coefficient encoding) or derive the function
// from it (the dealer: applyMap).
import type { WinoGeometry } from "../../compiler/winoconv.js";
import { batchnorm, conv2d, conv2dMod32, linear, scaleMod32 } from "../plain/kernels/layers.js";
import { winoProducts } from "../plain/kernels/winoconv.js";
import { bilinearMod, zeroShare, type Share } from "./ring.js";
import type { Elem } from "../plain/tensor.js";

export type LinearOp =
  | { op: "conv2d"; stride: number; pad: number; groups: number }
  | { op: "linear" }
  /** Per-channel scaling: y[c, …] = m[c]·x[c, …] (a batch norm's multipliers). */
  | { op: "scale" }
  /** Winograd's products M[a, o] = Σ_c U[a, o, c]·V[a, c] for every tile position a. */
  | { op: "winoconv"; geometry: WinoGeometry };

export type LinearMap = LinearOp & {
  /** Shapes of the server's operand W, the shared operand x and the result y. */
  w: number[];
  x: number[];
  y: number[];
  /**
   * How the OT-based products read the operands' elements as choice bits: W's declared type,
   * and x's (the client's plaintext when x is its input; a share, N bits unsigned, otherwise).
   */
  wElem: Elem;
  xElem: Elem;
  /** The OT receiver (SiRNN's orientation, chosen by the orientation pass): 0 the activations, 1 the weights. */
  receiver: 0 | 1;
  /**
   * EQO's bit re-weighting (ops.ts `split` and `support`): W = W_lo + 2^split·W_hi with W_lo a
   * dense i_split tensor and W_hi zero outside the support. The OT product with the weights as
   * receiver runs one product per plane (ot-sizes.ts productPlanes); every other kernel
   * computes with W as it is.
   */
  split?: number;
  support?: readonly number[];
};

/** f(W, X) for the described map, exact in Z_2^bits. */
export function applyMap(map: LinearMap, W: Share, X: Share, bits: number): Share {
  switch (map.op) {
    case "conv2d": {
      const a = { stride: map.stride, pad: map.pad, groups: map.groups };
      return bilinearMod((w, x, o) => conv2d(x, w, undefined, a, o), W, X, bits, map.w.slice(1).reduce((u, v) => u * v, 1), (w, x, o) => conv2dMod32(x, w, a, o));
    }
    case "linear":
      return bilinearMod((w, x, o) => linear(x, w, undefined, o), W, X, bits, map.w[1] ?? 1);
    case "scale": {
      const none = zeroShare(bits, [map.x[0] ?? 1]);
      return bilinearMod((m, x, o) => batchnorm(x, m, none, o), W, X, bits, 1, (m, x, o) => scaleMod32(x, m, o));
    }
    case "winoconv":
      return bilinearMod(winoProducts, W, X, bits, map.w[map.w.length - 1] ?? 1);
  }
}

/**
 * One matrix product of a map: Y[o, p] += Σ_q W[w[o·Q + q]] · x[x[q·P + p]] into y[y[o·P + p]],
 * with x index −1 for a zero (padding). Every map is a sum of such blocks (conv2d through
 * im2col, one block per group; linear one block; per-channel scaling one 1×1 block per
 * channel; Winograd one block per tile position), which is the view the OT-based products
 * take (SiRNN's matrix multiplication, Rathee et al. 2021, §5).
 */
export interface MatBlock {
  O: number;
  Q: number;
  P: number;
  w: Int32Array;
  x: Int32Array;
  y: Int32Array;
}

function block(O: number, Q: number, P: number): MatBlock {
  return { O, Q, P, w: new Int32Array(O * Q), x: new Int32Array(Q * P), y: new Int32Array(O * P) };
}

export function matBlocks(map: LinearMap): MatBlock[] {
  switch (map.op) {
    case "linear": {
      const [O, K] = map.w as [number, number];
      const b = block(O, K, 1);
      for (let i = 0; i < O * K; i++) b.w[i] = i;
      for (let k = 0; k < K; k++) b.x[k] = k;
      for (let o = 0; o < O; o++) b.y[o] = o;
      return [b];
    }
    case "scale": {
      const C = map.x[0] ?? 1;
      const P = map.x.reduce((a, v) => a * v, 1) / C;
      return Array.from({ length: C }, (_, c) => {
        const b = block(1, 1, P);
        b.w[0] = c;
        for (let p = 0; p < P; p++) {
          b.x[p] = c * P + p;
          b.y[p] = c * P + p;
        }
        return b;
      });
    }
    case "conv2d": {
      const [, H, W] = map.x as [number, number, number];
      const [O, Cg, kh, kw] = map.w as [number, number, number, number];
      const [, OH, OW] = map.y as [number, number, number];
      const { stride: s, pad, groups } = map;
      const Og = O / groups;
      const Q = Cg * kh * kw;
      const P = OH * OW;
      return Array.from({ length: groups }, (_, g) => {
        const b = block(Og, Q, P);
        for (let o = 0; o < Og; o++) {
          for (let q = 0; q < Q; q++) b.w[o * Q + q] = (g * Og + o) * Q + q;
          for (let p = 0; p < P; p++) b.y[o * P + p] = (g * Og + o) * P + p;
        }
        for (let c = 0; c < Cg; c++) {
          for (let u = 0; u < kh; u++) {
            for (let v = 0; v < kw; v++) {
              const q = (c * kh + u) * kw + v;
              for (let i = 0; i < OH; i++) {
                const h = i * s + u - pad;
                for (let j = 0; j < OW; j++) {
                  const ww = j * s + v - pad;
                  b.x[q * P + i * OW + j] = h < 0 || h >= H || ww < 0 || ww >= W ? -1 : ((g * Cg + c) * H + h) * W + ww;
                }
              }
            }
          }
        }
        return b;
      });
    }
    case "winoconv": {
      const [a2, O, C] = map.w as [number, number, number];
      const T = map.geometry.th * map.geometry.tw;
      return Array.from({ length: a2 }, (_, a) => {
        const b = block(O, C, T);
        for (let o = 0; o < O; o++) {
          for (let c = 0; c < C; c++) b.w[o * C + c] = (a * O + o) * C + c;
          for (let t = 0; t < T; t++) b.y[o * T + t] = (a * O + o) * T + t;
        }
        for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) b.x[c * T + t] = (a * C + c) * T + t;
        return b;
      });
    }
  }
}
