// Every pass preserves results bit for bit: on random networks (tests/gen/networks.ts) with
// random inputs, the program after the pass gives the plaintext outputs of the program as
// lowered, the two-party backend reproduces them, and the IR verifier accepts the result.
// Each pass runs where the `pq` pipeline runs it (after the passes it follows), and its
// output is compared with the lowered program's.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import { tensorFromBigints } from "../../interpreter/plain/tensor.js";
import { inputArb, materialize, networkArb, type GeneratedNet } from "../gen/networks.js";
import { compileOrThrow, PASS_BY_NAME, plainOutputs, runPass, runPasses, twoPartyOutputs } from "./conversion-fusion.harness.js";

// ≥ 30 runs with the two-party backend each; more, because some rewrites need a rare layer pair
// (a relu right before a requantization, a conv right before a batch norm).
const RUNS = 150;

/**
 * The same network with a batch norm (literal m, a; m includes 0 and negatives) after every
 * conv2d: the generator alone puts one there in about one network in a hundred.
 */
function withBatchnorms(net: GeneratedNet): GeneratedNet {
  const source = net.source.replace(/^  let (l\d+) = conv2d\((.*)\)$/gm, (line, name: string, args: string) => {
    const cout = Number(new RegExp(`param ${name}_w: i\\d+\\[(\\d+),`).exec(net.source)?.[1] ?? NaN);
    if (!Number.isInteger(cout)) return line;
    const m = Array.from({ length: cout }, (_, i) => [3, -2, 0, 5][(i + net.seed) % 4]);
    const a = Array.from({ length: cout }, (_, i) => [17, -9, 4, 0][(i + net.seed) % 4]);
    return `  let ${name}_c = conv2d(${args})\n  let ${name} = batchnorm(${name}_c, [${m.join(", ")}], [${a.join(", ")}])`;
  });
  return { ...net, source };
}

/** The same network with every conv2d followed by relu and a requantization to u6 (LeNet's layer shape). */
function withReluRequant(net: GeneratedNet): GeneratedNet {
  const source = net.source.replace(/^  let (l\d+) = conv2d\((.*)\)$/gm, (_line, name: string, args: string) =>
    `  let ${name}_c = conv2d(${args})\n  let ${name} = relu(${name}_c) as u6 scale ${net.seed % 2 === 0 ? "2^-4" : "0.0517"}`);
  return { ...net, source };
}

const nets = fc.oneof(networkArb, networkArb.map(withBatchnorms), networkArb.map(withReluRequant));

const CASES: { pass: string; after: string[] }[] = [
  { pass: "fuse-batchnorm", after: [] },
  { pass: "fuse-requant-relu", after: ["fuse-batchnorm"] },
  { pass: "saturating-relu", after: ["fuse-batchnorm"] },
  { pass: "fusion", after: [] },
  { pass: "placement", after: ["fuse-batchnorm", "fuse-requant-relu"] },
  { pass: "elimination", after: ["fuse-batchnorm", "fuse-requant-relu", "placement"] },
  { pass: "headroom-everywhere", after: ["fuse-requant-relu"] },
];

describe("passes preserve results", () => {
  for (const c of CASES) {
    it(`${c.pass}: same plaintext and two-party outputs on ${RUNS} random networks (seed printed on failure)`, async () => {
      let applied = 0;
      await fc.assert(
        fc.asyncProperty(nets.chain((net) => fc.tuple(fc.constant(net), inputArb(net))), async ([net, x]) => {
          // A batch norm widens the accumulators; the rare network it pushes past 64 bits is skipped.
          const compiled = compileFile(materialize(net));
          fc.pre(compiled.program !== undefined || !net.source.includes("_c = conv2d"));
          const base = compiled.program ?? compileOrThrow(materialize(net));
          const before = runPasses(c.after, base);
          const r = runPass(PASS_BY_NAME[c.pass]!, before);
          if (r.applied) applied++;
          const inputs = new Map([["x", tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, x)]]);
          const want = plainOutputs(base, inputs);
          expect(plainOutputs(r.program, inputs)).toEqual(want);
          expect(await twoPartyOutputs(r.program, inputs)).toEqual(want);
        }),
        { numRuns: RUNS, verbose: 1 },
      );
      // Not a correctness condition, but a test that never sees the rewrite proves little.
      console.log(`${c.pass}: applied on ${applied} of ${RUNS} networks`);
      expect(applied).toBeGreaterThan(0);
    });
  }
});
