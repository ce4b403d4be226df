// Turns the Chevrotain CST into the AST of ast.ts and reports the errors that
// need more context than the grammar has: bit widths (PQ1006), literal sizes
// (PQ1007), body contents (PQ1008, PQ1009, PQ1012) and argument order (PQ1011).
//
// After error recovery the CST may lack pieces. A statement or declaration that
// lacks something the AST requires is dropped (the syntax error has already been
// reported), so every node that is returned is complete.
import type { CstChildrenDictionary, CstElement, CstNode, IToken } from "chevrotain";
import type {
  BlockDecl,
  BlockParam,
  DimExpr,
  Expr,
  ImportDecl,
  InputDecl,
  LetStmt,
  ModelDecl,
  ModelItem,
  NamedArg,
  OutputStmt,
  ParamDecl,
  ParamsFileDecl,
  ProtocolDecl,
  ProtocolParam,
  ReturnStmt,
  ScaleExpr,
  SourceFile,
  Span,
  TopDecl,
  TypeExpr,
  Visibility,
} from "./ast.js";
import { diag, type Diagnostic } from "./diagnostics.js";
import * as T from "./lexer.js";
import { pqParser } from "./parser.js";

type Ctx = CstChildrenDictionary;
type Stmt = ModelItem | ReturnStmt;

interface Body {
  stmts: Stmt[];
  /** The closing brace, or the body's extent when recovery lost the brace. */
  end: Span;
}

/** A recovered CST lacks a piece the AST requires. */
class Incomplete extends Error {}

const MAX_U64 = (1n << 64n) - 1n;

function isToken(el: CstElement): el is IToken {
  return "tokenType" in el;
}

function elements(ctx: Ctx, key: string): CstElement[] {
  const list: CstElement[] | undefined = ctx[key];
  return list ?? [];
}

/** Real (not recovery-inserted) tokens under `key`. */
function tokens(ctx: Ctx, key: string): IToken[] {
  return elements(ctx, key).filter((el): el is IToken => isToken(el) && el.isInsertedInRecovery !== true);
}

function nodes(ctx: Ctx, key: string): CstNode[] {
  return elements(ctx, key).filter((el): el is CstNode => !isToken(el));
}

function optToken(ctx: Ctx, key: string): IToken | undefined {
  return tokens(ctx, key)[0];
}

function token(ctx: Ctx, key: string): IToken {
  const t = optToken(ctx, key);
  if (t === undefined) throw new Incomplete();
  return t;
}

function node(ctx: Ctx, key: string): CstNode {
  const n = nodes(ctx, key)[0];
  if (n === undefined) throw new Incomplete();
  return n;
}

/** The one sub-rule node under an alternation (its tokens are ignored). */
function soleNode(ctx: Ctx): CstNode {
  for (const list of Object.values(ctx)) {
    const n = list.find((el): el is CstNode => !isToken(el));
    if (n !== undefined) return n;
  }
  throw new Incomplete();
}

function stringValue(t: IToken): string {
  const closed = t.image.length >= 2 && t.image.endsWith('"');
  return t.image.slice(1, closed ? -1 : undefined);
}

/** A token's span; its end column and offset are exclusive. */
export function tokenSpan(t: IToken, file: string): Span {
  return {
    file,
    line: t.startLine ?? 1,
    col: t.startColumn ?? 1,
    endLine: t.endLine ?? t.startLine ?? 1,
    endCol: (t.endColumn ?? t.startColumn ?? 0) + 1,
    offset: t.startOffset,
    endOffset: (t.endOffset ?? t.startOffset) + 1,
  };
}

const BaseVisitor = pqParser.getBaseCstVisitorConstructor<CstNode, unknown>();

/**
 * One instance per file. Rule methods take the node's children (the visitor
 * convention) and the node itself, for its location.
 */
class AstBuilder extends BaseVisitor {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly file: string) {
    super();
    this.validateVisitor();
  }

  private tokenSpan(t: IToken): Span {
    return tokenSpan(t, this.file);
  }

  private nodeSpan(n: CstNode): Span {
    const loc = n.location;
    if (loc === undefined || Number.isNaN(loc.startOffset)) throw new Incomplete();
    return {
      file: this.file,
      line: loc.startLine ?? 1,
      col: loc.startColumn ?? 1,
      endLine: loc.endLine ?? 1,
      endCol: (loc.endColumn ?? 0) + 1,
      offset: loc.startOffset,
      endOffset: (loc.endOffset ?? loc.startOffset) + 1,
    };
  }

  private join(a: Span, b: Span): Span {
    return { ...a, endLine: b.endLine, endCol: b.endCol, endOffset: b.endOffset };
  }

  sourceFile(ctx: Ctx, _self: CstNode): SourceFile {
    const decls: TopDecl[] = [];
    for (const n of nodes(ctx, "topDecl")) {
      try {
        decls.push(this.topDecl(n.children, n));
      } catch (e) {
        if (!(e instanceof Incomplete)) throw e;
      }
    }
    return { kind: "file", path: this.file, decls };
  }

  topDecl(ctx: Ctx, _self: CstNode): TopDecl {
    const n = soleNode(ctx);
    switch (n.name) {
      case "importDecl":
        return this.importDecl(n.children, n);
      case "modelDecl":
        return this.modelDecl(n.children, n);
      case "blockDecl":
        return this.blockDecl(n.children, n);
      default:
        return this.protocolDecl(n.children, n);
    }
  }

  importDecl(ctx: Ctx, self: CstNode): ImportDecl {
    return { kind: "import", path: stringValue(token(ctx, T.StringLit.name)), span: this.nodeSpan(self) };
  }

  modelDecl(ctx: Ctx, self: CstNode): ModelDecl {
    const name = token(ctx, T.Identifier.name);
    const bodyNode = node(ctx, "body");
    const items: ModelItem[] = [];
    for (const s of this.body(bodyNode.children, bodyNode).stmts) {
      if (s.kind === "return") this.reject(s, "model body");
      else items.push(s);
    }
    return { kind: "model", name: name.image, nameSpan: this.tokenSpan(name), items, span: this.nodeSpan(self) };
  }

  blockDecl(ctx: Ctx, self: CstNode): BlockDecl {
    const name = token(ctx, T.Identifier.name);
    const params = nodes(ctx, "blockParam").map((n) => this.blockParam(n.children, n));
    const bodyNode = node(ctx, "body");
    const { body, ret } = this.split(this.body(bodyNode.children, bodyNode), "block", (s): s is ParamDecl | LetStmt => s.kind === "param" || s.kind === "let");
    return {
      kind: "block",
      name: name.image,
      nameSpan: this.tokenSpan(name),
      params,
      body,
      ret,
      span: this.nodeSpan(self),
    };
  }

  blockParam(ctx: Ctx, self: CstNode): BlockParam {
    const p: BlockParam = { name: token(ctx, T.Identifier.name).image, isInt: optToken(ctx, T.Int.name) !== undefined, span: this.nodeSpan(self) };
    const dflt = nodes(ctx, "expression")[0];
    if (dflt !== undefined) p.default = this.expression(dflt.children, dflt);
    return p;
  }

  protocolDecl(ctx: Ctx, self: CstNode): ProtocolDecl {
    const name = token(ctx, T.Identifier.name);
    const params = nodes(ctx, "protocolParam").map((n) => this.protocolParam(n.children, n));
    const resultNode = node(ctx, "typeExpr");
    const bodyNode = node(ctx, "body");
    const { body, ret } = this.split(this.body(bodyNode.children, bodyNode), "protocol", (s): s is LetStmt => s.kind === "let");
    return {
      kind: "protocol",
      name: name.image,
      nameSpan: this.tokenSpan(name),
      params,
      result: this.typeExpr(resultNode.children, resultNode),
      body,
      ret,
      span: this.nodeSpan(self),
    };
  }

  protocolParam(ctx: Ctx, self: CstNode): ProtocolParam {
    const type = node(ctx, "typeExpr");
    return { name: token(ctx, T.Identifier.name).image, type: this.typeExpr(type.children, type), span: this.nodeSpan(self) };
  }

  private reject(s: Stmt, where: string): void {
    this.diagnostics.push(diag("PQ1009", { found: s.kind, where }, s.span));
  }

  /**
   * Drops the statements a block or protocol body does not admit and checks that
   * it ends with its one `return`. Without a final `return` the declaration is
   * dropped, since the AST requires one.
   */
  private split<T extends Stmt>(b: Body, what: "block" | "protocol", admits: (s: Stmt) => s is T): { body: T[]; ret: ReturnStmt } {
    const body: T[] = [];
    let pending: ReturnStmt | undefined;
    let sawReturn = false;
    for (const s of b.stmts) {
      if (s.kind !== "return" && !admits(s)) {
        this.reject(s, `${what} body`);
        continue;
      }
      if (pending !== undefined) this.diagnostics.push(diag("PQ1012", { what }, pending.span));
      pending = undefined;
      if (s.kind === "return") {
        pending = s;
        sawReturn = true;
      } else if (admits(s)) {
        body.push(s);
      }
    }
    if (pending !== undefined) return { body, ret: pending };
    if (!sawReturn) this.diagnostics.push(diag("PQ1008", { what }, b.end));
    throw new Incomplete();
  }

  body(ctx: Ctx, self: CstNode): Body {
    const stmts: Stmt[] = [];
    for (const n of nodes(ctx, "statement")) {
      try {
        stmts.push(this.statement(n.children, n));
      } catch (e) {
        if (!(e instanceof Incomplete)) throw e;
      }
    }
    const close = optToken(ctx, T.RBrace.name);
    return { stmts, end: close !== undefined ? this.tokenSpan(close) : this.nodeSpan(self) };
  }

  statement(ctx: Ctx, _self: CstNode): Stmt {
    const n = soleNode(ctx);
    switch (n.name) {
      case "inputStmt":
        return this.inputStmt(n.children, n);
      case "paramsStmt":
        return this.paramsStmt(n.children, n);
      case "paramStmt":
        return this.paramStmt(n.children, n);
      case "letStmt":
        return this.letStmt(n.children, n);
      case "outputStmt":
        return this.outputStmt(n.children, n);
      default:
        return this.returnStmt(n.children, n);
    }
  }

  inputStmt(ctx: Ctx, self: CstNode): InputDecl {
    const name = token(ctx, T.Identifier.name);
    const type = node(ctx, "typeExpr");
    const { args, named } = this.arguments(ctx);
    return { kind: "input", name: name.image, nameSpan: this.tokenSpan(name), type: this.typeExpr(type.children, type), args, named, span: this.nodeSpan(self) };
  }

  paramsStmt(ctx: Ctx, self: CstNode): ParamsFileDecl {
    return { kind: "params", path: stringValue(token(ctx, T.StringLit.name)), span: this.nodeSpan(self) };
  }

  paramStmt(ctx: Ctx, self: CstNode): ParamDecl {
    const name = token(ctx, T.Identifier.name);
    const type = node(ctx, "typeExpr");
    return { kind: "param", name: name.image, nameSpan: this.tokenSpan(name), type: this.typeExpr(type.children, type), span: this.nodeSpan(self) };
  }

  letStmt(ctx: Ctx, self: CstNode): LetStmt {
    const name = token(ctx, T.Identifier.name);
    const value = node(ctx, "expression");
    const s: LetStmt = { kind: "let", name: name.image, nameSpan: this.tokenSpan(name), value: this.expression(value.children, value), span: this.nodeSpan(self) };
    const type = nodes(ctx, "typeExpr")[0];
    if (type !== undefined) s.type = this.typeExpr(type.children, type);
    return s;
  }

  outputStmt(ctx: Ctx, self: CstNode): OutputStmt {
    const value = node(ctx, "expression");
    const to = optToken(ctx, T.Server.name) !== undefined ? "server" : "client";
    return { kind: "output", value: this.expression(value.children, value), to, span: this.nodeSpan(self) };
  }

  returnStmt(ctx: Ctx, self: CstNode): ReturnStmt {
    const value = node(ctx, "expression");
    return { kind: "return", value: this.expression(value.children, value), span: this.nodeSpan(self) };
  }

  typeExpr(ctx: Ctx, self: CstNode): TypeExpr {
    const elem = token(ctx, T.ElemType.name);
    const digits = elem.image.slice(1);
    const width = /^[0-9]+$/.test(digits) ? Number(digits) : digits;
    if (typeof width === "number" && (width < 1 || width > 64)) this.diagnostics.push(diag("PQ1006", { width: digits }, this.tokenSpan(elem)));
    const t: TypeExpr = { kind: "type", signed: elem.image.startsWith("i"), width, nonneg: optToken(ctx, T.Nonneg.name) !== undefined, span: this.nodeSpan(self) };
    const vis = optToken(ctx, T.Visibility.name);
    if (vis !== undefined) t.vis = vis.image as Visibility;
    if (optToken(ctx, T.LBracket.name) !== undefined) t.shape = nodes(ctx, "dim").map((n) => this.dim(n.children, n));
    const scale = nodes(ctx, "scaleExpr")[0];
    if (scale !== undefined) t.scale = this.scaleExpr(scale.children, scale);
    return t;
  }

  dim(ctx: Ctx, self: CstNode): DimExpr {
    const span = this.nodeSpan(self);
    const name = optToken(ctx, T.Identifier.name);
    if (name !== undefined) return { kind: "name", name: name.image, span };
    return { kind: "int", value: this.smallInt(token(ctx, T.IntLit.name)), span };
  }

  /** An integer that must be exact as a JS number (dimensions, exponents). */
  private smallInt(t: IToken): number {
    const value = Number(t.image);
    if (!Number.isSafeInteger(value)) this.diagnostics.push(diag("PQ1007", { text: t.image }, this.tokenSpan(t)));
    return value;
  }

  scaleExpr(ctx: Ctx, self: CstNode): ScaleExpr {
    const span = this.nodeSpan(self);
    const base = optToken(ctx, "base");
    if (base !== undefined) {
      if (Number(base.image) !== 2) this.diagnostics.push(diag("PQ1003", { expected: "'2'", found: `'${base.image}'` }, this.tokenSpan(base)));
      const exp = this.smallInt(token(ctx, "exponent"));
      return { kind: "pow2", exp: optToken(ctx, T.Minus.name) !== undefined ? -exp : exp, span };
    }
    const name = optToken(ctx, T.Identifier.name);
    if (name !== undefined) return { kind: "named", name: name.image, span };
    const num = optToken(ctx, T.RealLit.name) ?? token(ctx, T.IntLit.name);
    return { kind: "real", value: Number(num.image), text: num.image, span };
  }

  expression(ctx: Ctx, _self: CstNode): Expr {
    const p = node(ctx, "primary");
    let e = this.primary(p.children, p);
    for (const n of nodes(ctx, "typeExpr")) {
      const type = this.typeExpr(n.children, n);
      e = { kind: "as", operand: e, type, span: this.join(e.span, type.span) };
    }
    return e;
  }

  primary(ctx: Ctx, _self: CstNode): Expr {
    const int = optToken(ctx, T.IntLit.name);
    if (int !== undefined) {
      const value = BigInt(int.image);
      if (value > MAX_U64) this.diagnostics.push(diag("PQ1007", { text: int.image }, this.tokenSpan(int)));
      return { kind: "int", value, span: this.tokenSpan(int) };
    }
    const real = optToken(ctx, T.RealLit.name);
    if (real !== undefined) return { kind: "real", value: Number(real.image), text: real.image, span: this.tokenSpan(real) };
    const n = soleNode(ctx);
    switch (n.name) {
      case "callOrName":
        return this.callOrName(n.children, n);
      case "list":
        return this.list(n.children, n);
      case "parenthesized":
        return this.parenthesized(n.children, n);
      case "negation":
        return this.negation(n.children, n);
      default: {
        const type = this.typeExpr(n.children, n);
        return { kind: "typeArg", type, span: type.span };
      }
    }
  }

  callOrName(ctx: Ctx, self: CstNode): Expr {
    const callee = token(ctx, T.Identifier.name);
    const span = this.nodeSpan(self);
    if (optToken(ctx, T.LParen.name) === undefined) return { kind: "name", name: callee.image, span };
    return { kind: "call", callee: callee.image, calleeSpan: this.tokenSpan(callee), ...this.arguments(ctx), span };
  }

  /** The `argument`s of a call or an input's attributes: positional first (PQ1011), then named. */
  private arguments(ctx: Ctx): { args: Expr[]; named: NamedArg[] } {
    const args: Expr[] = [];
    const named: NamedArg[] = [];
    for (const n of nodes(ctx, "argument")) {
      const a = this.argument(n.children, n);
      if (a.kind === "named") {
        named.push(a.arg);
      } else {
        if (named.length > 0) this.diagnostics.push(diag("PQ1011", {}, a.arg.span));
        args.push(a.arg);
      }
    }
    return { args, named };
  }

  argument(ctx: Ctx, self: CstNode): { kind: "named"; arg: NamedArg } | { kind: "positional"; arg: Expr } {
    const value = node(ctx, "expression");
    const expr = this.expression(value.children, value);
    const name = optToken(ctx, "name");
    if (name === undefined) return { kind: "positional", arg: expr };
    return { kind: "named", arg: { name: name.image, value: expr, span: this.nodeSpan(self) } };
  }

  list(ctx: Ctx, self: CstNode): Expr {
    return { kind: "list", items: nodes(ctx, "expression").map((n) => this.expression(n.children, n)), span: this.nodeSpan(self) };
  }

  parenthesized(ctx: Ctx, _self: CstNode): Expr {
    const inner = node(ctx, "expression");
    return this.expression(inner.children, inner);
  }

  negation(ctx: Ctx, self: CstNode): Expr {
    const operand = node(ctx, "primary");
    return { kind: "neg", operand: this.primary(operand.children, operand), span: this.nodeSpan(self) };
  }
}

/** Build the AST of a parsed file; the diagnostics are this stage's own. */
export function buildAst(cst: CstNode, file: string): { ast: SourceFile; diagnostics: Diagnostic[] } {
  const builder = new AstBuilder(file);
  const ast = builder.sourceFile(cst.children, cst);
  return { ast, diagnostics: builder.diagnostics };
}
