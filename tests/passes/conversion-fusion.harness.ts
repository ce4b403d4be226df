// Shared by the pass tests: compile a file, run a pass with the verifier, and compare
// programs by their outputs on the plaintext and two-party backends.
import { expect } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import type { Pass } from "../../compiler/passes/pass.js";
import { elimination } from "../../compiler/passes/elimination.js";
import { fuseBatchnorm } from "../../compiler/passes/fuse-batchnorm.js";
import { fuseRequantRelu } from "../../compiler/passes/fuse-requant-relu.js";
import { headroom } from "../../compiler/passes/headroom.js";
import { fusion, headroomEverywhere, saturatingRelu } from "./test-passes.js";
import { placement } from "../../compiler/passes/placement.js";
import { verifyGraph } from "../../compiler/verify.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";

/** The passes by name, as the `pq` pipeline would list them (tests call them directly). */
export const PASS_BY_NAME: Record<string, Pass> = {
  "fuse-batchnorm": fuseBatchnorm,
  "fuse-requant-relu": fuseRequantRelu,
  "saturating-relu": saturatingRelu,
  fusion,
  placement,
  elimination,
  headroom,
  "headroom-everywhere": headroomEverywhere,
};

/** The order to add to the `pq` pipeline. */
export const PQ_ORDER = ["fuse-batchnorm", "fuse-requant-relu", "placement", "elimination"] as const;

export function compileOrThrow(path: string): Program {
  const r = compileFile(path);
  if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  return r.program;
}

/** Run a pass and check the result with the IR verifier (ranges must match the builder's). */
export function runPass(pass: Pass, p: Program): { program: Program; note: string; applied: boolean } {
  const r = pass.run(p);
  const ranges = verifyGraph(r.program.graph);
  expect(ranges.map((x) => `${x.lo}:${x.hi}`)).toEqual(r.program.ranges.map((x) => `${x.lo}:${x.hi}`));
  return r;
}

/** Run several passes in order. */
export function runPasses(names: readonly string[], p: Program): Program {
  let cur = p;
  for (const n of names) cur = runPass(PASS_BY_NAME[n]!, cur).program;
  return cur;
}

/** Deterministic pseudo-random values for every input of a program. */
export function inputsFor(p: Program, seed: number): Map<string, Tensor> {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const m = new Map<string, Tensor>();
  for (const n of p.graph.nodes) {
    if (n.op !== "input") continue;
    const size = n.type.shape.reduce((a, b) => a * b, 1);
    const lo = n.type.signed ? -(2n ** BigInt(n.type.bits - 1)) : 0n;
    const span = 2n ** BigInt(n.type.bits);
    const vals = Array.from({ length: size }, () => lo + (BigInt(next()) * BigInt(next())) % span);
    m.set(n.attrs.name as string, tensorFromBigints([...n.type.shape], n.type.bits, n.type.signed, vals));
  }
  return m;
}

export function plainOutputs(p: Program, inputs: Map<string, Tensor>): bigint[][] {
  return runPlain(p.graph, inputs).outputs.map(toBigints);
}

export async function twoPartyOutputs(p: Program, inputs: Map<string, Tensor>): Promise<bigint[][]> {
  const r = await runTwoParty(p.graph, p.ranges, inputs, { timeoutMs: 30_000 });
  return r.outputs.map(toBigints);
}
