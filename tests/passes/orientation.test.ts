// The receiver-orientation pass: SiRNN's cost function, the per-layer choice, and a golden
// (tests/passes/golden/orientation/NAME.pq → NAME.expected.pq: the note as comments, then
// the program, which the pass leaves unchanged). Regenerate with PQ_UPDATE_GOLDEN=1.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { chooseReceivers, layerCost, orientation, productCost, sirnnCost } from "../../compiler/passes/orientation.js";
import { winogradPass } from "../../compiler/passes/winograd.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { expectGolden, goldenInputs, noteAndProgram } from "./golden.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(HERE, "golden", "orientation");

function compile(path: string): Program {
  const r = compileFile(path);
  if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  return r.program;
}

describe("SiRNN cost function", () => {
  it("is d1·d2·(m·λ + d3·(m·ℓ − m(m−1)/2))", () => {
    expect(sirnnCost(2, 3, 4, 5, 16)).toBe(2 * 3 * (5 * 128 + 4 * (5 * 16 - 10)));
    expect(sirnnCost(1, 1, 1, 1, 1)).toBe(128 + 1);
  });
  it("an im2col conv has 9·C·H'W' activation receiver elements", () => {
    const c = productCost(16, 9 * 8, 64, 1, 2, 6, 20);
    expect(c.elements.activations).toBe(9 * 8 * 64);
    expect(c.elements.weights).toBe(16 * 9 * 8);
  });
});

describe("receiver orientation", () => {
  it("2-bit conv weights are the cheaper receiver; a small classifier keeps its activations", () => {
    const p = compile(join(GOLDEN, "layers.pq"));
    const choice = chooseReceivers(p);
    const byOp = (op: string) => [...choice].filter(([id]) => p.graph.nodes[id]!.op === op).map(([, r]) => r);
    expect(byOp("conv2d")).toEqual(["weights"]);
    expect(byOp("linear")).toEqual(["activations"]);
    for (const [id, r] of choice) {
      const c = layerCost(p.graph, p.graph.nodes[id]!)!;
      expect(c[r]).toBeLessThanOrEqual(Math.min(c.weights, c.activations));
    }
  });

  it("records receiver = 1 on the layers that prefer their weights, changing no value", () => {
    const p = compile(join(GOLDEN, "layers.pq"));
    const r = orientation.run(p);
    expect(r.applied).toBe(true);
    const choice = chooseReceivers(p);
    for (const n of r.program.graph.nodes) {
      if (choice.get(n.id) === "weights") expect(n.attrs.receiver).toBe(1);
      else if (n.op === "conv2d" || n.op === "linear") expect(n.attrs.receiver ?? 0).toBe(0);
      expect(n.type).toEqual(p.graph.nodes[n.id]!.type);
    }
  });

  it("covers the products of a Winograd rewrite (one winoconv, its 16 positions priced as one product each)", () => {
    const p = compile(join(HERE, "golden", "winograd", "conv_pad1_bias.pq"));
    const w = winogradPass({ force: true }).run(p).program;
    const convs = w.graph.nodes.filter((n) => n.op === "winoconv");
    expect(convs.length).toBe(1);
    const choice = chooseReceivers(w);
    expect(choice.has(convs[0]!.id)).toBe(true);
    // [16, O, C] filters of 5 bits against 16 products of [C, tiles] activations in the result's ring
    const c = layerCost(w.graph, convs[0]!)!;
    expect(c.elements.weights).toBe(16 * 3 * 2);
    expect(c.elements.activations).toBe(16 * 2 * 4);
  });

  for (const f of goldenInputs(GOLDEN)) {
    it(`golden ${f}`, () => {
      const r = orientation.run(compile(join(GOLDEN, f)));
      expectGolden(GOLDEN, f, noteAndProgram(r.note, r.program, GOLDEN));
    });
  }
});
