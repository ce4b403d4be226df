// Size and work of a compiled network: parameter count and multiply-accumulates, per
// weighted layer and in total. Read off the lowered graph, so the figures describe exactly
// the program that runs (blocks inlined, params bound).
import type { Graph } from "../compiler/ir.js";
import { intAttr } from "../compiler/ops.js";
import { elemName, numel } from "../compiler/types.js";

export interface LayerStats {
  path: string;
  op: "conv2d" | "linear";
  /** e.g. `3×3/2 g96`: kernel, stride when > 1, groups when > 1. */
  kernel: string;
  input: number[];
  output: number[];
  /** Element types of the weights and of the activations entering the layer. */
  weight: string;
  activation: string;
  macs: number;
}

export interface NetStats {
  name: string;
  /** Every integer the server holds: weights, batchnorm multipliers and offsets, biases. */
  params: number;
  macs: number;
  layers: LayerStats[];
}

export function networkStats(g: Graph): NetStats {
  const layers: LayerStats[] = [];
  for (const n of g.nodes) {
    if (n.op !== "conv2d" && n.op !== "linear") continue;
    const x = g.nodes[n.inputs[0]!]!.type;
    const w = g.nodes[n.inputs[1]!]!.type;
    // Each output element is one dot product over the weight row it uses:
    // conv2d [O, C/groups, kh, kw] → C/groups·kh·kw terms; linear [O, K] → K terms.
    const terms = numel(w.shape.slice(1));
    let kernel = "";
    if (n.op === "conv2d") {
      const stride = intAttr(n.attrs, "stride");
      const groups = intAttr(n.attrs, "groups");
      kernel = `${w.shape[2]}×${w.shape[3]}${stride > 1 ? `/${stride}` : ""}${groups > 1 ? ` g${groups}` : ""}`;
    }
    layers.push({
      path: n.origin.path, op: n.op, kernel, input: x.shape, output: n.type.shape,
      weight: elemName(w), activation: elemName(x), macs: numel(n.type.shape) * terms,
    });
  }
  let params = 0;
  for (const p of g.params.values()) params += numel(p.shape);
  return { name: g.name, params, macs: layers.reduce((s, l) => s + l.macs, 0), layers };
}

/** 1234567 → "1.23 M". */
export function si(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
