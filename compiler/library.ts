// Checking a library: a file of blocks and protocols without a model (`pq check stdlib/nn.pq`).
// Nothing is instantiated without a model, so types, shapes and ranges wait for a model that
// uses a block; what is checked here is every name: a name a body uses is a parameter or an
// earlier `let`, a call names an op, block or protocol, a named argument is an attribute or a
// parameter of its callee, and a width variable is bound.
import type { BlockDecl, Expr, ProtocolDecl, Span, TypeExpr } from "../grammar/ast.js";
import { diag, type Diagnostic } from "../grammar/diagnostics.js";
import { nameHint } from "../grammar/suggest.js";
import { isOp } from "./ir.js";
import type { Loaded } from "./modules.js";
import { DESCRIPTORS } from "./ops.js";

export interface LibraryCheck {
  blocks: string[];
  protocols: string[];
  diagnostics: Diagnostic[];
}

interface Scope {
  names: Set<string>;
  /** Int parameters: what a dimension may name. */
  ints: Set<string>;
  widths: Set<string>;
}

export function checkLibrary(loaded: Loaded): LibraryCheck {
  const out: LibraryCheck = { blocks: [], protocols: [], diagnostics: [] };
  const report = (d: Diagnostic) => out.diagnostics.push(d);
  const callees = [...Object.keys(DESCRIPTORS), ...loaded.blocks.keys(), ...loaded.protocols.keys()];

  const define = (scope: Scope, name: string, span: Span) => {
    if (scope.names.has(name)) report(diag("PQ2002", { name, where: "an earlier line" }, span));
    scope.names.add(name);
  };
  const type = (t: TypeExpr, scope: Scope) => {
    if (typeof t.width === "string" && !scope.widths.has(t.width)) report(diag("PQ2022", { name: t.width }, t.span));
    for (const d of t.shape ?? []) {
      if (d.kind === "name" && !scope.ints.has(d.name)) report(diag("PQ2001", { name: d.name, hint: "a dimension must be a literal or an int parameter of the block" }, d.span));
    }
  };
  /** The names a callee's named arguments may use, or undefined for an unknown callee. */
  const argNames = (callee: string): string[] | undefined => {
    if (isOp(callee)) return Object.keys(DESCRIPTORS[callee].attrs);
    const b = loaded.blocks.get(callee);
    if (b) return b.params.map((p) => p.name);
    return (loaded.protocols.get(callee) ?? loaded.implementations.get(callee))?.params.map((p) => p.name);
  };
  const expr = (e: Expr, scope: Scope): void => {
    switch (e.kind) {
      case "int":
      case "real":
        return;
      case "name":
        if (!scope.names.has(e.name)) report(diag("PQ2001", { name: e.name, hint: nameHint(e.name, [...scope.names]) }, e.span));
        return;
      case "list":
        return e.items.forEach((x) => expr(x, scope));
      case "neg":
        return expr(e.operand, scope);
      case "as":
        expr(e.operand, scope);
        return type(e.type, scope);
      case "typeArg":
        return type(e.type, scope);
      case "call": {
        const known = argNames(e.callee);
        if (known === undefined) report(diag("PQ2003", { name: e.callee, hint: nameHint(e.callee, callees) }, e.calleeSpan));
        for (const na of e.named) {
          if (known !== undefined && !known.includes(na.name)) report(diag("PQ2005", { op: e.callee, name: na.name, known: known.join(", ") || "none" }, na.span));
          expr(na.value, scope);
        }
        return e.args.forEach((a) => expr(a, scope));
      }
    }
  };

  const block = (b: BlockDecl) => {
    const ints = new Set(b.params.filter((p) => p.isInt).map((p) => p.name));
    const scope: Scope = { names: new Set(), ints, widths: new Set([...ints].filter((n) => /^[A-Z]$/.test(n))) };
    for (const p of b.params) {
      if (p.default) expr(p.default, scope);
      define(scope, p.name, p.span);
    }
    for (const s of b.body) {
      if (s.type) type(s.type, scope);
      if (s.kind === "let") expr(s.value, scope);
      define(scope, s.name, s.nameSpan);
    }
    expr(b.ret.value, scope);
  };
  const protocol = (p: ProtocolDecl) => {
    const widths = new Set(p.params.flatMap((q) => (typeof q.type.width === "string" ? [q.type.width] : [])));
    const scope: Scope = { names: new Set(), ints: new Set(), widths };
    for (const q of p.params) define(scope, q.name, q.span);
    type(p.result, scope);
    for (const s of p.body) {
      if (s.type) type(s.type, scope);
      expr(s.value, scope);
      define(scope, s.name, s.nameSpan);
    }
    expr(p.ret.value, scope);
  };

  for (const d of loaded.entry.decls) {
    if (d.kind === "block") {
      block(d);
      out.blocks.push(d.name);
    } else if (d.kind === "protocol") {
      protocol(d);
      out.protocols.push(d.name);
    }
  }
  return out;
}
