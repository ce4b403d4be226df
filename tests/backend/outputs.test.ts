// Several outputs of mixed visibility: a value the client already knows is not revealed
// (neither party sends it), and the shared outputs after it still reach the client.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";

describe("outputs of mixed visibility", () => {
  it("client-known, shared and public outputs all arrive, equal to plaintext", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pq-out-"));
    writeFileSync(join(dir, "p.json"), JSON.stringify({ format: "pq-params/1", tensors: { m: { shape: [3], data: [1, -2, 3] }, a: { shape: [3], data: [0, 1, -1] } } }));
    writeFileSync(join(dir, "m.pq"), `model two {
  input x: client i4[3]
  params "p.json"
  param m: i3[3]
  param a: i3[3]
  output x to client
  output relu(batchnorm(x, m, a)) to client
  output 5 to client
  output argmax(batchnorm(x, m, a)) to client
}
`);
    const r = compileFile(join(dir, "m.pq"));
    expect(r.diagnostics).toEqual([]);
    const inputs = new Map([["x", tensorFromBigints([3], 4, true, [1n, -2n, 3n])]]);
    const plain = runPlain(r.program!.graph, inputs).outputs.map(toBigints);
    const two = await runTwoParty(r.program!.graph, r.program!.ranges, inputs);
    expect(two.outputs.map(toBigints)).toEqual(plain);
    expect(plain).toEqual([[1n, -2n, 3n], [1n, 5n, 8n], [5n], [2n]]);
  });
});
