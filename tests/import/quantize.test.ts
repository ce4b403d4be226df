// Post-training quantization of a float ONNX model (`pq quantize`, `pq import --calibrate`):
// one path, per-channel weights within their width and half a step, calibration from PNGs or
// JSON tensors alike.
import fc from "fast-check";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importOnnx } from "../../import/index.js";
import { quantizeWeights, symmetricScale, weightScale, weightsAt } from "../../import/quantize/weights.js";
import { pq } from "../cli/harness.js";
import { digitImages, DIGITS } from "./reference.js";

const dir = mkdtempSync(join(tmpdir(), "pq-quantize-"));
const LENET = "examples/onnx/lenet_float.onnx";

describe("weights", () => {
  it("per-channel symmetric quantization: |q| ≤ 2^(b−1) − 1 and |w − q·s_o| ≤ s_o / 2 for every weight", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 12 }), (bits, o, row) => {
        const w = Array.from({ length: o }, (_, k) => row.map((v) => v * (k + 1))).flat();
        const { data, scales } = quantizeWeights(w, o, bits, true);
        expect(scales).toHaveLength(o);
        w.forEach((v, i) => {
          const s = scales[Math.floor(i / row.length)]!;
          expect(Math.abs(data[i]!)).toBeLessThanOrEqual(2 ** (bits - 1) - 1);
          expect(Math.abs(v - data[i]! * s)).toBeLessThanOrEqual(s / 2 + 1e-9 * Math.abs(v));
        });
      }),
    );
  });
});

describe("weight scales: max and least squared error", () => {
  const sse = (w: number[], bits: number, s: number) => {
    const q = weightsAt(w, bits, s);
    return w.reduce((e, v, i) => e + (v - q[i]! * s) ** 2, 0);
  };
  const tensor = fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 40 });

  it("max: the top code at max|w| (rounded up to a power of two with pow2); mse: never a larger squared error, a power of two at or below max's with pow2", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.boolean(), tensor, (bits, pow2, w) => {
        const max = Math.max(...w.map(Math.abs));
        const top = symmetricScale(max, bits);
        const first = pow2 ? 2 ** Math.ceil(Math.log2(top)) : top;
        expect(weightScale(w, bits, pow2, "max")).toBe(first);
        const s = weightScale(w, bits, pow2, "mse");
        expect(s).toBeLessThanOrEqual(first);
        expect(sse(w, bits, s)).toBeLessThanOrEqual(sse(w, bits, first) * (1 + 1e-12) + 1e-30); // up to the order of the sums
        if (pow2 && max > 0) expect(Number.isInteger(Math.log2(s))).toBe(true);
        for (const q of weightsAt(w, bits, s)) expect(Math.abs(q)).toBeLessThanOrEqual(2 ** (bits - 1) - 1);
      }),
    );
  });

  it("mse's choice is the least squared error among its candidates, summed weight by weight (the prefix sums only make it fast)", () => {
    const direct = (w: number[], bits: number, s: number) => {
      const qmax = 2 ** (bits - 1) - 1;
      return w.reduce((e, v) => e + (Math.abs(v) - s * Math.min(qmax, Math.round(Math.abs(v) / s))) ** 2, 0);
    };
    const spread = fc.array(fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 1, maxLength: 300 })
      .map((pairs) => pairs.map(([u, v]) => u * Math.abs(v) ** 3)); // heavy-tailed, as weights are
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.boolean(), spread, (bits, pow2, w) => {
        if (Math.max(...w.map(Math.abs)) < 1e-9) return; // all (nearly) zero: no candidate to compare
        const top = symmetricScale(Math.max(...w.map(Math.abs)), bits);
        const first = pow2 ? 2 ** Math.ceil(Math.log2(top)) : top;
        const candidates = pow2 ? Array.from({ length: 8 }, (_, k) => first / 2 ** k) : Array.from({ length: 100 }, (_, k) => top * (1 - k / 100));
        const least = Math.min(...candidates.map((c) => direct(w, bits, c)));
        const s = weightScale(w, bits, pow2, "mse");
        expect(candidates).toContain(s);
        expect(direct(w, bits, s)).toBeLessThanOrEqual(least * (1 + 1e-9) + 1e-300);
      }),
      { numRuns: 300 },
    );
  });

  it("at 2 bits, Gaussian-like weights with one outlier: max makes almost every weight 0, mse clips the outlier and keeps them", () => {
    let x = 1;
    const w = Array.from({ length: 4000 }, () => {
      x = (x * 16807) % 2147483647;
      return (x / 2147483647 - 0.5) * 0.2;
    });
    w.push(1);
    const zeros = (s: number) => weightsAt(w, 2, s).filter((q) => q === 0).length;
    expect(zeros(weightScale(w, 2, false, "max"))).toBe(4000);
    const s = weightScale(w, 2, false, "mse");
    expect(zeros(s)).toBeLessThan(3000);
    expect(sse(w, 2, s)).toBeLessThan(0.5 * sse(w, 2, weightScale(w, 2, false, "max")));
  });
});

describe("pq quantize", () => {
  it("writes what pq import --calibrate writes", async () => {
    const a = await pq("quantize", LENET, "--calibrate", DIGITS, "--weights", "4", "--activations", "4", "-o", join(dir, "a", "lenet.pq"));
    const b = await pq("import", LENET, "--calibrate", DIGITS, "--weights", "4", "--activations", "4", "-o", join(dir, "b", "lenet.pq"));
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.out).toContain("(float, quantized with calibration): wrote");
    for (const f of ["lenet.pq", "lenet.params.json"]) expect(readFileSync(join(dir, "a", f), "utf8")).toBe(readFileSync(join(dir, "b", f), "utf8"));
  });

  it("W4A4: i4 weights, u4 activations, per-channel multipliers on the hidden layers only", () => {
    const r = importOnnx(LENET, { calibrate: DIGITS, weights: 4, activations: 4 });
    const weights = [...r.plan.params].filter(([n]) => n.endsWith("_w"));
    expect(weights.map(([, p]) => p.elem.bits).every((b) => b <= 4)).toBe(true);
    for (const [, p] of weights) expect(p.tensor.data.every((v) => Math.abs(v) <= 7)).toBe(true);
    const requants = r.plan.steps.filter((s) => s.op === "requant");
    expect(requants.map((s) => (s.op === "requant" ? `${s.to.signed ? "i" : "u"}${s.to.bits}` : ""))).toEqual(["u4", "u4", "u4", "u4"]);
    // Four hidden layers (conv1, conv2, fc1, fc2) get per-channel multipliers; fc3 is the output accumulator.
    expect(r.plan.steps.filter((s) => s.op === "mulc").map((s) => s.out)).toEqual(["conv1_relu_q_m", "conv2_relu_q_m", "fc1_relu_q_m", "fc2_relu_q_m"]);
    expect(r.source).toMatch(/output fc3 to client/);
  });

  it("calibrating on the digits as JSON tensors (pixels / 255) gives the program PNG calibration gives", () => {
    const json = join(dir, "json-digits");
    mkdirSync(json, { recursive: true });
    digitImages().forEach((px, i) => writeFileSync(join(json, `d${i}.json`), JSON.stringify({ shape: [1, 28, 28], data: Array.from(px, (v) => v / 255) })));
    expect(readdirSync(json)).toHaveLength(10);
    const fromPng = importOnnx(LENET, { calibrate: DIGITS });
    const fromJson = importOnnx(LENET, { calibrate: json });
    expect(fromJson.plan.input.scale).toBe(1 / 255);
    expect(fromJson.params).toBe(fromPng.params);
  });

  it("--percentile calibrates narrower ranges than the largest magnitude", () => {
    const max = importOnnx(LENET, { calibrate: DIGITS });
    const p = importOnnx(LENET, { calibrate: DIGITS, percentile: 99 });
    const scales = (r: typeof max) => [...r.plan.scales.values()];
    expect(scales(p)).toHaveLength(scales(max).length);
    scales(p).forEach((s, i) => expect(s).toBeLessThan(scales(max)[i]!));
  });
});
