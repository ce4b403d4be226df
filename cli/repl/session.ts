// The REPL's state and commands, free of any terminal: `execute(line)` returns text blocks
// that the Ink UI (App.tsx) and the line mode (plain.ts) print the same way.
//
// The session holds a model's source text: the loaded file's, or a scratch `model repl { }`.
// A typed statement (`input`, `params`, `param`, `let`, `output`) is appended inside the
// model and the whole text recompiled with compileFile; if that fails the statement is
// dropped and its diagnostics shown, so the session is always a program that compiles
// (except for having no output yet). Types are read from the compiled graph: the statement
// is compiled with a temporary `output NAME to client`, whose node is NAME's value.
import { existsSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { compileFile, type CompileResult } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { nearestTyped as nearest } from "../../grammar/suggest.js";
import { loadProgram } from "../../compiler/modules.js";
import type { Graph } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ir.js";
import { printGraph } from "../../compiler/print.js";
import { formatType } from "../../compiler/types.js";
import type { ModelDecl } from "../../grammar/ast.js";
import { formatDiagnostic, PqError, type Diagnostic } from "../../grammar/diagnostics.js";
import { readInputs } from "../../interpreter/inputs.js";
import { toBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import { asDiagnostics, isSeed } from "../common.js";
import { BACKENDS, forecast, PASS_TARGETS, type Backend, type PassTarget } from "../../compiler/cost/model.js";
import { buildReport, formatBytes, plainRun, reportTable, tensorText } from "../report.js";
import { declaredTypes, layerOrder, layersOf } from "../../compiler/layers.js";
import { layerCounter } from "../progress.js";
import { table } from "../table.js";
import { Cancelled, inProcess, type Backends } from "./backends.js";
import { findCommand, helpText, REPL_COMMANDS, type CommandName } from "./commands.js";
import { NO_PASSES, PASSES, pipelinePasses, type Pass } from "./passes.js";
import { PIPELINES, runPasses, type PipelineLog } from "../../compiler/passes/pipeline.js";
import { protocolsText } from "./protocols.js";
import { unifiedDiff } from "./linediff.js";
import type { ProviderSpec } from "../../interpreter/providers/provider.js";

export type Style = "out" | "error" | "notice" | "info";

export interface Block {
  style: Style;
  text: string;
}

export interface Output {
  blocks: Block[];
  quit?: boolean;
}

export interface ExecOptions {
  /** Progress of a running job, e.g. `[3/5] mlp/h2`. */
  onProgress?: (text: string) => void;
}

export interface SessionOptions {
  backends?: Backends;
  /** The optimisation pipeline (tests register their own). */
  passes?: readonly Pass[];
}

const SCRATCH_PATH = "<scratch>";
/** The file name of a typed line in diagnostics. */
const REPL_LINE = "<repl>";
const SCRATCH = "model repl {\n}\n";
const DEFAULT_SEED = "pq-default-seed";
/** Values shown per traced tensor. */
const TRACE_LIMIT = 64;
const BAR_WIDTH = 32;

const out = (text: string): Block => ({ style: "out", text });
const err = (text: string): Block => ({ style: "error", text });
const info = (text: string): Block => ({ style: "info", text });
const notice = (text: string): Block => ({ style: "notice", text });

/** A command's error, shown as an error block (not a diagnostic of the program). */
class CommandError extends Error {}

function isError(d: Diagnostic): boolean {
  return d.severity === "error";
}

/** Horizontal bar of `value / max` of BAR_WIDTH cells, in eighths so small layers still show. */
export function bar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0) return "";
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return "█".repeat(Math.floor(eighths / 8)) + (eighths % 8 ? " ▏▎▍▌▋▊▉"[eighths % 8]! : "");
}

/** Drop source positions from an AST and make bigints printable. */
function astJson(x: unknown): string {
  return JSON.stringify(x, (k, v: unknown) => (k === "span" || k.endsWith("Span") ? undefined : typeof v === "bigint" ? v.toString() : v), 2);
}

/** The words of a command line; "double quotes" group a path with spaces. */
function words(s: string): string[] {
  return [...s.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

export class Session {
  private readonly backends: Backends;
  /** The optimisation passes in order: a pipeline's (`pipelineName`), or the caller's own. */
  passes: readonly Pass[];
  private pipelineName: string | undefined;
  /** The correlations the passes optimise for (`:passes target`). */
  private target: PassTarget = "ot";
  private readonly enabled = new Set<string>();
  /** The last pipeline run's log (what each pass did). */
  private passLog: PipelineLog[] = [];

  /** The loaded file (resolved), or undefined for the scratch model. */
  file: string | undefined;
  private modelName: string | undefined;
  /** The file's text (or the scratch model) and where its model's closing `}` is. */
  private base = SCRATCH;
  private insertAt = SCRATCH.indexOf("}");
  /** Statements typed since the load, in order. */
  readonly added: string[] = [];
  /** The lowered program and the program after the enabled passes (none until the model has an output). */
  private lowered: Program | undefined;
  program: Program | undefined;
  seed = DEFAULT_SEED;
  correlations: "ot" | "he" | "dealer" = "ot";
  private lastInputs: string[] | undefined;
  private job: AbortController | undefined;

  constructor(opts: SessionOptions = {}) {
    this.backends = opts.backends ?? inProcess;
    this.passes = opts.passes ?? PASSES;
    this.pipelineName = opts.passes ? undefined : "pq";
    for (const p of this.passes) this.enabled.add(p.name);
  }

  get busy(): boolean {
    return this.job !== undefined;
  }

  /** Cancel the running job, if any; it ends with "cancelled". */
  cancel(): boolean {
    if (!this.job) return false;
    this.job.abort();
    return true;
  }

  /** The path diagnostics name and relative imports resolve from. */
  private get path(): string {
    return this.file ?? SCRATCH_PATH;
  }

  /** The session's model text with `extra` statements appended inside the model, and where the first of them starts. */
  private layout(extra: readonly string[]): { text: string; start: number } {
    const stmts = [...this.added, ...extra];
    if (stmts.length === 0) return { text: this.base, start: this.base.length };
    let head = this.base.slice(0, this.insertAt);
    if (!head.endsWith("\n")) head += "\n";
    const typed = this.added.map((s) => `  ${s}\n`).join("");
    return { text: head + stmts.map((s) => `  ${s}\n`).join("") + this.base.slice(this.insertAt), start: head.length + typed.length + 2 };
  }

  text(extra: readonly string[] = []): string {
    return this.layout(extra).text;
  }

  /**
   * Compile the session's text with `extra` statements appended. A diagnostic at or after the
   * first of them is about the typed line `typed` (which that statement ends with): it points
   * into that line, `<repl>:1:COL`, not at the line of the loaded file it was compiled into.
   */
  private compile(extra: readonly string[] = [], typed = extra[0]): CompileResult {
    const { text, start } = this.layout(extra);
    const r = compileFile(this.path, { text, ...(this.modelName !== undefined ? { model: this.modelName } : {}) });
    if (typed === undefined) return r;
    const from = start + extra[0]!.length - typed.length;
    const col = (offset: number) => Math.min(Math.max(offset - from, 0), typed.length) + 1;
    const diagnostics = r.diagnostics.map((d): Diagnostic => {
      if (d.span?.file !== this.path || d.span.offset < start) return d;
      const span = { file: REPL_LINE, line: 1, col: col(d.span.offset), endLine: 1, endCol: col(d.span.endOffset), offset: d.span.offset - from, endOffset: d.span.endOffset - from };
      return { ...d, span };
    });
    return { ...r, diagnostics, sources: new Map(r.sources).set(REPL_LINE, typed) };
  }

  /** Errors that make `r` unusable: all of them, except "no output" when `noOutputOk`. */
  private static errors(r: CompileResult, noOutputOk: boolean): Diagnostic[] {
    return r.diagnostics.filter((d) => isError(d) && !(noOutputOk && d.code === "PQ2012"));
  }

  private diagnostics(r: { diagnostics: readonly Diagnostic[]; sources: ReadonlyMap<string, string> }): Block[] {
    return r.diagnostics.map((d) => (isError(d) ? err : notice)(formatDiagnostic(d, r.sources)));
  }

  /** Recompile the session's text and apply the enabled passes. */
  private refresh(r: CompileResult = this.compile()): void {
    this.lowered = r.program;
    this.program = r.program ? this.pipeline(r.program, this.passes.length) : undefined;
  }

  /**
   * The program after the enabled passes among the first `upTo`, optimised for `target`, as
   * `pq compile --pipeline NAME` runs them: a pipeline other than `sirnn` reverts a pass the
   * cost model forecasts to add bytes (compiler runPasses).
   */
  private pipeline(p: Program, upTo: number, target: PassTarget = this.target): Program {
    const guard = this.pipelineName !== undefined && this.pipelineName !== "sirnn";
    const disable = this.passes.filter((x) => !this.enabled.has(x.name)).map((x) => x.name);
    const r = runPasses(p, this.passes.slice(0, upTo), { target, disable, guard });
    if (upTo === this.passes.length && target === this.target) this.passLog = r.log;
    return r.program;
  }

  /** A notice for each approximate pass that applied (they change the model's values). */
  private approximateNotices(): Block[] {
    return this.passLog.filter((l) => l.applied && l.note.startsWith("APPROXIMATE")).map((l) => notice(`pass ${l.pass}: ${l.note.split("\n")[0]}`));
  }

  // ------------------------------------------------------------ entry point

  async execute(line: string, opts: ExecOptions = {}): Promise<Output> {
    const s = line.trim();
    if (s === "" || s.startsWith("//")) return { blocks: [] };
    try {
      if (s.startsWith(":")) return await this.command(s.slice(1), opts);
      return { blocks: this.statement(s) };
    } catch (e) {
      if (e instanceof Cancelled) return { blocks: [notice("cancelled")] };
      if (e instanceof CommandError) return { blocks: [err(e.message)] };
      const ds = e instanceof PqError ? e.diagnostics : asDiagnostics(e);
      return { blocks: ds.map((d) => err(formatDiagnostic(d, new Map()))) };
    }
  }

  private async command(rest: string, opts: ExecOptions): Promise<Output> {
    const [word = "", ...args] = words(rest);
    // `:save! FILE` is :save that may overwrite; no other command takes a `!`.
    if (word === "save!") return { blocks: this.save(args, true) };
    const name = word;
    const cmd = findCommand(name) ?? (name === "q" || name === "exit" ? findCommand("quit") : undefined);
    if (!cmd) {
      const near = nearest(name, REPL_COMMANDS.map((c) => c.name));
      return { blocks: [err(`unknown command ':${name}'${near ? `; did you mean :${near}?` : ""} (:help lists the commands)`)] };
    }
    return this.commands[cmd.name](args, opts);
  }

  /** One handler per command (commands.ts): a command without one is a type error. */
  private readonly commands: { readonly [K in CommandName]: (args: string[], opts: ExecOptions) => Output | Promise<Output> } = {
    load: (args) => ({ blocks: this.load(args) }),
    save: (args) => ({ blocks: this.save(args, false) }),
    reload: () => ({ blocks: this.reload() }),
    ast: (args) => ({ blocks: this.ast(args) }),
    ir: (args) => ({ blocks: this.ir(args) }),
    passes: (args) => ({ blocks: this.passesCmd(args) }),
    cost: async (args, opts) => ({ blocks: await this.cost(args, opts) }),
    run: async (args, opts) => ({ blocks: await this.run(args, opts) }),
    diff: async (args, opts) => ({ blocks: await this.diff(args, opts) }),
    trace: async (args, opts) => ({ blocks: await this.trace(args, opts) }),
    correlations: (args) => ({ blocks: this.correlationsCmd(args) }),
    seed: (args) => ({ blocks: this.seedCmd(args) }),
    protocols: () => ({ blocks: [out(protocolsText())] }),
    help: (args) => ({ blocks: this.help(args) }),
    quit: () => ({ blocks: [], quit: true }),
  };

  // ------------------------------------------------------------ statements

  private statement(s: string): Block[] {
    const m = /^(let|input|param|params|output)\b/.exec(s);
    if (/^(import|block|protocol|model)\b/.test(s)) {
      return [err(`'${s.split(/\s/)[0]}' declarations belong in a file: write them there and :load it`)];
    }
    if (!m) return this.typeOf(`let _ = ${s}`, "_", undefined, s);
    const kw = m[1]!;
    if (kw === "let" || kw === "input" || kw === "param") {
      const name = new RegExp(`^${kw}\\s+([A-Za-z_][A-Za-z0-9_]*)`).exec(s)?.[1];
      // Without a name the parser reports the error (with its caret) when the statement is compiled.
      return this.typeOf(s, name, s);
    }
    const r = this.compile([s]);
    const errors = Session.errors(r, kw !== "output");
    if (errors.length > 0) return this.diagnostics({ diagnostics: errors, sources: r.sources });
    this.added.push(s);
    this.refresh(r);
    if (kw === "output") {
      const g = r.program!.graph;
      const k = g.outputs.length - 1;
      return [out(`output ${k}: ${formatType(g.nodes[g.outputs[k]!.node]!.type)}`)];
    }
    return [info(`params: ${r.program?.graph.paramsFile ?? s.slice("params".length).trim()}`)];
  }

  /**
   * Compile `stmt` with a temporary `output NAME to client` and show NAME's type and value
   * interval; keep `stmt` if `keep` is given and it compiled.
   */
  private typeOf(stmt: string, name: string | undefined, keep: string | undefined, typed = stmt): Block[] {
    const probe = name !== undefined ? [`output ${name} to client`] : [];
    const r = this.compile([stmt, ...probe], typed);
    const errors = Session.errors(r, name === undefined);
    if (errors.length > 0 || !r.program) return this.diagnostics({ diagnostics: errors.length > 0 ? errors : r.diagnostics, sources: r.sources });
    const g = r.program.graph;
    const id = g.outputs[g.outputs.length - 1]!.node;
    const range = r.program.ranges[id]!;
    const blocks = [out(`${keep !== undefined ? `${name}: ` : ""}${formatType(g.nodes[id]!.type)}   values in [${range.lo}, ${range.hi}]`)];
    if (keep !== undefined) {
      this.added.push(keep);
      this.refresh();
    }
    return [...this.diagnostics({ diagnostics: r.diagnostics.filter((d) => !isError(d)), sources: r.sources }), ...blocks];
  }

  // ------------------------------------------------------------ loading

  /** Where the statements go: just before the closing `}` of the session's model. */
  private static modelEnd(text: string, model: ModelDecl): number {
    const end = model.span.endOffset - 1;
    return text[end] === "}" ? end : text.lastIndexOf("}", model.span.endOffset);
  }

  private pickModel(r: CompileResult, model: string | undefined): ModelDecl | undefined {
    const models = r.loaded.entry.decls.filter((d): d is ModelDecl => d.kind === "model");
    return model !== undefined ? models.find((m) => m.name === model) : models.length === 1 ? models[0] : undefined;
  }

  load(args: string[]): Block[] {
    const [file, model] = args;
    if (file === undefined) throw new CommandError("usage: :load FILE.pq [MODEL]");
    // Kept as typed, so diagnostics name the file as the CLI does (the working directory never changes).
    const path = file;
    const r = compileFile(path, model !== undefined ? { model } : {});
    const errors = Session.errors(r, true);
    const m = this.pickModel(r, model);
    if (errors.length > 0 || !m) {
      return [...this.diagnostics({ diagnostics: errors.length > 0 ? errors : r.diagnostics, sources: r.sources }), info(this.stillLoaded())];
    }
    this.file = path;
    this.modelName = model;
    this.base = r.sources.get(path)!;
    this.insertAt = Session.modelEnd(this.base, m);
    this.added.length = 0;
    this.refresh(r);
    return [...this.diagnostics({ diagnostics: r.diagnostics.filter((d) => !isError(d)), sources: r.sources }), info(`loaded ${file}: ${this.summary(m.name)}`)];
  }

  private stillLoaded(): string {
    return this.file === undefined ? `unchanged: the scratch model (${this.added.length} statements)` : `unchanged: ${this.file} is still loaded`;
  }

  private summary(name: string): string {
    const p = this.program;
    if (!p) return `model ${name}, no output yet`;
    const g = p.graph;
    const inputs = g.nodes.filter((n) => n.op === "input").map((n) => `${n.attrs.name as string}: ${formatType(n.type)}`);
    return `model ${name}, ${g.nodes.length} nodes in ${layersOf(g).length} layers; input ${inputs.join(", ") || "none"}; ${g.outputs.length} output(s)`;
  }

  reload(): Block[] {
    if (this.file === undefined) throw new CommandError("nothing to reload: :load FILE.pq first");
    const typed = [...this.added];
    const r = compileFile(this.file, this.modelName !== undefined ? { model: this.modelName } : {});
    const errors = Session.errors(r, true);
    const m = this.pickModel(r, this.modelName);
    if (errors.length > 0 || !m) return [...this.diagnostics({ diagnostics: errors.length > 0 ? errors : r.diagnostics, sources: r.sources }), info(this.stillLoaded())];
    this.base = r.sources.get(this.file)!;
    this.insertAt = Session.modelEnd(this.base, m);
    this.added.length = 0;
    const blocks: Block[] = [];
    // Typed statements are re-applied one by one: the edited file may have made some invalid.
    for (const s of typed) {
      const t = this.compile([s]);
      if (Session.errors(t, true).length > 0) blocks.push(notice(`dropped \`${s}\`: it no longer compiles`));
      else this.added.push(s);
    }
    this.refresh();
    blocks.push(info(`reloaded ${this.file}: ${this.summary(m.name)}${this.added.length > 0 ? `; ${this.added.length} typed statement(s) re-applied` : ""}`));
    return blocks;
  }

  /**
   * `:save FILE`: the session's text — the loaded file (or the scratch model) with the typed
   * statements inside its model — which compiles (the session never keeps a statement that
   * does not). Relative `import` and `params` paths are rewritten for FILE's folder, so the
   * saved file loads from wherever it is written.
   */
  save(args: string[], overwrite: boolean): Block[] {
    const [dest] = args;
    if (dest === undefined || args.length > 1) throw new CommandError("usage: :save FILE.pq (:save! FILE.pq overwrites)");
    if (!overwrite && existsSync(dest)) throw new CommandError(`${dest} exists: :save! ${dest} overwrites it`);
    const text = this.text();
    const loaded = loadProgram(this.path, text);
    const from = this.file === undefined ? process.cwd() : dirname(resolve(this.file));
    const to = dirname(resolve(dest));
    const edits: { at: number; end: number; path: string }[] = [];
    const repoint = (path: string, span: { offset: number; endOffset: number }, isImport: boolean) => {
      if (isAbsolute(path) || (isImport && path.startsWith("std/")) || from === to) return;
      const quoted = /"(?:[^"\\]|\\.)*"/.exec(text.slice(span.offset, span.endOffset));
      if (!quoted) return;
      const moved = relative(to, resolve(from, path)).split(sep).join("/");
      edits.push({ at: span.offset + quoted.index, end: span.offset + quoted.index + quoted[0].length, path: isImport && !moved.startsWith(".") ? `./${moved}` : moved });
    };
    for (const d of loaded.entry.decls) {
      if (d.kind === "import") repoint(d.path, d.span, true);
      if (d.kind === "model") for (const item of d.items) if (item.kind === "params") repoint(item.path, item.span, false);
    }
    let saved = text;
    for (const e of edits.sort((x, y) => y.at - x.at)) saved = saved.slice(0, e.at) + JSON.stringify(e.path) + saved.slice(e.end);
    try {
      writeFileSync(dest, saved);
    } catch (e) {
      throw new CommandError(`cannot write ${dest}: ${(e as Error).message}`);
    }
    return [info(`saved ${dest}: ${this.added.length} typed statement(s) after ${this.file ?? "the scratch model"}${edits.length > 0 ? `; ${edits.length} relative path(s) rewritten for its folder` : ""}`)];
  }

  // ------------------------------------------------------------ views

  private need(): Program {
    if (!this.program) throw new CommandError("the model has no output yet: add one with `output EXPR to client` (or :load FILE.pq)");
    return this.program;
  }

  private ast(args: string[]): Block[] {
    const loaded = loadProgram(this.path, this.text());
    const models = loaded.entry.decls.filter((d): d is ModelDecl => d.kind === "model");
    const m = (this.modelName !== undefined ? models.find((x) => x.name === this.modelName) : undefined) ?? models[0];
    if (!m) throw new CommandError("no model");
    const [name] = args;
    if (name === undefined) return [out(astJson(m))];
    const item = m.items.find((i) => "name" in i && i.name === name);
    if (!item) {
      const names = m.items.flatMap((i) => ("name" in i ? [i.name] : []));
      const near = nearest(name, names);
      throw new CommandError(`no statement binds '${name}'${near ? `; did you mean ${near}?` : ""}`);
    }
    return [out(astJson(item))];
  }

  /** Full layer path from a path or its last part; unknown names suggest the nearest. */
  resolveLayer(g: Graph, name: string): string {
    const paths = layersOf(g).map((l) => l.path);
    if (paths.includes(name)) return name;
    const full = `${g.name}/${name}`;
    if (paths.includes(full)) return full;
    const bySuffix = paths.filter((p) => p.endsWith(`/${name}`));
    if (bySuffix.length === 1) return bySuffix[0]!;
    const shorts = paths.map((p) => p.slice(g.name.length + 1));
    const near = nearest(name, shorts);
    throw new CommandError(`unknown layer '${name}'${near ? `; did you mean ${near}?` : ""} (layers: ${shorts.join(", ")})`);
  }

  private ir(args: string[]): Block[] {
    const p = this.need();
    const text = printGraph(p.graph);
    const [layer] = args;
    if (layer === undefined) return [out(text.trimEnd())];
    const path = this.resolveLayer(p.graph, layer);
    // printGraph writes one line per node, after `model …` and the optional `params` line.
    const lines = text.split("\n");
    const head = p.graph.paramsFile !== undefined ? 2 : 1;
    const mine = p.graph.nodes.filter((n) => n.origin.path === path).map((n) => lines[head + n.id]!.trim());
    return [out(`${path}:\n${mine.map((l) => `  ${l}`).join("\n")}`)];
  }

  private passesCmd(args: string[]): Block[] {
    const [sub = "list", name] = args;
    const usage = "usage: :passes [list | enable NAME | disable NAME | show NAME | use PIPELINE | target dealer|ot|he|ot-iknp|ot-silent]";
    if (!["list", "enable", "disable", "show", "use", "target"].includes(sub)) throw new CommandError(`unknown :passes subcommand '${sub}'; ${usage}`);
    if (sub === "list") {
      const head = info(`${this.pipelineName !== undefined ? `pipeline ${this.pipelineName}` : "the session's own passes"}, optimising for ${this.target}`
        + (this.pipelineName !== undefined && this.pipelineName !== "sirnn" ? "; a pass the cost model forecasts to add bytes is reverted" : ""));
      if (this.passes.length === 0) return [head, info(NO_PASSES)];
      // passLog[i] is what passes[i] did in the last run (one entry per pass, in order).
      const state = (p: Pass, i: number) => {
        if (!this.enabled.has(p.name)) return "off";
        const l = this.passLog[i];
        return l === undefined || !this.lowered ? "on" : l.applied ? "on, applied" : l.note.startsWith("reverted") ? "on, reverted" : "on, n/a";
      };
      return [head, out(table(["#", "pass", "state", "what it does"], this.passes.map((p, i) => [String(i + 1), p.name, state(p, i), p.summary]))), ...this.approximateNotices()];
    }
    if (name === undefined) throw new CommandError(usage);
    if (sub === "use") {
      if (!(name in PIPELINES)) {
        const near = nearest(name, Object.keys(PIPELINES));
        throw new CommandError(`unknown pipeline '${name}'${near ? `; did you mean ${near}?` : ""} (pipelines: ${Object.keys(PIPELINES).join(", ")})`);
      }
      this.pipelineName = name;
      this.passes = pipelinePasses(name);
      this.enabled.clear();
      for (const p of this.passes) this.enabled.add(p.name);
      if (this.lowered) this.program = this.pipeline(this.lowered, this.passes.length);
      return [info(`pipeline ${name}: ${this.passes.length === 0 ? "no passes" : this.passes.map((p) => p.name).join(", ")}`), ...this.approximateNotices()];
    }
    if (sub === "target") {
      if (!(PASS_TARGETS as readonly string[]).includes(name)) throw new CommandError(`unknown correlations '${name}' (${PASS_TARGETS.join(", ")})`);
      this.target = name as PassTarget;
      if (this.lowered) this.program = this.pipeline(this.lowered, this.passes.length);
      return [info(`the passes now optimise for ${name}`)];
    }
    const i = this.passes.findIndex((p) => p.name === name);
    if (i < 0) {
      const near = nearest(name, this.passes.map((p) => p.name));
      throw new CommandError(`unknown pass '${name}'${near ? `; did you mean ${near}?` : this.passes.length === 0 ? ` (${NO_PASSES})` : ` (passes: ${this.passes.map((p) => p.name).join(", ")})`}`);
    }
    const pass = this.passes[i]!;
    if (sub === "show") {
      if (!this.lowered) this.need();
      const before = this.pipeline(this.lowered!, i);
      const r = pass.run(before, { target: this.target });
      const diff = unifiedDiff(printGraph(before.graph).trimEnd(), printGraph(r.program.graph).trimEnd(), { key: withoutNodeIds });
      return [
        info(`${pass.name}: ${r.applied ? "applied" : "not applied"} — ${r.note}`),
        out(diff === "" ? `${pass.name} leaves the program as it is` : `--- before ${pass.name}\n+++ after ${pass.name}\n${diff}`),
      ];
    }
    if (sub === "enable") this.enabled.add(name);
    else this.enabled.delete(name);
    if (this.lowered) this.program = this.pipeline(this.lowered, this.passes.length);
    return [info(`pass ${name} ${sub}d`)];
  }

  private help(args: string[]): Block[] {
    const [name] = args;
    if (name === undefined) return [out(helpText())];
    const c = findCommand(name.replace(/^:/, ""));
    if (!c) {
      const near = nearest(name.replace(/^:/, ""), REPL_COMMANDS.map((x) => x.name));
      throw new CommandError(`unknown command ':${name.replace(/^:/, "")}'${near ? `; did you mean :${near}?` : ""}`);
    }
    return [out(`:${c.name} ${c.args}\n  ${c.summary}`)];
  }

  private correlationsCmd(args: string[]): Block[] {
    const [c] = args;
    if (c === undefined) return [info(`correlations: ${this.correlations}`)];
    if (c !== "ot" && c !== "he" && c !== "dealer") throw new CommandError("usage: :correlations ot|he|dealer");
    this.correlations = c;
    if (c === "he") return [info("correlations: he (homomorphic encryption for the products with server weights where it moves fewer bytes, oblivious transfer for the rest: private)")];
    return c === "ot"
      ? [info("correlations: ot (oblivious transfer between the two parties: each one's randomness is its own)")]
      : [info(`correlations: dealer — INSECURE: one seed (${this.seed}, :seed) from which either party could recompute the other's secrets; for tests and benchmarks`)];
  }

  /** The provider of :run … 2pc and :diff. */
  private provider(): ProviderSpec {
    return this.correlations === "dealer" ? { kind: "dealer", seed: this.seed } : { kind: this.correlations };
  }

  private seedCmd(args: string[]): Block[] {
    const [s] = args;
    if (s === undefined) return [info(`seed: ${this.seed}`)];
    if (!isSeed(s)) throw new CommandError(`usage: :seed N (a non-negative integer), got '${s}'`);
    this.seed = s;
    return [info(`seed: ${s} (the dealer's randomness of :run … 2pc and :diff with :correlations dealer; the same seed gives the same run)`)];
  }

  // ------------------------------------------------------------ jobs

  /** Run `f` as the session's one cancellable job. */
  private async runJob<T>(f: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.job) throw new CommandError("a job is already running");
    const c = new AbortController();
    this.job = c;
    try {
      return await f(c.signal);
    } finally {
      this.job = undefined;
    }
  }

  /** `FILE` for a one-input model, `NAME=FILE` per input otherwise; default: the last inputs used. */
  private inputs(g: Graph, specs: string[]): Map<string, Tensor> {
    if (specs.length === 0) {
      if (!this.lastInputs) throw new CommandError("no input: give INPUT (a PNG or a JSON tensor; NAME=FILE per input for several)");
      specs = this.lastInputs;
    }
    const inputs = readInputs(g, specs);
    this.lastInputs = specs;
    return inputs;
  }

  /** Progress of a plaintext job: over the computing layers, the rows of its table. */
  private plainProgress(g: Graph, opts: ExecOptions, label = ""): (path: string) => void {
    return this.progress(layersOf(g).map((l) => l.path), opts, label);
  }

  /** Progress over `layers` (the layers of the table the command prints), as `pq run` shows it. */
  private progress(layers: readonly string[], opts: ExecOptions, label = ""): (path: string) => void {
    const text = layerCounter(layers, label);
    return (path) => {
      const t = text(path);
      if (t !== undefined) opts.onProgress?.(t);
    };
  }

  private async run(args: string[], opts: ExecOptions): Promise<Block[]> {
    const p = this.need();
    const g = p.graph;
    let backend = "plain";
    const last = args[args.length - 1];
    if (last === "plain" || last === "2pc") {
      backend = last;
      args = args.slice(0, -1);
    }
    const inputs = this.inputs(g, args);
    if (backend === "2pc") {
      const onLayer = this.progress(layerOrder(g).map((l) => l.layer), opts);
      const r = await this.runJob((signal) => this.backends.twoParty(g, p.ranges, inputs, { provider: this.provider(), signal, onLayer }));
      return [out(r.outputs.map((t, i) => `output ${i}: ${tensorText(t)}`).join("\n")), out(reportTable(buildReport(g, r)))];
    }
    const r = await this.runJob((signal) => this.backends.plain(g, inputs, { signal, onLayer: this.plainProgress(g, opts) }));
    return [out(plainRun(g, declaredTypes(this.lowered!.graph), r).text)];
  }

  /** `:cost [LAYER] [dealer|ot|he|ot-iknp|ot-silent]`: the compile-time forecast (compiler/cost), as a table and bars. */
  private async cost(args: string[], _opts: ExecOptions): Promise<Block[]> {
    const p = this.need();
    const g = p.graph;
    // by default, what `:run … 2pc` runs: the session's correlations, priced to the byte
    const backend = (BACKENDS as readonly string[]).find((b) => args.includes(b)) as Backend | undefined ?? this.correlations;
    const [layer] = args.filter((x) => !(BACKENDS as readonly string[]).includes(x));
    // Priced as `pq cost --correlations KIND` prices: the passes optimise for what is priced
    // (for pq's OT provider, with the ot-iknp accounting).
    const target = backend;
    const priced = target === this.target ? p : this.pipeline(this.lowered!, this.passes.length, target);
    const f = forecast(priced, backend);
    const headerText = `cost: forecast (${backend}) — compile-time, in the units of the run report (bytes with frame headers, rounds)`
      + (target !== this.target ? `; the passes re-run optimising for ${target} (the session's program optimises for ${this.target})` : "");
    const online = (c: { clientBytes: number; serverBytes: number }) => c.clientBytes + c.serverBytes;
    if (layer === undefined) {
      const max = Math.max(0, ...f.layers.map((l) => online(l.online)));
      const rows = f.layers.map((l) => [
        l.layer, l.ops.join(" "), formatBytes(online(l.online)), formatBytes(l.offline.bytes),
        `${l.online.clientRounds}/${l.online.serverRounds}`, bar(online(l.online), max),
      ]);
      const t = f.totals;
      return [
        info(headerText),
        out(table(["layer", "ops", "online", "offline", "rounds", "online bytes"], rows,
          ["total", "", formatBytes(online(t.online)), formatBytes(t.offline.bytes), `${t.online.clientRounds}/${t.online.serverRounds}`, ""]) +
          "\nonline: bytes both parties send during the run; offline: bytes that make correlated randomness (the dealer's, or OT with the peer, base OTs included); rounds: client/server."),
      ];
    }
    const path = layer === "output" || layer === `${g.name}/output` ? `${g.name}/output` : this.resolveLayer(g, layer);
    const rows = f.rows.filter((x) => x.layer === path && online(x.online) > 0);
    const max = Math.max(0, ...rows.map((x) => online(x.online)));
    return [
      info(headerText),
      out(`${path}:\n` + table(["primitive", "op", "client→", "server→", "rounds", "online bytes"],
        rows.map((x) => [x.primitive, x.op, formatBytes(x.online.clientBytes), formatBytes(x.online.serverBytes), `${x.online.clientRounds}/${x.online.serverRounds}`, bar(online(x.online), max)]))),
    ];
  }

  private async diff(args: string[], opts: ExecOptions): Promise<Block[]> {
    const p = this.need();
    const g = p.graph;
    const inputs = this.inputs(g, args);
    const layers = layersOf(g);
    const lastNode = layers.map((l) => l.nodes[l.nodes.length - 1]!.id);
    return this.runJob(async (signal) => {
      const plain = await this.backends.plain(g, inputs, { signal, keep: lastNode, onLayer: this.plainProgress(g, opts, "plain ") });
      const two = await this.backends.twoParty(g, p.ranges, inputs, { provider: this.provider(), signal, onLayer: this.progress(layerOrder(g).map((l) => l.layer), opts, "2pc ") });
      const outDiff = plain.outputs.findIndex((t, i) => !sameValues(t, two.outputs[i]!));
      if (outDiff < 0) {
        return [out(`no difference: plain and 2pc give the same ${plain.outputs.length} output(s) (${plain.outputs.map((t) => tensorText(t, 16)).join("; ")})`)];
      }
      // The 2PC backend reveals only outputs: bisect over prefix graphs that end at a layer
      // and output that layer's value, to find the first layer whose value differs.
      const differs = async (i: number): Promise<boolean> => {
        const id = lastNode[i]!;
        const prefix: Graph = { ...g, nodes: g.nodes.slice(0, id + 1), outputs: [{ node: id, to: "client" }] };
        opts.onProgress?.(`bisecting: ${layers[i]!.path}`);
        const r = await this.backends.twoParty(prefix, p.ranges.slice(0, id + 1), inputs, { provider: this.provider(), signal });
        return !sameValues(plain.kept.get(id)!, r.outputs[0]!);
      };
      let lo = 0;
      let hi = layers.length - 1;
      if (!(await differs(hi))) {
        return [err(`output ${outDiff} differs (plain ${tensorText(plain.outputs[outDiff]!, 16)}, 2pc ${tensorText(two.outputs[outDiff]!, 16)}), but no layer's value does: the difference is in revealing the output`)];
      }
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (await differs(mid)) hi = mid;
        else lo = mid + 1;
      }
      const id = lastNode[lo]!;
      const prefix: Graph = { ...g, nodes: g.nodes.slice(0, id + 1), outputs: [{ node: id, to: "client" }] };
      const r = await this.backends.twoParty(prefix, p.ranges.slice(0, id + 1), inputs, { provider: this.provider(), signal });
      const a = toBigints(plain.kept.get(id)!);
      const b = toBigints(r.outputs[0]!);
      const bad = a.flatMap((v, j) => (v !== b[j] ? [j] : []));
      const j = bad[0]!;
      return [err(
        `first differing layer: ${layers[lo]!.path} (${[...new Set(layers[lo]!.nodes.map((n) => n.op))].join(" ")}): ` +
        `${bad.length} of ${a.length} values differ; first at index ${j}: plain ${a[j]}, 2pc ${b[j]}\n` +
        `output ${outDiff}: plain ${tensorText(plain.outputs[outDiff]!, 16)}, 2pc ${tensorText(two.outputs[outDiff]!, 16)}`,
      )];
    });
  }

  private async trace(args: string[], opts: ExecOptions): Promise<Block[]> {
    const p = this.need();
    const g = p.graph;
    const [layer, ...specs] = args;
    if (layer === undefined) throw new CommandError("usage: :trace LAYER [INPUT...]");
    const path = this.resolveLayer(g, layer);
    const inputs = this.inputs(g, specs);
    const nodes = g.nodes.filter((n) => n.origin.path === path);
    const r = await this.runJob((signal) => this.backends.plain(g, inputs, { signal, keep: nodes.map((n) => n.id), onLayer: this.plainProgress(g, opts) }));
    const lines = nodes.map((n) => {
      const v = r.kept.get(n.id)!;
      const vals = toBigints(v);
      const lo = vals.reduce((a, b) => (b < a ? b : a));
      const hi = vals.reduce((a, b) => (b > a ? b : a));
      const range: Interval = p.ranges[n.id]!;
      return `node ${n.id} ${n.op}: ${formatType(n.type)}\n  values ${tensorText(v, TRACE_LIMIT)}\n  observed [${lo}, ${hi}] within the analysed [${range.lo}, ${range.hi}]`;
    });
    return [notice(TRACE_BANNER), out(`${path}:\n${lines.join("\n")}`)];
  }

  // ------------------------------------------------------------ for completion

  /** Layer names (without the model prefix) of the current program. */
  layerNames(): string[] {
    if (!this.program) return [];
    const g = this.program.graph;
    return layersOf(g).map((l) => l.path.slice(g.name.length + 1));
  }
}

/**
 * A printed node's line with the node ids in its names masked (`h1_9` → `h1_#`): the printer
 * names nodes by layer and id, so a pass that inserts a node renames every later one.
 */
function withoutNodeIds(line: string): string {
  return line.replace(/\b([A-Za-z_][A-Za-z0-9_]*?)_\d+_*\b/g, "$1_#");
}

export const TRACE_BANNER = [
  "!!! PRIVACY WARNING — DEBUG ONLY !!!",
  "!!! :trace reveals an intermediate tensor in the clear (a plaintext debug run).",
  "!!! In a two-party run no party ever sees this value; showing it breaks the privacy pq provides.",
  "!!! Never trace a model on data that must stay private.",
].join("\n");

function sameValues(a: Tensor, b: Tensor): boolean {
  const x = toBigints(a);
  const y = toBigints(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
