// Online bytes of the dealer two-party run (both parties' sends, 10-byte frame headers
// included) before and after each conversion/fusion pass, applied cumulatively in the
// `pq` order, on the MNIST LeNet (always) and the CIFAR ResNet-20 (PQ_PASS_BYTES=1: about
// 30 s per run). Outputs must equal the plaintext backend's at every step. The table is
// printed; the assertions pin what the pass comments claim.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Program } from "../../compiler/ir.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { totals } from "../../interpreter/twopc/meter.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { compileOrThrow, PASS_BY_NAME, PQ_ORDER, runPass } from "./conversion-fusion.harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function onlineBytes(p: Program, inputPath: string): Promise<number> {
  const inp = p.graph.nodes.find((n) => n.op === "input")!;
  const inputs = new Map([[inp.attrs.name as string, loadInput(inputPath, inp.attrs.name as string, inp.type)]]);
  const want = runPlain(p.graph, inputs).outputs.map(toBigints);
  const r = await runTwoParty(p.graph, p.ranges, inputs, { provider: { kind: "dealer", seed: "pass-bytes" } });
  expect(r.outputs.map(toBigints)).toEqual(want);
  return totals(r.client, "online").sent + totals(r.server, "online").sent;
}

async function table(file: string, input: string): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  let p = compileOrThrow(join(ROOT, file));
  const base = p;
  rows.set("lowered", await onlineBytes(p, join(ROOT, input)));
  for (const name of PQ_ORDER) {
    const r = runPass(PASS_BY_NAME[name]!, p);
    p = r.program;
    rows.set(`+ ${name}`, r.applied ? await onlineBytes(p, join(ROOT, input)) : rows.get([...rows.keys()].pop()!)!);
  }
  // W2 at every site, alone on the lowered program (the pass chooses per site).
  const sat = runPass(PASS_BY_NAME["saturating-relu"]!, base);
  rows.set("saturating-relu alone", await onlineBytes(sat.program, join(ROOT, input)));
  console.log(`${file}\n${[...rows].map(([k, v]) => `  ${k.padEnd(24)} ${v.toLocaleString("en-US").padStart(12)} B`).join("\n")}`);
  return rows;
}

describe("online bytes before/after the passes", () => {
  it("MNIST LeNet W8A8", async () => {
    const t = await table("examples/mnist/lenet_w8a8.pq", "examples/mnist/digits/digit-7.png");
    expect(t.get("+ fuse-requant-relu")!).toBeLessThan(t.get("lowered")!);
    // Placement makes implicit extensions explicit: the same protocols, the same bytes.
    expect(t.get("+ placement")).toBe(t.get("+ fuse-requant-relu"));
    // W2 everywhere (saturating-relu) is not what the pass does: it chooses W2 per site by cost.
    expect(t.get("+ fuse-requant-relu")!).toBeLessThan(t.get("saturating-relu alone")!);
  });

  it.skipIf(process.env.PQ_PASS_BYTES !== "1")("CIFAR ResNet-20 (PQ_PASS_BYTES=1)", async () => {
    const t = await table("examples/cifar/resnet20.pq", "examples/cifar/input.json");
    expect(t.get("+ elimination")!).toBeLessThan(t.get("lowered")!);
  }, 600_000);
});
