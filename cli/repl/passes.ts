// The optimisation pipeline as `:passes` sees it: the passes of the `pq` pipeline
// (compiler/passes/pipeline.ts), in order, each switchable; the IR the REPL shows and runs
// is the lowered program after the enabled ones.
import type { Program } from "../../compiler/lower.js";
import { PASSES as COMPILER_PASSES, PIPELINES } from "../../compiler/passes/pipeline.js";

export interface Pass {
  name: string;
  summary: string;
  /** A new program; the input is not modified. */
  run(p: Program): Program;
}

export const PASSES: readonly Pass[] = PIPELINES.pq!.map((name) => {
  const pass = COMPILER_PASSES[name]!;
  return { name, summary: pass.summary, run: (p: Program) => pass.run(p, { target: "dealer" }).program };
});

export const NO_PASSES = "no optimisation passes: the IR is the lowered program";
