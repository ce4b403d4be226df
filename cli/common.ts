// What every command shares: compiling a file and printing diagnostics the one way
// (file:line:col, code, excerpt with caret, hint), and the exit-code convention:
// 0 ok, 1 user error (with diagnostics), 2 usage error.
import { compileFile, type CompileResult } from "../compiler/lower.js";
import type { Program } from "../compiler/ir.js";
import { diag, formatDiagnostic, PqError, type Diagnostic } from "../grammar/diagnostics.js";
import { checkPipelineArgs, runPipeline, type PipelineLog } from "../compiler/passes/pipeline.js";
import type { PassContext } from "../compiler/passes/pass.js";

export class UsageError extends Error {
  constructor(readonly command: string, detail: string) {
    super(detail);
  }
}

/** A dealer seed as a user writes one (`pq run --seed`, the REPL's `:seed`): a decimal integer. */
export function isSeed(text: string): boolean {
  return /^\d{1,40}$/.test(text);
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const stdio: Io = {
  out: (s) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith("\n") ? s : `${s}\n`),
};

export function printDiagnostics(io: Io, ds: readonly Diagnostic[], sources: ReadonlyMap<string, string>): void {
  for (const d of ds) io.err(formatDiagnostic(d, sources));
}

/** Compile or report: returns the program, or undefined after printing the diagnostics. */
export function compileOrReport(io: Io, file: string, model?: string, protocols = true): { program?: Program; result: CompileResult } {
  const result = compileFile(file, model !== undefined ? { model, protocols } : { protocols });
  printDiagnostics(io, result.diagnostics, result.sources);
  return result.program ? { program: result.program, result } : { result };
}

/**
 * What the pipeline did, for stderr. By default at most one line: the count of passes that
 * did not apply (nothing to do, or reverted by the cost guard) and that `--verbose` says why;
 * nothing when every enabled pass applied. Verbose: every pass with its whole note. An
 * approximate pass changes the model's values, and `reweight` makes the program disclose the
 * positions of outlier weights: each is said every time it applies.
 */
export function pipelineNotes(pipeline: string, log: readonly PipelineLog[], verbose: boolean): string[] {
  const lines: string[] = [];
  if (verbose) {
    for (const l of log) {
      const [first = "", ...rest] = l.note.split("\n");
      lines.push(`pq: pass ${l.pass} ${l.applied ? "applied" : l.note === "disabled" ? "disabled" : "did not apply"}${l.note === "disabled" ? "" : `: ${first}`}`, ...rest.map((r) => `      ${r}`));
    }
    return lines;
  }
  const applied = log.filter((l) => l.applied).length;
  const disabled = log.filter((l) => !l.applied && l.note === "disabled").length;
  const skipped = log.length - applied - disabled;
  if (skipped > 0) {
    lines.push(`pq: pipeline ${pipeline}: ${applied} of ${log.length} passes applied, ${skipped} did not apply${disabled > 0 ? `, ${disabled} disabled` : ""} (--verbose says why)`);
  }
  // Said every time they apply: a pass that changes the model's values, or one that makes the
  // program disclose something of the weights to the client (reweight).
  for (const l of log) if (l.applied && /^(APPROXIMATE|DISCLOSES)/.test(l.note)) lines.push(`pq: pass ${l.pass}: ${l.note.split("\n")[0]}`);
  return lines;
}

/**
 * Compile, then run a pass pipeline (`--pipeline`, `--disable`, `--emit-after`); what the
 * passes did goes to stderr (pipelineNotes). Returns the program after the passes and the
 * one before them (its per-layer types are the ones the source declares: `declaredTypes`).
 */
export function compileWithPipeline(
  io: Io, file: string,
  opts: { model?: string; pipeline?: string; disable?: string[]; stopAfter?: string; protocols?: boolean; target?: PassContext["target"]; budget?: number; verbose?: boolean },
): { program: Program; lowered: Program } | undefined {
  const pipeline = opts.pipeline ?? "pq";
  checkPipelineArgs(pipeline, opts.disable ?? [], opts.stopAfter);
  const { program } = compileOrReport(io, file, opts.model, opts.protocols ?? true);
  if (!program) return undefined;
  const { program: out, log } = runPipeline(program, pipeline, {
    disable: opts.disable ?? [],
    ...(opts.stopAfter !== undefined ? { stopAfter: opts.stopAfter } : {}),
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
  });
  for (const l of pipelineNotes(pipeline, log, opts.verbose === true)) io.err(l);
  return { program: out, lowered: program };
}

/** Turn anything thrown below a command into diagnostics: never a stack trace. */
export function asDiagnostics(e: unknown): Diagnostic[] {
  if (e instanceof PqError) return e.diagnostics;
  const msg = e instanceof Error ? e.message : String(e);
  return [diag("PQ5001", { where: "pq", detail: msg })];
}
