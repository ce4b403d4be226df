// Lowering, typing and range analysis cost linear time in the program's length (a copy of
// the scope per inlined call once made `pq check` quadratic: 20,000 lets took 38 s), and a
// statement that fails takes down only what depends on it: one mistake, one diagnostic.
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";

/** `n` lets, each step one of a mix of ops on the previous value (relu is inlined from std/protocols). */
function chain(n: number, steps: readonly string[]): string {
  const lines = ["model m {", "  input x: client i8[4]", "  let a0 = relu(x) as i8"];
  for (let i = 1; i < n; i++) lines.push(`  let a${i} = ${steps[i % steps.length]!.replaceAll("P", `a${i - 1}`)}`);
  lines.push(`  output a${n - 1} to client`, "}");
  return lines.join("\n");
}

const step = fc.constantFrom("relu(P) as i8", "P", "add(P, a0) as i8", "neg(P) as i8", "-P as i8", "relu(P) as u4 as i8", "sub(P, [1, -2, 3, -4]) as i8");

function seconds(text: string): number {
  const t0 = performance.now();
  const r = compileFile("chain.pq", { text });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return (performance.now() - t0) / 1000;
}

describe("compile time is linear in program length", () => {
  it("8x the lets costs far less than 64x the time, for any mix of steps", () => {
    seconds(chain(200, ["relu(P) as i8"])); // warm up
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 4 }), (steps) => {
        const small = Math.max(seconds(chain(500, steps)), 0.01);
        const large = seconds(chain(4000, steps));
        // Linear is 8x, quadratic 64x; the margin absorbs a busy machine.
        expect(large / small).toBeLessThan(24);
      }),
      { numRuns: 3 },
    );
  });
});

describe("a failed statement does not cascade", () => {
  const dir = mkdtempSync(join(tmpdir(), "pq-cascade-"));
  it("a params file that cannot be read is one diagnostic, whatever uses it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.constantFrom("nope.json", "bad.json"), (k, namedScale, file) => {
        writeFileSync(join(dir, "bad.json"), "{ not json");
        const params = Array.from({ length: k }, (_, i) => `  param w${i}: i8[4, 4]${namedScale && i === 0 ? " scale s" : ""}`);
        const lets = Array.from({ length: k }, (_, i) => `  let h${i} = linear(${i === 0 ? "x" : `h${i - 1} as i8`}, w${i})`);
        const text = ["model m {", "  input x: client i8[4]", `  params "${file}"`, ...params, ...lets, `  let y: i8 scale t = h${k - 1} as i8`, `  output y to client`, "}"].join("\n");
        const r = compileFile(join(dir, "m.pq"), { text });
        expect(r.diagnostics.map((d) => d.code)).toEqual([file === "nope.json" ? "PQ4001" : "PQ4002"]);
        expect(r.diagnostics[0]!.span).toMatchObject({ line: 3 });
      }),
      { numRuns: 30 },
    );
  });
});

describe("unary minus", () => {
  it("-x of a tensor is neg(x); -3 is a literal", () => {
    for (const [expr, ops] of [["-x", ["input", "neg"]], ["-relu(x)", ["input", "relu", "neg"]], ["- -x", ["input", "neg", "neg"]], ["add(x, [-3, 1, -2, 4])", ["input", "const", "add"]]] as const) {
      const r = compileFile("neg.pq", { protocols: false, text: `model m {\n  input x: client i8[4]\n  output ${expr} to client\n}` });
      expect(r.diagnostics).toEqual([]);
      expect(r.program!.graph.nodes.map((n) => n.op)).toEqual(ops);
    }
  });
});
