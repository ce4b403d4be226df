// The ops the MNIST fixtures do not use — MaxPool, a residual Add of two signed activations on
// scales no power of two apart, GlobalAveragePool, Reshape, MatMul with its bias Add, per-channel
// QDQ weights — in a small random network: pq quantizes the float model (import/quantize), the
// QDQ rewrite is written as ONNX and run by onnxruntime, and pq's import of that same file must
// agree with it within the documented rounding (docs/ONNX.md).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importOnnx } from "../../import/index.js";
import { readOnnx, type AttrValue, type OnnxGraph, type OnnxNode, type OnnxTensor } from "../../import/onnx/graph.js";
import { quantizeFloat } from "../../import/quantize/float.js";
import { compareWithOnnxRuntime, quantizedOutputDiff, truncatedModel, writeGraph } from "./reference.js";

const dir = mkdtempSync(join(tmpdir(), "pq-onnx-ops-"));

/** mulberry32: a seeded PRNG, so the network and its inputs are the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function network(): OnnxGraph {
  const r = prng(17);
  const init = new Map<string, OnnxTensor>();
  const t = (name: string, dims: number[], scale: number, elem: OnnxTensor["elem"] = "float", values?: number[]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    init.set(name, { name, dims, elem, data: Float64Array.from(values ?? Array.from({ length: n }, () => Math.fround((r() * 2 - 1) * scale))) });
    return name;
  };
  const node = (name: string, op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): OnnxNode =>
    ({ name, op, domain: "", inputs, outputs: [name], attrs: new Map(Object.entries(attrs)) });
  const nodes = [
    node("conv_a", "Conv", ["x", t("wa", [4, 1, 3, 3], 0.8), t("ba", [4], 0.1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    node("relu_a", "Relu", ["conv_a"]),
    node("pool", "MaxPool", ["relu_a"], { kernel_shape: [2, 2], strides: [2, 2] }),
    node("conv_b", "Conv", ["pool", t("wb", [4, 4, 3, 3], 0.5), t("bb", [4], 0.1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    node("conv_c", "Conv", ["pool", t("wc", [4, 4, 1, 1], 1.5)], { kernel_shape: [1, 1] }),
    node("residual", "Add", ["conv_b", "conv_c"]),
    node("relu_r", "Relu", ["residual"]),
    node("gap", "GlobalAveragePool", ["relu_r"]),
    node("flat", "Reshape", ["gap", t("shape", [2], 0, "int64", [1, -1])]),
    node("fc", "MatMul", ["flat", t("wf", [4, 3], 1)]),
    node("logits", "Add", ["fc", t("bf", [3], 0.2)]),
  ];
  return { path: "ops.onnx", input: { name: "x", shape: [1, 1, 8, 8], elem: "float" }, outputs: ["logits"], init, nodes };
}

function qdqWithZeroPoint(g: OnnxGraph, tensor: string, zp: number): OnnxGraph {
  const init = new Map(g.init);
  const t = init.get(tensor)!;
  init.set(tensor, { ...t, data: Float64Array.of(zp) });
  return { ...g, init };
}

describe("MaxPool, residual Add, GlobalAveragePool, Reshape, MatMul + bias: pq against onnxruntime on the same QDQ model", () => {
  it("the float model written and read back, quantized W8A8, imported: each requantization within 1 of onnxruntime's, the logits within the bound that implies, the same class", async () => {
    const r = prng(5);
    const images = Array.from({ length: 60 }, (_, k) => Uint8Array.from({ length: 64 }, (_, i) => (k === 0 && i === 0 ? 255 : Math.floor(r() * 256))));
    const floatPath = join(dir, "float.onnx");
    writeGraph(network(), floatPath);
    const g = readOnnx(floatPath);
    const qdq = quantizeFloat(g, { inputs: images.slice(0, 30).map((px) => Float64Array.from(px, (v) => v / 255)) }, { weights: 8, activations: 8 });
    expect(qdq.nodes.filter((n) => n.op === "QuantizeLinear").map((n) => n.name)).toEqual(["x_q", "relu_a_q", "conv_b_q", "conv_c_q", "relu_r_q"]);
    const qdqPath = join(dir, "qdq.onnx");
    writeGraph(qdq, qdqPath);
    const pqPath = join(dir, "qdq.pq");
    const imported = importOnnx(qdqPath, { out: pqPath });
    expect(imported.kind).toBe("qdq");
    const ops = imported.plan.steps.map((s) => s.op);
    for (const op of ["maxpool", "shl", "add", "gavgpool", "mulc", "linear", "conv2d", "relu"]) expect(ops).toContain(op);
    // Each requantization, the residual's included, is at most 1 apart (docs/ONNX.md, Rounding).
    for (const [node, dims, signed] of [["relu_a_q", [4, 8, 8], false], ["conv_b_q", [4, 4, 4], true], ["relu_r_q", [4, 4, 4], false]] as const) {
      const part = join(dir, `${node}.onnx`);
      truncatedModel(qdqPath, node, [...dims], part, signed);
      importOnnx(part, { out: part.replace(/\.onnx$/, ".pq") });
      const d = await quantizedOutputDiff(part, part.replace(/\.onnx$/, ".pq"), images);
      expect(d.maxDiff).toBeLessThanOrEqual(1);
      expect(d.differ).toBeLessThanOrEqual(d.elements / 100);
    }
    // An activation zero point (uint8, 5): v = q − 5 in [−5, 250], requantized to i9 and clamped.
    const zpPath = join(dir, "qdq_zp.onnx");
    writeGraph(qdqWithZeroPoint(qdq, "relu_a__zp", 5), zpPath);
    const part = join(dir, "zp_relu_a_q.onnx");
    truncatedModel(zpPath, "relu_a_q", [4, 8, 8], part);
    const zpPlan = importOnnx(part, { out: part.replace(/\.onnx$/, ".pq") }).plan;
    expect(zpPlan.steps.filter((st) => st.op === "clamp")).toEqual([expect.objectContaining({ lo: -5, hi: 250 })]);
    const z = await quantizedOutputDiff(part, part.replace(/\.onnx$/, ".pq"), images, 5);
    expect(z.maxDiff).toBeLessThanOrEqual(1);
    expect(z.differ).toBeLessThanOrEqual(z.elements / 100);
    // So a logit (the exact accumulator of fc over the 4 channel sums of 16 values each) is
    // within 16·Σ_k |w_ok| units of onnxruntime's.
    const w = imported.plan.params.get("fc_w")!.tensor;
    const bound = Math.max(...[0, 1, 2].map((o) => 16 * w.data.slice(4 * o, 4 * o + 4).reduce((a, v) => a + Math.abs(v), 0)));
    const c = await compareWithOnnxRuntime(qdqPath, pqPath, images);
    expect(c.images).toBe(60);
    expect(c.maxLsb).toBeLessThanOrEqual(bound);
    expect(c.classDiffers).toBe(0);
  });
});
