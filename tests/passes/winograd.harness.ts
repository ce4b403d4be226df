// Shared by the Winograd passes' tests (winograd.test.ts, winograd-quant.test.ts): random
// 3×3 layers as small .pq programs with their parameter files, inputs, and plaintext runs.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import type { PassResult } from "../../compiler/passes/pass.js";
import { verifyGraph } from "../../compiler/verify.js";
import { expectGolden, goldenInputs, noteAndProgram } from "./golden.js";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints, type Tensor } from "../../interpreter/plain/tensor.js";

export function compile(path: string): Program {
  const r = compileFile(path);
  if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  return r.program;
}

export function inputsFor(p: Program, values: (n: number, bits: number, signed: boolean) => bigint[]): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const n of p.graph.nodes) {
    if (n.op !== "input") continue;
    const size = n.type.shape.reduce((a, b) => a * b, 1);
    m.set(n.attrs.name as string, tensorFromBigints(n.type.shape, n.type.bits, n.type.signed, values(size, n.type.bits, n.type.signed)));
  }
  return m;
}

export function outputs(p: Program, inputs: Map<string, Tensor>): bigint[][] {
  return runPlain(p.graph, inputs).outputs.map(toBigints);
}

/** A deterministic pseudo-random input filling each input's full range. */
export function sweep(n: number, bits: number, signed: boolean): bigint[] {
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const span = 1n << BigInt(bits);
  return Array.from({ length: n }, (_, i) => lo + ((BigInt(i) * 7919n + 13n) % span));
}

// ---------------------------------------------------------------- random layers

export interface LayerCase {
  C: number;
  O: number;
  H: number;
  W: number;
  pad: number;
  wBits: number;
  xBits: number;
  xSigned: boolean;
  bias: boolean;
  shared: boolean;
  /** A batch norm after the conv (winograd-quant folds it). */
  bn: boolean;
  /** The result requantized to u6 at scale 2^6 (shift 6: winograd-quant may deliver the conv coarser). */
  rq: boolean;
  seed: number;
}

export const layerArb: fc.Arbitrary<LayerCase> = fc
  .record({
    C: fc.integer({ min: 1, max: 4 }), O: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 7 }),
    pad: fc.constantFrom(0, 1), wBits: fc.integer({ min: 2, max: 8 }), xBits: fc.integer({ min: 2, max: 8 }), xSigned: fc.boolean(),
    bias: fc.boolean(), shared: fc.boolean(), bn: fc.boolean(), rq: fc.boolean(), seed: fc.integer({ min: 0, max: 2 ** 30 }),
  })
  .filter((c) => c.H + 2 * c.pad >= 3 && c.W + 2 * c.pad >= 3);

/** A small LCG: the weights of a case from its seed. */
export function rng(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

export function layerProgram(c: LayerCase): Program {
  const dir = mkdtempSync(join(tmpdir(), "pq-wino-"));
  const r = rng(c.seed);
  const wLo = -(2 ** (c.wBits - 1));
  const wHi = 2 ** (c.wBits - 1) - 1;
  const tensors: Record<string, { shape: number[]; data: number[] }> = {
    w: { shape: [c.O, c.C, 3, 3], data: Array.from({ length: c.O * c.C * 9 }, () => r(wLo, wHi)) },
  };
  if (c.bias) tensors.b = { shape: [c.O], data: Array.from({ length: c.O }, () => r(-128, 127)) };
  if (c.bn) {
    tensors.m = { shape: [c.O], data: Array.from({ length: c.O }, () => r(-128, 127)) };
    tensors.a = { shape: [c.O], data: Array.from({ length: c.O }, () => r(-32768, 32767)) };
  }
  if (c.shared) tensors.e = { shape: [c.C, c.C, 1, 1], data: Array.from({ length: c.C * c.C }, () => r(-2, 1)) };
  writeFileSync(join(dir, "p.params.json"), JSON.stringify({ format: "pq-params/1", tensors }));
  const x = `${c.xSigned ? "i" : "u"}${c.xBits}`;
  const src = [
    "model p {",
    `  input x: client ${x}[${c.C}, ${c.H}, ${c.W}]`,
    '  params "p.params.json"',
    `  param w: i${c.wBits}[${c.O}, ${c.C}, 3, 3]`,
    c.bias ? `  param b: i8[${c.O}]` : "",
    c.shared ? `  param e: i2[${c.C}, ${c.C}, 1, 1]` : "",
    c.bn ? `  param m: i8[${c.O}]` : "",
    c.bn ? `  param a: i16[${c.O}]` : "",
    // a shared input: the output of a 1×1 layer with server weights
    c.shared ? "  let h = conv2d(x, e)" : "  let h = x",
    `  let y = ${c.rq ? "(" : ""}${c.bn ? "batchnorm(" : ""}conv2d(h, w${c.bias ? ", b" : ""}, pad = ${c.pad})${c.bn ? ", m, a)" : ""}${c.rq ? ") as u6 scale 2^6" : ""}`,
    "  output y to client",
    "}",
  ].join("\n");
  writeFileSync(join(dir, "p.pq"), src);
  return compile(join(dir, "p.pq"));
}

export function inputsArb(c: LayerCase): fc.Arbitrary<bigint[]> {
  const lo = c.xSigned ? -(2 ** (c.xBits - 1)) : 0;
  const hi = c.xSigned ? 2 ** (c.xBits - 1) - 1 : 2 ** c.xBits - 1;
  const n = c.C * c.H * c.W;
  return fc.array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }).map((a) => a.map(BigInt));
}

export const withInputs = layerArb.chain((c) => inputsArb(c).map((xs) => ({ c, xs })));

/** Compile a case once per run of the property (cached by its description). */
const cache = new Map<string, Program>();
export function compile0(c: LayerCase): Program {
  const key = JSON.stringify(c);
  let p = cache.get(key);
  if (!p) {
    p = layerProgram(c);
    cache.set(key, p);
  }
  return p;
}


/**
 * The golden cases of a folder: NAME.pq (options in a `// options: {…}` line) against
 * NAME.expected.pq — the pass's note as comments, then the printed result; regenerated with
 * PQ_UPDATE_GOLDEN=1. The result must verify; `check` then compares it with the input.
 */
export function goldenCases<O>(dir: string, run: (p: Program, opts: O) => PassResult, check: (before: Program, after: Program) => void): void {
  const files = goldenInputs(dir);
  it("has golden inputs", () => expect(files.length).toBeGreaterThan(0));
  for (const f of files) {
    it(f, () => {
      const path = join(dir, f);
      const m = /^\/\/ options: (\{.*\})$/m.exec(readFileSync(path, "utf8"));
      const before = compile(path);
      const r = run(before, (m ? JSON.parse(m[1]!) : {}) as O);
      verifyGraph(r.program.graph);
      expectGolden(dir, f, noteAndProgram(r.note, r.program, dir));
      check(before, r.program);
    });
  }
}
