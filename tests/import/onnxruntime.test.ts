// pq's import of the MNIST ONNX fixtures (examples/onnx/, written by
// examples/mnist/export-onnx.ts) against onnxruntime, on the bundled digits and every 7th
// image of the MNIST test split. Where pq's rounding differs from onnxruntime's
// (docs/ONNX.md, "Rounding"), the test asserts the documented bound and that the class agrees.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadMnist } from "../../examples/mnist/dataset.js";
import { importOnnx } from "../../import/index.js";
import { compile, run } from "../../lib/index.js";
import { compareWithOnnxRuntime, digitImages, quantizedOutputDiff, truncatedModel } from "./reference.js";

const dir = mkdtempSync(join(tmpdir(), "pq-onnx-"));
let images: Uint8Array[] = [];

beforeAll(() => {
  images = [...digitImages(), ...loadMnist().test.filter((_, i) => i % 7 === 0).map((s) => s.pixels)];
});

const fx = (name: string) => `examples/onnx/${name}.onnx`;

function imported(name: string, opts: Parameters<typeof importOnnx>[1] = {}): string {
  const out = join(dir, `${name}${opts.argmax ? "_argmax" : ""}.pq`);
  importOnnx(fx(name), { ...opts, out });
  return out;
}

function importedFile(onnx: string): string {
  const out = onnx.replace(/\.onnx$/, ".pq");
  importOnnx(onnx, { out });
  return out;
}

describe("a requantization differs from onnxruntime's by at most 1 (docs/ONNX.md, Rounding)", () => {
  it("QDQ LeNet's first activation (Conv, Relu, QuantizeLinear): ≤ 1 everywhere, in under 1% of the elements", async () => {
    const part = join(dir, "lenet_qdq_c1.onnx");
    truncatedModel(fx("lenet_qdq"), "conv1_act_q", [6, 28, 28], part);
    const r = await quantizedOutputDiff(part, importedFile(part), images);
    expect(r.elements).toBe(images.length * 6 * 28 * 28);
    expect(r.maxDiff).toBeLessThanOrEqual(1);
    expect(r.differ / r.elements).toBeLessThan(0.01);
  });

  it("QOperator LeNet's first activation (QLinearConv, per-channel weights): ≤ 1 everywhere, in under 1% of the elements", async () => {
    const part = join(dir, "lenet_qop_c1.onnx");
    truncatedModel(fx("lenet_qop"), "conv1", [6, 28, 28], part);
    const r = await quantizedOutputDiff(part, importedFile(part), images);
    expect(r.maxDiff).toBeLessThanOrEqual(1);
    expect(r.differ / r.elements).toBeLessThan(0.01);
  });
});

// Bounds on the outputs, in units of the imported model's output scale: requantization
// differences of one unit propagate through the later layers (measured: docs/ONNX.md).
const BOUNDS: [string, number][] = [["mlp_qdq", 300], ["lenet_qdq", 700], ["mlp_qop", 2], ["lenet_qop", 4]];

describe("imported quantized models against onnxruntime", () => {
  for (const [name, bound] of BOUNDS) {
    it(`${name}: every logit within ${bound} units of the output scale, and the same class on every image`, async () => {
      const r = await compareWithOnnxRuntime(fx(name), imported(name), images);
      expect(r.images).toBe(images.length);
      expect(r.maxLsb).toBeLessThanOrEqual(bound);
      expect(r.classDiffers).toBe(0);
    });
  }

  it("the QDQ fixtures are the W8A8 examples: the same class as examples/mnist/*_w8a8.pq on every image", async () => {
    for (const net of ["mlp", "lenet"]) {
      const mine = compile(imported(`${net}_qdq`, { argmax: true }));
      const theirs = compile(`examples/mnist/${net}_w8a8.pq`);
      const inName = mine.graph.nodes.find((n) => n.op === "input")!.attrs.name as string;
      for (const px of images) {
        const a = await run(mine, { [inName]: Array.from(px) }, { backend: "plain" });
        const b = await run(theirs, { x: Array.from(px) }, { backend: "plain" });
        expect(a.outputs).toEqual(b.outputs);
      }
    }
  });
});

describe("float models quantized by pq with calibration (W8A8, per-channel weights)", () => {
  for (const net of ["mlp", "lenet"]) {
    it(`${net}_float: the class of onnxruntime's float model on at least 99% of the images`, async () => {
      const r = await compareWithOnnxRuntime(fx(`${net}_float`), imported(`${net}_float`, { calibrate: "examples/mnist/digits" }), images);
      expect(r.classDiffers / r.images).toBeLessThanOrEqual(0.01);
    });
  }
});
