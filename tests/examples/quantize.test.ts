// The MNIST and Fashion-MNIST examples' generator (examples/mnist/quantize.ts, train.ts) uses the
// project's quantization code (import/quantize/weights.ts, compiler/ops.ts's requantization,
// import/plan.ts's params writer): quantizing the W8A8 models' own dequantized weights again gives
// back the committed files, and its integer simulation predicts what pq's plaintext backend computes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LENET, MLP, isWeighted } from "../../examples/mnist/nets.js";
import { paramsJson, pqSource, predict, quantizeNet, W8A8, type FloatParams } from "../../examples/mnist/quantize.js";
import { compile, run } from "../../lib/index.js";
import { digitImages, DIGITS, FASHION_SAMPLES } from "../import/reference.js";

interface File {
  tensors: Record<string, { shape: number[]; scale: number; data: number[] }>;
  scales: Record<string, number>;
}

const EXAMPLES = [
  { dir: "examples/mnist", title: "MNIST", samples: DIGITS },
  { dir: "examples/fashion", title: "Fashion-MNIST", samples: FASHION_SAMPLES },
];

for (const ex of EXAMPLES) {
  for (const net of [MLP, LENET]) {
    describe(`${ex.dir}/${net.id}_w8a8`, () => {
      const text = readFileSync(`${ex.dir}/${net.id}_w8a8.params.json`, "utf8");
      const file = JSON.parse(text) as File;
      const floats: FloatParams = new Map(net.layers.filter(isWeighted).map((l) => {
        const w = file.tensors[`${l.name}_w`]!;
        const b = file.tensors[`${l.name}_b`]!;
        return [l.name, { w: Float32Array.from(w.data, (q) => q * w.scale), b: Float32Array.from(b.data, (q) => q * b.scale) }];
      }));
      const actMax = Object.values(file.scales).map((s) => s * 255);
      const q = quantizeNet(net, floats, actMax, W8A8);

      it("quantizing its dequantized weights again gives back the same integers, and the shared writers the same files", () => {
        for (const l of q.layers) {
          if (l.op !== "conv" && l.op !== "linear") continue;
          expect(Array.from(l.w.data)).toEqual(file.tensors[`${l.spec.name}_w`]!.data);
          expect(Array.from(l.b.data)).toEqual(file.tensors[`${l.spec.name}_b`]!.data);
        }
        expect(paramsJson(q)).toBe(text);
        expect(pqSource(q, ex.title)).toBe(readFileSync(`${ex.dir}/${net.id}_w8a8.pq`, "utf8"));
      });

      it(`its integer simulation predicts pq's plaintext output on ${ex.samples}`, async () => {
        const program = compile(`${ex.dir}/${net.id}_w8a8.pq`);
        const images = digitImages(ex.samples);
        expect(images).toHaveLength(10);
        for (const px of images) {
          const out = await run(program, { x: Array.from(px) }, { backend: "plain" });
          expect(Number(out.outputs[0]![0])).toBe(predict(q, px));
        }
      });
    });
  }
}
