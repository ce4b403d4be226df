// ReLU is written once, in .pq (std/protocols: drelu then select), and inlined by the
// compiler: the lowered program must contain no relu on signed values, and the two-party
// run of it must give max(x, 0) exactly at every width.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { totals } from "../../interpreter/twopc/meter.js";

const dir = mkdtempSync(join(tmpdir(), "pq-relu-"));

/** x (client) times a server-held 1 per element, so the value is shared, then relu. */
function model(bits: number, n: number): string {
  const path = join(dir, `relu${bits}_${n}.pq`);
  writeFileSync(join(dir, `relu${bits}_${n}.params.json`), JSON.stringify({
    format: "pq-params/1",
    tensors: { m: { shape: [n], data: new Array(n).fill(1) }, a: { shape: [n], data: new Array(n).fill(0) } },
  }));
  writeFileSync(path, `model r {
  input x: client i${bits}[${n}]
  params "relu${bits}_${n}.params.json"
  param m: i2[${n}]
  param a: i2[${n}]
  let s = batchnorm(x, m, a)
  output relu(s) to client
}
`);
  return path;
}

describe("relu from std/protocols", () => {
  it("is inlined: the lowered program has drelu and select, no signed relu", () => {
    const r = compileFile(model(8, 3));
    const ops = r.program!.graph.nodes.map((x) => x.op);
    expect(ops).toContain("drelu");
    expect(ops).toContain("select");
    expect(ops).not.toContain("relu");
    const sel = r.program!.graph.nodes.find((x) => x.op === "select")!;
    expect(sel.type.nonneg).toBe(true);
    expect(sel.origin.via).toBe("relu");
    const layers = compileFile(model(8, 3), { protocols: false }).program!.graph.nodes.map((x) => x.op);
    expect(layers).toContain("relu");
  });

  it("two-party relu is max(x, 0) at widths 2..64, attributed to relu/…", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 2, max: 64 }).chain((bits) => fc.tuple(fc.constant(bits), fc.array(fc.bigInt({ min: -(1n << BigInt(bits - 1)), max: (1n << BigInt(bits - 1)) - 1n }), { minLength: 1, maxLength: 6 }))), async ([bits, xs]) => {
      const r = compileFile(model(bits, xs.length));
      expect(r.diagnostics).toEqual([]);
      const x = tensorFromBigints([xs.length], bits, true, xs);
      const out = await runTwoParty(r.program!.graph, r.program!.ranges, new Map([["x", x]]));
      expect(toBigints(out.outputs[0]!)).toEqual(xs.map((v) => (v > 0n ? v : 0n)));
      const reluRows = out.client.filter((row) => row.primitive.startsWith("relu/"));
      expect(totals(reluRows).sent).toBeGreaterThan(0);
    }), { numRuns: 25 });
  });
});
