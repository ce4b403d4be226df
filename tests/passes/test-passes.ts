// Passes for tests and comparisons only, not in the product's registry (compiler/passes/
// pipeline.ts): `fusion` (the PrivQuant / EQO fusions in one step, with the checks below),
// `saturating-relu` (fuse-requant-relu's W2 at every site, whatever the cost) and
// `headroom-everywhere` (every headroom candidate widened, whatever the cost).
//
// `fusion`: the PrivQuant / EQO layer fusions, in one step. Each rewrite
// lives in its own file and is also a pass of its own (so `--disable` can take one out):
//   fuse-batchnorm.ts     batchnorm folded into the preceding conv2d/linear (w·m, b·m + a)
//   fuse-requant-relu.ts  requantize → ReLU → extend-for-the-next-layer around one comparison
// and two fusions the seeds name that need no rewrite in pq, checked and reported here:
//
// Average-pool divisor into the next requantization (PrivQuant, Xu et al. ICCAD 2024;
// EQO/UFO, Zeng et al.). `avgpool`/`gavgpool` are window *sums* whose divisor k² (H·W)
// is in the result's scale (LANGUAGE.md), so the next `as` computes its multiplier from
// scale(x)/k² / s_T and the division costs nothing: there is no division node to fold.
// Folding it "again" into the multiplier could only change the rounding (M is a 16-bit
// approximation of a ratio that already contains 1/k²). When the pool feeds a linear
// layer directly (the CIFAR classifiers), the divisor stays in the accumulator's scale and
// the argmax is unaffected. Nothing to gain; the note counts the pools and their users.
//
// Residual add with power-of-two scale alignment and a single requantization (EQO/UFO,
// Zeng et al.: align branches of different scales by shifts, extend once, add, requantize
// once). The lowering already produces exactly that for std/nn's blocks:
//   relu(add(bn(conv(y)), x)) as uA      → add(c2, x) shifts x by 12 bits (2^-4 → 2^-16),
//                                          a free local op on shares; one requant after it.
// The conversions left are the extensions to the add's ring: of x (the known-MSB one when
// `fuse-requant-relu` kept x's MSB known, else shared by `elimination` E3 with the
// extension of x for the block's first conv), and, in a projection block, of the narrower
// branch accumulator, which `placement` P3 computes directly in the add's ring instead.
// No rewrite remains; the note counts the adds that have this form.
import { PqError } from "../../grammar/diagnostics.js";
import { users, type Graph, type Program } from "../../compiler/ir.js";
import { scaleShift } from "../../compiler/types.js";
import { fuseBatchnorm } from "../../compiler/passes/fuse-batchnorm.js";
import { dropSaturatedRelus, fuseRequantRelu, reluOperand } from "../../compiler/passes/fuse-requant-relu.js";
import { headroomSites, widen } from "../../compiler/passes/headroom.js";
import { unchanged, type Pass, type PassResult } from "../../compiler/passes/pass.js";

/** Residual adds of shared operands aligned by a shift and followed (through an optional ReLU) by one requant. */
export function residualForm(g: Graph): { adds: number; aligned: number; singleRequant: number } {
  const us = users(g);
  let adds = 0;
  let aligned = 0;
  let singleRequant = 0;
  for (const n of g.nodes) {
    if (n.op !== "add" || n.type.vis !== "shared") continue;
    adds++;
    const [x, y] = n.inputs as [number, number];
    const d = scaleShift(g.nodes[x]!.type.scale, g.nodes[y]!.type.scale);
    if (d !== undefined) aligned++;
    // Follow the ReLU, lowered (drelu and select both read the add) or not, to the one requant.
    let cur = n.id;
    const relu = us[cur]!.find((u) => reluOperand(g, u) === n.id);
    const others = us[cur]!.filter((u) => u !== relu && !(g.nodes[u]!.op === "drelu" && relu !== undefined && g.nodes[relu]!.inputs[0] === u));
    if (relu !== undefined && others.length === 0) cur = relu;
    const next = us[cur]!;
    if (next.length === 1 && g.nodes[next[0]!]!.op === "requant") singleRequant++;
  }
  return { adds, aligned, singleRequant };
}

export function poolForm(g: Graph): { pools: number; intoRequant: number; intoLinear: number } {
  const us = users(g);
  let pools = 0;
  let intoRequant = 0;
  let intoLinear = 0;
  for (const n of g.nodes) {
    if (n.op !== "avgpool" && n.op !== "gavgpool") continue;
    pools++;
    // Through layout ops, to the consumer that absorbs the divisor.
    let cur = n.id;
    while (us[cur]!.length === 1 && ["flatten", "reshape"].includes(g.nodes[us[cur]![0]!]!.op)) cur = us[cur]![0]!;
    const ops = us[cur]!.map((u) => g.nodes[u]!.op);
    if (ops.includes("requant")) intoRequant++;
    else if (ops.some((o) => o === "linear" || o === "conv2d")) intoLinear++;
  }
  return { pools, intoRequant, intoLinear };
}

export function runFusion(p: Program): PassResult {
  const notes: string[] = [];
  let applied = false;
  let cur = p;
  for (const pass of [fuseBatchnorm, fuseRequantRelu]) {
    const r = pass.run(cur);
    cur = r.program;
    applied ||= r.applied;
    notes.push(`${pass.name}: ${r.note}`);
  }
  const pools = poolForm(cur.graph);
  if (pools.pools > 0) {
    notes.push(`avgpool: ${pools.pools} pool${pools.pools === 1 ? " keeps its" : "s keep their"} divisor in the scale (${pools.intoRequant} absorbed by the next requant's multiplier, ${pools.intoLinear} by a linear layer's accumulator scale): nothing to fold`);
  }
  const res = residualForm(cur.graph);
  if (res.adds > 0) {
    notes.push(`residual: ${res.adds} shared add${res.adds === 1 ? "" : "s"}, ${res.aligned} aligned by a shift, ${res.singleRequant} followed by a single requantization: already the fused form`);
  }
  return { program: cur, note: notes.join("; "), applied };
}

export const fusion: Pass = {
  name: "fusion",
  summary: "fuse-batchnorm then fuse-requant-relu; checks that average pools and residual adds need no rewrite",
  run: runFusion,
};

export const saturatingRelu: Pass = {
  name: "saturating-relu",
  summary: "requant(relu(x), to = uA) = requant(x, to = uA): the drelu/select pair disappears (pays only with a fused requant+ReLU primitive)",
  run: (p) => dropSaturatedRelus(p),
};

/** Every candidate widened, whatever the cost (tests: the rewrite is exact everywhere it applies). */
export const headroomEverywhere: Pass = {
  name: "headroom-everywhere",
  summary: "every lifted value with an unknown MSB computed one bit wider (no cost check)",
  run(p) {
    const sites = headroomSites(p);
    if (sites.length === 0) return unchanged(p, "no shared value is lifted into a wider ring with its MSB unknown");
    // every site whose widening types (a concat of operands of unequal widths may refuse one)
    const chosen = new Set<number>();
    let program = p;
    for (const s of sites) {
      try {
        program = widen(p, new Set([...chosen, s]));
        chosen.add(s);
      } catch (e) {
        if (!(e instanceof PqError)) throw e; // a typing refusal leaves the value as it is
      }
    }
    if (chosen.size === 0) return unchanged(p, "no candidate can take a spare bit");
    return { program, note: `one spare bit on ${chosen.size} of ${sites.length} lifted value${sites.length === 1 ? "" : "s"}`, applied: true };
  },
};
