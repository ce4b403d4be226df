// Malformed programs and the exact diagnostics they produce: codes in source
// order, the line:col of the first, and (where it says something specific) the
// message of the first.
import { describe, expect, it } from "vitest";
import { parseSource } from "../../grammar/parse.js";

interface Case {
  name: string;
  src: string;
  codes: string[];
  at: string;
  message?: string;
}

const cases: Case[] = [
  // Lexing
  { name: "bad character", src: "model m {\n  let x = 1 @\n}", codes: ["PQ1001"], at: "2:13", message: "unexpected character '@'" },
  { name: "run of bad characters is one error", src: "model m { let x = f(a) $$$ }", codes: ["PQ1001"], at: "1:24", message: "unexpected character '$'" },
  { name: "non-ASCII identifier", src: "model m { let λ = 1 }", codes: ["PQ1001", "PQ1003"], at: "1:15", message: "unexpected character 'λ'" },
  { name: "bad character inside a shape", src: "model m { param w: i8[3 # 4] }", codes: ["PQ1001", "PQ1003"], at: "1:25" },
  { name: "unterminated string in params", src: 'model m {\n  params "lenet.json\n}', codes: ["PQ1002"], at: "2:10", message: "unterminated string literal" },
  { name: "unterminated import path", src: 'import "std/nn', codes: ["PQ1002"], at: "1:8" },
  { name: "unterminated block comment", src: "model m { } /* oops\n more", codes: ["PQ1010"], at: "1:13" },

  // Syntax inside declarations
  { name: "missing ')' before the next statement", src: "model m {\n  let y = f(a, b\n  let z = y\n}", codes: ["PQ1003"], at: "3:3", message: "expected ')' but found 'let'" },
  { name: "missing ']' in a list", src: "model m { let x = [1, 2 }", codes: ["PQ1003"], at: "1:25", message: "expected ']' but found '}'" },
  { name: "missing '}' at end of file points at the last token", src: "model m {\n  let x = f(a)\n  output x", codes: ["PQ1004"], at: "3:10", message: "unexpected end of file: expected a statement or '}'" },
  { name: "end of file inside a call", src: "model m { let x = f(", codes: ["PQ1004"], at: "1:20", message: "unexpected end of file: expected ')'" },
  { name: "bare import keyword", src: "import", codes: ["PQ1004"], at: "1:1", message: "unexpected end of file: expected a string" },
  { name: "missing '=' in let", src: "model m { let x f(a) }", codes: ["PQ1003"], at: "1:17", message: "expected '=' but found 'f'" },
  { name: "let without a name", src: "model m { let = f(a) }", codes: ["PQ1003"], at: "1:15", message: "expected an identifier but found '='" },
  { name: "model without a name", src: "model { }", codes: ["PQ1003"], at: "1:7", message: "expected an identifier but found '{'" },
  { name: "input without ':'", src: "model m { input x u8 }", codes: ["PQ1003"], at: "1:19", message: "expected ':' but found 'u8'" },
  { name: "params without a string", src: "model m { params lenet }", codes: ["PQ1003"], at: "1:18", message: "expected a string but found 'lenet'" },
  { name: "`as` without a type", src: "model m { let y = x as }", codes: ["PQ1003"], at: "1:24", message: "expected a type such as i8 or u4 but found '}'" },
  { name: "`as` with a name instead of a type", src: "model m { let y = x as foo }", codes: ["PQ1003"], at: "1:24" },
  { name: "`i8x` is a name, not a type", src: "model m { let y = x as i8x }", codes: ["PQ1003"], at: "1:24", message: "expected a type such as i8 or u4 but found 'i8x'" },
  { name: "missing scale", src: "model m { param w: i8 scale }", codes: ["PQ1003"], at: "1:29", message: "expected a scale such as 2^-8, 0.5 or a name but found '}'" },
  { name: "power-of-two scale with another base", src: "model m { param w: i8 scale 3^-2 }", codes: ["PQ1003"], at: "1:29", message: "expected '2' but found '3'" },
  { name: "empty shape", src: "model m { param w: i8[] }", codes: ["PQ1003"], at: "1:23", message: "expected a dimension (an integer or a name) but found ']'" },
  { name: "output to a non-party", src: "model m { output x to public }", codes: ["PQ1003"], at: "1:23", message: "expected 'client' or 'server' but found 'public'" },
  { name: "empty argument", src: "model m { let x = f(a,, b) }", codes: ["PQ1003"], at: "1:23", message: "expected an argument but found ','" },
  { name: "binary operators do not exist", src: "model m { let x = 2 ^ 3 }", codes: ["PQ1003"], at: "1:21", message: "expected a statement or '}' but found '^'" },
  { name: "tuple in parentheses", src: "model m { let x = (a, b) }", codes: ["PQ1003"], at: "1:21" },
  { name: "junk inside a body is skipped", src: "model m { foo bar let x = 1 output x }", codes: ["PQ1003"], at: "1:11", message: "expected a statement or '}' but found 'foo'" },
  { name: "protocol without '->'", src: "protocol p(x: iN) iN { return x }", codes: ["PQ1003"], at: "1:19", message: "expected '->' but found 'iN'" },
  { name: "block parameter default without int", src: "block b(x = 1) { return x }", codes: ["PQ1003"], at: "1:11" },
  { name: "trailing comma in block parameters", src: "block b(x, ) { return x }", codes: ["PQ1003"], at: "1:12" },
  { name: "missing default after '='", src: "block b(n: int = ) { return n }", codes: ["PQ1003"], at: "1:18", message: "expected an expression but found ')'" },

  // Checks made while building the AST
  { name: "width 0", src: "model m { param w: i0 }", codes: ["PQ1006"], at: "1:20", message: "bit width 0 is out of range" },
  { name: "width 65", src: "model m { param w: i65[2] }", codes: ["PQ1006"], at: "1:20", message: "bit width 65 is out of range" },
  { name: "width 99 in an `as`", src: "model m { let y = x as u99 }", codes: ["PQ1006"], at: "1:24", message: "bit width 99 is out of range" },
  { name: "integer above 2^64-1", src: "model m { let x = 18446744073709551616 }", codes: ["PQ1007"], at: "1:19", message: "integer literal 18446744073709551616 is too large" },
  { name: "hex integer above 2^64-1", src: "model m { let x = f(0x10000000000000000) }", codes: ["PQ1007"], at: "1:21" },
  { name: "dimension beyond exact integers", src: "model m { param w: i8[99999999999999999999] }", codes: ["PQ1007"], at: "1:23" },
  { name: "block without return", src: "block b(x) {\n  let y = relu(x)\n}", codes: ["PQ1008"], at: "3:1", message: "a block body must end with `return`" },
  { name: "protocol without return", src: "protocol p(x: iN) -> iN { }", codes: ["PQ1008"], at: "1:27", message: "a protocol body must end with `return`" },
  { name: "param in a protocol", src: "protocol p(x: iN) -> iN {\n  param w: i8\n  return x\n}", codes: ["PQ1009"], at: "2:3", message: "'param' is not allowed in a protocol body" },
  { name: "input and output in a protocol", src: "protocol p(x: iN) -> iN { input y: u8 output x return x }", codes: ["PQ1009", "PQ1009"], at: "1:27" },
  { name: "output in a block", src: "block b(x) { output x return x }", codes: ["PQ1009"], at: "1:14", message: "'output' is not allowed in a block body" },
  { name: "params in a block", src: 'block b(x) { params "p.json" return x }', codes: ["PQ1009"], at: "1:14" },
  { name: "return in a model", src: "model m { return x }", codes: ["PQ1009"], at: "1:11", message: "'return' is not allowed in a model body" },
  { name: "statement after return", src: "block b(x) { return x let y = x }", codes: ["PQ1012"], at: "1:14", message: "`return` must be the last statement of a block body" },
  { name: "positional after named", src: "model m { output f(a, k = 1, b) }", codes: ["PQ1011"], at: "1:30", message: "a positional argument cannot follow a named argument" },

  // Top level
  { name: "stray statement at top level", src: "let x = 1\nmodel m { output x }", codes: ["PQ1005"], at: "1:1", message: "'let' cannot start a declaration" },
  { name: "stray '}' after a model", src: "model m { output x } }", codes: ["PQ1005"], at: "1:22", message: "'}' cannot start a declaration" },
  { name: "stray tokens at end of file", src: "model m { output x } foo bar", codes: ["PQ1005"], at: "1:22" },
  { name: "junk between declarations, twice", src: "foo model m { output x } 1 2 3 block b(x) { return x }", codes: ["PQ1005", "PQ1005"], at: "1:1" },

  // Recovery: every error in the file is reported
  { name: "two errors in one model", src: "model m {\n  let = 1\n  let y f(x)\n}", codes: ["PQ1003", "PQ1003"], at: "2:7" },
  {
    name: "an error in a block and another in a model",
    src: "block b(x) {\n  let y = f(x,\n  return y\n}\nmodel m {\n  input x u8\n  output b(x)\n}",
    codes: ["PQ1003", "PQ1003"],
    at: "3:3",
    message: "expected an argument but found 'return'",
  },
  {
    name: "lexing, syntax and AST errors together",
    src: 'import "a\nmodel m {\n  param w: i0\n  let = 1\n}\nblock b(x) { let y = x }',
    codes: ["PQ1002", "PQ1006", "PQ1003", "PQ1008"],
    at: "1:8",
  },
];

describe("diagnostics", () => {
  it.each(cases)("$name", ({ src, codes, at, message }) => {
    const { diagnostics } = parseSource(src, "bad.pq");
    expect(diagnostics.map((d) => d.code)).toEqual(codes);
    const first = diagnostics[0]!;
    expect(`${first.span?.line}:${first.span?.col}`).toBe(at);
    expect(first.span?.file).toBe("bad.pq");
    if (message !== undefined) expect(first.message).toBe(message);
  });

  it("reports the second error's position too", () => {
    const { diagnostics } = parseSource("model m {\n  let = 1\n  let y f(x)\n}", "bad.pq");
    expect(diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.message}`)).toEqual([
      "2:7 expected an identifier but found '='",
      "3:9 expected '=' but found 'f'",
    ]);
  });

  it("spans a bad character run and a bad width exactly", () => {
    const bad = parseSource("model m { let x = 1 $$ }", "bad.pq").diagnostics[0]!;
    expect(bad.span).toEqual({ file: "bad.pq", line: 1, col: 21, endLine: 1, endCol: 23, offset: 20, endOffset: 22 });
    const width = parseSource("model m { param w: shared i65[2] }", "bad.pq").diagnostics[0]!;
    expect(width.span).toMatchObject({ line: 1, col: 27, endCol: 30 });
  });

  it("keeps the well-formed parts of a file with errors", () => {
    const { ast, diagnostics } = parseSource("model m { foo let x = 1 let = 2 output x }\nblock b(x) { return x }", "bad.pq");
    expect(diagnostics.map((d) => d.code)).toEqual(["PQ1003", "PQ1003"]);
    expect(ast.decls.map((d) => d.kind)).toEqual(["model", "block"]);
    const m = ast.decls[0]!;
    if (m.kind !== "model") throw new Error("expected a model");
    // The nameless `let` is dropped: the AST holds complete nodes only.
    expect(m.items.map((i) => i.kind)).toEqual(["let", "output"]);
  });

  it("returns an empty file for empty input without diagnostics", () => {
    expect(parseSource("", "empty.pq")).toEqual({ ast: { kind: "file", path: "empty.pq", decls: [] }, diagnostics: [] });
  });

  it("carries hints from the catalogue", () => {
    const d = parseSource("model m { param w: u0 }", "bad.pq").diagnostics[0]!;
    expect(d.hint).toBe("element types are i1..i64 and u1..u64");
  });
});
