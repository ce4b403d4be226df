// The `reweight` pass (EQO's bit re-weighting) and the `split`/`support` attributes it writes:
// the planes add up to the weights, the compiler refuses a support that misses a weight, the
// pass changes no value (plaintext outputs equal), lowers the OT forecast, and under OT the
// two-party run measures exactly that forecast and reproduces the plaintext outputs.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { outliers, reweight } from "../../compiler/passes/reweight.js";
import { rebuild, copyDeclared } from "../../compiler/passes/builder.js";
import { verifyGraph } from "../../compiler/verify.js";
import { onlineBytes } from "../../compiler/cost/model.js";
import { highPlaneBits } from "../../compiler/cost/ot-sizes.js";
import { splitPlanes } from "../../interpreter/protocols/linear.js";
import { constShare, getRing } from "../../interpreter/twopc/ring.js";
import { PqError, formatDiagnostic } from "../../grammar/diagnostics.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { measureAgainstForecast } from "../cost/harness.js";

const ROOT = join(import.meta.dirname, "..", "..");
const MODEL = join(ROOT, "examples/resnet/mnist_relu_w8a8.pq");

function inputs(p: Program, file: string) {
  const input = p.graph.nodes.find((n) => n.op === "input")!;
  const name = input.attrs.name as string;
  return new Map([[name, loadInput(join(ROOT, "examples/mnist/digits", file), name, input.type)]]);
}

function compile(pipeline: string): Program {
  const r = compileFile(MODEL);
  if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  return runPipeline(r.program, pipeline, { target: "ot", verify: true }).program;
}

describe("the planes of a re-weighted tensor", () => {
  it("w = w_lo + 2^l·w_hi, w_lo fits i_l, w_hi is zero outside the support and fits the high plane's width", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), fc.array(fc.integer(), { minLength: 1, maxLength: 40 }), (m, lr, raw) => {
      const l = lr % m;
      const w = raw.map((v) => BigInt.asIntN(m, BigInt(v)));
      const support = new Set(outliers(w, l));
      const { lo, hi } = splitPlanes(constShare(m + 2, [w.length], (i) => w[i]!), l);
      const hb = highPlaneBits(m, l);
      w.forEach((v, i) => {
        const a = getRing(lo, i);
        const b = getRing(hi, i);
        expect(a + (b << BigInt(l))).toBe(v);
        if (l > 0) expect(a >= -(1n << BigInt(l - 1)) && a < 1n << BigInt(l - 1)).toBe(true);
        else expect(a).toBe(0n);
        if (!support.has(i)) expect(b).toBe(0n);
        expect(b >= -(1n << BigInt(hb - 1)) && b < 1n << BigInt(hb - 1)).toBe(true);
      });
    }), { numRuns: 300 });
  });
});

describe("the reweight pass on ResNet-8 (MNIST, W8A8)", () => {
  const pq = compile("pq");
  const rw = compile("reweight");
  const layers = rw.graph.nodes.filter((n) => n.attrs.support !== undefined);

  it("re-weights layers and lowers the OT forecast; the dealer is left alone", () => {
    expect(layers.length).toBeGreaterThan(0);
    expect(onlineBytes(rw, "ot")).toBeLessThan(onlineBytes(pq, "ot"));
    const r = compileFile(MODEL);
    expect(reweight.run(r.program!, { target: "dealer" }).applied).toBe(false);
  });

  it("refuses a support that misses a weight outside i_split, and malformed attributes (PQ2029)", () => {
    const n = layers[0]!;
    const support = n.attrs.support as number[];
    const broken = (attrs: Record<string, unknown>) => () => verifyGraph(rebuild(rw, (m, map, b) => (m.id === n.id ? b.add(m.op, m.inputs.map(map), { ...m.attrs, ...attrs } as never, m.origin, copyDeclared(m)) : undefined)).graph);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof PqError ? e.diagnostics[0]!.code : String(e);
      }
      return "accepted";
    };
    expect(code(broken({}))).toBe("accepted");
    expect(code(broken({ support: support.slice(1) }))).toBe("PQ2029");
    expect(code(broken({ support: [...support].reverse() }))).toBe(support.length > 1 ? "PQ2029" : "accepted");
    expect(code(broken({ split: 64 }))).toBe("PQ2029");
    expect(code(broken({ split: 1 }))).toBe("PQ2029");
  });

  it("changes no value: the plaintext outputs equal the pq pipeline's", () => {
    for (const d of ["digit-7.png", "digit-3.png"]) {
      const a = runPlain(pq.graph, inputs(pq, d)).outputs;
      const b = runPlain(rw.graph, inputs(rw, d)).outputs;
      expect(a.map((t) => toBigints(t))).toEqual(b.map((t) => toBigints(t)));
    }
  });

  it("under he, the products HE does not take are re-weighted: the forecast falls, and the run measures it and reproduces the plaintext", async () => {
    const r = compileFile(MODEL);
    const he = runPipeline(r.program!, "reweight", { target: "he" }).program;
    const base = runPipeline(r.program!, "pq", { target: "he" }).program;
    expect(he.graph.nodes.some((n) => n.attrs.support !== undefined)).toBe(true);
    expect(onlineBytes(he, "he")).toBeLessThan(onlineBytes(base, "he"));
    const x = inputs(he, "digit-3.png");
    const c = await measureAgainstForecast(he, x, "cost", "he");
    expect(c.maxDeviation).toBe(0);
    expect(c.report.outputs.map((t) => t.data)).toEqual(runPlain(he.graph, x).outputs.map((t) => toBigints(t).map(String)));
  }, 240_000);

  it("under OT, the two-party run measures the forecast exactly and reproduces the plaintext", async () => {
    const x = inputs(rw, "digit-7.png");
    const c = await measureAgainstForecast(rw, x, "cost", "ot");
    expect(c.maxDeviation).toBe(0);
    const plain = runPlain(rw.graph, x).outputs;
    expect(c.report.outputs.map((t) => t.data)).toEqual(plain.map((t) => toBigints(t).map(String)));
  }, 120_000);
});
