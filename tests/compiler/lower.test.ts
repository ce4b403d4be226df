// Lowering and the plaintext semantics end to end on a model small enough to compute by
// hand; block and protocol inlining; parameter keys of block instances.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { formatType } from "../../compiler/types.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";

const dir = mkdtempSync(join(tmpdir(), "pq-lower-"));
writeFileSync(join(dir, "t.params.json"), JSON.stringify({
  format: "pq-params/1",
  tensors: {
    w: { shape: [1, 1, 2, 2], scale: 0.25, data: [1, -1, 2, 0] },
    b: { shape: [1], data: [3] },
    a1_k: { shape: [1, 1, 1, 1], data: [2] },
    a2_k: { shape: [1, 1, 1, 1], data: [-3] },
  },
}));

/** Layer-level IR (std/protocols not inlined), as written. */
function compile(src: string) {
  const path = join(dir, `m${Math.random().toString(36).slice(2)}.pq`);
  writeFileSync(path, src);
  const r = compileFile(path, { protocols: false });
  expect(r.diagnostics).toEqual([]);
  return r.program!;
}

const x = tensorFromBigints([1, 3, 3], 8, false, [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);

describe("lowering and plaintext semantics", () => {
  const p = compile(`
model t {
  input x: client u8[1, 3, 3] scale 2^-8
  params "t.params.json"
  param w: i4[1, 1, 2, 2]
  param b: i16[1] scale 2^-10
  let c = relu(conv2d(x, w, b))
  let q = c as u4 scale 2^-8
  output avgpool(q, 2) to client
  output sqplus(q) to client
}`);

  it("types every layer from the range analysis", () => {
    const types = p.graph.nodes.filter((n) => n.op !== "param").map((n) => `${n.op}: ${formatType(n.type)}`);
    expect(types).toEqual([
      "input: client u8[1, 3, 3] scale 2^-8",
      // x ∈ [0, 255], w = [1, −1, 2, 0], b = 3: [−255 + 3, 255 + 510 + 3] = [−252, 768] → i11
      "conv2d: shared i11[1, 2, 2] scale 2^-10",
      "relu: shared i11[1, 2, 2] scale 2^-10 nonneg",
      "requant: shared u4[1, 2, 2] scale 2^-8",
      "avgpool: shared i7[1, 1, 1] scale 2^-10 nonneg",
      // q ∈ [0, 15] at 2^-8: q² + 256·q ∈ [0, 4065]
      "sqplus: shared i13[1, 2, 2] scale 2^-16 nonneg",
    ]);
    expect(p.ranges[p.graph.nodes.findIndex((n) => n.op === "conv2d")]).toEqual({ lo: -252n, hi: 768n });
  });

  it("computes the values by hand", () => {
    // conv: [1−2+8+3, 2−3+10+3, 4−5+14+3, 5−6+16+3] = [10, 12, 16, 18]
    // requant by 2^-2 with rounding: ⌊(v + 2) / 4⌋ = [3, 3, 4, 5]; window sum = 15
    const { outputs } = runPlain(p.graph, new Map([["x", x]]));
    expect(toBigints(outputs[0]!)).toEqual([15n]);
    // sqplus: q² + 2^8·q
    expect(toBigints(outputs[1]!)).toEqual([9n + 768n, 9n + 768n, 16n + 1024n, 25n + 1280n]);
  });

  it("inlines blocks with per-instance parameter keys and int/width arguments", () => {
    const q = compile(`
block unit(x, n: int, W: int = 4) {
  param k: iW[n, n, 1, 1]
  return conv2d(x, k)
}
model t {
  input x: client u8[1, 3, 3]
  params "t.params.json"
  let a1 = unit(x, 1)
  let a2 = unit(x, n = 1, W = 3)
  output add(a1, a2) to client
}`);
    const params = q.graph.nodes.filter((n) => n.op === "param").map((n) => `${String(n.attrs.name)}: ${formatType(n.type, false)}`);
    expect(params).toEqual(["a1_k: i4[1, 1, 1, 1] nonneg", "a2_k: i3[1, 1, 1, 1]"]);
    const { outputs } = runPlain(q.graph, new Map([["x", x]]));
    expect(toBigints(outputs[0]!)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n].map((v) => 2n * v - 3n * v));
    expect(q.graph.nodes.find((n) => n.op === "conv2d")!.origin.path).toBe("t/a1");
  });

  it("inlines protocols, binding width variables from the arguments", () => {
    const q = compile(`
protocol myrelu(x: shared iN) -> shared iN {
  let b: shared u1 = drelu(x)
  return select(b, x, 0)
}
model t {
  input x: client u8[1, 3, 3]
  params "t.params.json"
  param w: i4[1, 1, 2, 2]
  let c = conv2d(x, w)
  output myrelu(c) to client
}`);
    const sel = q.graph.nodes.find((n) => n.op === "select")!;
    const conv = q.graph.nodes.find((n) => n.op === "conv2d")!;
    expect(sel.type.bits).toBe(conv.type.bits);
    expect(sel.origin.path).toBe("t/output");
    expect(sel.origin.via).toBe("myrelu");
    const { outputs } = runPlain(q.graph, new Map([["x", x]]));
    expect(toBigints(outputs[0]!)).toEqual([7n, 9n, 13n, 15n]);
  });
});

describe("input attributes (zero, mean, std)", () => {
  it("are kept on the input node, printed by the IR printer and read back the same", async () => {
    const { printGraph } = await import("../../compiler/print.js");
    const p = compile(`
model t {
  input x: client u8[3, 2, 2] scale 2^-7 (zero = 128, mean = [0.485, 0.456, -0.406], std = 2.5e-1)
  output argmax(flatten(x)) to client
}`);
    const attrs = p.graph.nodes[0]!.attrs;
    expect(attrs).toEqual({ name: "x", zero: 128n, mean: [0.485, 0.456, -0.406], std: [0.25] });
    const text = printGraph(p.graph);
    expect(text).toContain("input x: client u8[3, 2, 2] scale 2^-7 (zero = 128, mean = [0.485, 0.456, -0.406], std = [0.25])");
    expect(compile(text).graph.nodes[0]!.attrs).toEqual(attrs);
    // Without attributes the node and its printed line are as before.
    const plain = compile("model t {\n  input x: client u8[4]\n  output x to client\n}");
    expect(plain.graph.nodes[0]!.attrs).toEqual({ name: "x" });
    expect(printGraph(plain.graph)).toContain("  input x: client u8[4]\n");
  });
});
