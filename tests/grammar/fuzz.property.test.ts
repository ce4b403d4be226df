// The parser must survive anything an editor can hold mid-keystroke: mutate
// valid programs at the token and character level and check that parseSource
// returns, reports only positioned diagnostics, and never hits an internal error.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pqLexer } from "../../grammar/lexer.js";
import { parseSource } from "../../grammar/parse.js";

const programs = [
  `import "std/nn"
model lenet {
  input  x: client u8[1, 28, 28] scale 0.00392156862745098
  params "lenet.params.json"
  param  conv1_w: i8[6, 1, 5, 5]
  param  conv1_b: i32[6] scale 2^-12
  let c1 = conv2d(x, conv1_w, conv1_b, pad = 2, stride = 1)
  let a1: shared i16[6, 28, 28] = relu(c1)
  let q1 = a1 as u4 scale a1s
  let l  = linear(flatten(avgpool(q1, 2)), fc_w, fc_b)
  output argmax(l) to client
}`,
  `block conv_bn_relu(x, w_bits: int, cout: int, stride: int = 1) {
  param w: i8[cout, 3, 3, 3] /* weights */
  let y = conv2d(x, w, stride = stride, pad = 1);
  return relu(batchnorm(y, [1, -2, 0x3]))
}`,
  `protocol relu(x: shared iN) -> shared iN {
  let b: shared u1 = drelu(x)
  let c = sext(b, to = shared u8 nonneg) as i8 as u4 scale 1e-3
  return select(b, x, 0)
}`,
];

const tokenPool = [
  ...new Set(programs.flatMap((p) => pqLexer.tokenize(p).tokens.map((t) => t.image))),
  "@",
  '"open',
  "/*",
  "i0",
  "u99",
  "99999999999999999999999",
  ";",
];

type TokenEdit = { op: "delete" | "insert" | "swap" | "duplicate"; at: number; other: number; token: string };

function applyTokenEdits(program: string, edits: TokenEdit[]): string {
  const toks = pqLexer.tokenize(program).tokens.map((t) => t.image);
  for (const e of edits) {
    if (toks.length === 0) break;
    const i = e.at % toks.length;
    const j = e.other % toks.length;
    if (e.op === "delete") toks.splice(i, 1);
    else if (e.op === "insert") toks.splice(i, 0, e.token);
    else if (e.op === "duplicate") toks.splice(i, 0, toks[i]!);
    else [toks[i], toks[j]] = [toks[j]!, toks[i]!];
  }
  return toks.join(" ");
}

type CharEdit = { op: "delete" | "insert" | "replace"; at: number; len: number; text: string };

function applyCharEdits(program: string, edits: CharEdit[]): string {
  let s = program;
  for (const e of edits) {
    const i = e.at % (s.length + 1);
    if (e.op === "delete") s = s.slice(0, i) + s.slice(i + e.len);
    else if (e.op === "insert") s = s.slice(0, i) + e.text + s.slice(i);
    else s = s.slice(0, i) + e.text + s.slice(i + e.len);
  }
  return s;
}

function checkParses(text: string): void {
  const { ast, diagnostics } = parseSource(text, "fuzz.pq");
  expect(ast.kind).toBe("file");
  for (const d of diagnostics) {
    expect(d.code).not.toBe("PQ5001");
    expect(d.span).toBeDefined();
    expect(d.span!.line).toBeGreaterThanOrEqual(1);
    expect(d.span!.col).toBeGreaterThanOrEqual(1);
  }
}

const tokenEdit: fc.Arbitrary<TokenEdit> = fc.record({
  op: fc.constantFrom("delete", "insert", "swap", "duplicate"),
  at: fc.nat(),
  other: fc.nat(),
  token: fc.constantFrom(...tokenPool),
});

const charEdit: fc.Arbitrary<CharEdit> = fc.record({
  op: fc.constantFrom("delete", "insert", "replace"),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 8 }),
  text: fc.oneof(fc.string({ maxLength: 3, unit: "binary" }), fc.constantFrom("{", "}", "(", ")", '"', "/*", "*/", "//", "\n", "^-", "0x")),
});

describe("parser robustness", () => {
  it("the unmutated programs parse cleanly", () => {
    for (const p of programs) expect(parseSource(p, "ok.pq").diagnostics).toEqual([]);
  });

  it("never throws on token-level mutations", () => {
    fc.assert(
      fc.property(fc.constantFrom(...programs), fc.array(tokenEdit, { minLength: 1, maxLength: 6 }), (p, edits) => {
        checkParses(applyTokenEdits(p, edits));
      }),
      { numRuns: 400 },
    );
  });

  it("never throws on character-level mutations", () => {
    fc.assert(
      fc.property(fc.constantFrom(...programs), fc.array(charEdit, { minLength: 1, maxLength: 6 }), (p, edits) => {
        checkParses(applyCharEdits(p, edits));
      }),
      { numRuns: 400 },
    );
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: "binary" }), (s) => {
        checkParses(s);
      }),
      { numRuns: 300 },
    );
  });

  it("turns absurdly deep nesting into a diagnostic instead of a crash", () => {
    const deep = `model m { output ${"f(".repeat(20000)}x${")".repeat(20000)} }`;
    const { diagnostics } = parseSource(deep, "deep.pq");
    expect(diagnostics.map((d) => d.code)).toEqual(["PQ1013"]);
    // The shared parser instance is still usable afterwards.
    expect(parseSource("model m { output x }", "ok.pq").diagnostics).toEqual([]);
  });
});
