// The optimisation pipeline as `:passes` sees it: a pipeline's passes (compiler/passes/
// pipeline.ts; `pq` unless `:passes use NAME` picks another), in order, each switchable,
// optimising for the correlations `:passes target KIND` names (ot by default, as `pq run`
// compiles for its default OT correlations). The IR the
// REPL shows and runs is the lowered program after the enabled ones, run as `pq compile`
// runs them (compiler runPasses, with the pipeline's cost guard).
import type { Pass } from "../../compiler/passes/pass.js";
import { PASSES as COMPILER_PASSES, PIPELINES } from "../../compiler/passes/pipeline.js";

export type { Pass };

/** The passes of pipeline `name`, in order. */
export function pipelinePasses(name: string): Pass[] {
  return PIPELINES[name]!.map((n) => COMPILER_PASSES[n]!);
}

export const PASSES: readonly Pass[] = pipelinePasses("pq");

export const NO_PASSES = "no optimisation passes: the IR is the lowered program";
