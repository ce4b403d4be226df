// An imported program is an ordinary pq program: the two-party backend reproduces the plaintext
// one bit for bit on it, with the ops the importer emits (per-channel `mulc`, `shl` and `add` of
// QLinearAdd, requantization to the zero-point-shifted range).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importOnnx } from "../../import/index.js";
import { compile, run } from "../../lib/index.js";
import { digitImages } from "./reference.js";

const dir = mkdtempSync(join(tmpdir(), "pq-onnx-2pc-"));

describe("imported models under two parties", () => {
  for (const name of ["lenet_qop", "mlp_qop"]) {
    it(`${name}: the two-party output equals the plaintext output on two digits`, async () => {
      const out = join(dir, `${name}.pq`);
      const r = importOnnx(`examples/onnx/${name}.onnx`, { out });
      expect(r.plan.steps.some((s) => s.op === (name === "lenet_qop" ? "mulc" : "shl"))).toBe(true);
      const program = compile(out);
      for (const px of digitImages().slice(3, 5)) {
        const inputs = { [r.plan.input.name]: Array.from(px) };
        const plain = await run(program, inputs, { backend: "plain" });
        const two = await run(program, inputs, { provider: { kind: "dealer", seed: "import" } });
        expect(two.outputs).toEqual(plain.outputs);
      }
    });
  }
});
