// The abstract syntax tree of a .pq file. Produced by grammar/toAst.ts from the
// Chevrotain CST; consumed by compiler/lower.ts. Nodes are plain data with a
// `kind` discriminant (Pyright style) so consumers switch exhaustively.

/** 1-based line and column, inclusive start and exclusive end offset. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  endOffset: number;
}

export type Visibility = "public" | "client" | "server" | "shared";

/** `2^-8`, `2^3`, a decimal like `0.0125`, or a named scale from the params file. */
export type ScaleExpr =
  | { kind: "pow2"; exp: number; span: Span }
  | { kind: "real"; value: number; text: string; span: Span }
  | { kind: "named"; name: string; span: Span };

/** A dimension in a shape: a literal or, inside a block, the name of an int parameter. */
export type DimExpr = { kind: "int"; value: number; span: Span } | { kind: "name"; name: string; span: Span };

/**
 * `shared i8[6,28,28] scale 2^-4 nonneg`. Every part but the element type is optional.
 * `width` is a literal (1..64) or, inside a protocol, a single upper-case width variable
 * such as `N` (written `iN`, `uN`).
 */
export interface TypeExpr {
  kind: "type";
  vis?: Visibility;
  signed: boolean;
  width: number | string;
  shape?: DimExpr[];
  scale?: ScaleExpr;
  nonneg: boolean;
  span: Span;
}

export type Expr =
  | { kind: "int"; value: bigint; span: Span }
  | { kind: "real"; value: number; text: string; span: Span }
  | { kind: "name"; name: string; span: Span }
  | { kind: "list"; items: Expr[]; span: Span }
  | { kind: "neg"; operand: Expr; span: Span }
  | { kind: "call"; callee: string; calleeSpan: Span; args: Expr[]; named: NamedArg[]; span: Span }
  /** `e as u4 scale 2^-4`: requantize to a named type. */
  | { kind: "as"; operand: Expr; type: TypeExpr; span: Span }
  /** A type written where a value is expected, e.g. the `to = i16` argument of `sext`. */
  | { kind: "typeArg"; type: TypeExpr; span: Span };

export interface NamedArg {
  name: string;
  value: Expr;
  span: Span;
}

export interface LetStmt {
  kind: "let";
  name: string;
  nameSpan: Span;
  type?: TypeExpr;
  value: Expr;
  span: Span;
}

export interface ParamDecl {
  kind: "param";
  name: string;
  nameSpan: Span;
  type: TypeExpr;
  span: Span;
}

export interface InputDecl {
  kind: "input";
  name: string;
  nameSpan: Span;
  type: TypeExpr;
  /** `(zero = .., mean = .., std = ..)` after the type; positional ones are kept for the diagnostic. */
  args: Expr[];
  named: NamedArg[];
  span: Span;
}

export interface ParamsFileDecl {
  kind: "params";
  path: string;
  span: Span;
}

export interface OutputStmt {
  kind: "output";
  value: Expr;
  to: "client" | "server";
  span: Span;
}

export interface ReturnStmt {
  kind: "return";
  value: Expr;
  span: Span;
}

export type ModelItem = InputDecl | ParamsFileDecl | ParamDecl | LetStmt | OutputStmt;

export interface ModelDecl {
  kind: "model";
  name: string;
  nameSpan: Span;
  items: ModelItem[];
  span: Span;
}

/** A block parameter: a tensor (no annotation) or an int attribute with an optional default. */
export interface BlockParam {
  name: string;
  isInt: boolean;
  default?: Expr;
  span: Span;
}

export interface BlockDecl {
  kind: "block";
  name: string;
  nameSpan: Span;
  params: BlockParam[];
  body: (ParamDecl | LetStmt)[];
  ret: ReturnStmt;
  span: Span;
}

export interface ProtocolParam {
  name: string;
  type: TypeExpr;
  span: Span;
}

export interface ProtocolDecl {
  kind: "protocol";
  name: string;
  nameSpan: Span;
  params: ProtocolParam[];
  result: TypeExpr;
  body: LetStmt[];
  ret: ReturnStmt;
  span: Span;
}

export interface ImportDecl {
  kind: "import";
  path: string;
  span: Span;
}

export type TopDecl = ImportDecl | ModelDecl | BlockDecl | ProtocolDecl;

export interface SourceFile {
  kind: "file";
  path: string;
  decls: TopDecl[];
}
