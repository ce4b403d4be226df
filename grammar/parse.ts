// The front end's public entry: lex, parse with recovery, build the AST, and
// report every problem as a catalogued diagnostic. It never throws.
import { EOF, type ILexingError, type IRecognitionException, type IToken } from "chevrotain";
import type { SourceFile, Span } from "./ast.js";
import { diag, type Diagnostic } from "./diagnostics.js";
import { OPEN_COMMENT_GROUP, OpenString, pqLexer } from "./lexer.js";
import { pqParser } from "./parser.js";
import { buildAst, tokenSpan } from "./toAst.js";

/** Where the text ends: the anchor for errors in a file with no tokens at all. */
function endSpan(text: string, file: string): Span {
  const lines = text.split(/\r\n|\r|\n/);
  const line = lines.length;
  const col = (lines[line - 1] ?? "").length + 1;
  return { file, line, col, endLine: line, endCol: col, offset: text.length, endOffset: text.length };
}

function lexingError(e: ILexingError, text: string, file: string): Diagnostic {
  const char = String.fromCodePoint(text.codePointAt(e.offset) ?? 0xfffd);
  const line = e.line ?? 1;
  const col = e.column ?? 1;
  const span: Span = { file, line, col, endLine: line, endCol: col + e.length, offset: e.offset, endOffset: e.offset + e.length };
  return diag("PQ1001", { char }, span);
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
    return diag("PQ1004", { expected: e.message }, last !== undefined ? tokenSpan(last, file) : endSpan(text, file));
  }
  if (e.context.ruleStack.length <= 1) return diag("PQ1005", { found: t.image }, tokenSpan(t, file));
  return diag("PQ1003", { expected: e.message, found: quote(t.image) }, tokenSpan(t, file));
}

/** Source order; recovery can report several errors at one spot, keep the first. */
function tidy(diagnostics: Diagnostic[]): Diagnostic[] {
  const sorted = [...diagnostics].sort((a, b) => (a.span?.offset ?? Infinity) - (b.span?.offset ?? Infinity));
  const seen = new Set<string>();
  return sorted.filter((d) => {
    if (d.span === undefined) return true;
    const key = `${d.span.line}:${d.span.col}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function parseSource(text: string, file: string): { ast: SourceFile; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let ast: SourceFile = { kind: "file", path: file, decls: [] };
  try {
    const lexed = pqLexer.tokenize(text);
    for (const e of lexed.errors) diagnostics.push(lexingError(e, text, file));
    for (const t of lexed.groups[OPEN_COMMENT_GROUP] ?? []) diagnostics.push(diag("PQ1010", {}, tokenSpan(t, file)));
    for (const t of lexed.tokens) if (t.tokenType === OpenString) diagnostics.push(diag("PQ1002", {}, tokenSpan(t, file)));

    pqParser.input = lexed.tokens;
    const cst = pqParser.sourceFile();
    for (const e of pqParser.errors) diagnostics.push(syntaxError(e, lexed.tokens, text, file));

    const built = buildAst(cst, file);
    ast = built.ast;
    diagnostics.push(...built.diagnostics);
  } catch (e) {
    // The recursive-descent parser and AST builder overflow the stack on
    // expressions nested about a thousand deep; anything else is a bug. Neither
    // may crash the caller.
    if (e instanceof RangeError && /call stack/i.test(e.message)) diagnostics.push(diag("PQ1013"));
    else diagnostics.push(diag("PQ5001", { where: "the parser", detail: e instanceof Error ? e.message : String(e) }));
  }
  return { ast, diagnostics: tidy(diagnostics) };
}
