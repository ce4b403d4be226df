// The pass pipelines: one readable list each. `sirnn` is the baseline (the program as
// lowered: direct convolution, conversions where the protocols need them, nothing fused);
// `pq` applies every optimisation. The verifier runs after each pass when asked (tests do).
import { PqError } from "../../grammar/diagnostics.js";
import type { Program } from "../ir.js";
import { unknownName } from "../../grammar/suggest.js";
import { verifyGraph } from "../verify.js";
import { onlineBytes } from "../cost/model.js";
import type { Pass, PassContext } from "./pass.js";
import { elimination } from "./elimination.js";
import { fuseBatchnorm } from "./fuse-batchnorm.js";
import { fuseRequantRelu } from "./fuse-requant-relu.js";
import { headroom } from "./headroom.js";
import { orientation } from "./orientation.js";
import { placement } from "./placement.js";
import { reweight } from "./reweight.js";
import { winograd, winogradPass } from "./winograd.js";
import { winogradQuantPass } from "./winograd-quant.js";

/** Winograd pays where the interactive part of a convolution scales with its multiplications
 * (OT-based products, SiRNN's cost); the dealer's bilinear triples cost |W| + |x| whatever the
 * algorithm, so there the pass chooses by dealer accounting (and keeps direct convolutions). */
const winogradByTarget: Pass = {
  name: "winograd",
  summary: winograd.summary,
  run: (p, ctx) => winogradPass({ accounting: ctx?.target === "dealer" ? "dealer" : "iknp" }).run(p),
};

const winogradQuantByTarget: Pass = {
  name: "winograd-quant",
  summary: winogradQuantPass().summary,
  run: (p, ctx) => winogradQuantPass({
    accounting: ctx?.target === "dealer" ? "dealer" : "iknp",
    ...(ctx?.budget !== undefined ? { budget: ctx.budget, target: ctx.target } : {}),
  }).run(p),
};

/** Every pass by name. Each lives in its own file in this folder. */
export const PASSES: Record<string, Pass> = {
  "fuse-batchnorm": fuseBatchnorm,
  winograd: winogradByTarget,
  "winograd-quant": winogradQuantByTarget,
  "fuse-requant-relu": fuseRequantRelu,
  headroom,
  placement,
  elimination,
  orientation,
  reweight,
};

/** Pipelines by name: ordered pass names. */
export const PIPELINES: Record<string, string[]> = {
  none: [],
  // The baseline as SiRNN runs it: direct convolution, conversions where the protocols need
  // them (made explicit, unknown-MSB where nothing proves otherwise), nothing fused.
  sirnn: ["placement"],
  // Fold batch norms first (Winograd then transforms the folded weights), then Winograd;
  // choose OT receivers before the requantize/ReLU fusion, whose per-site choice is priced
  // with them; conversion placement and elimination after every pass that creates operands
  // to extend; a spare bit where it makes an extension known-MSB; receivers again for the
  // final widths (the dealer backend ignores them).
  pq: ["fuse-batchnorm", "winograd", "orientation", "fuse-requant-relu", "placement", "elimination", "headroom", "orientation"],
  // pq with EQO's bit re-weighting after Winograd (each layer's split priced by the whole
  // forecast). Not the default: the client learns the positions of the high planes' entries.
  reweight: ["fuse-batchnorm", "winograd", "reweight", "orientation", "fuse-requant-relu", "placement", "elimination", "headroom", "orientation"],
  // APPROXIMATE: pq with the exact Winograd rewrite replaced by EQO's quantized one (the
  // filters of 3×3 convolutions quantized in the Winograd domain, batch norms folded first;
  // winograd-quant.ts states each layer's error bound). Not the same model: compare with care.
  eqo: ["winograd-quant", "fuse-batchnorm", "orientation", "fuse-requant-relu", "placement", "elimination", "headroom", "orientation"],
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
  /** The correlations the program will run with; passes that choose by cost use it. */
  target?: PassContext["target"];
  /** Forecast online bytes an approximate pass may spend on accuracy (PassContext). */
  budget?: number;
  /** Revert a pass whose result the cost model forecasts to communicate more (default: on for `pq`; the baseline is taken as it is). */
  guard?: boolean;
  onPass?: (name: string, program: Program) => void;
}



export function checkPipelineArgs(pipeline: string, disable: readonly string[] = [], stopAfter?: string): void {
  if (!(pipeline in PIPELINES)) {
    throw new PqError(unknownName("pipeline", pipeline, Object.keys(PIPELINES)));
  }
  for (const p of [...disable, ...(stopAfter !== undefined ? [stopAfter] : [])]) {
    if (!(p in PASSES)) throw new PqError(unknownName("pass", p, Object.keys(PASSES)));
  }
}

/**
 * The forecast the guard compares: under OT correlations with every linear layer's receiver
 * chosen as `orientation` will choose it, so that a pass adding products (winograd) is not
 * priced with the default receivers that the pipeline's later orientation replaces.
 */
function priced(p: Program, target: PassContext["target"]): number {
  return onlineBytes(target === "dealer" ? p : orientation.run(p, { target }).program, target);
}

export function runPipeline(program: Program, pipeline: string, opts: PipelineOptions = {}): { program: Program; log: PipelineLog[] } {
  checkPipelineArgs(pipeline, opts.disable, opts.stopAfter);
  return runPasses(program, PIPELINES[pipeline]!.map((name) => PASSES[name]!), { ...opts, guard: opts.guard ?? pipeline !== "sirnn" });
}

/**
 * The passes in order (a pipeline's, or the REPL's own list), with the options of
 * runPipeline; the log has one entry per pass run, in order.
 */
export function runPasses(program: Program, passes: readonly Pass[], opts: PipelineOptions = {}): { program: Program; log: PipelineLog[] } {
  const log: PipelineLog[] = [];
  let p = program;
  let cost: number | undefined;
  const target = opts.target ?? "dealer";
  for (const pass of passes) {
    const name = pass.name;
    if (opts.disable?.includes(name)) {
      log.push({ pass: name, applied: false, note: "disabled" });
      continue;
    }
    const r = pass.run(p, { target, ...(opts.budget !== undefined ? { budget: opts.budget } : {}) });
    if (opts.verify) verifyGraph(r.program.graph);
    // A pass is kept only if the cost model says it does not add communication for the
    // target: passes decide locally (one layer at a time), the forecast sees the whole program.
    if (r.applied && opts.guard) {
      const before = (cost ??= priced(p, target));
      const after = priced(r.program, target);
      if (after > before) {
        log.push({ pass: name, applied: false, note: `reverted: the forecast (${target}) grows from ${before} to ${after} bytes\n${r.note}` });
        opts.onPass?.(name, p);
        if (opts.stopAfter === name) break;
        continue;
      }
      cost = after;
    }
    p = r.program;
    log.push({ pass: name, applied: r.applied, note: r.note });
    opts.onPass?.(name, p);
    if (opts.stopAfter === name) break;
  }
  return { program: p, log };
}
