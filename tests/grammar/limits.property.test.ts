// The front end's bounds, for inputs of any size: junk characters, binary data, deep
// nesting and floods of syntax errors each end in a few located diagnostics, quickly and in
// bounded memory, and nothing recursive or spread-into-arguments runs over a token count.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { MAX_INVALID_RUNS, pqLexer } from "../../grammar/lexer.js";
import { MAX_DEPTH, MAX_SHOWN, parseSource } from "../../grammar/parse.js";

const codes = (text: string) => parseSource(text, "t.pq").diagnostics.map((d) => d.code);

function located(text: string): void {
  for (const d of parseSource(text, "t.pq").diagnostics) {
    expect(d.code).not.toBe("PQ5001");
    expect(d.span).toBeDefined();
  }
}

/** Characters that start no token: ASCII punctuation, controls, non-ASCII letters, astral symbols (not `/` or `*`: together they open a comment). */
const junk = fc.constantFrom("@", "#", "$", "%", "&", "+", "!", "?", ".", "|", "~", "`", "'", "\\", "\u0001", "\u001b", "λ", "é", "€", "😀", "\u00ad");
const run = fc.array(junk, { minLength: 1, maxLength: 4 }).map((cs) => cs.join(""));
const separator = fc.constantFrom(" ", "\n", " x ", "(", "\r\n", "\t1\t", ";");

describe("characters that start no token", () => {
  it("the lexer itself never errors (an Invalid token covers every other character)", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: "binary" }), (s) => {
      expect(pqLexer.tokenize(s).errors).toEqual([]);
    }), { numRuns: 300 });
  });

  it("each run is one PQ1001; beyond 20 runs reading stops with one PQ1014", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(run, separator), { minLength: 1, maxLength: 200 }), (parts) => {
        const text = `model m {\n${parts.map(([r, s]) => r + s).join("")}\n}`;
        const ds = parseSource(text, "t.pq").diagnostics;
        const runs = ds.filter((d) => d.code === "PQ1001");
        expect(runs.length).toBe(Math.min(parts.length, MAX_INVALID_RUNS));
        expect(ds.length).toBeLessThanOrEqual(MAX_SHOWN + 1);
        if (parts.length > MAX_INVALID_RUNS) expect(ds.at(-1)!.code).toBe("PQ1014");
        located(text);
        // Control characters never reach the terminal raw.
        for (const d of ds) expect(formatDiagnostic(d, new Map([["t.pq", text]]))).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
      }),
      { numRuns: 150 },
    );
  });

  it("10 MB of junk runs is read in bounded time and memory", () => {
    const t0 = performance.now();
    const ds = parseSource("@ ".repeat(5_000_000), "big.pq").diagnostics;
    expect(ds.map((d) => d.code)).toEqual([...Array(MAX_INVALID_RUNS).fill("PQ1001"), "PQ1014"]);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("a file with a NUL byte is refused as binary with one located PQ1014", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), (bytes, at) => {
        const b = Buffer.from(bytes);
        const withNul = Buffer.concat([b.subarray(0, at % (b.length + 1)), Buffer.from([0]), b.subarray(at % (b.length + 1))]);
        const ds = parseSource(withNul.toString("utf8"), "bin.pq").diagnostics;
        expect(ds.map((d) => d.code)).toEqual(["PQ1014"]);
        expect(ds[0]!.message).toContain("NUL");
        expect(ds[0]!.span).toBeDefined();
      }),
      { numRuns: 100 },
    );
  });
});

describe("nesting", () => {
  /** A nested expression: each level a parenthesis, a list, a call or a minus sign. */
  const levels = fc.array(fc.constantFrom("(", "[", "relu(", "-"), { minLength: 1, maxLength: 400 });
  const nested = (ls: string[]) => {
    const open = ls.join("");
    const close = [...ls].reverse().map((l) => (l === "-" ? "" : l === "[" ? "]" : ")")).join("");
    return `model m {\n  input x: client i8[4]\n  output ${open}x${close}\n}`;
  };
  /** The depth the limit counts: brackets open, plus the run of minus signs at that point. */
  const depth = (ls: string[]) => {
    let deepest = 0;
    let brackets = 0;
    let minus = 0;
    for (const l of ls) {
      if (l === "-") minus++;
      else [brackets, minus] = [brackets + 1, 0];
      deepest = Math.max(deepest, brackets + 1 + minus);
    }
    return deepest;
  };

  it("up to 128 levels parse; deeper is one PQ1013 at the token where the limit is passed, never a stack overflow", () => {
    fc.assert(
      fc.property(levels, (ls) => {
        const text = nested(ls);
        const ds = parseSource(text, "deep.pq").diagnostics;
        expect(ds.map((d) => d.code).filter((c) => c === "PQ1013" || c === "PQ5001")).toEqual(depth(ls) > MAX_DEPTH ? ["PQ1013"] : []);
        if (depth(ls) > MAX_DEPTH) {
          expect(ds[0]!.span!.line).toBe(3);
          expect(ds[0]!.message).toBe(`nested more than ${MAX_DEPTH} levels deep`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("10,000 parentheses: PQ1013 with file:line:col", () => {
    const ds = parseSource(`model m {\n  output ${"(".repeat(10000)}x${")".repeat(10000)}\n}`, "deep.pq").diagnostics;
    expect(ds.map((d) => d.code)).toEqual(["PQ1013"]);
    expect(ds[0]!.span).toMatchObject({ file: "deep.pq", line: 2, col: 10 + MAX_DEPTH - 1 });
  });
});

describe("floods of syntax errors", () => {
  it("more than 20 are cut to the first 20 and one PQ1015 counting the rest", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), (n) => {
        const text = `model m {\n${"  let = 1\n".repeat(n)}}`;
        const ds = parseSource(text, "t.pq").diagnostics;
        if (n <= MAX_SHOWN) expect(codes(text)).toEqual(Array(n).fill("PQ1003"));
        else {
          expect(ds.length).toBe(MAX_SHOWN + 1);
          expect(ds.at(-1)!.code).toBe("PQ1015");
          expect(ds.at(-1)!.message).toBe(`${n - MAX_SHOWN} more syntax errors in this file are not shown`);
        }
      }),
      { numRuns: 30 },
    );
  });

  it("an excerpt of a very long line is clipped around the caret", () => {
    const text = `model m { ${"let a = x ".repeat(20000)} @ }`;
    const [d] = parseSource(text, "t.pq").diagnostics;
    const shown = formatDiagnostic(d!, new Map([["t.pq", text]]));
    expect(shown.length).toBeLessThan(600);
    const [, src, caret] = shown.split("\n");
    expect(src![caret!.indexOf("^")]).toBe("@");
  });
});
