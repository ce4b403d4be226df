// Receiver orientation for OT-based linear layers. In an OT-based matrix product with one
// operand known to the server (SiRNN, Rathee et al. 2021; SCI's LinearOT), one operand's
// shares enter as the OT *receiver's* choice bits and the other as the sender's messages;
// either can be the receiver, and the cost differs a lot with the operands' widths and
// shapes. SiRNN's cost function (SCI LinearOT `cross_term_cost`, docs/PROTOCOLS.md):
// for (d1×d2)·(d2×d3) with the d1×d2 operand as receiver holding m-bit shares and an ℓ-bit
// output, one cross term costs  d1·d2·(m·λ + d3·(m·ℓ − m(m−1)/2))  bits. With 2-bit weights
// (EQO/UFO's setting) the weights usually win; with 8-bit weights and few output channels
// the activations may.
//
// pq's dealer backend runs a symmetric bilinear-triple protocol (interpreter/protocols/
// linear.ts), where the choice changes nothing; it matters for the OT accounting the
// baselines are measured in. The op descriptors (compiler/ops.ts) have no attribute for
// it, so this pass leaves the graph unchanged and reports the choice; `chooseReceivers`
// gives it to a cost model or an OT backend.
import { copyDeclared, rebuild } from "./builder.js";
import type { Graph, Node } from "../ir.js";
import { LAMBDA } from "../cost/wire.js";
import { intAttr, reweighting } from "../ops.js";
import { highPlaneBits } from "../cost/ot-sizes.js";
import { tileOf, winoGeometry } from "../winoconv.js";
import type { Program } from "../ir.js";
import type { Pass } from "./pass.js";


/** SiRNN's cross-term cost in bits: (d1×d2)·(d2×d3), receiver d1×d2 with m-bit shares, ℓ-bit output. */
export function sirnnCost(d1: number, d2: number, d3: number, m: number, l: number): number {
  return d1 * d2 * (m * LAMBDA + d3 * (m * l - (m * (m - 1)) / 2));
}

export type Receiver = "weights" | "activations";

/** A layer's bit re-weighting as the cost function needs it: the low plane's width and the support's size (absent: every weight). */
export interface Reweighting {
  split: number;
  support?: number;
}

/** The two orientations of one layer: cost in bits and receiver elements (d1·d2). */
export interface OrientationCost {
  weights: number;
  activations: number;
  /** Receiver elements when the weights / the activations are the receiver. */
  elements: { weights: number; activations: number };
}

/**
 * A matrix product W·X (W: rows×inner, X: inner×cols) repeated `times` times (conv groups,
 * Winograd tile positions), W's shares mW bits, X's mX bits, ℓ-bit output.
 */
export function productCost(rows: number, inner: number, cols: number, times: number, mW: number, mX: number, l: number, planes?: Reweighting): OrientationCost {
  const dense = times * rows * inner;
  // Re-weighted (ops.ts `split`, `support`): the dense low plane and the high plane over the support.
  const wElements = planes ? (planes.split > 0 ? dense : 0) + (planes.support ?? dense) : dense;
  return {
    weights: planes
      ? (planes.split > 0 ? sirnnCost(dense, 1, cols, planes.split, l) : 0) + sirnnCost(planes.support ?? dense, 1, cols, planes.split > 0 ? highPlaneBits(mW, planes.split) : mW, l)
      : sirnnCost(dense, 1, cols, mW, l),
    // Xᵀ·Wᵀ: the activations as the d1×d2 operand.
    activations: times * sirnnCost(cols, inner, rows, mX, l),
    elements: { weights: wElements, activations: times * cols * inner },
  };
}

/** True for a conv2d/linear/batchnorm whose weights (multipliers) are the server's and whose input is not public: an OT product. */
export function isServerLinear(g: Graph, n: Node): boolean {
  if (n.op !== "conv2d" && n.op !== "winoconv" && n.op !== "linear" && n.op !== "batchnorm") return false;
  const w = g.nodes[n.inputs[1]!]!;
  const x = g.nodes[n.inputs[0]!]!;
  return w.type.vis === "server" && x.type.vis !== "public" && n.type.vis === "shared";
}

/**
 * A conv2d as a product: per group, weights [O/g, C/g·kh·kw] times the im2col matrix
 * [C/g·kh·kw, H'·W'] (9·C·H'W' activation receiver elements for a 3×3 kernel, docs/PROTOCOLS.md);
 * a linear layer as [O, K]·[K, 1]; a batch norm, per channel, as the 1×1 multiplier times
 * the channel's [1, H·W] row (C products: as receiver, the C multipliers each serve H·W
 * positions; the activations are C·H·W receivers with one product each).
 */
export function layerCost(g: Graph, n: Node): OrientationCost | undefined {
  if (!isServerLinear(g, n)) return undefined;
  const x = g.nodes[n.inputs[0]!]!;
  const w = g.nodes[n.inputs[1]!]!;
  const l = n.type.bits;
  const r = reweighting(n);
  const support = r.split !== undefined || r.support ? { split: r.split ?? 0, ...(r.support ? { support: r.support.length } : {}) } : undefined;
  if (n.op === "linear") {
    const [o, k] = w.type.shape as [number, number];
    return productCost(o, k, 1, 1, w.type.bits, x.type.bits, l, support);
  }
  if (n.op === "winoconv") {
    // One product per tile position, all in the result's ring (cost/trace.ts `winoconv`).
    const [a2, o, c] = w.type.shape as [number, number, number];
    const g = winoGeometry(tileOf(intAttr(n.attrs, "tile"))!, x.type.shape, o, intAttr(n.attrs, "pad"));
    return productCost(o, c, g.th * g.tw, a2, w.type.bits, l, l, support);
  }
  if (n.op === "batchnorm") {
    const c = x.type.shape[0] ?? 1;
    const perChannel = x.type.shape.slice(1).reduce((a, b) => a * b, 1);
    return productCost(1, 1, perChannel, c, w.type.bits, x.type.bits, l);
  }
  const [o, ci, kh, kw] = w.type.shape as [number, number, number, number];
  const groups = intAttr(n.attrs, "groups");
  const [, ho, wo] = n.type.shape as [number, number, number];
  return productCost(o / groups, ci * kh * kw, ho * wo, groups, w.type.bits, x.type.bits, l, support);
}

/** The cheaper receiver of every OT-based linear layer (ties keep the activations). */
export function chooseReceivers(p: Program): Map<number, Receiver> {
  const out = new Map<number, Receiver>();
  for (const n of p.graph.nodes) {
    const c = layerCost(p.graph, n);
    if (c) out.set(n.id, c.weights < c.activations ? "weights" : "activations");
  }
  return out;
}

const mbit = (bits: number) => `${(bits / 1e6).toFixed(2)} Mbit`;

export const orientation: Pass = {
  name: "orientation",
  summary: "choose per OT-based linear layer whether the weights or the activations are the OT receiver (SiRNN's cost function), recorded as the layer's `receiver` attribute",
  run(p) {
    const choice = chooseReceivers(p);
    if (choice.size === 0) return { program: p, note: "no linear layer with server weights", applied: false };
    let before = 0;
    let after = 0;
    let nWeights = 0;
    const lines: string[] = [];
    for (const [id, r] of choice) {
      const n = p.graph.nodes[id]!;
      const c = layerCost(p.graph, n)!;
      before += c.activations;
      after += c[r];
      if (r === "weights") nWeights++;
      lines.push(`${n.origin.path} (${n.op}): ${r} (weights ${mbit(c.weights)}, activations ${mbit(c.activations)})`);
    }
    const note =
      `receiver = weights for ${nWeights} of ${choice.size} OT-based linear layers; IKNP cost ${mbit(before)} with the activations as receivers, ` +
      `${mbit(after)} as chosen\n  ` + lines.join("\n  ");
    if (nWeights === 0) return { program: p, note, applied: false };
    // Record the choice on the layer (attribute `receiver`): values are unchanged, only who
    // plays OT receiver, which the OT cost model reads and the dealer backend ignores.
    const program = rebuild(p, (n, map, b) => {
      if (choice.get(n.id) !== "weights") return undefined;
      return b.add(n.op, n.inputs.map(map), { ...n.attrs, receiver: 1 }, n.origin, copyDeclared(n));
    });
    return { program, note, applied: true };
  },
};
