// The pass pipelines: one readable list each. `sirnn` is the baseline (the program as
// lowered: direct convolution, conversions where the protocols need them, nothing fused);
// `pq` applies every optimisation. The verifier runs after each pass when asked (tests do).
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { Program } from "../lower.js";
import { editDistance } from "../lower.js";
import { verifyGraph } from "../verify.js";
import type { Pass } from "./pass.js";

/** Every pass by name. Each lives in its own file in this folder. */
export const PASSES: Record<string, Pass> = {};

/** Pipelines by name: ordered pass names. */
export const PIPELINES: Record<string, string[]> = {
  none: [],
  sirnn: [],
  pq: [],
};

export interface PipelineLog {
  pass: string;
  applied: boolean;
  note: string;
}

export interface PipelineOptions {
  disable?: readonly string[];
  /** Run the IR verifier after every pass (tests; cheap enough for the CLI too). */
  verify?: boolean;
  /** Stop after this pass (`pq compile --emit-after PASS`). */
  stopAfter?: string;
  onPass?: (name: string, program: Program) => void;
}

function nearest(name: string, names: readonly string[]): string {
  let best = "";
  let d = Infinity;
  for (const n of names) {
    const e = editDistance(name, n);
    if (e < d) [best, d] = [n, e];
  }
  return d <= 3 ? ` (did you mean '${best}'?)` : "";
}

export function checkPipelineArgs(pipeline: string, disable: readonly string[] = [], stopAfter?: string): void {
  if (!(pipeline in PIPELINES)) {
    throw new PqError(diag("PQ9002", { what: "pipeline", name: pipeline, suggestion: nearest(pipeline, Object.keys(PIPELINES)), known: Object.keys(PIPELINES).join(", ") }));
  }
  for (const p of [...disable, ...(stopAfter !== undefined ? [stopAfter] : [])]) {
    if (!(p in PASSES)) throw new PqError(diag("PQ9002", { what: "pass", name: p, suggestion: nearest(p, Object.keys(PASSES)), known: Object.keys(PASSES).join(", ") || "none yet" }));
  }
}

export function runPipeline(program: Program, pipeline: string, opts: PipelineOptions = {}): { program: Program; log: PipelineLog[] } {
  checkPipelineArgs(pipeline, opts.disable, opts.stopAfter);
  const log: PipelineLog[] = [];
  let p = program;
  for (const name of PIPELINES[pipeline]!) {
    if (opts.disable?.includes(name)) {
      log.push({ pass: name, applied: false, note: "disabled" });
      continue;
    }
    const r = PASSES[name]!.run(p);
    if (opts.verify) verifyGraph(r.program.graph);
    p = r.program;
    log.push({ pass: name, applied: r.applied, note: r.note });
    opts.onPass?.(name, p);
    if (opts.stopAfter === name) break;
  }
  return { program: p, log };
}
