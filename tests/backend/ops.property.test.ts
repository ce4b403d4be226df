// On random element-wise programs (tests/gen/ops.ts): what the compiler accepts, both
// backends run, under every pipeline, to the same values (the plaintext backend on the
// program as written is the reference), and every value lies inside its interval. What it
// rejects, it rejects with a coded diagnostic, never PQ5001. The classes of mistakes this
// caught: sign tests of unsigned values taken for relu, clamp bounds outside the type,
// requantizations of wide shared values, scalar inputs and params.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { formatDiagnostic, PqError } from "../../grammar/diagnostics.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { materializeOps, opsInputsArb, opsProgramArb, type OpsProgram } from "../gen/ops.js";

type Outcome = { values: bigint[][] } | { error: string };

/** Run in plaintext, checking every value against its interval; a program error must be coded. */
function plain(p: Program, inputs: Map<string, Tensor>): Outcome {
  try {
    const r = runPlain(p.graph, inputs, {
      onNode: (n, v) => {
        const r = p.ranges[n.id]!;
        for (const e of toBigints(v)) if (e < r.lo || e > r.hi) throw new Error(`${n.origin.path} (${n.op}): ${e} outside [${r.lo}, ${r.hi}]`);
      },
    });
    return { values: r.outputs.map(toBigints) };
  } catch (e) {
    if (e instanceof PqError && e.diagnostics.every((d) => d.code !== "PQ5001")) return { error: e.diagnostics.map((d) => d.code).join(",") };
    throw e;
  }
}

const stats = { accepted: 0, rejected: 0 };
/** Cases per run; PQ_PROPERTY_RUNS=4000 for a longer search. */
const RUNS = Number(process.env.PQ_PROPERTY_RUNS ?? 300);

async function check(prog: OpsProgram, xs: bigint[][]): Promise<void> {
  const path = materializeOps(prog);
  const r = compileFile(path);
  const shown = () => `${prog.source}\ninputs ${JSON.stringify(xs.map((x) => x.map(String)))}\n${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}`;
  if (!r.program) {
    stats.rejected++;
    expect(r.diagnostics.length, shown()).toBeGreaterThan(0);
    for (const d of r.diagnostics) expect(d.code, shown()).not.toBe("PQ5001");
    return;
  }
  stats.accepted++;
  const inputs = new Map(prog.inputs.map((i, k) => [i.name, tensorFromBigints(i.shape, i.bits, i.signed, xs[k]!)]));
  const ref = plain(r.program, inputs);
  for (const pipeline of ["pq", "sirnn"]) {
    const passed = runPipeline(r.program, pipeline, { target: "ot-iknp" }).program;
    // A program error (divexact of a non-multiple) is the plaintext backend's to report; a
    // pass may drop the unused value that raised it.
    if ("error" in ref) continue;
    expect(plain(passed, inputs), `${pipeline}\n${shown()}`).toEqual(ref);
    const two = await runTwoParty(passed.graph, passed.ranges, inputs, { timeoutMs: 20_000 });
    expect(two.outputs.map(toBigints), `2pc after ${pipeline}\n${shown()}`).toEqual(ref.values);
  }
}

describe("random element-wise programs", () => {
  it("accepted means both backends agree under every pipeline, inside the intervals (seed printed on failure)", async () => {
    await fc.assert(
      fc.asyncProperty(opsProgramArb.chain((p) => fc.tuple(fc.constant(p), opsInputsArb(p))), ([p, xs]) => check(p, xs)),
      { numRuns: RUNS },
    );
    // the generator must exercise accepted programs, not only diagnostics
    expect(stats.accepted).toBeGreaterThan(stats.rejected);
  }, Math.max(60_000, RUNS * 300));
});

/** Compile `source` (with its params) and run it as the CLI does: plaintext as written, and after the pq pipeline in plaintext and as two parties. */
async function runAll(source: string, params: OpsProgram["params"], inputs: OpsProgram["inputs"], xs: bigint[][]): Promise<bigint[][][]> {
  const prog: OpsProgram = { source, params, inputs };
  const r = compileFile(materializeOps(prog));
  if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const ins = new Map(inputs.map((i, k) => [i.name, tensorFromBigints(i.shape, i.bits, i.signed, xs[k]!)]));
  const passed = runPipeline(r.program, "pq", { target: "ot-iknp" }).program;
  const two = await runTwoParty(passed.graph, passed.ranges, ins, { timeoutMs: 20_000 });
  return [runPlain(r.program.graph, ins).outputs.map(toBigints), runPlain(passed.graph, ins).outputs.map(toBigints), two.outputs.map(toBigints)];
}

const ident = { shape: [4, 4], data: ["1", "0", "0", "0", "0", "1", "0", "0", "0", "0", "1", "0", "0", "0", "0", "1"] };
const u6x4 = [{ name: "x", shape: [4], bits: 6, signed: false }];

describe("the independent evaluator's examples", () => {
  it("select(drelu(h), h, 0) on an unsigned h zeroes the values whose top bit is set (range analysis, 2PC)", async () => {
    const src = `model m {
  input x: client u6[4]
  params "m.params.json"
  param w: i2[4, 4]
  param v: i2[4, 4]
  let h = clamp(linear(x, w) as u6, lo = 40, hi = 63)
  let s = select(drelu(h), h, 0)
  output linear(s, v)
}`;
    const v = { shape: [4, 4], data: ["1", "1", "0", "0", "0", "1", "1", "0", "0", "0", "1", "1", "1", "0", "0", "-1"] };
    for (const out of await runAll(src, { w: ident, v }, u6x4, [[0n, 40n, 50n, 63n]])) expect(out).toEqual([[0n, 0n, 0n, 0n]]);
  });

  it("… and fuse-requant-relu keeps such a select", async () => {
    const src = `model m {
  input x: client u6[4]
  params "m.params.json"
  param w: i2[4, 4]
  let h = linear(x, w) as u6
  output select(drelu(h), h, 0) as u8
}`;
    for (const out of await runAll(src, { w: ident }, u6x4, [[5n, 31n, 32n, 63n]])) expect(out).toEqual([[5n, 31n, 0n, 0n]]);
  });

  it("clamp bounds outside the operand's type, on shares", async () => {
    const src = `model m {
  input x: client i3[4]
  params "m.params.json"
  param w: i2[4, 4]
  output clamp(linear(x, w) as i3, lo = -3, hi = 5)
}`;
    const inputs = [{ name: "x", shape: [4], bits: 3, signed: true }];
    for (const out of await runAll(src, { w: ident }, inputs, [[-4n, -3n, 0n, 3n]])) expect(out).toEqual([[-3n, -3n, 0n, 3n]]);
  });

  it("requantizations of 49- to 64-bit shared accumulators, by other ratios, by shifts and by shifts beyond 64", async () => {
    const src = `model m {
  input x: client i32[4] scale 2^-20
  params "m.params.json"
  param w: i31[4, 4] scale 2^-20
  let a = linear(x, w)
  output a as i8 scale 0.0371
  output a as i8 scale 2^-10
  output a as u8 scale 2^30
}`;
    const big = (1n << 31n) - 1n;
    const wbig = (1n << 30n) - 1n;
    const w = { shape: [4, 4], data: Array.from({ length: 16 }, (_, i) => String(i % 5 === 0 ? wbig : i % 3 === 0 ? -wbig : 12345n * BigInt(i))) };
    const inputs = [{ name: "x", shape: [4], bits: 32, signed: true }];
    const xs = [[big, -big - 1n, 1n << 20n, -(3n << 18n)]];
    const [ref, ...rest] = await runAll(src, { w }, inputs, xs);
    for (const out of rest) expect(out).toEqual(ref);
    expect(ref![2]).toEqual([0n, 0n, 0n, 0n]);
  });

  it("scalar inputs and params (an omitted shape is a scalar)", async () => {
    const src = `model m {
  input x: client i8
  params "m.params.json"
  param p: i8
  output mul(x, p)
}`;
    const inputs = [{ name: "x", shape: [], bits: 8, signed: true }];
    for (const out of await runAll(src, { p: { shape: [], data: ["-7"] } }, inputs, [[-128n]])) expect(out).toEqual([[896n]]);
  });

  it("divexact of a non-multiple is a program error with a code and a location (PQ4020)", () => {
    const prog: OpsProgram = { source: "model m {\n  input x: client i8[2]\n  output divexact(x, by = 3)\n}\n", params: {}, inputs: [] };
    const r = compileFile(materializeOps(prog));
    const x = new Map([["x", tensorFromBigints([2], 8, true, [3n, 4n])]]);
    let err: unknown;
    try {
      runPlain(r.program!.graph, x);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PqError);
    const d = (err as PqError).diagnostics[0]!;
    expect(d.code).toBe("PQ4020");
    expect(d.span?.line).toBe(3);
    expect(d.message).toContain("4 is not a multiple of 3");
  });

  it("truncreduce with exact = 1: x / 2^s of multiples in every backend; a non-multiple is PQ4020 at the op", async () => {
    const src = "model m {\n  input x: client i8[4]\n  output truncreduce(x, by = 2, exact = 1)\n}\n";
    const inputs = [{ name: "x", shape: [4], bits: 8, signed: true }];
    for (const out of await runAll(src, {}, inputs, [[-128n, -4n, 0n, 124n]])) expect(out).toEqual([[-32n, -1n, 0n, 31n]]);
    const r = compileFile(materializeOps({ source: src, params: {}, inputs: [] }));
    let err: unknown;
    try {
      runPlain(r.program!.graph, new Map([["x", tensorFromBigints([4], 8, true, [4n, 6n, 0n, 0n])]]));
    } catch (e) {
      err = e;
    }
    const d = (err as PqError).diagnostics[0]!;
    expect([d.code, d.span?.line]).toEqual(["PQ4020", 3]);
    expect(d.message).toContain("6 is not a multiple of 2^2");
  });
});
