// The description of a product with a server-held operand: which bilinear map y = f(W, x)
// it is (conv2d with its stride, padding and groups; a dense linear layer; per-channel
// scaling; Winograd's element-wise products), with the three shapes. serverLinear
// (protocols/linear.ts) receives this instead of a closure, so a provider can encode the map itself
// (HE: the kernel polynomials of Cheetah's coefficient encoding) or derive the function
// from it (the dealer: applyMap).
import type { WinoGeometry } from "../../compiler/winoconv.js";
import { batchnorm, conv2d, linear } from "../plain/kernels/layers.js";
import { winoProducts } from "../plain/kernels/winoconv.js";
import { bilinearMod, zeroShare, type Share } from "./ring.js";

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
};

/** f(W, X) for the described map, exact in Z_2^bits. */
export function applyMap(map: LinearMap, W: Share, X: Share, bits: number): Share {
  switch (map.op) {
    case "conv2d": {
      const a = { stride: map.stride, pad: map.pad, groups: map.groups };
      return bilinearMod((w, x, o) => conv2d(x, w, undefined, a, o), W, X, bits);
    }
    case "linear":
      return bilinearMod((w, x, o) => linear(x, w, undefined, o), W, X, bits);
    case "scale": {
      const none = zeroShare(bits, [map.x[0] ?? 1]);
      return bilinearMod((m, x, o) => batchnorm(x, m, none, o), W, X, bits);
    }
    case "winoconv":
      return bilinearMod(winoProducts, W, X, bits);
  }
}
