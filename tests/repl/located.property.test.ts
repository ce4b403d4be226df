// A typed statement's errors point into the typed line (`<repl>:1:COL`, with the line as the
// excerpt), never at the line of the loaded file it was compiled into: for any mistake at
// any position of the line, in a loaded file or the scratch model, after any earlier statements.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Session, type Output } from "../../cli/repl/session.js";
import { fixture } from "./fixture.js";

const f = fixture();
const errors = (o: Output) => o.blocks.filter((b) => b.style === "error").map((b) => b.text);

/** A statement with one mistake, and the column the mistake starts at. */
const mistake = fc.oneof(
  fc.constantFrom("q", "xx", "zz9").map((name) => ({ line: `let y = relu(${name})`, col: 14, code: "PQ2001" })),
  fc.constantFrom("reluu", "linearr").map((op) => ({ line: `let y = ${op}(x)`, col: 9, code: "PQ2003" })),
  fc.nat({ max: 6 }).map((pad) => ({ line: `let y =${" ".repeat(pad)} x as u99`, col: 14 + pad, code: "PQ1006" })),
  fc.constantFrom("q", "nothing").map((name) => ({ line: `relu(${name})`, col: 6, code: "PQ2001" })),
);
const earlier = fc.array(fc.constantFrom("let a = relu(x)", "input z: client u8[4]", "let b = x"), { maxLength: 3 });

describe("REPL diagnostics point into the typed line", () => {
  it("every error of a typed statement is at <repl>:1:COL with that line as its excerpt", async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), earlier, mistake, async (load, before, m) => {
        const s = new Session();
        if (load) await s.execute(`:load ${f.model}`);
        else await s.execute("input x: client u8[4]");
        for (const b of before) await s.execute(b);
        const es = errors(await s.execute(m.line));
        expect(es.length).toBeGreaterThan(0);
        expect(es[0]).toMatch(new RegExp(`^<repl>:1:${m.col}: error ${m.code}: `));
        for (const e of es) {
          expect(e).toMatch(/^<repl>:1:\d+: /);
          expect(e.split("\n")[1]).toBe(`   1 | ${m.line}`);
        }
      }),
      { numRuns: 40 },
    );
  });
});
