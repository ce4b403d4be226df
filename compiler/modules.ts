// Loading a .pq file and everything it imports: `std/NAME` from the bundled stdlib/,
// other paths relative to the importing file. Each file is parsed once; cycles are an
// error. The result is the set of blocks and protocols visible to the entry file.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BlockDecl, ProtocolDecl, SourceFile, Span } from "../grammar/ast.js";
import { diag, fileReason, type Diagnostic } from "../grammar/diagnostics.js";
import { parseSource } from "../grammar/parse.js";
import { isOp } from "./ir.js";

/** The package root: the nearest folder above this module holding stdlib/ and package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "stdlib")) && existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("pq: cannot find the stdlib folder");
    dir = up;
  }
}

export const STDLIB_DIR = join(packageRoot(), "stdlib");

export interface Loaded {
  entry: SourceFile;
  /** Parsed files by absolute path. */
  files: Map<string, SourceFile>;
  /** Source text by file path, for diagnostic excerpts. */
  sources: Map<string, string>;
  blocks: Map<string, BlockDecl>;
  /** Protocols callable by name. */
  protocols: Map<string, ProtocolDecl>;
  /** Protocols named after a builtin op: that op's two-party implementation. */
  implementations: Map<string, ProtocolDecl>;
  diagnostics: Diagnostic[];
}

export function resolveImport(path: string, fromFile: string): string {
  const withExt = path.endsWith(".pq") ? path : `${path}.pq`;
  if (path.startsWith("std/")) return join(STDLIB_DIR, withExt.slice(4));
  return resolve(dirname(fromFile), withExt);
}

/** Parse `entryPath` (with `text` if given, else read from disk), its imports and any `extra` imports. */
export function loadProgram(entryPath: string, text?: string, extra: readonly string[] = []): Loaded {
  const out: Loaded = {
    entry: { kind: "file", path: entryPath, decls: [] },
    files: new Map(), sources: new Map(), blocks: new Map(), protocols: new Map(), implementations: new Map(), diagnostics: [],
  };
  const where = new Map<string, Span>();
  const visiting: string[] = [];

  // A file is known by its absolute path (`stdlib/protocols.pq` and the `std/protocols` it
  // imports are one file) and named in diagnostics as it was first written.
  const visit = (path: string, src: string | undefined, importSpan: Span | undefined): SourceFile | undefined => {
    const key = resolve(path);
    if (visiting.includes(key)) {
      out.diagnostics.push(diag("PQ2010", { cycle: [...visiting.slice(visiting.indexOf(key)), key].join(" → ") }, importSpan));
      return undefined;
    }
    const seen = out.files.get(key);
    if (seen) return seen;
    let source = src;
    if (source === undefined) {
      try {
        source = readFileSync(path, "utf8");
      } catch (e) {
        const reason = fileReason(e);
        out.diagnostics.push(importSpan ? diag("PQ2009", { path, reason }, importSpan) : diag("PQ2026", { path, reason }));
        return undefined;
      }
    }
    out.sources.set(path, source);
    const { ast, diagnostics } = parseSource(source, path);
    for (const d of diagnostics) out.diagnostics.push(d);
    out.files.set(key, ast);
    visiting.push(key);
    for (const d of ast.decls) {
      if (d.kind === "import") visit(resolveImport(d.path, path), undefined, d.span);
    }
    visiting.pop();
    for (const d of ast.decls) {
      if (d.kind !== "block" && d.kind !== "protocol") continue;
      if (d.kind === "block" && isOp(d.name)) {
        out.diagnostics.push(diag("PQ2016", { name: d.name }, d.nameSpan));
        continue;
      }
      const table = d.kind === "protocol" && isOp(d.name) ? out.implementations : d.kind === "block" ? out.blocks : out.protocols;
      const key = `${d.kind}:${d.name}`;
      const prev = where.get(key) ?? (d.kind === "block" ? where.get(`protocol:${d.name}`) : where.get(`block:${d.name}`));
      if (prev) {
        out.diagnostics.push(diag("PQ2002", { name: d.name, where: `${prev.file}:${prev.line}:${prev.col}` }, d.nameSpan));
        continue;
      }
      where.set(key, d.nameSpan);
      if (d.kind === "block") out.blocks.set(d.name, d);
      else (table as Map<string, ProtocolDecl>).set(d.name, d);
    }
    return ast;
  };

  const entry = visit(entryPath, text, undefined);
  if (entry) out.entry = entry;
  for (const imp of extra) visit(resolveImport(imp, entryPath), undefined, undefined);
  return out;
}
