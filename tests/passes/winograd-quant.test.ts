// The approximate `winograd-quant` pass: its stated per-layer bound holds on random layers
// (with and without a folded batch norm), the bound is not vacuous, the rewritten programs
// verify, and two-party runs of them equal their plaintext runs bit for bit (the
// approximation is in the filters only). Golden: tests/passes/golden/winograd-quant/.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyGraph } from "../../compiler/verify.js";
import { quantizeRow, winogradQuantize, type QuantLog, type WinogradQuantOptions } from "../../compiler/passes/winograd-quant.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { orientation } from "../../compiler/passes/orientation.js";
import { onlineBytes } from "../../compiler/cost/model.js";
import type { Program } from "../../compiler/ir.js";
import { F2 } from "../../compiler/passes/winograd-matrices.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { loadInput } from "../../interpreter/inputs.js";
import { inputArb, materialize, networkArb } from "../gen/networks.js";
import { measureAgainstForecast, outside } from "../cost/harness.js";
import { compile, compile0, goldenCases, inputsFor, outputs, sweep, withInputs, type LayerCase } from "./winograd.harness.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(HERE, "golden", "winograd-quant");

const inputOf = (c: LayerCase, xs: bigint[]) => new Map([["x", tensorFromBigints([c.C, c.H, c.W], c.xBits, c.xSigned, xs)]]);

function maxError(a: bigint[], b: bigint[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]! - b[i]!)));
  return m;
}

describe("quantizeRow: the first k ≥ 0 of least squared error", () => {
  // The definition: every k from 0 until a scale rounds everything to 0 or ±1 coarsely (the
  // pass's stop), the first minimum kept. quantizeRow skips the scales too fine for the row.
  function reference(r: Float64Array, bits: number): { q: Int32Array; k: number } {
    const qmin = -(2 ** (bits - 1));
    const qmax = 2 ** (bits - 1) - 1;
    const maxAbs = r.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let best = { q: new Int32Array(r.length), k: 0 };
    let bestErr = Infinity;
    for (let k = 0; k <= 52; k++) {
      const s = 2 ** k;
      const q = Int32Array.from(r, (v) => Math.min(qmax, Math.max(qmin, Math.round(v / s))));
      const err = q.reduce((e, v, i) => e + (v * s - r[i]!) ** 2, 0);
      if (err < bestErr) [best, bestErr] = [{ q, k }, err];
      if (s * qmin < -2 * maxAbs && s * qmax > 2 * maxAbs) break;
    }
    return best;
  }
  it("equals the search over every k, for rows of any magnitude, outliers and widths", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 40 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (bits, C, mag, outlier, seed) => {
          let s = seed;
          const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
          const r = Float64Array.from({ length: C }, () => (next() - 0.5) * 2 ** mag * (next() < 0.3 ? 1 / 3 : 1));
          if (outlier) r[Math.floor(next() * C)]! *= 2 ** 10;
          const got = quantizeRow(r, bits);
          const want = reference(r, bits);
          expect(got.k).toBe(want.k);
          expect(Array.from(got.q)).toEqual(Array.from(want.q));
        },
      ),
      { numRuns: 500 },
    );
  });
});

for (const fold of [false, true]) {
  describe(`winograd-quant bound on random 3×3 layers (fold: ${fold})`, () => {
    const opts: WinogradQuantOptions = { force: true, fold };
    it("|after − before| ≤ the layer's stated bound, and the rewrite verifies", () => {
      fc.assert(
        fc.property(withInputs, ({ c, xs }) => {
          const before = compile0(c);
          const { result, layers } = winogradQuantize(before, opts);
          expect(result.applied, result.note).toBe(true);
          expect(result.note).toContain("APPROXIMATE");
          verifyGraph(result.program.graph);
          const [layer] = layers;
          expect(layers).toHaveLength(1);
          expect(layer!.folded !== undefined).toBe(c.bn && fold);
          const ins = inputOf(c, xs);
          const err = maxError(outputs(result.program, ins)[0]!, outputs(before, ins)[0]!);
          // The bound is the conv's; a batch norm left after it scales the error by |m|; the
          // requantization by 2^6 divides it, and its rounding adds at most 1.
          const m = c.bn && !layer!.folded ? Math.max(...Array.from(before.graph.params.get("m")!.data, (v) => Math.abs(Number(v)))) : 1;
          expect(err).toBeLessThanOrEqual(c.rq ? (layer!.bound! * m) / 64 + 1 : layer!.bound! * m);
          if (!c.rq) expect(layer!.coarsen ?? 0).toBe(0);
        }),
        { numRuns: 80 },
      );
    });
  });
}

describe("winograd-quant bound is not vacuous", () => {
  it("random 2-bit filters lose information, and the bound covers it", () => {
    const c: LayerCase = { C: 4, O: 4, H: 6, W: 6, pad: 1, wBits: 2, xBits: 6, xSigned: false, bias: true, shared: false, bn: false, rq: false, seed: 7 };
    const p = compile0(c);
    const { result, layers } = winogradQuantize(p, { force: true });
    const ins = inputsFor(p, sweep);
    const err = maxError(outputs(result.program, ins)[0]!, outputs(p, ins)[0]!);
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThanOrEqual(layers[0]!.bound!);
  });
});

describe("winograd-quant delivers a result coarser where its requantization can shift less", () => {
  it("8-bit filters into a requant by 2^6: some bits coarser, the error within bound/2^6 + 1, two-party = plaintext", async () => {
    const c: LayerCase = { C: 4, O: 4, H: 6, W: 6, pad: 1, wBits: 8, xBits: 6, xSigned: false, bias: true, shared: true, bn: true, rq: true, seed: 3 };
    const p = compile0(c);
    const { result, layers } = winogradQuantize(p, { force: true });
    expect(layers[0]!.coarsen).toBeGreaterThan(0);
    const rq = result.program.graph.nodes.find((n) => n.op === "requant" && n.origin.path.endsWith("/y"))!;
    expect(rq.attrs.shift).toBe(6 - layers[0]!.coarsen!);
    const ins = inputsFor(p, sweep);
    const err = maxError(outputs(result.program, ins)[0]!, outputs(p, ins)[0]!);
    expect(err).toBeLessThanOrEqual(layers[0]!.bound! / 64 + 1);
    const two = await runTwoParty(result.program.graph, result.program.ranges, ins);
    expect(two.outputs.map(toBigints)).toEqual(outputs(result.program, ins));
  });
});

describe("winoconv's plaintext kernel against a BigInt reference", () => {
  // The reference evaluates the definition (compiler/winoconv.ts) tile by tile over the
  // integers, with no ring and no shared code: V = Bᵀ d B, Σ_i u·V, ·2^k, Aᵀ M A, + offset.
  const reference = (c: LayerCase, xs: bigint[], u: bigint[], k: number[][], off: bigint[] | undefined, t: typeof F2): bigint[] => {
    const a = t.alpha;
    const Ho = c.H + 2 * c.pad - 2;
    const Wo = c.W + 2 * c.pad - 2;
    const d = (i: number, y: number, x: number) => (y < 0 || x < 0 || y >= c.H || x >= c.W ? 0n : xs[(i * c.H + y) * c.W + x]!);
    const out: bigint[] = [];
    for (let o = 0; o < c.O; o++) {
      for (let y = 0; y < Ho; y++) {
        for (let x = 0; x < Wo; x++) {
          const ty = Math.floor(y / t.m);
          const tx = Math.floor(x / t.m);
          let s = off ? off[o]! : 0n;
          for (let pa = 0; pa < a; pa++) for (let pc = 0; pc < a; pc++) {
            let m = 0n;
            for (let i = 0; i < c.C; i++) {
              let v = 0n;
              for (let p = 0; p < a; p++) for (let q = 0; q < a; q++) v += BigInt(t.BT[pa]![p]! * t.BT[pc]![q]!) * d(i, ty * t.m + p - c.pad, tx * t.m + q - c.pad);
              m += u[((pa * a + pc) * c.O + o) * c.C + i]! * v;
            }
            s += BigInt(t.AT[y % t.m]![pa]! * t.AT[x % t.m]![pc]!) * (m << BigInt(k[pa * a + pc]![o]!));
          }
          out.push(s);
        }
      }
    }
    return out;
  };
  it("equal on random layers, filters and factors (F(2×2,3×3))", () => {
    fc.assert(
      fc.property(withInputs, ({ c: c0, xs }) => {
        // x itself as the conv's input (no 1×1 layer before it), no batch norm after it
        const c = { ...c0, bn: false, shared: false, rq: false };
        const before = compile0(c);
        const { result } = winogradQuantize(before, { force: true });
        const node = result.program.graph.nodes.find((n) => n.op === "winoconv")!;
        const g = result.program.graph;
        const data = (id: number) => Array.from(g.params.get(g.nodes[id]!.attrs.name as string)!.data, (v) => BigInt(v));
        const k = node.attrs.k as number[][];
        const off = node.inputs[2] !== undefined ? data(node.inputs[2]) : undefined;
        const ins = inputOf(c, xs);
        expect(outputs(result.program, ins)[0]).toEqual(reference(c, xs, data(node.inputs[1]!), k, off, F2));
      }),
      { numRuns: 60 },
    );
  });
});

describe("winograd-quant: two-party == plaintext after the rewrite", () => {
  it("random layers (dealer backend)", async () => {
    await fc.assert(
      fc.asyncProperty(withInputs, fc.boolean(), async ({ c, xs }, fold) => {
        const after = winogradQuantize(compile0(c), { force: true, fold }).result.program;
        const ins = inputOf(c, xs);
        const two = await runTwoParty(after.graph, after.ranges, ins);
        expect(two.outputs.map(toBigints)).toEqual(outputs(after, ins));
      }),
      { numRuns: 20 },
    );
  });

  it("random generated networks: the rewrite verifies, and two-party == plaintext", async () => {
    await fc.assert(
      fc.asyncProperty(networkArb.chain((net) => inputArb(net).map((xs) => ({ net, xs }))), async ({ net, xs }) => {
        const before = compile(materialize(net));
        const { result } = winogradQuantize(before, { force: true });
        verifyGraph(result.program.graph);
        if (!result.applied) return;
        const name = before.graph.nodes.find((n) => n.op === "input")!.attrs.name as string;
        const named = new Map([[name, tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, xs)]]);
        const two = await runTwoParty(result.program.graph, result.program.ranges, named);
        expect(two.outputs.map(toBigints)).toEqual(outputs(result.program, named));
      }),
      // about one generated network in ten has a 3×3 stride-1 ungrouped conv
      { numRuns: 100 },
    );
  });
});

describe("winoconv: the dealer forecast is the measured traffic", () => {
  it("within 5% per layer, party, primitive, online and offline (random forced layers)", async () => {
    await fc.assert(
      fc.asyncProperty(withInputs, async ({ c, xs }) => {
        const after = winogradQuantize(compile0(c), { force: true }).result.program;
        const m = await measureAgainstForecast(after, inputOf(c, xs), `winoconv ${c.seed}`);
        expect(outside(m, 0.05)).toEqual([]);
      }),
      { numRuns: 12 },
    );
  });
});

describe("winograd-quant goldens", () => {
  let layers: QuantLog[] = [];
  const run = (p: Program, opts: WinogradQuantOptions) => {
    const q = winogradQuantize(p, opts);
    layers = q.layers;
    return q.result;
  };
  goldenCases<WinogradQuantOptions>(GOLDEN, run, (before, after) => {
    const ins = inputsFor(before, sweep);
    const err = maxError(outputs(after, ins).flat(), outputs(before, ins).flat());
    expect(err).toBeLessThanOrEqual(Math.max(0, ...layers.map((l) => l.bound ?? 0)));
  });
});

describe("winograd-quant: mixed precision under a budget", () => {
  it("spends extra bytes on wider filters where the bound drops most, within the budget; the bound holds; two-party = plaintext", async () => {
    const p = compile(join(GOLDEN, "by-cost.pq"));
    const base = winogradQuantize(p, {});
    const none = winogradQuantize(p, { budget: 0, target: "ot-iknp" });
    expect(none.result.note).toContain("no filter bit fits");
    expect(none.layers[0]!.bits).toBeUndefined();
    const budget = 2 ** 20;
    const wide = winogradQuantize(p, { budget, target: "ot-iknp" });
    expect(wide.result.note).toMatch(/mixed precision with 1\.00 MiB to spend: 1 of 1 layers widened/);
    const [before, after] = [base.layers[0]!, wide.layers[0]!];
    expect(after.bits).toBeGreaterThan(2);
    expect(after.bound!).toBeLessThan(before.bound!);
    // the forecast (priced with orientation's receivers, as the guard prices) grows by at most the budget
    const price = (q: Program) => onlineBytes(orientation.run(q, { target: "ot-iknp" }).program, "ot-iknp");
    expect(price(wide.result.program) - price(base.result.program)).toBeLessThanOrEqual(budget);
    expect(price(wide.result.program)).toBeGreaterThan(price(base.result.program));
    const ins = inputsFor(p, sweep);
    const err = maxError(outputs(wide.result.program, ins)[0]!, outputs(p, ins)[0]!);
    expect(err).toBeLessThanOrEqual(after.bound! / 2 ** 12 + 1); // through the requant to u6 at 2^-4 from 2^-16
    const two = await runTwoParty(wide.result.program.graph, wide.result.program.ranges, ins);
    expect(two.outputs.map(toBigints)).toEqual(outputs(wide.result.program, ins));
  });
});

describe("pipeline eqo on random generated networks (ot-iknp target)", () => {
  it("every pass's result verifies, and two-party == plaintext", async () => {
    await fc.assert(
      fc.asyncProperty(networkArb.chain((net) => inputArb(net).map((xs) => ({ net, xs }))), async ({ net, xs }) => {
        const before = compile(materialize(net));
        const { program } = runPipeline(before, "eqo", { target: "ot-iknp", verify: true });
        const name = before.graph.nodes.find((n) => n.op === "input")!.attrs.name as string;
        const named = new Map([[name, tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, xs)]]);
        const two = await runTwoParty(program.graph, program.ranges, named);
        expect(two.outputs.map(toBigints)).toEqual(outputs(program, named));
      }),
      { numRuns: 60 },
    );
  }, 300_000);
});

describe("pipeline eqo on ResNet-20 (every 3×3 convolution a coarsened winoconv with a folded batch norm)", () => {
  it("two-party == plaintext on the bundled input, for the logits as well as the class", async () => {
    const p = compile(join(HERE, "..", "..", "examples", "cifar", "resnet20.pq"));
    const { program } = runPipeline(p, "eqo", { target: "ot-iknp" });
    const g = program.graph;
    expect(g.nodes.filter((n) => n.op === "winoconv").length).toBe(17);
    // the logits revealed too (the last linear layer), so a wrong share anywhere shows
    const logits = [...g.nodes].reverse().find((n) => n.op === "linear")!;
    const graph = { ...g, outputs: [...g.outputs, { node: logits.id, to: "client" as const }] };
    const x = p.graph.nodes.find((n) => n.op === "input")!;
    const ins = new Map([[x.attrs.name as string, loadInput(join(HERE, "..", "..", "examples", "cifar", "input.json"), x.attrs.name as string, x.type)]]);
    const two = await runTwoParty(graph, program.ranges, ins);
    const plain = runPlain(graph, ins).outputs.map(toBigints);
    expect(two.outputs.map(toBigints)).toEqual(plain);
  }, 120_000);
});

describe("pipeline eqo", () => {
  it("is pq with the quantized Winograd rewrite, which says it is approximate", () => {
    const p = compile(join(GOLDEN, "by-cost.pq"));
    const { log } = runPipeline(p, "eqo", { target: "ot-iknp", verify: true });
    expect(log.map((l) => l.pass)).toEqual(["winograd-quant", "fuse-batchnorm", "orientation", "fuse-requant-relu", "placement", "elimination", "headroom", "orientation"]);
    expect(log[0]!.note).toContain("APPROXIMATE");
  });
});
