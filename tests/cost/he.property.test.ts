// The he forecast (compiler/cost/ot-provider.ts with he-sizes.ts) against pq's HE provider,
// measured: every layer, both parties, online bytes, messages and rounds, offline bytes,
// messages and rounds, and every (layer, primitive) — to the byte (tolerance 0) — on the
// MNIST examples compiled for he (as `pq run --correlations he` compiles them), random
// networks, and a model that calls every interactive primitive. Which products run by HE is
// decided per product from public data; the forecast must make the same choice, so a LeNet
// run here has HE products (checked) and the uploads and trimmed replies are priced exactly.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { loadInput } from "../../interpreter/inputs.js";
import { tensorFromBigints } from "../../interpreter/plain/tensor.js";
import { HE_PARAMS, heBytes } from "../../compiler/cost/he-sizes.js";
import { inputArb, materialize, networkArb } from "../gen/networks.js";
import { measureAgainstForecast, outside } from "./harness.js";
import { primitivesCase, primitivesRun } from "./primitives-model.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("he forecast = measured under pq's HE provider", () => {
  it("on the MNIST examples (pipeline pq, compiled for he): every layer, party and primitive, to the byte", async () => {
    const cases = [
      ["examples/mnist/lenet_w8a8.pq", "examples/mnist/digits/digit-7.png"],
      ["examples/mnist/mlp_w4a4.pq", "examples/mnist/digits/digit-3.png"],
    ] as const;
    for (const [file, input] of cases) {
      const r = compileFile(join(ROOT, file));
      expect(r.diagnostics.map((d) => formatDiagnostic(d, r.sources))).toEqual([]);
      const program = runPipeline(r.program!, "pq", { target: "he" }).program;
      const node = program.graph.nodes.find((n) => n.op === "input")!;
      const name = node.attrs.name as string;
      const c = await measureAgainstForecast(program, new Map([[name, loadInput(join(ROOT, input), name, node.type)]]), file, "he");
      expect(outside(c, 0), file).toEqual([]);
      // the keys in the set-up, and (LeNet) products that ran by HE: an upload is one ciphertext of ~197 KB
      expect(c.primitives.some((p) => p.key === "setup :: he-keys" && p.forecast[2]! > heBytes(HE_PARAMS).pk)).toBe(true);
      if (file.includes("lenet")) expect(c.report.primitives.some((p) => p.primitive === "linear" && p.party === "client" && p.sent >= heBytes(HE_PARAMS).up)).toBe(true);
      console.log(`${file}: ${c.figures.length} figures and ${c.primitives.length} (layer, primitive) rows equal; online client ${c.report.totals.client.online.sent} B, server ${c.report.totals.server.online.sent} B`);
    }
  }, 300_000);

  it("on random networks (pipelines none and pq), with every product the HE kernel can carry run by HE", async () => {
    let heRuns = 0;
    await fc.assert(
      fc.asyncProperty(networkArb.chain((net) => fc.tuple(fc.constant(net), inputArb(net))), fc.constantFrom("none", "pq"), async ([net, x], pipeline) => {
        const r = compileFile(materialize(net));
        if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
        const program = runPipeline(r.program, pipeline, { target: "he" }).program;
        const inputs = new Map([["x", tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, x)]]);
        const c = await measureAgainstForecast(program, inputs, String(net.seed), "he-all");
        expect(outside(c, 0), `${net.source}\n(pipeline ${pipeline})`).toEqual([]);
        if (c.report.primitives.some((p) => p.primitive === "linear" && p.party === "client" && p.sent >= heBytes(HE_PARAMS).up)) heRuns++;
      }),
      { numRuns: 30 },
    );
    // most random networks have a product the HE kernel carries (rings ≤ 32 bits)
    expect(heRuns).toBeGreaterThan(0);
    console.log(`random networks: ${heRuns} of 30 ran products by HE, forecast = measured`);
  }, 600_000);

  it("for every primitive at random widths and shapes", async () => {
    await fc.assert(
      fc.asyncProperty(primitivesCase, async (c) => {
        const { program, inputs } = primitivesRun(c);
        expect(outside(await measureAgainstForecast(program, inputs, String(c.seed), "he-all"), 0)).toEqual([]);
      }),
      { numRuns: 6 },
    );
  }, 600_000);
});
