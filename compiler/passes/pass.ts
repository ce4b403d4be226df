// A pass: a named, switchable rewrite of a program (SPU's pipeline habit). It returns the
// rewritten program, or says why it did not apply — never a silent no-op.
import type { Program } from "../ir.js";
import type { PassTarget } from "../cost/formulas.js";

export interface PassResult {
  program: Program;
  /** What the pass did ("folded 3 batch norms"), or why it could not apply. */
  note: string;
  applied: boolean;
}

/** What a pass may optimise for: the correlations the program will run with (compiler/cost). */
export interface PassContext {
  target: PassTarget;
  /** A communication budget in forecast online bytes (both parties) that an approximate pass may spend on accuracy (`--budget`; winograd-quant). */
  budget?: number;
}

export interface Pass {
  name: string;
  summary: string;
  run(p: Program, ctx?: PassContext): PassResult;
}

export function unchanged(p: Program, why: string): PassResult {
  return { program: p, note: why, applied: false };
}
