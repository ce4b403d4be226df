// What every command shares: compiling a file and printing diagnostics the one way
// (file:line:col, code, excerpt with caret, hint), and the exit-code convention:
// 0 ok, 1 user error (with diagnostics), 2 usage error.
import { compileFile, type CompileResult } from "../compiler/lower.js";
import type { Program } from "../compiler/ir.js";
import { diag, formatDiagnostic, PqError, type Diagnostic } from "../grammar/diagnostics.js";
import { checkPipelineArgs, runPipeline } from "../compiler/passes/pipeline.js";
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
 * Compile, then run a pass pipeline (`--pipeline`, `--disable`, `--emit-after`); the notes of
 * passes that did not apply go to stderr so nothing is silently skipped.
 */
export function compileWithPipeline(
  io: Io, file: string,
  opts: { model?: string; pipeline?: string; disable?: string[]; stopAfter?: string; protocols?: boolean; target?: PassContext["target"]; budget?: number },
): Program | undefined {
  checkPipelineArgs(opts.pipeline ?? "pq", opts.disable ?? [], opts.stopAfter);
  const { program } = compileOrReport(io, file, opts.model, opts.protocols ?? true);
  if (!program) return undefined;
  const { program: out, log } = runPipeline(program, opts.pipeline ?? "pq", {
    disable: opts.disable ?? [],
    ...(opts.stopAfter !== undefined ? { stopAfter: opts.stopAfter } : {}),
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
  });
  // A note's first line says why; per-layer details stay for `pq compile --emit-after`.
  for (const l of log) if (!l.applied && l.note !== "disabled") io.err(`pq: pass ${l.pass} did not apply: ${l.note.split("\n")[0]}`);
  // An approximate pass changes the model's values: say so every time it applies.
  for (const l of log) if (l.applied && l.note.startsWith("APPROXIMATE")) io.err(`pq: pass ${l.pass}: ${l.note.split("\n")[0]}`);
  return out;
}

/** Turn anything thrown below a command into diagnostics: never a stack trace. */
export function asDiagnostics(e: unknown): Diagnostic[] {
  if (e instanceof PqError) return e.diagnostics;
  const msg = e instanceof Error ? e.message : String(e);
  return [diag("PQ5001", { where: "pq", detail: msg })];
}
