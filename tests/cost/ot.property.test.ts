// The ot forecast (compiler/cost/ot-provider.ts) against pq's OT provider, measured: every
// layer, both parties, online bytes, messages and rounds, offline bytes, messages and rounds,
// and every (layer, primitive) — to the byte (tolerance 0), on the MNIST examples, ResNet-20,
// random networks and a model that calls every interactive primitive. In-process OT runs
// continue one session, so a test file's first run also checks the `setup` row (base OTs)
// and the later ones check that nothing else has one. ResNet-20 takes ~80 s in-process under
// OT and runs with PQ_COST_ALL=1; ResNet-32 and MobileNetV2 with PQ_COST_ALL=big (or the
// files PQ_COST_FILES names, comma-separated; measured agreement: docs/COST.md).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { loadInput } from "../../interpreter/inputs.js";
import { tensorFromBigints } from "../../interpreter/plain/tensor.js";
import { inputArb, materialize, networkArb } from "../gen/networks.js";
import { measureAgainstForecast, outside, type Comparison } from "./harness.js";
import { primitivesCase, primitivesRun } from "./primitives-model.js";

const ROOT = join(import.meta.dirname, "..", "..");
const all = process.env.PQ_COST_ALL === "1";

/** Exact agreement, and a report of what was compared (for the log). */
function exact(c: Comparison, what: string): string {
  expect(outside(c, 0), what).toEqual([]);
  const t = c.report.totals;
  return `${what}: ${c.figures.length} figures and ${c.primitives.length} (layer, primitive) rows equal; online client ${t.client.online.sent} B, server ${t.server.online.sent} B, ` +
    `rounds ${t.client.online.rounds}/${t.server.online.rounds}, offline ${t.client.offline.recv + t.server.offline.recv} B${c.report.layers.some((l) => l.layer === "setup") ? " (setup included)" : ""}`;
}

async function example(file: string, input: string, pipeline: string): Promise<Comparison> {
  const r = compileFile(join(ROOT, file));
  expect(r.diagnostics.map((d) => formatDiagnostic(d, r.sources))).toEqual([]);
  // As `pq run --backend 2pc` compiles for OT (cli/commands.ts): the passes target ot.
  const program = runPipeline(r.program!, pipeline, { target: "ot" }).program;
  const node = program.graph.nodes.find((n) => n.op === "input")!;
  const name = node.attrs.name as string;
  return measureAgainstForecast(program, new Map([[name, loadInput(join(ROOT, input), name, node.type)]]), file, "ot");
}

describe("ot forecast = measured under pq's OT provider, on the examples", () => {
  const MNIST = [
    ["examples/mnist/lenet_w8a8.pq", "examples/mnist/digits/digit-7.png"],
    ["examples/mnist/lenet_w4a4.pq", "examples/mnist/digits/digit-1.png"],
    ["examples/mnist/mlp_w8a8.pq", "examples/mnist/digits/digit-7.png"],
    ["examples/mnist/mlp_w4a4.pq", "examples/mnist/digits/digit-3.png"],
  ] as const;

  it("LeNet and MLP (pipelines none and pq): every layer, party and primitive, to the byte and the round", async () => {
    let first = true;
    for (const pipeline of ["none", "pq"]) {
      for (const [file, input] of MNIST) {
        const c = await example(file, input, pipeline);
        // The process's first OT run holds the base OTs; later runs continue its session (their
        // set-up layer holds only the pools' refills: a run's pools start empty).
        const setup = c.report.layers.find((l) => l.layer === "setup");
        expect(setup?.ops.includes("base-ot") ?? false).toBe(first);
        expect(setup?.ops.includes("silent-ot")).toBe(true);
        first = false;
        console.log(exact(c, `${file} (${pipeline})`));
      }
    }
  }, 300_000);

  it.skipIf(!all)("ResNet-20 (pipeline pq, compiled for OT): every layer, party and primitive (slow: PQ_COST_ALL=1)", async () => {
    console.log(exact(await example("examples/cifar/resnet20.pq", "examples/cifar/input.json", "pq"), "examples/cifar/resnet20.pq (pq)"));
  }, 300_000);

  it.skipIf(process.env.PQ_COST_ALL !== "big")("ResNet-32 and MobileNetV2 (pipeline pq, compiled for OT): every layer, party and primitive (very slow: PQ_COST_ALL=big)", async () => {
    const files = (process.env.PQ_COST_FILES ?? "examples/cifar/resnet32.pq,examples/cifar/mobilenetv2.pq").split(",");
    for (const f of files) console.log(exact(await example(f, "examples/cifar/input.json", "pq"), `${f} (pq)`));
  }, 3_600_000);
});

describe("ot forecast on programs nobody wrote by hand", () => {
  it("equals the measurement on 60 random networks (pipelines none and pq)", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(networkArb.chain((net) => fc.tuple(fc.constant(net), inputArb(net))), fc.constantFrom("none", "pq"), async ([net, x], pipeline) => {
        const r = compileFile(materialize(net));
        if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
        const program = runPipeline(r.program, pipeline, { target: "ot" }).program;
        const inputs = new Map([["x", tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, x)]]);
        const c = await measureAgainstForecast(program, inputs, String(net.seed), "ot");
        expect(outside(c, 0), `${net.source}\n(pipeline ${pipeline})`).toEqual([]);
        runs++;
      }),
      { numRuns: 60 },
    );
    console.log(`random networks: ${runs} runs, forecast = measured in every figure`);
  }, 600_000);

  it("equals the measurement for every primitive at random widths and shapes", async () => {
    await fc.assert(
      fc.asyncProperty(
        primitivesCase,
        async (c) => {
          const { program, inputs } = primitivesRun(c);
          const cmp = await measureAgainstForecast(program, inputs, String(c.seed), "ot");
          expect(outside(cmp, 0)).toEqual([]);
        },
      ),
      { numRuns: 20 },
    );
  }, 600_000);
});
