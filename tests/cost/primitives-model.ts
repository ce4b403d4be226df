// A model that calls every interactive primitive (tests/cost: the forecast of each provider is
// checked against it at random widths and shapes).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { tensorFromBigints, type Tensor } from "../../interpreter/plain/tensor.js";

const dir = mkdtempSync(join(tmpdir(), "pq-cost-"));

/** A model whose x is shared (batchnorm with server multipliers) and that calls every interactive primitive. */
export function primitivesModel(bits: number, c: number, h: number, k: number): string {
  const name = `p${bits}_${c}_${h}_${k}`;
  writeFileSync(join(dir, `${name}.params.json`), JSON.stringify({
    format: "pq-params/1",
    tensors: { m: { shape: [c], data: Array.from({ length: c }, (_, i) => (i % 2 ? -1 : 1)) }, a: { shape: [c], data: Array.from({ length: c }, (_, i) => i % 2) } },
  }));
  const wide = Math.min(bits + 13, 64);
  const path = join(dir, `${name}.pq`);
  writeFileSync(path, `model p {
  input x: client i${bits}[${c}, ${h}, ${h}]
  params "${name}.params.json"
  param m: i2[${c}]
  param a: i2[${c}]
  let s = batchnorm(x, m, a)
  let t = trunc(s, by = 1)
  let r = truncreduce(s, by = 2)
  let cl = clamp(s, lo = -3, hi = 5)
  let w = wrap(s, s)
  let q = msb(s)
  let bq = b2a(q, to = i8)
  let z = sext(s, to = i${wide})
  let y = mul(s, s)
  let pos = relu(s)
  let tz = trunc(pos, by = 1)
  let ze = zext(pos, to = i${wide})
  let mp = maxpool(s, ${k})
  let sq = sqplus(s)
  let rq = s as u3 scale 2^1
  output argmax(s) to client
  output t to client
  output r to client
  output cl to client
  output w to client
  output bq to client
  output z to client
  output y to client
  output tz to client
  output ze to client
  output mp to client
  output sq to client
  output rq to client
}
`);
  return path;
}

/** Random widths and shapes of the primitives model, and a seed for its input. */
export const primitivesCase = fc.record({ bits: fc.integer({ min: 4, max: 30 }), c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 2, max: 5 }), k: fc.integer({ min: 1, max: 2 }), seed: fc.integer() });

/** The compiled primitives model of a case and an input spread over its type's range. */
export function primitivesRun({ bits, c, h, k, seed }: { bits: number; c: number; h: number; k: number; seed: number }): { program: Program; inputs: Map<string, Tensor> } {
  const r = compileFile(primitivesModel(bits, c, h, k));
  if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const half = 1n << BigInt(bits - 1);
  const xs = Array.from({ length: c * h * h }, (_, i) => (BigInt(seed) * 7919n + BigInt(i) * 104729n) % (2n * half) - half);
  return { program: r.program, inputs: new Map([["x", tensorFromBigints([c, h, h], bits, true, xs)]]) };
}
