// The Winograd pass: the matrices' identities, golden before/after programs, and exactness
// on random 3×3 stride-1 layers — plaintext before == after, two-party after == plaintext,
// the verifier accepting every rewritten graph.
// Goldens: tests/passes/golden/winograd/NAME.pq → NAME.expected.pq (the pass's note as
// comments, then printGraph of the result). Regenerate with PQ_UPDATE_GOLDEN=1.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyGraph } from "../../compiler/verify.js";
import { winogradPass, type WinogradOptions } from "../../compiler/passes/winograd.js";
import { headroomEverywhere } from "./test-passes.js";
import { F2, F4, filterAt, outputFactor, scaledAT, winograd1d } from "../../compiler/passes/winograd-matrices.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { inputArb, materialize, networkArb } from "../gen/networks.js";
import { compile, compile0, goldenCases, inputsFor, outputs, sweep, withInputs } from "./winograd.harness.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(HERE, "golden", "winograd");

describe("Winograd matrices (Lavin & Gray §4)", () => {
  const correlate = (d: bigint[], g: bigint[], m: number) => Array.from({ length: m }, (_, i) => d[i]! * g[0]! + d[i + 1]! * g[1]! + d[i + 2]! * g[2]!);
  for (const t of [F2, F4]) {
    it(`F(${t.m},3): K1·y = Aᵀ diag(K1/D) [(Gn g) ⊙ (Bᵀ d)] on integers`, () => {
      fc.assert(
        fc.property(fc.array(fc.bigInt({ min: -1000n, max: 1000n }), { minLength: t.alpha, maxLength: t.alpha }), fc.array(fc.bigInt({ min: -1000n, max: 1000n }), { minLength: 3, maxLength: 3 }), (d, g) => {
          expect(winograd1d(t, d, g)).toEqual(correlate(d, g, t.m).map((v) => v * BigInt(t.K1)));
        }),
      );
    });
    it(`F(${t.m}×${t.m},3×3): K1²·Y = Aᵀ [U'' ⊙ V] A with U'' = (K1/D_a)(K1/D_b)·Gn g Gnᵀ`, () => {
      fc.assert(
        fc.property(fc.array(fc.bigInt({ min: -300n, max: 300n }), { minLength: t.alpha * t.alpha, maxLength: t.alpha * t.alpha }), fc.array(fc.bigInt({ min: -300n, max: 300n }), { minLength: 9, maxLength: 9 }), (d, g) => {
          const a = t.alpha;
          const V = (i: number, j: number) => {
            let s = 0n;
            for (let u = 0; u < a; u++) for (let v = 0; v < a; v++) s += BigInt(t.BT[i]![u]! * t.BT[j]![v]!) * d[u * a + v]!;
            return s;
          };
          const f = (i: number) => t.K1 / t.D[i]!;
          for (let y = 0; y < t.m; y++) {
            for (let x = 0; x < t.m; x++) {
              let s = 0n;
              for (let i = 0; i < a; i++) for (let j = 0; j < a; j++) {
                const u = BigInt(f(i) * f(j)) * filterAt(t, i, j, (p, q) => g[p * 3 + q]!);
                s += BigInt(t.AT[y]![i]! * t.AT[x]![j]!) * u * V(i, j);
              }
              let direct = 0n;
              for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) direct += d[(y + p) * a + x + q]! * g[p * 3 + q]!;
              expect(s).toBe(direct * BigInt(outputFactor(t)));
            }
          }
        }),
        { numRuns: 30 },
      );
    });
  }
  it("the scaled output transforms are integer", () => {
    for (const t of [F2, F4]) for (const row of scaledAT(t)) for (const v of row) expect(Number.isInteger(v)).toBe(true);
    expect(outputFactor(F2)).toBe(4);
    expect(outputFactor(F4)).toBe(576);
  });
});

describe("winograd goldens", () => {
  goldenCases<WinogradOptions>(GOLDEN, (p, opts) => winogradPass(opts).run(p), (before, after) => {
    const ins = inputsFor(before, sweep);
    expect(outputs(after, ins)).toEqual(outputs(before, ins));
  });
});

for (const [tile, force] of [["F(2×2,3×3)", true], ["F(4×4,3×3)", "F4"]] as const)
describe(`winograd ${tile} exactness on random 3×3 stride-1 layers`, () => {
  const forced = winogradPass({ force });

  it("plaintext before == after, and the verifier accepts the rewrite", () => {
    fc.assert(
      fc.property(withInputs, ({ c, xs }) => {
        const before = compile0(c);
        const r = forced.run(before);
        expect(r.applied, r.note).toBe(true);
        expect(r.note).toContain(`${tile}: 1`);
        verifyGraph(r.program.graph);
        const ins = new Map([["x", tensorFromBigints([c.C, c.H, c.W], c.xBits, c.xSigned, xs)]]);
        expect(outputs(r.program, ins)).toEqual(outputs(before, ins));
      }),
      { numRuns: 60 },
    );
  });

  it("two-party after == plaintext (dealer backend)", async () => {
    await fc.assert(
      fc.asyncProperty(withInputs, async ({ c, xs }) => {
        const before = compile0(c);
        const after = forced.run(before).program;
        const ins = new Map([["x", tensorFromBigints([c.C, c.H, c.W], c.xBits, c.xSigned, xs)]]);
        const two = await runTwoParty(after.graph, after.ranges, ins);
        expect(two.outputs.map(toBigints)).toEqual(outputs(before, ins));
      }),
      { numRuns: 24 },
    );
  });

  it("random generated networks: plaintext unchanged, graph verifies", () => {
    fc.assert(
      fc.property(networkArb.chain((net) => inputArb(net).map((xs) => ({ net, xs }))), ({ net, xs }) => {
        const before = compile(materialize(net));
        const r = forced.run(before);
        verifyGraph(r.program.graph);
        const name = before.graph.nodes.find((n) => n.op === "input")!.attrs.name as string;
        const named = new Map([[name, tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, xs)]]);
        expect(outputs(r.program, named)).toEqual(outputs(before, named));
      }),
      // about one generated network in ten has a 3×3 stride-1 ungrouped conv
      { numRuns: 150 },
    );
  });
});

describe("headroom through Winograd's exact division (truncreduce after a winoconv)", () => {
  it("every candidate widened after a forced rewrite: plaintext unchanged, two-party = plaintext", async () => {
    let widenedThrough = 0;
    await fc.assert(
      fc.asyncProperty(withInputs, fc.constantFrom(true, "F4" as const), async ({ c, xs }, force) => {
        const before = compile0(c);
        const w = winogradPass({ force }).run(before).program;
        const r = headroomEverywhere.run(w);
        verifyGraph(r.program.graph);
        const tr = r.program.graph.nodes.find((n) => n.op === "truncreduce");
        const old = w.graph.nodes.find((n) => n.op === "truncreduce");
        if (tr && old && tr.type.bits > old.type.bits) widenedThrough++;
        const ins = new Map([["x", tensorFromBigints([c.C, c.H, c.W], c.xBits, c.xSigned, xs)]]);
        expect(outputs(r.program, ins)).toEqual(outputs(before, ins));
        const two = await runTwoParty(r.program.graph, r.program.ranges, ins);
        expect(two.outputs.map(toBigints)).toEqual(outputs(before, ins));
      }),
      { numRuns: 60 },
    );
    // the rule is exercised (a requant or batch norm after the division lifts it)
    expect(widenedThrough).toBeGreaterThan(0);
  });
});

describe("winograd choice by cost", () => {
  it("the dealer accounting keeps ResNet-20 direct; IKNP rewrites it, exactly", () => {
    const p = compile(join(HERE, "..", "..", "examples", "cifar", "resnet20.pq"));
    const dealer = winogradPass({ accounting: "dealer" }).run(p);
    expect(dealer.applied).toBe(false);
    expect(dealer.program).toBe(p);
    const iknp = winogradPass({ accounting: "iknp" }).run(p);
    expect(iknp.applied).toBe(true);
    verifyGraph(iknp.program.graph);
    const ins = inputsFor(p, sweep);
    expect(outputs(iknp.program, ins)).toEqual(outputs(p, ins));
  });
});
