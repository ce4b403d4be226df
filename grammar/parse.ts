// The front end's public entry: lex, parse with recovery, build the AST, and
// report every problem as a catalogued diagnostic. It never throws.
import { EOF, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { SourceFile, Span } from "./ast.js";
import { diag, type Diagnostic } from "./diagnostics.js";
import { INVALID_GROUP, LBrace, LBracket, LParen, MAX_INVALID_RUNS, Minus, OPEN_COMMENT_GROUP, OpenString, pqLexer, RBrace, RBracket, RParen } from "./lexer.js";
import { pqParser } from "./parser.js";
import { buildAst, tokenSpan } from "./toAst.js";

/** Nesting deeper than this is PQ1013; the slowest stage, the parser, overflows the stack above ~380. */
export const MAX_DEPTH = 128;
/** Syntax diagnostics shown per file; the rest are counted (PQ1015). */
export const MAX_SHOWN = 20;
const OPENERS = new Set<TokenType>([LParen, LBracket, LBrace]);
const CLOSERS = new Set<TokenType>([RParen, RBracket, RBrace]);

/** An empty span at `offset` (line and column counted); the text's end anchors errors in a file with no tokens at all. */
function offsetSpan(text: string, offset: number, file: string): Span {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  const line = lines.length;
  const col = (lines[line - 1] ?? "").length + 1;
  return { file, line, col, endLine: line, endCol: col, offset, endOffset: offset };
}

/** A character as a message shows it: control characters by code point, not raw (a binary file's bytes could drive the terminal). */
function shown(text: string, offset: number): string {
  const c = text.codePointAt(offset) ?? 0xfffd;
  return c < 0x20 || (c >= 0x7f && c < 0xa0) ? `U+${c.toString(16).toUpperCase().padStart(4, "0")}` : String.fromCodePoint(c);
}

/**
 * The first token nested deeper than MAX_DEPTH: brackets, braces and parentheses, plus a run
 * of unary minus signs. The parser, the AST builder and the lowering recurse once per level,
 * so the limit is checked here, before any of them runs, at a depth every stage handles.
 */
function tooDeep(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  let minus = 0;
  for (const t of tokens) {
    minus = t.tokenType === Minus ? minus + 1 : 0;
    if (OPENERS.has(t.tokenType)) depth++;
    else if (CLOSERS.has(t.tokenType)) depth = Math.max(0, depth - 1);
    if (depth + minus > MAX_DEPTH) return t;
  }
  return undefined;
}

function quote(image: string): string {
  return `'${image.length > 30 ? `${image.slice(0, 27)}...` : image}'`;
}

/**
 * The message provider in parser.ts leaves only the "expected" phrase in
 * `e.message`. An error raised by the top-level loop itself (not inside a
 * declaration) means junk between declarations.
 */
function syntaxError(e: IRecognitionException, tokens: IToken[], text: string, file: string): Diagnostic {
  const t = e.token;
  if (t.tokenType === EOF || Number.isNaN(t.startOffset)) {
    const last = tokens.at(-1);
    return diag("PQ1004", { expected: e.message }, last !== undefined ? tokenSpan(last, file) : offsetSpan(text, text.length, file));
  }
  if (e.context.ruleStack.length <= 1) return diag("PQ1005", { found: t.image }, tokenSpan(t, file));
  return diag("PQ1003", { expected: e.message, found: quote(t.image) }, tokenSpan(t, file));
}

/**
 * Source order; recovery can report several errors at one spot, keep the first. Past
 * MAX_SHOWN, one PQ1015 at the first left out says how many more there are.
 */
function tidy(diagnostics: Diagnostic[]): Diagnostic[] {
  const sorted = [...diagnostics].sort((a, b) => (a.span?.offset ?? Infinity) - (b.span?.offset ?? Infinity));
  const seen = new Set<string>();
  const kept = sorted.filter((d) => {
    if (d.span === undefined) return true;
    const key = `${d.span.line}:${d.span.col}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (kept.length <= MAX_SHOWN) return kept;
  return [...kept.slice(0, MAX_SHOWN), diag("PQ1015", { count: kept.length - MAX_SHOWN }, kept[MAX_SHOWN]!.span)];
}

export function parseSource(text: string, file: string): { ast: SourceFile; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let ast: SourceFile = { kind: "file", path: file, decls: [] };
  try {
    // A binary file is refused before lexing: its bytes would only yield a flood of PQ1001.
    const nul = text.indexOf("\0");
    if (nul >= 0) return { ast, diagnostics: [diag("PQ1014", { why: "it holds a NUL byte: a binary file?" }, offsetSpan(text, nul, file))] };
    const lexed = pqLexer.tokenize(text);
    const invalid = lexed.groups[INVALID_GROUP] ?? [];
    for (const t of invalid.slice(0, MAX_INVALID_RUNS)) diagnostics.push(diag("PQ1001", { char: shown(t.image, 0) }, tokenSpan(t, file)));
    const rest = invalid[MAX_INVALID_RUNS];
    if (rest !== undefined) {
      // Already in source order and not subject to the cap: the last one says why the rest is not read.
      diagnostics.push(diag("PQ1014", { why: `more than ${MAX_INVALID_RUNS} runs of characters that start no token; reading stopped here` }, { ...tokenSpan(rest, file), endLine: rest.startLine ?? 1, endCol: (rest.startColumn ?? 1) + 1, endOffset: rest.startOffset + 1 }));
      return { ast, diagnostics };
    }
    for (const t of lexed.groups[OPEN_COMMENT_GROUP] ?? []) diagnostics.push(diag("PQ1010", {}, tokenSpan(t, file)));
    for (const t of lexed.tokens) if (t.tokenType === OpenString) diagnostics.push(diag("PQ1002", {}, tokenSpan(t, file)));
    const deep = tooDeep(lexed.tokens);
    if (deep !== undefined) {
      diagnostics.push(diag("PQ1013", { depth: MAX_DEPTH }, tokenSpan(deep, file)));
      return { ast, diagnostics: tidy(diagnostics) };
    }

    pqParser.input = lexed.tokens;
    const cst = pqParser.sourceFile();
    for (const e of pqParser.errors) diagnostics.push(syntaxError(e, lexed.tokens, text, file));

    const built = buildAst(cst, file);
    ast = built.ast;
    for (const d of built.diagnostics) diagnostics.push(d);
  } catch (e) {
    // A bug: it may not crash the caller.
    diagnostics.push(diag("PQ5001", { where: "the parser", detail: e instanceof Error ? e.message : String(e) }));
  }
  return { ast, diagnostics: tidy(diagnostics) };
}
