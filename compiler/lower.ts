// Lowering: AST → IR graph. Resolves names, inlines blocks and protocols, binds
// parameters from the params file, and types every node (compiler/typing.ts), so the
// range analysis runs as the graph is built. Errors are gathered per statement: a failing
// `let` poisons its name, and statements that use a poisoned name are skipped silently,
// so one mistake yields one diagnostic.
import { dirname, resolve } from "node:path";
import type {
  BlockDecl, Expr, InputDecl, ModelDecl, NamedArg, ProtocolDecl, ScaleExpr, Span, TypeExpr,
} from "../grammar/ast.js";
import { diag, PqError, type Code, type Diagnostic } from "../grammar/diagnostics.js";
import { nameHint } from "../grammar/suggest.js";
import { isOp, type AttrValue, type Attrs, type ElemSpec, type Graph, type Node, type Op, type Program } from "./ir.js";
import { loadProgram, type Loaded } from "./modules.js";
import {
  attrOrDefault, DESCRIPTORS, knownFromBigints, knownFromData, knownRange, operand, requantConstants,
  type AttrSpec, type Interval, type Known, type Operand,
} from "./ops.js";
import { bindParam, readParamsFile, type ParamsFile } from "./params.js";
import { typeNode, type Declared } from "./typing.js";
import { elemName, normScale, signedWidthFor, typeRange, type Scale, type TensorType } from "./types.js";

export interface CompileResult {
  program?: Program;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  loaded: Loaded;
}

export interface CompileOptions {
  /** Which model, when the file declares several. */
  model?: string;
  /** Source text of the entry file (else it is read from disk). */
  text?: string;
  /**
   * Inline layers that have a two-party implementation in std/protocols (relu = drelu then
   * select), giving the program both backends run (the default); `false` keeps the layer
   * ops, as `pq compile --emit ir` shows them.
   */
  protocols?: boolean;
}

type Binding =
  | { kind: "tensor"; id: number }
  | { kind: "int"; value: number }
  /** Bound by a statement that failed: uses are skipped without a second diagnostic. */
  | { kind: "poison" };

/** Raised when an expression uses a poisoned name. */
class Poisoned extends Error {}

interface Scope {
  names: Map<string, Binding>;
  /** Width variables of an inlined protocol (`iN`). */
  widths: Map<string, number>;
  /** Layer path of this scope, e.g. `resnet/l1`. */
  path: string;
  /** Parameter key prefix, e.g. `l1_` (keys stay identifiers, so a lowered program prints them as they are). */
  prefix: string;
  /** Inside an inlined protocol: its name, recorded on the nodes it produces. */
  via?: string;
}

function fail(code: Code, args: Record<string, string | number | bigint>, span?: Span): never {
  throw new PqError(diag(code, args, span));
}

export function compileFile(path: string, opts: CompileOptions = {}): CompileResult {
  const loaded = loadProgram(path, opts.text, opts.protocols ?? true ? ["std/protocols"] : []);
  const result: CompileResult = { diagnostics: [...loaded.diagnostics], sources: loaded.sources, loaded };
  if (result.diagnostics.some((d) => d.severity === "error")) return result;
  const models = loaded.entry.decls.filter((d): d is ModelDecl => d.kind === "model");
  let model: ModelDecl | undefined;
  if (opts.model !== undefined) {
    model = models.find((m) => m.name === opts.model);
    if (!model) result.diagnostics.push(diag("PQ2001", { name: opts.model, hint: `models here: ${models.map((m) => m.name).join(", ") || "none"}` }));
  } else if (models.length === 0) {
    result.diagnostics.push(diag("PQ2011", { file: path }));
  } else if (models.length > 1) {
    result.diagnostics.push(diag("PQ2021", { file: path, names: models.map((m) => m.name).join(", ") }, models[1]!.nameSpan));
  } else {
    model = models[0];
  }
  if (!model) return result;
  const lowerer = new Lowerer(loaded, opts.protocols ?? true);
  const program = lowerer.model(model);
  for (const d of lowerer.diagnostics) result.diagnostics.push(d);
  if (!result.diagnostics.some((d) => d.severity === "error")) result.program = program;
  return result;
}

class Lowerer {
  readonly nodes: Node[] = [];
  readonly ranges: Interval[] = [];
  readonly known: (Known | undefined)[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly graph: Graph;
  /** The model's params file; "failed" when it could not be read (that error was reported). */
  private paramsFile?: ParamsFile | "failed";
  private readonly expanding: string[] = [];
  /** Parameter keys already bound, to reject two block instances sharing a prefix. */
  private readonly paramKeys = new Map<string, Span>();
  /** Block prefixes used by the `let` being lowered. */
  private letPrefixes = new Set<string>();
  /** Counter of the unspellable names (`%7`) that pass lowered arguments to an inlined implementation. */
  private temps = 0;

  constructor(private readonly loaded: Loaded, private readonly lowerProtocols: boolean) {
    this.graph = { name: "", nodes: this.nodes, params: new Map(), outputs: [] };
  }

  model(m: ModelDecl): Program {
    this.graph.name = m.name;
    const scope: Scope = { names: new Map(), widths: new Map(), path: m.name, prefix: "" };
    for (const item of m.items) {
      this.statement(item.span, () => {
        switch (item.kind) {
          case "input": return this.input(item, scope);
          case "params": {
            const path = resolve(dirname(item.span.file), item.path);
            // Marked failed until it has been read, so that a read error is the only error (params()).
            this.paramsFile = "failed";
            this.paramsFile = readParamsFile(path, item.span);
            this.graph.paramsFile = path;
            return;
          }
          case "param": return this.param(item.name, item.nameSpan, item.type, scope, item.span);
          case "let": return this.let(item.name, item.nameSpan, item.type, item.value, scope);
          case "output": {
            if (item.to !== "client") fail("PQ2025", {}, item.span);
            const id = this.expr(item.value, { ...scope, path: `${m.name}/output` });
            this.graph.outputs.push({ node: id, to: "client" });
            return;
          }
        }
      }, item.kind === "let" || item.kind === "input" || item.kind === "param" ? { scope, name: item.name } : undefined);
    }
    if (this.graph.outputs.length === 0 && this.diagnostics.length === 0) this.diagnostics.push(diag("PQ2012", { name: m.name }, m.nameSpan));
    return { graph: this.graph, ranges: this.ranges };
  }

  /** Run one statement; on failure record its diagnostics and poison the name it binds. */
  private statement(span: Span, run: () => void, binds?: { scope: Scope; name: string }): void {
    try {
      run();
    } catch (e) {
      if (binds) binds.scope.names.set(binds.name, { kind: "poison" });
      if (e instanceof Poisoned) return;
      if (e instanceof PqError) {
        for (const d of e.diagnostics) this.diagnostics.push(d.span ? d : { ...d, span });
        return;
      }
      throw e;
    }
  }

  private define(scope: Scope, name: string, span: Span, b: Binding): void {
    const prev = scope.names.get(name);
    if (prev && prev.kind !== "poison") fail("PQ2002", { name, where: "an earlier line" }, span);
    scope.names.set(name, b);
  }

  // ------------------------------------------------------------ declarations

  private resolveType(t: TypeExpr, scope: Scope): Declared {
    let bits: number;
    if (typeof t.width === "number") bits = t.width;
    else {
      const w = scope.widths.get(t.width);
      if (w === undefined) fail("PQ2022", { name: t.width }, t.span);
      bits = w;
    }
    const d: Declared = { bits, signed: t.signed, nonneg: t.nonneg };
    if (t.shape) d.shape = t.shape.map((dim) => (dim.kind === "int" ? dim.value : this.intName(dim.name, scope, dim.span)));
    if (t.scale) d.scale = this.scale(t.scale);
    if (t.vis) d.vis = t.vis;
    return d;
  }

  private intName(name: string, scope: Scope, span: Span): number {
    const b = scope.names.get(name);
    if (!b) fail("PQ2001", { name, hint: "a dimension must be a literal or an int parameter of the block" }, span);
    if (b.kind === "poison") throw new Poisoned();
    if (b.kind !== "int") fail("PQ2018", { name, callee: "this shape", expected: "an int" }, span);
    return b.value;
  }

  private scale(s: ScaleExpr): Scale {
    switch (s.kind) {
      case "pow2": return { kind: "pow2", exp: s.exp };
      case "real": return normScale({ kind: "real", value: s.value });
      case "named": {
        const file = this.params(s.span);
        const v = file.scales.get(s.name);
        if (v === undefined) fail("PQ4006", { name: s.name, path: file.path }, s.span);
        return normScale({ kind: "real", value: v });
      }
    }
  }

  private input(decl: InputDecl, scope: Scope): void {
    const { name, nameSpan, type: t } = decl;
    const d = this.resolveType(t, scope);
    if (d.vis && d.vis !== "client") fail("PQ2024", { name }, t.span);
    // an omitted shape is a scalar (LANGUAGE.md, "Types")
    const type: TensorType = { bits: d.bits, signed: d.signed, shape: d.shape ?? [], vis: "client", scale: d.scale ?? { kind: "pow2", exp: 0 }, nonneg: false };
    const [lo, hi] = typeRange(type);
    type.nonneg = lo >= 0n && hi < 1n << BigInt(type.bits - 1);
    if (decl.args.length > 0) fail("PQ2004", { op: "input", expected: "no positional", got: decl.args.length }, decl.args[0]!.span);
    const attrs: Attrs = { name };
    this.namedAttrs("input", decl.named, attrs, scope);
    const bad = (detail: string): never => fail("PQ2029", { op: `input '${name}'`, detail }, decl.span);
    const zero = attrs.zero as bigint | undefined;
    if (zero !== undefined && (zero < lo || zero > hi)) bad(`zero = ${zero} lies outside ${elemName(type)}`);
    const channels = type.shape[0] ?? 1;
    for (const k of ["mean", "std"] as const) {
      const v = attrs[k] as number[] | undefined;
      if (v === undefined) continue;
      if (v.length !== 1 && v.length !== channels) bad(`${k} needs one value or one per channel (${channels}), got ${v.length}`);
      if (!v.every((x) => Number.isFinite(x) && (k === "mean" || x > 0))) bad(`${k} must hold ${k === "std" ? "positive " : ""}finite reals`);
    }
    const id = this.push("input", [], attrs, type, { lo, hi }, undefined, `${scope.path}/${name}`, nameSpan);
    this.define(scope, name, nameSpan, { kind: "tensor", id });
  }

  /**
   * The params file a `param` or a named scale reads; without one PQ2020. When reading it
   * failed, what needs it is skipped like a use of a poisoned name: one error, not one per `param`.
   */
  private params(span: Span): ParamsFile {
    if (this.paramsFile === "failed") throw new Poisoned();
    return this.paramsFile ?? fail("PQ2020", {}, span);
  }

  private param(name: string, nameSpan: Span, t: TypeExpr, scope: Scope, span: Span): void {
    const file = this.params(span);
    const d = this.resolveType(t, scope);
    const shape = d.shape ?? [];
    if (d.vis && d.vis !== "server") fail("PQ2015", { declared: `visibility ${d.vis}`, inferred: "visibility server (parameters belong to the server)" }, t.span);
    const key = scope.prefix + name;
    const prev = this.paramKeys.get(key);
    if (prev) fail("PQ2002", { name: key, where: `${prev.file}:${prev.line}:${prev.col}` }, nameSpan);
    this.paramKeys.set(key, nameSpan);
    const bound = bindParam(file, { key, shape, bits: d.bits, signed: d.signed, span: nameSpan });
    let scale = d.scale;
    if (bound.scale !== undefined) {
      const fileScale = normScale({ kind: "real", value: bound.scale });
      if (scale && Math.abs((scale.kind === "pow2" ? 2 ** scale.exp : scale.value) - bound.scale) > 1e-9 * bound.scale) {
        fail("PQ4007", { name: key, path: file.path, got: bound.scale, expected: scale.kind === "pow2" ? `2^${scale.exp}` : scale.value }, nameSpan);
      }
      scale ??= fileScale;
    }
    this.graph.params.set(key, bound.data);
    const known = knownFromData(shape, d.signed, bound.data.data);
    const range = knownRange(known);
    const type: TensorType = { bits: d.bits, signed: d.signed, shape, vis: "server", scale: scale ?? { kind: "pow2", exp: 0 }, nonneg: false };
    type.nonneg = range.lo >= 0n && range.hi < 1n << BigInt(d.bits - 1);
    const id = this.push("param", [], { name: key }, type, range, known, `${scope.path}/${name}`, nameSpan);
    this.define(scope, name, nameSpan, { kind: "tensor", id });
  }

  private let(name: string, nameSpan: Span, t: TypeExpr | undefined, value: Expr, scope: Scope): void {
    this.letPrefixes = new Set();
    const inner: Scope = { ...scope, path: `${scope.path}/${name}` };
    const declared = t ? this.resolveType(t, scope) : undefined;
    const id = this.expr(value, inner, declared, name);
    this.define(scope, name, nameSpan, { kind: "tensor", id });
  }

  // ------------------------------------------------------------ expressions

  private push(op: Op, inputs: number[], attrs: Attrs, type: TensorType, range: Interval, known: Known | undefined, path: string, span: Span, via?: string): number {
    const id = this.nodes.length;
    this.nodes.push({ id, op, type, inputs, attrs, origin: via ? { span, path, via } : { span, path } });
    this.ranges.push(range);
    this.known.push(known);
    return id;
  }

  private emit(op: Op, inputs: number[], attrs: Attrs, scope: Scope, span: Span, declared?: Declared): number {
    const desc = DESCRIPTORS[op];
    for (const pos of desc.known ?? []) {
      const i = inputs[pos];
      if (i !== undefined && this.known[i] === undefined) {
        fail("PQ2018", { name: `#${pos + 1}`, callee: op, expected: "a server parameter or a literal (its values must be known to one party)" }, span);
      }
    }
    const xs: Operand[] = inputs.map((i) => operand(this.nodes, this.ranges, this.known, i));
    const { type, range } = typeNode(op, xs, attrs, declared, scope.path, (code, args) => fail(code, args, span));
    return this.push(op, inputs, attrs, type, range, undefined, scope.path, span, scope.via);
  }

  /** Lower an expression; `declared` is the type on the enclosing `let`, applied to the outermost op. */
  private expr(e: Expr, scope: Scope, declared?: Declared, letName?: string): number {
    // `-x` of anything but a constant integer is `neg(x)`; `-3` is a literal.
    if (e.kind === "neg" && typeof constInt(e, scope) !== "bigint") {
      return this.call({ kind: "call", callee: "neg", calleeSpan: e.span, args: [e.operand], named: [], span: e.span }, scope, declared);
    }
    switch (e.kind) {
      case "int":
      case "neg":
      case "list":
      case "real": {
        const id = this.literal(e, scope);
        if (declared) fail("PQ2015", { declared: "a computed value", inferred: "a literal" }, e.span);
        return id;
      }
      case "name": {
        const b = scope.names.get(e.name);
        if (!b) fail("PQ2001", { name: e.name, hint: nameHint(e.name, [...scope.names.keys()].filter((n) => !n.startsWith("%"))) }, e.span);
        if (b.kind === "poison") throw new Poisoned();
        if (b.kind !== "tensor") fail("PQ2019", { name: e.name, what: "int parameter" }, e.span);
        if (declared) return this.emitCopy(b.id, declared, scope, e.span);
        return b.id;
      }
      case "typeArg":
        return fail("PQ2013", { op: "expression", detail: "a type is only allowed as an attribute value such as `to = i16`" }, e.span);
      case "as": {
        const x = this.expr(e.operand, scope);
        return this.requant(x, e.type, scope, e.span, declared);
      }
      case "call":
        return this.call(e, scope, declared, letName);
    }
  }

  /** `let y: T = x` where x is a plain name: a declared type must equal x's. */
  private emitCopy(id: number, declared: Declared, _scope: Scope, span: Span): number {
    const t = this.nodes[id]!.type;
    if (declared.bits !== t.bits || declared.signed !== t.signed) {
      fail("PQ2015", { declared: `${declared.signed ? "i" : "u"}${declared.bits}`, inferred: `${t.signed ? "i" : "u"}${t.bits}` }, span);
    }
    return id;
  }

  private requant(x: number, t: TypeExpr, scope: Scope, span: Span, outer?: Declared): number {
    const d = this.resolveType(t, scope);
    const xt = this.nodes[x]!.type;
    const target = d.scale ?? outer?.scale ?? xt.scale;
    let { mult, shift } = requantConstants(xt.scale, target);
    if (mult === 2 ** 16) [mult, shift] = [2 ** 15, shift - 1];
    const to: ElemSpec = { kind: "elem", bits: d.bits, signed: d.signed };
    const declared: Declared = { ...d, scale: target };
    if (outer) {
      if (outer.bits !== d.bits || outer.signed !== d.signed) {
        fail("PQ2015", { declared: `${outer.signed ? "i" : "u"}${outer.bits}`, inferred: `${d.signed ? "i" : "u"}${d.bits}` }, span);
      }
      if (outer.shape) declared.shape = outer.shape;
      if (outer.vis) declared.vis = outer.vis;
      declared.nonneg = declared.nonneg || outer.nonneg;
    }
    return this.emit("requant", [x], { mult, shift, to, ring: 0 }, scope, span, declared);
  }

  private literal(e: Expr, scope: Scope): number {
    const values: bigint[] = [];
    let shape: number[] = [];
    const scalar = (x: Expr): bigint => {
      const v = constInt(x, scope);
      return typeof v === "bigint" ? v : fail("PQ2013", { op: "literal", detail: "list elements must be integers" }, x.span);
    };
    if (e.kind === "real") fail("PQ2013", { op: "literal", detail: `${e.text} is not an integer; tensors hold integers (use a scale)` }, e.span);
    if (e.kind === "list") {
      const rows = e.items;
      if (rows.length > 0 && rows.every((r) => r.kind === "list")) {
        const width = (rows[0] as { items: Expr[] }).items.length;
        for (const r of rows) {
          const items = (r as { items: Expr[] }).items;
          if (items.length !== width) fail("PQ2008", { op: "literal", detail: "rows of a matrix literal must have equal length" }, r.span);
          for (const it of items) values.push(scalar(it));
        }
        shape = [rows.length, width];
      } else {
        for (const it of rows) values.push(scalar(it));
        shape = [rows.length];
      }
    } else {
      values.push(scalar(e));
    }
    let lo = values[0] ?? 0n;
    let hi = lo;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const bits = signedWidthFor(lo, hi);
    if (bits > 64) fail("PQ3003", { value: hi > 0n ? hi : lo, type: "i64" }, e.span);
    const type: TensorType = { bits, signed: true, shape, vis: "public", scale: { kind: "pow2", exp: 0 }, nonneg: lo >= 0n };
    return this.push("const", [], { value: values }, type, { lo, hi }, knownFromBigints(shape, values), scope.path, e.span, scope.via);
  }

  private call(e: Extract<Expr, { kind: "call" }>, scope: Scope, declared: Declared | undefined, letName?: string): number {
    // A layer with a two-party implementation written in .pq (std/protocols) is inlined as
    // that protocol, unless we are inside it already (its body calls the primitives).
    const impl = this.lowerProtocols ? this.loaded.implementations.get(e.callee) : undefined;
    if (impl && !this.expanding.includes(impl.name) && isOp(e.callee)) {
      // Lower the arguments once and pass them by (unspellable, unique) names bound in the
      // caller's scope for the call's duration (a copy of the scope per call made lowering
      // quadratic in the program's length), then choose: the protocol when the argument
      // types fit its parameters, else the layer itself.
      const ids = e.args.map((a) => this.expr(a, scope));
      const temps = ids.map(() => `%${this.temps++}`);
      temps.forEach((name, i) => scope.names.set(name, { kind: "tensor", id: ids[i]! }));
      try {
        const call = { ...e, args: e.args.map((a, i): Expr => ({ kind: "name", name: temps[i]!, span: a.span })) };
        const fits = impl.params.length === ids.length && impl.params.every((q, i) => this.nodes[ids[i]!]!.type.signed === q.type.signed);
        return fits ? this.protocol(impl, call, scope, declared) : this.builtin(e.callee, call, scope, declared);
      } finally {
        for (const name of temps) scope.names.delete(name);
      }
    }
    if (isOp(e.callee) && DESCRIPTORS[e.callee].kind !== "source") return this.builtin(e.callee, e, scope, declared);
    const block = this.loaded.blocks.get(e.callee);
    if (block) return this.block(block, e, scope, declared, letName);
    const proto = this.loaded.protocols.get(e.callee);
    if (proto) return this.protocol(proto, e, scope, declared);
    const names = [...Object.keys(DESCRIPTORS), ...this.loaded.blocks.keys(), ...this.loaded.protocols.keys()];
    return fail("PQ2003", { name: e.callee, hint: nameHint(e.callee, names) }, e.calleeSpan);
  }

  private builtin(op: Op, e: Extract<Expr, { kind: "call" }>, scope: Scope, declared: Declared | undefined): number {
    const desc = DESCRIPTORS[op];
    const [, maxArity] = desc.arity;
    const attrNames = Object.keys(desc.attrs);
    const operands = e.args.slice(0, Math.min(e.args.length, maxArity));
    const extra = e.args.slice(operands.length);
    if (operands.length < desc.arity[0] || extra.length > attrNames.length) {
      const expected = desc.arity[0] === maxArity ? String(maxArity) : maxArity === Infinity ? `at least ${desc.arity[0]}` : `${desc.arity[0]} to ${maxArity}`;
      fail("PQ2004", { op, expected, got: e.args.length }, e.span);
    }
    const inputs = operands.map((a) => this.expr(a, scope));
    const attrs: Attrs = {};
    extra.forEach((a, i) => (attrs[attrNames[i]!] = this.attr(op, attrNames[i]!, desc.attrs[attrNames[i]!]!, a, scope)));
    this.namedAttrs(op, e.named, attrs, scope);
    for (const [name, spec] of Object.entries(desc.attrs)) {
      if (attrs[name] !== undefined) continue;
      const dflt = attrOrDefault(op, attrs, name);
      if (dflt !== undefined) attrs[name] = dflt;
      else if (spec.required) fail("PQ2007", { op, name }, e.span);
    }
    return this.emit(op, inputs, attrs, scope, e.span, declared);
  }

  /** Named attributes of `op` read into `attrs`, checked against its descriptor: unknown (PQ2005), given twice (PQ2002), of the wrong kind (PQ2006). */
  private namedAttrs(op: Op, named: readonly NamedArg[], attrs: Attrs, scope: Scope): void {
    const specs = DESCRIPTORS[op].attrs;
    for (const na of named) {
      const spec = specs[na.name];
      if (!spec) fail("PQ2005", { op, name: na.name, known: Object.keys(specs).join(", ") || "none" }, na.span);
      if (na.name in attrs) fail("PQ2002", { name: na.name, where: "a positional argument" }, na.span);
      attrs[na.name] = this.attr(op, na.name, spec, na.value, scope);
    }
  }

  private intArg(callee: string, name: string, e: Expr, scope: Scope): number {
    return this.attr(callee, name, { kind: "int" }, e, scope) as number;
  }

  private attr(op: string, name: string, spec: AttrSpec, e: Expr, scope: Scope): AttrValue {
    const bad = (): never => fail("PQ2006", { name, op, expected: ATTR_WORDS[spec.kind] }, e.span);
    const int = (x: Expr): bigint => {
      const v = constInt(x, scope);
      if (v === "poison") throw new Poisoned();
      return v ?? bad();
    };
    const num = (x: Expr): number => {
      const v = int(x);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) bad();
      return Number(v);
    };
    const ints = (x: Expr): number[] => (x.kind === "list" ? x.items.map(num) : bad());
    const real = (x: Expr): number => (x.kind === "real" ? x.value : x.kind === "neg" && x.operand.kind === "real" ? -x.operand.value : Number(int(x)));
    switch (spec.kind) {
      case "int": return num(e);
      case "bigint": return int(e);
      case "ints": return ints(e);
      case "int-or-ints": return e.kind === "list" ? ints(e) : num(e);
      case "matrix": return e.kind === "list" && e.items.length > 0 ? e.items.map(ints) : bad();
      case "reals": return e.kind === "list" ? (e.items.length > 0 ? e.items.map(real) : bad()) : [real(e)];
      case "elem": {
        if (e.kind !== "typeArg" || e.type.shape || e.type.scale || e.type.vis) return bad();
        const d = this.resolveType(e.type, scope);
        return { kind: "elem", bits: d.bits, signed: d.signed };
      }
    }
  }

  /** Inline a block: fresh scope with its arguments, params prefixed by the instance name. */
  private block(b: BlockDecl, e: Extract<Expr, { kind: "call" }>, scope: Scope, declared: Declared | undefined, letName?: string): number {
    if (this.expanding.includes(b.name)) fail("PQ2017", { name: b.name, cycle: [...this.expanding, b.name].join(" → ") }, e.calleeSpan);
    const instance = letName ?? b.name;
    const prefix = `${scope.prefix}${instance}_`;
    if (this.letPrefixes.has(prefix)) fail("PQ2028", { name: b.name, prefix }, e.calleeSpan);
    this.letPrefixes.add(prefix);
    const inner: Scope = { names: new Map(), widths: new Map(), path: scope.path, prefix };
    this.bindArgs(b.name, b.params.map((p) => ({ name: p.name, isInt: p.isInt, ...(p.default ? { default: p.default } : {}), span: p.span })), e, scope, inner);
    // An int parameter named by one capital letter is also a width variable (`param w: iW[..]`),
    // so one block serves every mixed-precision setting.
    for (const [name, bnd] of inner.names) if (bnd.kind === "int" && /^[A-Z]$/.test(name)) inner.widths.set(name, bnd.value);
    this.expanding.push(b.name);
    try {
      const saved = this.letPrefixes;
      for (const s of b.body) {
        if (s.kind === "param") this.param(s.name, s.nameSpan, s.type, inner, s.span);
        else {
          const letScope: Scope = { ...inner, path: `${inner.path}/${s.name}` };
          this.letPrefixes = new Set();
          const d = s.type ? this.resolveType(s.type, inner) : undefined;
          const id = this.expr(s.value, letScope, d, s.name);
          this.define(inner, s.name, s.nameSpan, { kind: "tensor", id });
        }
      }
      this.letPrefixes = saved;
      return this.expr(b.ret.value, inner, declared);
    } finally {
      this.expanding.pop();
    }
  }

  /** Inline a protocol: bind width variables from the arguments' types, check the result type. */
  private protocol(p: ProtocolDecl, e: Extract<Expr, { kind: "call" }>, scope: Scope, declared: Declared | undefined): number {
    if (this.expanding.includes(p.name)) fail("PQ2017", { name: p.name, cycle: [...this.expanding, p.name].join(" → ") }, e.calleeSpan);
    const inner: Scope = { names: new Map(), widths: new Map(), path: scope.path, prefix: scope.prefix, via: scope.via ?? p.name };
    this.bindArgs(p.name, p.params.map((q) => ({ name: q.name, isInt: false, span: q.span })), e, scope, inner);
    p.params.forEach((q) => {
      const b = inner.names.get(q.name);
      if (b?.kind !== "tensor") return;
      const t = this.nodes[b.id]!.type;
      if (q.type.signed !== t.signed) fail("PQ2018", { name: q.name, callee: p.name, expected: `${q.type.signed ? "signed" : "unsigned"}` }, e.span);
      if (typeof q.type.width === "string") {
        const bound = inner.widths.get(q.type.width);
        if (bound !== undefined && bound !== t.bits) fail("PQ2018", { name: q.name, callee: p.name, expected: `${q.type.width} = ${bound} bits, like the earlier arguments` }, e.span);
        inner.widths.set(q.type.width, t.bits);
      } else if (q.type.width !== t.bits) {
        fail("PQ2018", { name: q.name, callee: p.name, expected: `${q.type.signed ? "i" : "u"}${q.type.width}` }, e.span);
      }
    });
    this.expanding.push(p.name);
    try {
      for (const s of p.body) {
        const d = s.type ? this.resolveType(s.type, inner) : undefined;
        const id = this.expr(s.value, inner, d);
        this.define(inner, s.name, s.nameSpan, { kind: "tensor", id });
      }
      const result = this.resolveType(p.result, inner);
      const id = this.expr(p.ret.value, inner, declared);
      const t = this.nodes[id]!.type;
      if (t.bits !== result.bits || t.signed !== result.signed) {
        fail("PQ2015", { declared: `${result.signed ? "i" : "u"}${result.bits} (the result of ${p.name})`, inferred: `${t.signed ? "i" : "u"}${t.bits}` }, p.ret.span);
      }
      return id;
    } finally {
      this.expanding.pop();
    }
  }

  private bindArgs(
    callee: string, params: { name: string; isInt: boolean; default?: Expr; span: Span }[],
    e: Extract<Expr, { kind: "call" }>, outer: Scope, inner: Scope,
  ): void {
    if (e.args.length > params.length) fail("PQ2004", { op: callee, expected: `at most ${params.length}`, got: e.args.length }, e.span);
    const given = new Map<string, Expr>();
    e.args.forEach((a, i) => given.set(params[i]!.name, a));
    for (const na of e.named as NamedArg[]) {
      if (!params.some((p) => p.name === na.name)) fail("PQ2005", { op: callee, name: na.name, known: params.map((p) => p.name).join(", ") }, na.span);
      if (given.has(na.name)) fail("PQ2002", { name: na.name, where: "a positional argument" }, na.span);
      given.set(na.name, na.value);
    }
    for (const p of params) {
      const a = given.get(p.name);
      if (p.isInt) {
        const v = a ? this.intArg(callee, p.name, a, outer) : p.default ? this.intArg(callee, p.name, p.default, inner) : undefined;
        if (v === undefined) fail("PQ2018", { name: p.name, callee, expected: "given (it has no default)" }, e.span);
        inner.names.set(p.name, { kind: "int", value: v });
      } else {
        if (!a) fail("PQ2018", { name: p.name, callee, expected: "given" }, e.span);
        inner.names.set(p.name, { kind: "tensor", id: this.expr(a, outer) });
      }
    }
  }
}

/**
 * The integer a constant expression denotes (a literal, its negation, an int parameter in
 * scope); `poison` when it names a binding whose definition already failed; else undefined.
 */
function constInt(x: Expr, scope: Scope): bigint | "poison" | undefined {
  if (x.kind === "int") return x.value;
  if (x.kind === "neg") {
    const v = constInt(x.operand, scope);
    return typeof v === "bigint" ? -v : v;
  }
  if (x.kind === "name") {
    const b = scope.names.get(x.name);
    if (b?.kind === "int") return BigInt(b.value);
    if (b?.kind === "poison") return "poison";
  }
  return undefined;
}

const ATTR_WORDS: Record<AttrSpec["kind"], string> = {
  int: "an integer", bigint: "an integer", ints: "a list of integers", "int-or-ints": "an integer or a list of integers",
  matrix: "a matrix of integers such as [[1, 0], [0, 1]]", elem: "an element type such as i16 or u8",
  reals: "a real number or a list of them, such as [0.5, 0.25]",
};
