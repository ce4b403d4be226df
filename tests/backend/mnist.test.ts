// The MNIST examples under the two-party backend: predictions equal the plaintext ones on
// 100 test images spread over the classes (10 under OT, whose runs are slower; the whole
// split runs in bench/, `npm run bench:mnist`).
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { defaultProvider } from "../../interpreter/twopc/local.js";
import { loadMnist } from "../../examples/mnist/dataset.js";

const N = defaultProvider().kind === "ot" ? 10 : 100;

describe.each(["examples/mnist/mlp_w8a8.pq", "examples/mnist/lenet_w4a4.pq"])("%s", (file) => {
  it(`two-party predictions equal plaintext on ${N} test images`, async () => {
    const r = compileFile(file);
    expect(r.diagnostics).toEqual([]);
    const g = r.program!.graph;
    const input = g.nodes.find((n) => n.op === "input")!;
    const test = loadMnist().test;
    // spread over the classes: the split is ordered by class
    const step = Math.floor(test.length / N);
    for (let k = 0; k < N; k++) {
      const s = test[k * step]!;
      const x = tensorFromBigints([...input.type.shape], 8, false, Array.from(s.pixels, (v) => BigInt(v)));
      const inputs = new Map([[input.attrs.name as string, x]]);
      const want = toBigints(runPlain(g, inputs).outputs[0]!);
      const got = await runTwoParty(g, r.program!.ranges, inputs);
      expect(toBigints(got.outputs[0]!), `image ${k * step}`).toEqual(want);
    }
  }, 300_000);
});
