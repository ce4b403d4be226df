// Bad ONNX input is a coded diagnostic naming the file and, where there is one, the node —
// never a stack trace — and nothing is written. The models are the fixtures, altered.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PqError } from "../../grammar/diagnostics.js";
import { importOnnx } from "../../import/index.js";
import { decodeModel, encodeModel, type ModelProto } from "../../import/onnx/proto.js";
import { pq } from "../cli/harness.js";

const dir = mkdtempSync(join(tmpdir(), "pq-onnx-bad-"));
const fixture = (name: string) => decodeModel(readFileSync(`examples/onnx/${name}.onnx`));

function write(name: string, model: ModelProto | Uint8Array): string {
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, model instanceof Uint8Array ? model : encodeModel(model));
  return path;
}

/** The diagnostics importing `path` raises; asserts that nothing was written. */
function diagnostics(path: string, opts: Parameters<typeof importOnnx>[1] = {}): { code: string; message: string }[] {
  const out = path.replace(/\.onnx$/, ".pq");
  try {
    importOnnx(path, { ...opts, out });
  } catch (e) {
    expect(e).toBeInstanceOf(PqError);
    expect(existsSync(out)).toBe(false);
    return (e as PqError).diagnostics.map((d) => ({ code: d.code, message: d.message }));
  }
  throw new Error(`${path} imported without error`);
}

describe("bad ONNX input is a coded diagnostic", () => {
  it("a file that is no protobuf, a truncated one and one without a graph: PQ6001", () => {
    const png = readFileSync("examples/mnist/digits/digit-7.png");
    expect(diagnostics(write("png", png))).toEqual([{ code: "PQ6001", message: expect.stringMatching(/is not an ONNX model: /) }]);
    const whole = readFileSync("examples/onnx/lenet_qdq.onnx");
    expect(diagnostics(write("truncated", whole.subarray(0, 5000)))[0]).toEqual({ code: "PQ6001", message: expect.stringContaining("the protobuf ends early (a truncated file)") });
    expect(diagnostics(write("empty", encodeModel({ irVersion: 10 })))[0]!.message).toContain("no IR version or no graph of nodes");
    expect(diagnostics(join(dir, "absent.onnx"))[0]!.message).toContain("cannot read it (no such file)");
  });

  it("an opset pq does not import: PQ6002", () => {
    const m = fixture("lenet_qdq");
    m.opsetImport = [{ domain: "", version: 9 }];
    expect(diagnostics(write("opset9", m))).toEqual([{ code: "PQ6002", message: expect.stringContaining("imports opset 9 of domain 'ai.onnx'") }]);
    m.opsetImport = [{ domain: "ai.onnx.ml", version: 3 }];
    expect(diagnostics(write("ml", m))[0]!.code).toBe("PQ6002");
  });

  it("every unsupported node listed at once, with its name and op type: PQ6003", () => {
    const m = fixture("lenet_qdq");
    const g = m.graph!;
    g.node!.splice(3, 0, { name: "odd_sigmoid", opType: "Sigmoid", input: ["input"], output: ["sig"] });
    g.node!.push({ name: "probabilities", opType: "Softmax", input: ["logits"], output: ["probs"] });
    g.node!.push({ name: "ext", opType: "Gelu", domain: "com.microsoft", input: ["probs"], output: ["gelu"] });
    g.output = [{ name: "gelu" }];
    const ds = diagnostics(write("unsupported", m));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toEqual({ code: "PQ6003", message: expect.stringContaining("has 3 node(s) pq cannot import: 'odd_sigmoid' (Sigmoid), 'probabilities' (Softmax), 'ext' (com.microsoft.Gelu)") });
  });

  it("a missing initializer: PQ6004 names the node and the tensor", () => {
    const m = fixture("lenet_qdq");
    m.graph!.initializer = m.graph!.initializer!.filter((t) => t.name !== "conv2.weight_q");
    expect(diagnostics(write("missing", m))).toEqual([{ code: "PQ6004", message: expect.stringContaining("node 'conv2.weight' (DequantizeLinear) reads 'conv2.weight_q'") }]);
  });

  it("a dynamic dimension other than the batch axis: PQ6005; a symbolic batch axis is batch 1", () => {
    const m = fixture("lenet_qdq");
    const dims = m.graph!.input![0]!.type!.tensorType!.shape!.dim!;
    expect(dims[0]).toEqual({ dimParam: "N" });
    dims[2] = { dimParam: "height" };
    expect(diagnostics(write("dynamic", m))).toEqual([{ code: "PQ6005", message: expect.stringContaining("input 'input' has the dynamic shape [N, 1, height, 28]") }]);
  });

  it("a scale computed at run time: PQ6006 at the node that reads it", () => {
    const m = fixture("lenet_qdq");
    const g = m.graph!;
    g.node!.unshift({ name: "scale_copy", opType: "Identity", input: ["conv1_act_scale"], output: ["scale_at_run_time"] });
    const q = g.node!.find((n) => n.name === "conv1_act_q")!;
    q.input![1] = "scale_at_run_time";
    expect(diagnostics(write("dynscale", m))).toEqual([{ code: "PQ6006", message: expect.stringContaining("node 'conv1_act_q' (QuantizeLinear): scale 'scale_at_run_time' must be a constant") }]);
  });

  it("attributes pq cannot map: PQ6007 at the node", () => {
    const m = fixture("lenet_qdq");
    const conv = m.graph!.node!.find((n) => n.name === "conv1")!;
    conv.attribute = conv.attribute!.map((a) => (a.name === "pads" ? { ...a, ints: [2, 2, 1, 1] } : a));
    expect(diagnostics(write("pads", m))).toEqual([{ code: "PQ6007", message: expect.stringContaining("node 'conv1' (Conv): pads [2, 2, 1, 1]; pq's conv2d pads all four sides alike") }]);
    const f = fixture("lenet_float");
    f.graph!.node!.unshift({ name: "q_in", opType: "QuantizeLinear", input: ["input", "conv1.bias"], output: ["xq"] });
    expect(diagnostics(write("vector_scale", f))[0]!.message).toContain("the scale must be one number (per-tensor), it has 6");
  });

  it("a float model without --calibrate, a quantized one with it: PQ6008", () => {
    const f = write("float", fixture("mlp_float"));
    expect(diagnostics(f)).toEqual([{ code: "PQ6008", message: expect.stringContaining("is a float model: quantize it with --calibrate DIR") }]);
    const q = write("qdq", fixture("mlp_qdq"));
    expect(diagnostics(q, { calibrate: "examples/mnist/digits" })).toEqual([{ code: "PQ6008", message: expect.stringContaining("is a quantized model: it needs no --calibrate") }]);
  });

  it("a calibration directory that is empty, missing, or holds a tensor of the wrong shape: PQ6009", () => {
    const f = write("float2", fixture("mlp_float"));
    const empty = join(dir, "empty-dir");
    mkdirSync(empty, { recursive: true });
    expect(diagnostics(f, { calibrate: empty })[0]!).toEqual({ code: "PQ6009", message: expect.stringContaining("holds no .png or .json file") });
    expect(diagnostics(f, { calibrate: join(dir, "nowhere") })[0]!.message).toContain("cannot read the directory (no such file)");
    const wrong = join(dir, "wrong-dir");
    mkdirSync(wrong, { recursive: true });
    writeFileSync(join(wrong, "a.json"), JSON.stringify({ shape: [1, 4, 4], data: new Array(16).fill(0.5) }));
    expect(diagnostics(f, { calibrate: wrong })[0]!.message).toContain("has shape [1, 4, 4], the model input is [1, 28, 28]");
  });

  it("tensor data that does not match its shape, or an unread data type: PQ6010", () => {
    const m = fixture("lenet_qdq");
    const t = m.graph!.initializer!.find((x) => x.name === "conv1.weight_q")!;
    t.rawData = t.rawData!.subarray(0, 10);
    expect(diagnostics(write("short", m))).toEqual([{ code: "PQ6010", message: expect.stringContaining("tensor 'conv1.weight_q' holds 10 bytes of raw data, its shape [6, 1, 5, 5] of int8 needs 150") }]);
    const m2 = fixture("lenet_qdq");
    m2.graph!.initializer!.find((x) => x.name === "conv1.weight_q")!.dataType = 16; // bfloat16
    expect(diagnostics(write("bf16", m2))[0]!.message).toContain("has data type 16, which pq does not read");
  });
});

describe("the written program must compile", () => {
  it("a model that maps but whose program does not compile (a layer beyond 64 bits): pq's diagnostic, and both files removed", () => {
    const m = fixture("lenet_qdq");
    const t = m.graph!.initializer!.find((x) => x.name === "conv1.weight_q")!;
    t.dataType = 7; // int64
    t.rawData = new Uint8Array(BigInt64Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? 1n : -1n) << 52n).buffer);
    const ds = diagnostics(write("wide", m));
    expect(ds.map((d) => d.code)).toContain("PQ3002");
    expect(existsSync(join(dir, "wide.params.json"))).toBe(false);
  });
});

describe("pq import on the command line", () => {
  it("prints the diagnostic (no stack trace), exits 1 and writes nothing", async () => {
    const m = fixture("lenet_qdq");
    m.graph!.node!.push({ name: "probabilities", opType: "Softmax", input: ["logits"], output: ["probs"] });
    const bad = write("cli-bad", m);
    const r = await pq("import", bad, "-o", join(dir, "cli-bad-out.pq"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error PQ6003: '.*cli-bad\.onnx' has 1 node\(s\) pq cannot import: 'probabilities' \(Softmax\)/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, "cli-bad-out.pq"))).toBe(false);
  });

  it("pq quantize insists on --calibrate (a usage error), and checks the widths", async () => {
    const r = await pq("quantize", "examples/onnx/mlp_float.onnx");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--calibrate DIR is required");
    const w = await pq("quantize", "examples/onnx/mlp_float.onnx", "--calibrate", "examples/mnist/digits", "--activations", "6", "-o", join(dir, "w.pq"));
    expect(w.code).toBe(2);
    expect(w.err).toContain("--activations must be 4, 8 or 16, got 6");
  });
});
