// The CIFAR example specs: each compiles without a diagnostic to a 10-way argmax, with the
// parameter count its architecture implies (counted here from the architecture, not from
// the compiler), and ResNet-20 runs end to end on the sample input.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { numel } from "../../compiler/types.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints } from "../../interpreter/plain/tensor.js";

const DIR = join(import.meta.dirname, "..", "..", "examples", "cifar");

/** A conv with batchnorm: the weight, then one multiplier and one offset per channel. */
const conv = (cin: number, cout: number, k: number) => cout * cin * k * k + 2 * cout;
const classifier = (c: number) => 10 * c + 10;

/** Stem, stages of basic blocks (a projection shortcut wherever the width changes), classifier. */
function resnetParams(widths: number[], blocks: number): number {
  let n = conv(3, widths[0]!, 3);
  let cin = widths[0]!;
  for (const c of widths) {
    for (let b = 0; b < blocks; b++) {
      n += conv(cin, c, 3) + conv(c, c, 3) + (cin !== c ? conv(cin, c, 1) : 0);
      cin = c;
    }
  }
  return n + classifier(cin);
}

/** Stem, Sandler et al. Table 2 bottlenecks (t, c, n), 1×1 conv to 1280, classifier. */
function mobilenetv2Params(): number {
  const table: [number, number, number][] = [[1, 16, 1], [6, 24, 2], [6, 32, 3], [6, 64, 4], [6, 96, 3], [6, 160, 3], [6, 320, 1]];
  let n = conv(3, 32, 3);
  let cin = 32;
  for (const [t, c, reps] of table) {
    for (let r = 0; r < reps; r++) {
      const hid = cin * t;
      // expansion (absent for t = 1), depthwise 3×3 (one input channel per group), projection
      n += (t === 1 ? 0 : conv(cin, hid, 1)) + conv(1, hid, 3) + conv(hid, c, 1);
      cin = c;
    }
  }
  return n + conv(cin, 1280, 1) + classifier(1280);
}

const SPECS: [string, number][] = [
  ["resnet20", resnetParams([16, 32, 64], 3)],
  ["resnet32", resnetParams([16, 32, 64], 5)],
  ["resnet18", resnetParams([64, 128, 256, 512], 2)],
  ["mobilenetv2", mobilenetv2Params()],
];

function compileSpec(name: string) {
  const r = compileFile(join(DIR, `${name}.pq`));
  expect(r.diagnostics.map((d) => formatDiagnostic(d, r.sources))).toEqual([]);
  return r.program!.graph;
}

describe("CIFAR specs", () => {
  it.each(SPECS)("%s compiles to an argmax over 10 logits with %i parameters", (name, params) => {
    const g = compileSpec(name);
    const input = g.nodes.filter((n) => n.op === "input");
    expect(input.map((n) => [n.type.bits, n.type.signed, n.type.shape])).toEqual([[8, false, [3, 32, 32]]]);
    expect(g.outputs).toHaveLength(1);
    const out = g.nodes[g.outputs[0]!.node]!;
    expect(out.op).toBe("argmax");
    expect(out.type.shape).toEqual([]);
    expect(g.nodes[out.inputs[0]!]!.type.shape).toEqual([10]);
    let count = 0;
    for (const p of g.params.values()) count += numel(p.shape);
    expect(count).toBe(params);
  });

  it("ResNet-32 has 2-bit weights in its 32 residual-stage convs and 6-bit activations", () => {
    const g = compileSpec("resnet32");
    const convs = g.nodes.filter((n) => n.op === "conv2d" && !n.origin.path.endsWith("/stem"));
    // 15 blocks × 2 convs + 2 projection shortcuts
    expect(convs).toHaveLength(32);
    for (const c of convs) {
      expect(g.nodes[c.inputs[1]!]!.type.bits).toBe(2);
      expect(g.nodes[c.inputs[0]!]!.type.bits).toBe(6);
    }
  });

  it("ResNet-20 runs end to end on the sample input and names one class", () => {
    const g = compileSpec("resnet20");
    const x = g.nodes.find((n) => n.op === "input")!;
    const inputs = new Map([["x", loadInput(join(DIR, "input.json"), "x", x.type)]]);
    const { outputs } = runPlain(g, inputs);
    expect(outputs).toHaveLength(1);
    const [cls] = toBigints(outputs[0]!);
    expect(cls).toBeGreaterThanOrEqual(0n);
    expect(cls).toBeLessThanOrEqual(9n);
  });
});
