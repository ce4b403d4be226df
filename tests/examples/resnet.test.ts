// The trained ResNet-8 examples (examples/resnet): every committed model compiles without a
// diagnostic to the architecture and bit widths its name states (ReLU or x² + x, W8A8 or
// W4A4); an x² + x model per dataset gives the same prediction under the two-party backend as
// under the plaintext one on a committed sample image (the dealer's correlations keep this fast;
// `examples/resnet/measure.ts` runs pq eval --backend 2pc under OT); and the training script,
// given no Fashion-MNIST, stops with PQ4034 saying how to install it.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { numel } from "../../compiler/types.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { digitImages, DIGITS, FASHION_SAMPLES } from "../import/reference.js";

const DIR = join(import.meta.dirname, "..", "..", "examples", "resnet");
/** A conv with its bias: stem, blocks of two 3×3 convs (a 1×1 projection where the width changes), classifier. */
const conv = (cin: number, cout: number, k: number) => cout * cin * k * k + cout;
const PARAMS = conv(1, 8, 3) + conv(8, 16, 3) + conv(16, 16, 3) + conv(8, 16, 1) + conv(16, 32, 3) + conv(32, 32, 3) + conv(16, 32, 1) + 2 * conv(32, 32, 3) + 32 * 10 + 10;
const MODELS = ["mnist", "fashion"].flatMap((d) => ["relu", "sqplus"].flatMap((a) => ["w8a8", "w4a4"].map((s) => `${d}_${a}_${s}`)));

function compileModel(name: string) {
  const r = compileFile(join(DIR, `${name}.pq`));
  expect(r.diagnostics.map((d) => formatDiagnostic(d, r.sources))).toEqual([]);
  return r.program!;
}

describe("examples/resnet", () => {
  it.each(MODELS)("%s compiles to ResNet-8 with its activation and bit widths", (name) => {
    const g = compileModel(name).graph;
    const [, act, setting] = name.split("_") as [string, "relu" | "sqplus", "w8a8" | "w4a4"];
    const bits = setting === "w8a8" ? 8 : 4;
    const count = (op: string) => g.nodes.filter((n) => n.op === op).length;
    // stem, three blocks of two 3×3 convs, two 1×1 projection shortcuts; seven activations
    expect(count("conv2d")).toBe(9);
    // ReLU is lowered to select(drelu(x), x, 0) (stdlib/protocols.pq); sqplus stays one op
    expect(count(act === "relu" ? "drelu" : "sqplus")).toBe(7);
    expect(count(act === "relu" ? "sqplus" : "drelu")).toBe(0);
    expect(count("add")).toBe(3);
    for (const c of g.nodes.filter((n) => n.op === "conv2d" || n.op === "linear")) {
      expect(g.nodes[c.inputs[1]!]!.type.bits, c.origin.path).toBe(bits);
    }
    // every activation is requantized to A bits: unsigned after ReLU, signed around x² + x
    const requants = g.nodes.filter((n) => n.op === "requant");
    expect(requants).toHaveLength(act === "relu" ? 7 : 14);
    for (const r of requants) expect([r.type.bits, r.type.signed]).toEqual([bits, act === "sqplus"]);
    let params = 0;
    for (const p of g.params.values()) params += numel(p.shape);
    expect(params).toBe(PARAMS);
    const out = g.nodes[g.outputs[0]!.node]!;
    expect(out.op).toBe("argmax");
    expect(g.nodes[out.inputs[0]!]!.type.shape).toEqual([10]);
  });

  it.each([
    ["mnist_sqplus_w8a8", DIGITS, 7],
    ["fashion_sqplus_w4a4", FASHION_SAMPLES, 9],
  ] as const)("%s: the two-party prediction equals the plaintext one on the sample image of %s, number %i", async (name, dir, k) => {
    const program = compileModel(name);
    const g = program.graph;
    const input = g.nodes.find((n) => n.op === "input")!;
    const x = tensorFromBigints([...input.type.shape], 8, false, Array.from(digitImages(dir)[k]!, (v) => BigInt(v)));
    const inputs = new Map([[input.attrs.name as string, x]]);
    const want = toBigints(runPlain(g, inputs).outputs[0]!);
    const got = await runTwoParty(g, program.ranges, inputs, { provider: { kind: "dealer", seed: "pq" } });
    expect(toBigints(got.outputs[0]!)).toEqual(want);
  }, 60_000);

  it("the training script without Fashion-MNIST stops with PQ4034, saying how to install it", () => {
    const r = spawnSync("npx", ["tsx", "examples/mnist/train.ts", "fashion", "resnet"], {
      encoding: "utf8",
      env: { ...process.env, PQ_FASHION_DIR: join(DIR, "no-such-dataset") },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("PQ4034");
    expect(r.stderr).toContain("no-such-dataset/train-images-idx3-ubyte.gz' (no such file)");
    expect(r.stderr).toContain("apt-get install dataset-fashion-mnist");
  }, 60_000);
});
