// Mixed precision under a communication budget (examples/mnist/mixed.ts, `pq quantize --budget`):
// per layer, its bytes in pq's forecast depend only on the widths LAYER_DEPS names, and the
// session's silent-OT refills, which depend on the whole run's COTs, are charged by their
// separable bound; so the solver's forecast of a configuration (the sum of its table entries) is
// `pq cost` on the program written at those widths, or above it by less than the bound's slack; the written .pq carries the chosen
// widths as its types; the sensitivity code on a small untrained ResNet-8; and the command's
// mistakes are coded diagnostics without a stack trace. Training is not run here (pareto.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { FERRET_BOOT, FERRET_MAIN, ferretMsgBytes, POOL_PER_COT, reserveOf } from "../../compiler/cost/ot-sizes.js";
import { analyse, BUDGET, costTable, pricingArgs, WEIGHT_CLIP, forecastFile, loadReference, modelHash, solve, tableCost, totalBytes, writeModel, type CostTable, type Prepared } from "../../examples/mnist/mixed.js";
import { createResNet, foldBatchNorm, forward, SITES, WEIGHTED, type Mode, type Widths } from "../../examples/mnist/resnet.js";
import { divergence, referenceLogProbs, sensitivities, type Sensitivities } from "../../examples/mnist/sensitivity.js";
import { prng } from "../../examples/mnist/training.js";
import { weightFakeQuant } from "../../examples/mnist/tf-ops.js";
import { weightScale, weightsAt } from "../../import/quantize/weights.js";
import { pq } from "../cli/harness.js";

const ROOT = join(import.meta.dirname, "..", "..");
const REFERENCE = join(ROOT, "examples", "resnet", "mnist_relu_w8a8.pq");
const CANDIDATES = [4, 8];
/** What the table's pool bound may charge above the refills' bytes, per direction: a bootstrap-size and a main-size iteration, and the bootstrap's COTs at the main size's rate. */
const SLACK = ferretMsgBytes(FERRET_BOOT) + ferretMsgBytes(FERRET_MAIN) + 20 + POOL_PER_COT * (FERRET_BOOT.n - reserveOf(FERRET_MAIN));

/** The table's cost is the forecast's, or above it by less than the slack of both directions. */
function near(forecastBytes: number, table: number): void {
  expect(table).toBeGreaterThanOrEqual(forecastBytes);
  expect(table - forecastBytes).toBeLessThanOrEqual(2 * SLACK);
}

beforeAll(async () => {
  await tf.setBackend("wasm");
});

/** The reference with fixed power-of-two activation scales per width (what calibration would give, roughly). */
function prepared(): Prepared {
  const scales = new Map(CANDIDATES.map((a) => [a, SITES.map(() => ({ output: 2 ** (a === 8 ? -5 : -2) }))]));
  return { dataset: "mnist", model: loadReference(REFERENCE), scales, candidates: CANDIDATES, correlations: "ot" };
}

function randomWidths(random: () => number): Widths {
  const pick = () => CANDIDATES[Math.floor(random() * CANDIDATES.length)]!;
  return { weights: Object.fromEntries(WEIGHTED.map((n) => [n, pick()])), acts: SITES.map(pick) };
}

function randomSensitivities(random: () => number): Sensitivities {
  const perWidth = () => Object.fromEntries(CANDIDATES.map((b) => [b, (8 - b) * random()]));
  return { weights: Object.fromEntries(WEIGHTED.map((n) => [n, perWidth()])), acts: SITES.map(perWidth) };
}

describe("mixed precision: the cost model against pq cost", () => {
  const dir = mkdtempSync(join(tmpdir(), "pq-mixed-test-"));
  let p: Prepared;
  let table: CostTable;

  beforeAll(async () => {
    p = prepared();
    // Building the table checks the dependency model: a layer priced differently at the same widths of its variables throws.
    table = await costTable(p);
  }, 120_000);

  it("the solver's forecast of random configurations is pq cost on the programs written at them, up to the pool bound's slack", async () => {
    const random = prng(7);
    for (let i = 0; i < 3; i++) {
      const w = randomWidths(random);
      const file = join(dir, `random${i}.pq`);
      await writeModel(p, p.model, w, file, "test");
      near(totalBytes(forecastFile(file, "ot").totals), tableCost(table, w));
    }
  }, 60_000);

  it("the solver's choice within a budget is written with its widths as the types, and pq cost of it is within the budget", async () => {
    const random = prng(11);
    const all4 = tableCost(table, { weights: Object.fromEntries(WEIGHTED.map((n) => [n, 4])), acts: SITES.map(() => 4) });
    const all8 = tableCost(table, { weights: Object.fromEntries(WEIGHTED.map((n) => [n, 8])), acts: SITES.map(() => 8) });
    const budget = (all4 + all8) / 2;
    const choice = solve(table, randomSensitivities(random), CANDIDATES, budget)!;
    expect(choice.cost).toBeLessThanOrEqual(budget);
    const file = join(dir, "chosen.pq");
    await writeModel(p, p.model, choice.widths, file, "mixed precision, test");
    near(totalBytes(forecastFile(file, "ot").totals), choice.cost);
    const r = compileFile(file, { protocols: false });
    expect(r.diagnostics).toEqual([]);
    const g = r.program!.graph;
    const weightBits = g.nodes.filter((n) => n.op === "conv2d" || n.op === "linear").map((n) => [g.nodes[n.inputs[1]!]!.attrs.name, g.nodes[n.inputs[1]!]!.type.bits]);
    expect(Object.fromEntries(weightBits)).toEqual(Object.fromEntries(WEIGHTED.map((n) => [`${n}_w`, choice.widths.weights[n]])));
    expect(g.nodes.filter((n) => n.op === "requant").map((n) => n.type.bits)).toEqual(choice.widths.acts);
    expect(solve(table, randomSensitivities(random), CANDIDATES, all4 - 1)).toBeUndefined();
  }, 60_000);

  it("the analysis cache: a cost table of another cost model (its key without the model's forecast, or another one) is priced again, the sensitivities kept", async () => {
    const cache = join(dir, "cached.analysis.json");
    const sensitivities = randomSensitivities(prng(3)) as unknown as Sensitivities;
    const stale = { key: { model: modelHash(REFERENCE), dataset: "mnist", correlations: "ot", pipeline: pricingArgs(BUDGET), candidates: CANDIDATES, weightClip: WEIGHT_CLIP }, sensitivities, costs: { ...table, setup: { "": 1 } } };
    writeFileSync(cache, JSON.stringify(stale));
    const logs: string[] = [];
    const noData = undefined as never; // the sensitivities are not measured again
    const a = await analyse(REFERENCE, p, noData, cache, (s) => logs.push(s));
    expect(a.sensitivities).toEqual(sensitivities);
    expect(a.costs).toEqual(table);
    expect(a.key.forecast).toBe(totalBytes(forecastFile(REFERENCE, "ot").totals));
    expect(logs.join("\n")).toContain("priced again");
    // Now current: read back as it is.
    const b = await analyse(REFERENCE, p, noData, cache, (s) => logs.push(s));
    expect(b.costs).toEqual(table);
    expect(logs[logs.length - 1]).toContain("sensitivities and cost table from");
  }, 120_000);
});

describe("mixed precision: weight scales of least squared error", () => {
  it("the fine-tuning's fake quantization (weightFakeQuant, mse) takes the export's scale and codes, whatever the layout", () => {
    const random = prng(13);
    for (const [bits, pow2] of [[2, false], [3, true], [4, false], [8, true]] as const) {
      const values = Float32Array.from({ length: 3 * 3 * 4 * 5 }, () => (random() - 0.5) * (random() < 0.02 ? 4 : 0.5));
      const w = tf.tensor4d(values, [3, 3, 4, 5]);
      const fake = weightFakeQuant(bits, pow2, "mse")(w).dataSync();
      // The export reads the same weights in pq's layout [out, in, kh, kw].
      const pqLayout = tf.transpose(w, [3, 2, 0, 1]).dataSync();
      const s = weightScale(pqLayout, bits, pow2, "mse");
      expect(weightScale(values, bits, pow2, "mse")).toBe(s);
      const codes = weightsAt(values, bits, s);
      expect(Array.from(fake, (v) => Math.round(v / s) | 0)).toEqual(Array.from(codes));
      if (bits <= 4) expect(s).toBeLessThan(weightScale(values, bits, pow2, "max")); // clipped: the outliers are rare
      w.dispose();
    }
  });
});

describe("mixed precision: sensitivity", () => {
  it("on a small untrained ResNet-8: the divergence of one layer at a width, zero for the float model, near zero at 16 bits, repeatable", async () => {
    const model = foldBatchNorm(createResNet(3), "relu");
    const random = prng(5);
    const x = tf.tensor4d(Float32Array.from({ length: 8 * 784 }, () => random()), [8, 28, 28, 1]);
    const data = { x, labels: new Int32Array(8) };
    const mode: Mode = { act: "relu", alpha: 1, training: false };
    const scales = (b: number) => SITES.map(() => ({ output: b === 16 ? 2 ** -10 : 2 ** -1 }));
    const identity = (t: tf.Tensor) => t;
    const none = { weights: new Map(WEIGHTED.map((n) => [n, identity])), inputs: SITES.map(() => identity), outputs: SITES.map(() => identity) };
    expect(Math.abs(await divergence(model, mode, data, referenceLogProbs(model, mode, data), none))).toBeLessThan(1e-6);
    const s = await sensitivities(model, mode, data, [2, 16], scales);
    for (const n of WEIGHTED) expect(s.weights[n]![16]!).toBeLessThan(1e-4);
    for (const a of s.acts) expect(a[16]!).toBeLessThan(1e-4);
    const all = [...WEIGHTED.flatMap((n) => [s.weights[n]![2]!, s.weights[n]![16]!]), ...s.acts.flatMap((a) => [a[2]!, a[16]!])];
    expect(all.every((v) => Number.isFinite(v) && v > -1e-6)).toBe(true);
    expect(Math.max(...WEIGHTED.map((n) => s.weights[n]![2]!))).toBeGreaterThan(1e-3);
    expect(await sensitivities(model, mode, data, [2, 16], scales)).toEqual(s);
  }, 120_000);
});

describe("pq quantize --budget: mistakes are coded diagnostics", () => {
  const expectUsage = (r: { code: number; err: string }, text: string) => {
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error PQ9001: /);
    expect(r.err).toContain(text);
  };

  it("a budget that is not a number of bytes, an ONNX model, ONNX options, an unknown dataset or correlations: PQ9001", async () => {
    expectUsage(await pq("quantize", REFERENCE, "--budget", "lots"), "--budget must be a number of bytes");
    expectUsage(await pq("quantize", "examples/onnx/mlp_float.onnx", "--budget", "20MB"), "--budget takes a trained .pq model");
    expectUsage(await pq("quantize", REFERENCE, "--budget", "20MB", "--calibrate", "examples/mnist/digits"), "--calibrate is for an ONNX model");
    expectUsage(await pq("quantize", REFERENCE, "--budget", "20MB", "--dataset", "cifar"), "--dataset must be one of mnist, fashion");
    expectUsage(await pq("quantize", REFERENCE, "--budget", "20MB", "--correlations", "ot-iknp"), "--correlations must be one of ot, he, dealer");
    expectUsage(await pq("quantize", REFERENCE), "--calibrate DIR is required for an ONNX model");
  });

  it("a model that is not a ResNet-8 with ReLU: PQ6011 with its reason, exit 1, no stack trace", async () => {
    for (const [file, why] of [
      ["examples/mnist/lenet_w8a8.pq", "its activations are not 7 ReLUs"],
      ["examples/resnet/mnist_sqplus_w8a8.pq", "its activations are not 7 ReLUs"],
    ] as const) {
      const r = await pq("quantize", file, "--budget", "20MB");
      expect(r.code).toBe(1);
      expect(r.err).toContain("error PQ6011:");
      expect(r.err).toContain(why);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  }, 60_000);

  it("a model file that does not exist: its diagnostic, exit 1", async () => {
    const r = await pq("quantize", "no-such-model.pq", "--budget", "20MB");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error PQ\d{4}:/);
    expect(r.err).not.toMatch(/\n\s+at /);
  }, 60_000);
});
