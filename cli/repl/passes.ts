// The optimisation pipeline as `:passes` sees it. No pass exists yet (another issue adds
// them): the IR the REPL shows and runs is the lowered program. The list, enable/disable
// and before/after view already work on whatever passes are registered here, so adding
// one means adding an entry.
import type { Program } from "../../compiler/lower.js";

export interface Pass {
  name: string;
  summary: string;
  /** A new program; the input is not modified. */
  run(p: Program): Program;
}

export const PASSES: readonly Pass[] = [];

export const NO_PASSES = "no optimisation passes yet: the IR is the lowered program";
