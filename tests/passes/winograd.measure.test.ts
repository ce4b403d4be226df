// Measurement, not a check (PQ_MEASURE=1 npx vitest run tests/passes/winograd.measure.test.ts):
// dealer two-party online bytes of ResNet-20 and ResNet-32 before and after the Winograd
// rewrite (every candidate forced to F(2×2,3×3), and as the IKNP cost chooses), per
// primitive, with the outputs checked against plaintext; and the IKNP activation receiver
// elements of the 3×3 stride-1 convolutions (9·C·H'W' → 4·C·H'W').
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { ineligible, winogradPass } from "../../compiler/passes/winograd.js";
import { layerCost } from "../../compiler/passes/orientation.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import type { MeterRow } from "../../interpreter/twopc/meter.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function online(rows: readonly MeterRow[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) {
    if (r.phase !== "online") continue;
    const k = r.primitive.split("/")[0]!;
    m.set(k, (m.get(k) ?? 0) + r.sent);
  }
  return m;
}

async function measure(p: Program, inputs: Map<string, Tensor>): Promise<{ bytes: Map<string, number>; total: number; out: bigint[] }> {
  const r = await runTwoParty(p.graph, p.ranges, inputs, { timeoutMs: 3_600_000 });
  const bytes = online([...r.client, ...r.server]);
  return { bytes, total: [...bytes.values()].reduce((a, b) => a + b, 0), out: toBigints(r.outputs[0]!) };
}

/** Dealer bytes of every conv2d with server weights as the linear protocol sends them: (|W| + |x|)·N / 8. */
function convBytes(p: Program): number {
  let s = 0;
  for (const n of p.graph.nodes) {
    if (n.op !== "conv2d" || p.graph.nodes[n.inputs[1]!]!.type.vis !== "server") continue;
    const w = p.graph.nodes[n.inputs[1]!]!.type.shape.reduce((a, b) => a * b, 1);
    const x = p.graph.nodes[n.inputs[0]!]!.type.shape.reduce((a, b) => a * b, 1);
    s += Math.ceil((w * n.type.bits) / 8) + Math.ceil((x * n.type.bits) / 8);
  }
  return s;
}

describe.skipIf(process.env.PQ_MEASURE !== "1")("Winograd on the CIFAR ResNets (measurement)", () => {
  for (const net of ["resnet20", "resnet32"]) {
    it(net, async () => {
      const p = compileFile(join(ROOT, "examples", "cifar", `${net}.pq`)).program!;
      const x = p.graph.nodes.find((n) => n.op === "input")!;
      const inputs = new Map([[x.attrs.name as string, loadInput(join(ROOT, "examples", "cifar", "input.json"), x.attrs.name as string, x.type)]]);
      const plain = toBigints(runPlain(p.graph, inputs).outputs[0]!);
      let direct9 = 0;
      let wino4 = 0;
      for (const n of p.graph.nodes) {
        if (ineligible(p.graph, n) !== undefined) continue;
        direct9 += layerCost(p.graph, n)!.elements.activations;
        const [c] = p.graph.nodes[n.inputs[0]!]!.type.shape as [number];
        const [, ho, wo] = n.type.shape as [number, number, number];
        wino4 += 16 * c * Math.ceil(ho / 2) * Math.ceil(wo / 2);
      }
      const forced = winogradPass({ force: true }).run(p).program;
      const chosen = winogradPass({ accounting: "iknp" }).run(p);
      const lines = [`${net}: IKNP activation receiver elements of the 3×3 stride-1 convs: ${direct9} (im2col) → ${wino4} (F(2×2,3×3))`];
      const base = await measure(p, inputs);
      expect(base.out).toEqual(plain);
      const runs: [string, Program][] = [["forced F(2,3)", forced]];
      if (chosen.applied) runs.push(["IKNP-chosen", chosen.program]);
      lines.push(`  direct: online ${(base.total / 1e6).toFixed(2)} MB (all conv2d layers' linear protocol ${(convBytes(p) / 1e6).toFixed(2)} MB by (|W|+|x|)·N/8)`);
      for (const [name, q] of runs) {
        const m = await measure(q, inputs);
        expect(m.out).toEqual(plain);
        lines.push(`  ${name}: online ${(m.total / 1e6).toFixed(2)} MB (all conv2d layers' linear protocol ${(convBytes(q) / 1e6).toFixed(2)} MB)`);
        const keys = new Set([...base.bytes.keys(), ...m.bytes.keys()]);
        for (const k of [...keys].sort()) {
          const a = base.bytes.get(k) ?? 0;
          const b = m.bytes.get(k) ?? 0;
          if (a !== b) lines.push(`    ${k}: ${(a / 1e6).toFixed(3)} → ${(b / 1e6).toFixed(3)} MB`);
        }
      }
      console.log(lines.join("\n"));
    }, 3_600_000);
  }
});
