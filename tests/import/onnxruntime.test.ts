// pq's import of the ONNX fixtures (examples/onnx/, written by examples/mnist/export-onnx.ts) against
// onnxruntime: the MNIST models on the bundled digits and every 7th image of the MNIST test split,
// the Fashion-MNIST models (fashion_*.onnx) on their sample images and, when Debian's
// dataset-fashion-mnist is installed, every 35th image of its test split. Where pq's rounding
// differs from onnxruntime's (docs/ONNX.md, "Rounding"), the test asserts the documented bound and
// that the class agrees.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fashionMnistMissing, loadFashionMnist } from "../../examples/fashion/dataset.js";
import { loadMnist } from "../../examples/mnist/dataset.js";
import { importOnnx } from "../../import/index.js";
import { compile, run } from "../../lib/index.js";
import { compareWithOnnxRuntime, digitImages, DIGITS, FASHION_SAMPLES, quantizedOutputDiff, truncatedModel } from "./reference.js";

const dir = mkdtempSync(join(tmpdir(), "pq-onnx-"));

const fashionMissing = fashionMnistMissing();
if (fashionMissing !== undefined) console.warn(`Fashion-MNIST fixtures: checked on the ${FASHION_SAMPLES} images only, not on the test split: ${fashionMissing}`);

/** Each dataset's fixtures (examples/onnx/PREFIX*.onnx), W8A8 examples and images. */
const DATASETS = [
  { title: "MNIST", prefix: "", examples: "examples/mnist", samples: DIGITS, split: () => loadMnist().test.filter((_, i) => i % 7 === 0), maxTies: 0 },
  {
    // Fashion-MNIST's classes are closer: the QOperator LeNet's uint8 logits tie at the top on
    // 3 of the 296 images (docs/ONNX.md), where pq's rounding picks the other tied class.
    title: "Fashion-MNIST", prefix: "fashion_", examples: "examples/fashion", samples: FASHION_SAMPLES, maxTies: 5,
    split: () => (fashionMissing === undefined ? loadFashionMnist().test.filter((_, i) => i % 35 === 0) : []),
  },
];

// Bounds on the outputs, in units of the imported model's output scale: requantization
// differences of one unit propagate through the later layers (measured: docs/ONNX.md).
const BOUNDS: [string, number][] = [["mlp_qdq", 300], ["lenet_qdq", 700], ["mlp_qop", 2], ["lenet_qop", 4]];

for (const ds of DATASETS) {
  describe(`${ds.title} fixtures (examples/onnx/${ds.prefix}*.onnx)`, () => {
    let images: Uint8Array[] = [];
    beforeAll(() => {
      images = [...digitImages(ds.samples), ...ds.split().map((s) => s.pixels)];
    });

    const fx = (name: string) => `examples/onnx/${ds.prefix}${name}.onnx`;
    const imported = (name: string, opts: Parameters<typeof importOnnx>[1] = {}): string => {
      const out = join(dir, `${ds.prefix}${name}${opts.argmax ? "_argmax" : ""}.pq`);
      importOnnx(fx(name), { ...opts, out });
      return out;
    };
    /** The fixture up to node `last` (an ONNX file) and its import (a .pq file). */
    const importedPart = (name: string, last: string, dims: number[]): [string, string] => {
      const part = join(dir, `${ds.prefix}${name}_${last}.onnx`);
      truncatedModel(fx(name), last, dims, part);
      const out = part.replace(/\.onnx$/, ".pq");
      importOnnx(part, { out });
      return [part, out];
    };

    describe("a requantization differs from onnxruntime's by at most 1 (docs/ONNX.md, Rounding)", () => {
      it("QDQ LeNet's first activation (Conv, Relu, QuantizeLinear): ≤ 1 everywhere, in under 1% of the elements", async () => {
        const r = await quantizedOutputDiff(...importedPart("lenet_qdq", "conv1_act_q", [6, 28, 28]), images);
        expect(r.elements).toBe(images.length * 6 * 28 * 28);
        expect(r.maxDiff).toBeLessThanOrEqual(1);
        expect(r.differ / r.elements).toBeLessThan(0.01);
      });

      it("QOperator LeNet's first activation (QLinearConv, per-channel weights): ≤ 1 everywhere, in under 1% of the elements", async () => {
        const r = await quantizedOutputDiff(...importedPart("lenet_qop", "conv1", [6, 28, 28]), images);
        expect(r.maxDiff).toBeLessThanOrEqual(1);
        expect(r.differ / r.elements).toBeLessThan(0.01);
      });
    });

    describe("imported quantized models against onnxruntime", () => {
      for (const [name, bound] of BOUNDS) {
        it(`${ds.prefix}${name}: every logit within ${bound} units of the output scale, and the same class on every image but ties of onnxruntime's largest logits`, async () => {
          const r = await compareWithOnnxRuntime(fx(name), imported(name), images);
          expect(r.images).toBe(images.length);
          expect(r.maxLsb).toBeLessThanOrEqual(bound);
          expect(r.classDiffers - r.tiedClassDiffers).toBe(0);
          expect(r.tiedClassDiffers).toBeLessThanOrEqual(ds.maxTies);
        });
      }

      it(`the QDQ fixtures are the W8A8 examples: the same class as ${ds.examples}/*_w8a8.pq on every image`, async () => {
        for (const net of ["mlp", "lenet"]) {
          const mine = compile(imported(`${net}_qdq`, { argmax: true }));
          const theirs = compile(`${ds.examples}/${net}_w8a8.pq`);
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
        it(`${ds.prefix}${net}_float: the class of onnxruntime's float model on at least 99% of the images`, async () => {
          const r = await compareWithOnnxRuntime(fx(`${net}_float`), imported(`${net}_float`, { calibrate: ds.samples }), images);
          expect(r.classDiffers / r.images).toBeLessThanOrEqual(0.01);
        });
      }
    });
  });
}
