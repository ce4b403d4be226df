// Golden tests: every construct of the concrete syntax and the AST it yields.
// Expressions and types are compared through a compact rendering so that each
// expectation fits on one line; spans are checked explicitly where they matter.
import { describe, expect, it } from "vitest";
import type { BlockDecl, Expr, LetStmt, ModelDecl, ProtocolDecl, ScaleExpr, SourceFile, TopDecl, TypeExpr } from "../../grammar/ast.js";
import { parseSource } from "../../grammar/parse.js";

function parseClean(text: string): SourceFile {
  const { ast, diagnostics } = parseSource(text, "golden.pq");
  expect(diagnostics).toEqual([]);
  return ast;
}

function only<K extends TopDecl["kind"]>(text: string, kind: K): Extract<TopDecl, { kind: K }> {
  const decls = parseClean(text).decls;
  expect(decls).toHaveLength(1);
  const d = decls[0]!;
  expect(d.kind).toBe(kind);
  return d as Extract<TopDecl, { kind: K }>;
}

function renderScale(s: ScaleExpr): string {
  if (s.kind === "pow2") return `2^${s.exp}`;
  if (s.kind === "real") return `real(${s.text})`;
  return `named(${s.name})`;
}

function renderType(t: TypeExpr): string {
  const parts: string[] = [];
  if (t.vis) parts.push(t.vis);
  let elem = `${t.signed ? "i" : "u"}${t.width}`;
  if (t.shape) elem += `[${t.shape.map((d) => (d.kind === "int" ? String(d.value) : d.name)).join(",")}]`;
  parts.push(elem);
  if (t.scale) parts.push(`scale ${renderScale(t.scale)}`);
  if (t.nonneg) parts.push("nonneg");
  return parts.join(" ");
}

function render(e: Expr): string {
  switch (e.kind) {
    case "int":
      return `${e.value}n`;
    case "real":
      return `real(${e.text}=${e.value})`;
    case "name":
      return e.name;
    case "list":
      return `[${e.items.map(render).join(", ")}]`;
    case "neg":
      return `neg(${render(e.operand)})`;
    case "call":
      return `${e.callee}(${[...e.args.map(render), ...e.named.map((n) => `${n.name}=${render(n.value)}`)].join(", ")})`;
    case "as":
      return `as(${render(e.operand)}, ${renderType(e.type)})`;
    case "typeArg":
      return `type(${renderType(e.type)})`;
  }
}

/** The value of `let v = <src>` inside a model. */
function expr(src: string): string {
  const m = only(`model m { let v = ${src} }`, "model");
  return render((m.items[0] as LetStmt).value);
}

/** The type of `param p: <src>` inside a model. */
function type(src: string): string {
  const m = only(`model m { param p: ${src} }`, "model");
  const item = m.items[0]!;
  expect(item.kind).toBe("param");
  return renderType((item as { type: TypeExpr }).type);
}

const lenet = `import "std/nn"

model lenet {
  input  x: client u8[1, 28, 28] scale 0.00392156862745098
  params "lenet.params.json"
  param  conv1_w: i8[6, 1, 5, 5]
  param  conv1_b: i32[6] scale 2^-12
  let c1 = conv2d(x, conv1_w, conv1_b, pad = 2, stride = 1)
  let a1: shared i16[6, 28, 28] = relu(c1)
  let q1 = a1 as u4 scale a1s
  let p  = avgpool(q1, 2)
  let l  = linear(flatten(p), fc_w, fc_b)
  output argmax(l) to client
}
`;

describe("declarations", () => {
  it("parses the LeNet model item by item", () => {
    const ast = parseClean(lenet);
    expect(ast.kind).toBe("file");
    expect(ast.path).toBe("golden.pq");
    expect(ast.decls.map((d) => d.kind)).toEqual(["import", "model"]);
    const m = ast.decls[1] as ModelDecl;
    expect(m.name).toBe("lenet");
    const items = m.items.map((it) => {
      switch (it.kind) {
        case "input":
        case "param":
          return `${it.kind} ${it.name}: ${renderType(it.type)}`;
        case "params":
          return `params ${it.path}`;
        case "let":
          return `let ${it.name}${it.type ? `: ${renderType(it.type)}` : ""} = ${render(it.value)}`;
        case "output":
          return `output ${render(it.value)} to ${it.to}`;
      }
    });
    expect(items).toEqual([
      "input x: client u8[1,28,28] scale real(0.00392156862745098)",
      "params lenet.params.json",
      "param conv1_w: i8[6,1,5,5]",
      "param conv1_b: i32[6] scale 2^-12",
      "let c1 = conv2d(x, conv1_w, conv1_b, pad=2n, stride=1n)",
      "let a1: shared i16[6,28,28] = relu(c1)",
      "let q1 = as(a1, u4 scale named(a1s))",
      "let p = avgpool(q1, 2n)",
      "let l = linear(flatten(p), fc_w, fc_b)",
      "output argmax(l) to client",
    ]);
  });

  it("gives every node an accurate span", () => {
    const m = parseClean(lenet).decls[1] as ModelDecl;
    expect(m.nameSpan).toEqual({ file: "golden.pq", line: 3, col: 7, endLine: 3, endCol: 12, offset: 23, endOffset: 28 });
    expect(m.span).toMatchObject({ line: 3, col: 1, endLine: 14, endCol: 2 });
    const input = m.items[0]!;
    expect(input.span).toMatchObject({ line: 4, col: 3, endLine: 4, endCol: 59 });
    const c1 = m.items[4] as LetStmt;
    expect(c1.nameSpan).toMatchObject({ line: 8, col: 7, endCol: 9 });
    expect(c1.value).toMatchObject({ kind: "call", calleeSpan: { line: 8, col: 12, endCol: 18 }, span: { line: 8, col: 12, endCol: 60 } });
    if (c1.value.kind !== "call") throw new Error("expected a call");
    expect(c1.value.named[0]!.span).toMatchObject({ line: 8, col: 40, endCol: 47 });
    const q1 = m.items[6] as LetStmt;
    expect(q1.value.span).toMatchObject({ line: 10, col: 12, endCol: 30 });
    // Offsets are half-open and index the source text.
    expect(lenet.slice(q1.value.span.offset, q1.value.span.endOffset)).toBe("a1 as u4 scale a1s");
  });

  it("parses imports with and without a .pq suffix and a semicolon", () => {
    const ast = parseClean(`import "std/nn"\nimport "./blocks.pq";\nimport "../lib/x"`);
    expect(ast.decls).toMatchObject([
      { kind: "import", path: "std/nn", span: { line: 1, col: 1, endCol: 16 } },
      { kind: "import", path: "./blocks.pq" },
      { kind: "import", path: "../lib/x", span: { line: 3 } },
    ]);
  });

  it("defaults output to the client and accepts `to server`", () => {
    const m = only(`model m { output a output b to client output c to server }`, "model");
    expect(m.items).toMatchObject([
      { kind: "output", to: "client" },
      { kind: "output", to: "client" },
      { kind: "output", to: "server" },
    ]);
  });

  it("parses a block with tensor and int parameters and defaults", () => {
    const b: BlockDecl = only(
      `block conv_bn_relu(x, w_bits: int, cout: int, cin: int, stride: int = 1, pad: int = -1) {
        param w: i8[cout, cin, 3, 3]
        param m: i16[cout]
        let y = conv2d(x, w, stride = stride, pad = 1)
        return relu(batchnorm(y, m, [1, -2, 3]))
      }`,
      "block",
    );
    expect(b.name).toBe("conv_bn_relu");
    expect(b.nameSpan).toMatchObject({ line: 1, col: 7, endCol: 19 });
    expect(b.params.map((p) => [p.name, p.isInt, p.default && render(p.default)])).toEqual([
      ["x", false, undefined],
      ["w_bits", true, undefined],
      ["cout", true, undefined],
      ["cin", true, undefined],
      ["stride", true, "1n"],
      ["pad", true, "neg(1n)"],
    ]);
    expect(b.params[4]!.span).toMatchObject({ line: 1, col: 57, endCol: 72 });
    expect(b.body.map((s) => `${s.kind} ${s.name}`)).toEqual(["param w", "param m", "let y"]);
    expect(renderType((b.body[0] as { type: TypeExpr }).type)).toBe("i8[cout,cin,3,3]");
    expect(render(b.ret.value)).toBe("relu(batchnorm(y, m, [1n, neg(2n), 3n]))");
    expect(b.ret.span).toMatchObject({ line: 5, col: 9 });
  });

  it("parses a block without parameters", () => {
    const b = only(`block id() { return x }`, "block");
    expect(b.params).toEqual([]);
    expect(b.body).toEqual([]);
  });

  it("parses a protocol with width variables", () => {
    const p: ProtocolDecl = only(
      `protocol relu(x: shared iN, y: public uM[4]) -> shared iN {
        let b: shared u1 = drelu(x)
        return select(b, x, 0)
      }`,
      "protocol",
    );
    expect(p.name).toBe("relu");
    expect(p.params.map((q) => `${q.name}: ${renderType(q.type)}`)).toEqual(["x: shared iN", "y: public uM[4]"]);
    expect(p.params[0]!.type).toMatchObject({ signed: true, width: "N", vis: "shared" });
    expect(renderType(p.result)).toBe("shared iN");
    expect(p.body).toMatchObject([{ kind: "let", name: "b", type: { vis: "shared", signed: false, width: 1 } }]);
    expect(render(p.ret.value)).toBe("select(b, x, 0n)");
  });

  it("parses a protocol without parameters", () => {
    const p = only(`protocol zero() -> public u1 { return 0 }`, "protocol");
    expect(p.params).toEqual([]);
    expect(renderType(p.result)).toBe("public u1");
  });

  it("parses several declarations in order", () => {
    const ast = parseClean(`import "a" block b(x) { return x } protocol p(x: iN) -> iN { return x } model m { output b(x) }`);
    expect(ast.decls.map((d) => d.kind)).toEqual(["import", "block", "protocol", "model"]);
  });

  it("parses an empty file and a file of comments", () => {
    expect(parseClean("").decls).toEqual([]);
    expect(parseClean("// nothing\n/* at\n all */").decls).toEqual([]);
  });
});

describe("types", () => {
  it.each([
    ["i8", "i8"],
    ["u16", "u16"],
    ["i1", "i1"],
    ["u64", "u64"],
    ["iN", "iN"],
    ["uM", "uM"],
    ["i8[6]", "i8[6]"],
    ["i8[6, N, 0x10]", "i8[6,N,16]"],
    ["public u8", "public u8"],
    ["client u8[1, 28, 28]", "client u8[1,28,28]"],
    ["server i32", "server i32"],
    ["shared i16", "shared i16"],
    ["i32 scale 2^-12", "i32 scale 2^-12"],
    ["i32 scale 2^3", "i32 scale 2^3"],
    ["i32 scale 2 ^ - 4", "i32 scale 2^-4"],
    ["u8 scale 0.5", "u8 scale real(0.5)"],
    ["u8 scale 1e-3", "u8 scale real(1e-3)"],
    ["u8 scale 3", "u8 scale real(3)"],
    ["u8 scale s_x", "u8 scale named(s_x)"],
    ["u8 nonneg", "u8 nonneg"],
    ["shared i8[6, 28] scale 2^-4 nonneg", "shared i8[6,28] scale 2^-4 nonneg"],
  ])("%s", (src, want) => {
    expect(type(src)).toBe(want);
  });

  it("keeps the text and value of a real scale", () => {
    const m = only(`model m { param p: u8 scale 1.5e2 }`, "model");
    expect(m.items[0]).toMatchObject({ type: { scale: { kind: "real", value: 150, text: "1.5e2", span: { col: 29, endCol: 34 } } } });
  });

  it("gives a type its full span", () => {
    const m = only(`model m { param p: shared i8[6] scale 2^-4 nonneg }`, "model");
    expect(m.items[0]).toMatchObject({ type: { span: { col: 20, endCol: 50 }, scale: { kind: "pow2", exp: -4, span: { col: 39, endCol: 43 } } } });
  });
});

describe("expressions", () => {
  it.each([
    ["42", "42n"],
    ["0x1F", "31n"],
    ["0XfF", "255n"],
    ["18446744073709551615", "18446744073709551615n"],
    ["0.5", "real(0.5=0.5)"],
    ["1e-3", "real(1e-3=0.001)"],
    ["1.5e2", "real(1.5e2=150)"],
    ["x", "x"],
    ["-3", "neg(3n)"],
    ["-x", "neg(x)"],
    ["--x", "neg(neg(x))"],
    ["-f(x)", "neg(f(x))"],
    ["[]", "[]"],
    ["[1, -2, 3]", "[1n, neg(2n), 3n]"],
    ["[[1, 2], [x]]", "[[1n, 2n], [x]]"],
    ["f()", "f()"],
    ["f(g(h(x)), [1])", "f(g(h(x)), [1n])"],
    ["f(x, pad = 2, stride = 1)", "f(x, pad=2n, stride=1n)"],
    ["f(pad = [1, 1])", "f(pad=[1n, 1n])"],
    ["sext(x, to = i16)", "sext(x, to=type(i16))"],
    ["cast(x, to = shared u8 nonneg)", "cast(x, to=type(shared u8 nonneg))"],
    ["rescale(x, scale = 0.5)", "rescale(x, scale=real(0.5=0.5))"],
    ["f(i8[2, 2])", "f(type(i8[2,2]))"],
    ["(x)", "x"],
    ["((f(x)))", "f(x)"],
    ["x as u4", "as(x, u4)"],
    ["x as u4 scale 2^-4", "as(x, u4 scale 2^-4)"],
    ["x as i8 as u4 scale a1s", "as(as(x, i8), u4 scale named(a1s))"],
    ["f(x) as shared i16[4] nonneg", "as(f(x), shared i16[4] nonneg)"],
    ["f(x as i8, y)", "f(as(x, i8), y)"],
    ["-x as i8", "as(neg(x), i8)"],
    ["(x as i8) as u4", "as(as(x, i8), u4)"],
  ])("%s", (src, want) => {
    expect(expr(src)).toBe(want);
  });

  it("keeps integer values exact as bigints", () => {
    const m = only(`model m { let v = 0xFFFFFFFFFFFFFFFF }`, "model");
    expect((m.items[0] as LetStmt).value).toMatchObject({ kind: "int", value: 18446744073709551615n });
  });

  it("spans a negation from its minus sign and an `as` from its operand", () => {
    const m = only(`model m { let v = -x as i8 }`, "model");
    const v = (m.items[0] as LetStmt).value;
    expect(v).toMatchObject({ kind: "as", span: { col: 19, endCol: 27 }, operand: { kind: "neg", span: { col: 19, endCol: 21 } } });
  });

  it("spans a typeArg like its type", () => {
    const m = only(`model m { let v = f(to = i16) }`, "model");
    const v = (m.items[0] as LetStmt).value;
    expect(v).toMatchObject({ kind: "call", named: [{ name: "to", span: { col: 21, endCol: 29 }, value: { kind: "typeArg", span: { col: 26, endCol: 29 } } }] });
  });
});

describe("lexical details", () => {
  it("skips line and block comments anywhere, keeping positions right", () => {
    const m = only(
      `// header
model /* inline */ m { // trailing
  /* a
     multi-line
     comment */ let v = f(x, /* arg */ y) // done
}`,
      "model",
    );
    expect(m.nameSpan).toMatchObject({ line: 2, col: 20 });
    expect(m.items[0]).toMatchObject({ kind: "let", name: "v", span: { line: 5, col: 17, endLine: 5, endCol: 42 } });
    expect(expr("f(x /* c */, y/**/)")).toBe("f(x, y)");
  });

  it("treats newlines as whitespace and accepts optional semicolons", () => {
    const m = only(`model m { let a =\n f(\n x\n )\n ; let b = a; output b; }`, "model");
    expect(m.items.map((i) => i.kind)).toEqual(["let", "let", "output"]);
  });

  it("lets identifiers start with keywords or type names", () => {
    const m = only(`model m { let letter = f(input2, scaled, i8x, u, int8, as_, tom, iN2, u0a) }`, "model");
    expect(render((m.items[0] as LetStmt).value)).toBe("f(input2, scaled, i8x, u, int8, as_, tom, iN2, u0a)");
    expect((m.items[0] as LetStmt).name).toBe("letter");
  });

  it("lexes 2^-8 as a power-of-two scale without spaces", () => {
    expect(type("i8 scale 2^-8")).toBe("i8 scale 2^-8");
  });

  it("handles CRLF line endings", () => {
    const m = only("model m {\r\n  let v = x\r\n}\r\n", "model");
    expect(m.items[0]).toMatchObject({ span: { line: 2, col: 3 } });
  });
});
