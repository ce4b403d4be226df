// The dealer forecast against measurement on programs nobody wrote by hand: random
// networks (tests/gen/networks.ts) with random inputs — the 5% per layer, party and
// primitive — and a model that calls every interactive primitive at random widths and
// shapes, which the model must price to the byte (it mirrors the backend's decisions).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { tensorFromBigints } from "../../interpreter/plain/tensor.js";
import { inputArb, materialize, networkArb } from "../gen/networks.js";
import { measureAgainstForecast, outside } from "./harness.js";
import { primitivesCase, primitivesRun } from "./primitives-model.js";

const TOL = 0.05;

describe("dealer forecast on random networks", () => {
  it("agrees with the measured bytes within 5% on 100 random networks (seed printed on failure)", async () => {
    let worst = 0;
    await fc.assert(
      fc.asyncProperty(networkArb.chain((net) => fc.tuple(fc.constant(net), inputArb(net))), fc.constantFrom("none", "pq"), async ([net, x], pipeline) => {
        const path = materialize(net);
        const r = compileFile(path);
        if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
        const program = runPipeline(r.program, pipeline).program;
        const inputs = new Map([["x", tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, x)]]);
        const c = await measureAgainstForecast(program, inputs, String(net.seed));
        worst = Math.max(worst, c.maxDeviation);
        expect(outside(c, TOL), `${net.source}\n(pipeline ${pipeline})`).toEqual([]);
      }),
      { numRuns: 100 },
    );
    console.log(`random networks: max deviation of any figure ${(100 * worst).toFixed(3)}%`);
  }, 600_000);
});

describe("dealer forecast of every primitive", () => {
  it("is exact (to the byte, message and round) at random widths and shapes", async () => {
    await fc.assert(
      fc.asyncProperty(
        primitivesCase,
        async (c) => {
          const { program, inputs } = primitivesRun(c);
          const cmp = await measureAgainstForecast(program, inputs, String(c.seed));
          expect(outside(cmp, 0)).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  }, 600_000);
});
