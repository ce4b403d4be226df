// x² with no offline phase (protocols/square.ts): under every provider (PQ_PROVIDER: the
// dealer by default in the suites, OT, HE, enumerated) the shares reconstruct x² mod 2^N bit
// for bit; under OT and HE — explicitly, whatever PQ_PROVIDER says — nothing is sent
// offline, and the online bytes are the cross term's vector COTs, as the forecast prices them.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { square, elementwiseMap } from "../../interpreter/protocols/square.js";
import { runBoth } from "../../interpreter/twopc/local.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { productPlan, vcotBytes } from "../../compiler/cost/ot-sizes.js";
import { join, split, tensorArb } from "./harness.js";

const want = (vals: bigint[], bits: number) => vals.map((v) => BigInt.asUintN(bits, v * v));

describe("square: x² from the shares, no offline phase", () => {
  it("equals x² mod 2^N under the environment's provider", async () => {
    await fc.assert(fc.asyncProperty(tensorArb({ minBits: 2, maxBits: 64, maxLen: 40 }), async (t) => {
      const [a, b] = split(t);
      const r = await runBoth((p) => square(p, a), (p) => square(p, b));
      expect(join(r.client, r.server, false)).toEqual(want(toBigints(t), t.bits));
    }), { numRuns: 60 });
  });

  for (const kind of ["ot", "he"] as const) {
    it(`under ${kind}: zero offline bytes, the cross term's vector COTs online`, async () => {
      await fc.assert(fc.asyncProperty(tensorArb({ minBits: 2, maxBits: 40, maxLen: 64 }), async (t) => {
        const [a, b] = split(t);
        const r = await runBoth((p) => square(p, a), (p) => square(p, b), { provider: { kind } });
        expect(join(r.client, r.server, false)).toEqual(want(toBigints(t), t.bits));
        const rows = [...r.parties[0].meter.report(), ...r.parties[1].meter.report()].filter((x) => x.primitive.startsWith("square"));
        expect(rows.filter((x) => x.phase === "offline").reduce((s, x) => s + x.sent + x.recv, 0)).toBe(0);
        // the client receives m = N batches of n vector COTs (one value of N − k bits each)
        const plan = productPlan(elementwiseMap(t.shape[0]!, t.bits), t.bits);
        const cot = Array.from({ length: plan.m }, (_, k) => vcotBytes(plan.n, plan.L, t.bits - k));
        const sent = (party: 0 | 1) => rows.filter((x) => x.phase === "online" && r.parties[party].meter.report().includes(x)).reduce((s, x) => s + x.sent, 0);
        expect(plan.receiver).toBe("client");
        expect(sent(0) + sent(1)).toBeGreaterThanOrEqual(cot.reduce((s, c) => s + c.toSender + c.toReceiver, 0));
      }), { numRuns: 15 });
    });
  }
});
