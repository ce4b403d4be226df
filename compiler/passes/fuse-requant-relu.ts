// Pass `fuse-requant-relu`: requantize → ReLU → extend-for-the-next-layer around one
// comparison (EQO/UFO, Zeng et al.: fuse the requantization with the activation and the
// bit-width conversion of the next layer; SiRNN, Rathee et al. 2021, §4: an extension of a
// value whose MSB is known needs no comparison; PrivQuant, Xu et al. ICCAD 2024: the
// activation's comparison reused by the requantization). The backend has no fused
// primitive, so this pass rewrites only what the IR expresses exactly, choosing between
// two exact rewrites per site by the cost model; what it would take to go further is in
// the notes at the end.
//
// The pattern the lowering produces for `relu(acc) as uA` (std/protocols relu):
//   b = drelu(acc); r = select(b, acc, 0)      -- the one comparison, on acc's N − 1 bits
//   y = requant(r, to = uA)                    -- r nonneg: its input extension is known-MSB
//   … = conv2d(y, …)                           -- y (uA, values up to 2^A − 1, MSB unknown)
//                                                 is lifted with a comparison on A bits
//
// W1. Keep the MSB known through the requantization (applied). For y = requant(x, to = uA)
//     whose input interval has lo ≥ 0 (after a ReLU, an average pool of such values, …),
//     retype the result to i(A+1): y' = requant(x, to = i(A+1)).
//     Proof (LANGUAGE.md `as`): with x ≥ 0 and M ≥ 1, x·M + 2^(s−1) ≥ 0 (s > 0), so
//     v = ⌊(x·M + 2^(s−1)) / 2^s⌋ ≥ 0 (and x·M·2^(−s) ≥ 0 for s ≤ 0). clamp to uA is
//     min(v, 2^A − 1); clamp to i(A+1) is max(min(v, 2^A − 1), −2^A) = min(v, 2^A − 1) since
//     v ≥ 0. Same value; in i(A+1) it lies in [0, 2^A), so the type is `nonneg` and every
//     later extension of y is the known-MSB one (3 bits online instead of a comparison on A
//     bits). The requantization itself costs the same: its clamp tests the same bound
//     2^A − 1 and its working ring R ≥ A + 1 already (requant.ts step 4), so the result is
//     still a free reduction. Uses must read values, not bits: accumulators, requant,
//     argmax, zext to ≥ A + 1 bits, and through maxpool / flatten / reshape / clamp (which
//     take y's type) the same; a `relu` of y is the identity (y ≥ 0) and is removed — the
//     backend has no signed relu. Not applied to a model output (its type is visible), nor
//     when nothing after y extends it (then there is nothing to gain).
//
// W2. The saturation is the ReLU (applied where the cost model says it pays). For
//     y = requant(relu(x), to = uA) with the ReLU (drelu/select, or a `relu` op) used only
//     here: y = requant(x, to = uA). Proof: if x ≥ 0, relu(x) = x. If x < 0 (x ≤ −1):
//     x·M ≤ −1, so for s > 0, x·M + 2^(s−1) < 2^s and v ≤ 0; for s ≤ 0, v = x·M·2^(−s) < 0;
//     the clamp to uA's range [0, 2^A − 1] gives 0 = requant(0) (⌊2^(s−1)/2^s⌋ = 0). So the
//     drelu/select pair disappears. Whether that pays depends on the requantization: for a
//     signed input it extends the input with a comparison on its K bits unless the working
//     ring W is no wider (requant.ts step 1; a non-negative input's extension is
//     known-MSB), it tests the lower bound too (a second comparison per element, step 4),
//     and its result's MSB is unknown again, so W1 cannot follow and the next layer's
//     extension is a comparison on A bits. With a 16-bit multiplier (LeNet: W = K + 16) W2
//     everywhere saved little or added bytes (dealer, 871,034 → 930,060 B before the clamp's
//     two comparisons shared their low bits, 858,472 B since; the per-site choice below,
//     857,132 B); with a power-of-two rescale (ResNet's std/nn blocks, M = 1, W ≈ K) it saves
//     them (24,986,987 → 20,982,675 B after the batch-norm fold, against 22,118,107 B with W1,
//     figures from before the sharing). So the pass decides per site with the cost model for
//     the target correlations (compiler/cost; the dealer's is exact to the byte): W1 wherever
//     it applies, then, site by site, W2 kept when the forecast online bytes of the whole
//     program drop — priced as the pipeline will finish it, with the spare bit the
//     `headroom` pass gives a requantized value that is extended later (`ring = A + 1`),
//     which takes W2's unknown MSB away. the tests' `saturating-relu` pass (tests/passes/test-passes.ts)
//     is W2 everywhere, for comparison.
//
// Not expressible without a new primitive (reported, not added): one comparison serving
// the ReLU, the requantization's rounding and the next layer's extension at once, i.e. a
// requant whose input extension reuses the drelu bit (SCI's ReLU-with-truncation reuses the
// MSB) and whose clamped result is delivered in the next layer's ring with its MSB known.
import type { Graph, Node } from "../ir.js";
import { users } from "../ir.js";
import { accumulates, DESCRIPTORS, elemAttr, liftedOperands, passesThrough } from "../ops.js";
import { PqError } from "../../grammar/diagnostics.js";
import { onlineBytes } from "../cost/model.js";
import { headroomSites, widen } from "./headroom.js";
import type { Program } from "../ir.js";
import type { Pass, PassContext, PassResult } from "./pass.js";
import { unchanged } from "./pass.js";
import { elem, rewrite } from "./placement.js";

/** x when node `id` computes relu(x): a `relu` op, or the std/protocols lowering select(drelu(x), x, 0). */
export function reluOperand(g: Graph, id: number): number | undefined {
  const n = g.nodes[id]!;
  if (n.op === "relu") return n.inputs[0];
  if (n.op !== "select") return undefined;
  const [b, x, z] = n.inputs as [number, number, number];
  const bn = g.nodes[b]!;
  const zn = g.nodes[z]!;
  const zero = zn.op === "const" && (zn.attrs.value as bigint[]).length === 1 && (zn.attrs.value as bigint[])[0] === 0n;
  return bn.op === "drelu" && bn.inputs[0] === x && zero ? x : undefined;
}

/**
 * Can y (uA, values ≥ 0) become i(A+1)? Every use must read values only; returns also
 * whether some use extends y (the gain). `relus` collects relu ops of y to remove.
 */
function widenable(g: Graph, us: number[][], isOutput: boolean[], id: number, A: number, relus: Set<number>): { ok: boolean; gain: boolean } {
  if (isOutput[id]) return { ok: false, gain: false };
  let gain = false;
  for (const u of us[id]!) {
    const n = g.nodes[u]!;
    if (accumulates(n.op)) {
      if (n.type.bits > A + 1 && n.type.vis === "shared" && liftedOperands(n).some((pos) => n.inputs[pos] === id)) gain = true;
      continue;
    }
    // reads the value and its own type is fixed (requant, argmax): y's new type stops here
    if (DESCRIPTORS[n.op].reads === "value" && DESCRIPTORS[n.op].result === "fixed") continue;
    if (n.op === "zext" && elemAttr(n.attrs, "to").bits >= A + 1) {
      gain = true;
      continue;
    }
    if (passesThrough(n.op)) {
      const r = widenable(g, us, isOutput, u, A, relus);
      if (!r.ok) return r;
      gain ||= r.gain;
      if (n.op === "relu") relus.add(u);
      continue;
    }
    return { ok: false, gain: false };
  }
  return { ok: true, gain };
}

export function widenRequants(p: Program): PassResult {
  const g = p.graph;
  const us = users(g);
  const isOutput = new Array<boolean>(g.nodes.length).fill(false);
  for (const o of g.outputs) isOutput[o.node] = true;
  const widen = new Set<number>();
  const relus = new Set<number>();
  let candidates = 0;
  let noGain = 0;
  for (const n of g.nodes) {
    if (n.op !== "requant" || n.type.signed || n.type.vis !== "shared" || n.type.bits >= 64) continue;
    if (p.ranges[n.inputs[0]!]!.lo < 0n) continue;
    candidates++;
    const found = new Set<number>();
    const r = widenable(g, us, isOutput, n.id, n.type.bits, found);
    if (!r.ok) continue;
    if (!r.gain) {
      noGain++;
      continue;
    }
    widen.add(n.id);
    for (const x of found) relus.add(x);
  }
  if (widen.size === 0) {
    return unchanged(p, candidates === 0
      ? "no requantization to an unsigned type has a non-negative input"
      : `no requantization of a non-negative input to uA can be retyped (${candidates} found; ${noGain} are not extended afterwards, the others have uses that read bits or are outputs)`);
  }
  const program = rewrite(p, (n, r) => {
    if (relus.has(n.id)) return r.map(n.inputs[0]!);
    if (!widen.has(n.id)) return undefined;
    const A = n.type.bits;
    return r.b.add("requant", [r.map(n.inputs[0]!)], { ...n.attrs, to: elem(A + 1, true) }, n.origin,
      { bits: A + 1, signed: true, scale: n.type.scale, nonneg: false });
  });
  const paths = [...widen].map((i) => g.nodes[i]!.origin.path);
  return {
    program,
    note: `kept the MSB known through ${widen.size} requantization${widen.size === 1 ? "" : "s"} of non-negative values (uA → i(A+1): ${paths.length <= 4 ? paths.join(", ") : `${paths.slice(0, 3).join(", ")}, …`}), so the next layer's extension is the known-MSB one`
      + (relus.size > 0 ? `; removed ${relus.size} relu${relus.size === 1 ? "" : "s"} of non-negative values` : ""),
    applied: true,
  };
}

/** Requants to an unsigned type whose input is a ReLU used only by them (W2's sites), by node id. */
export function saturationSites(p: Program): Map<number, number> {
  const g = p.graph;
  const us = users(g);
  const isOutput = new Array<boolean>(g.nodes.length).fill(false);
  for (const o of g.outputs) isOutput[o.node] = true;
  const sites = new Map<number, number>();
  for (const n of g.nodes) {
    if (n.op !== "requant" || n.type.signed) continue;
    const s = n.inputs[0]!;
    const x = reluOperand(g, s);
    if (x === undefined || us[s]!.length !== 1 || isOutput[s]) continue;
    sites.set(n.id, x);
  }
  return sites;
}

/** W2 at the given sites (default: all). */
export function dropSaturatedRelus(p: Program, only?: ReadonlySet<number>): PassResult {
  const sites = saturationSites(p);
  for (const id of [...sites.keys()]) if (only && !only.has(id)) sites.delete(id);
  if (sites.size === 0) return unchanged(p, "no ReLU is used only by a requantization to an unsigned type");
  const program = rewrite(p, (n: Node, r) => {
    const x = sites.get(n.id);
    if (x === undefined) return undefined;
    return r.copy(n, [r.map(x)]);
  });
  return { program, note: `the saturation to uA is the ReLU: removed ${sites.size} drelu/select pair${sites.size === 1 ? "" : "s"} before requantizations`, applied: true };
}


/**
 * A trial's forecast as the pipeline will finish it: the `headroom` pass later gives every
 * requantized value that a wider op lifts a spare bit (`ring = A + 1`) where that pays, which
 * removes W2's drawback (an unknown MSB after the saturation). Price W2 with it.
 */
function priced(p: Program, target: PassContext["target"]): number {
  const sites = headroomSites(p).filter((id) => p.graph.nodes[id]!.op === "requant");
  const plain = onlineBytes(p, target);
  if (sites.length === 0) return plain;
  try {
    return Math.min(plain, onlineBytes(widen(p, new Set(sites)), target));
  } catch (e) {
    if (!(e instanceof PqError)) throw e;
    return plain; // a use refuses the wider type: headroom will not widen these either
  }
}

/**
 * W1 everywhere it applies, and W2 at each site where the cost model says it pays more:
 * greedily, site by site in program order, keeping a site's W2 (and W1 wherever it still
 * applies) when the forecast online bytes of the whole program drop.
 */
export function fuseRequantRelus(p: Program, ctx?: PassContext): PassResult {
  const target = ctx?.target ?? "dealer";
  const w1 = widenRequants(p);
  const sites = [...saturationSites(p).keys()];
  let best = w1;
  let chosen = new Set<number>();
  let note = "";
  if (sites.length > 0) {
    try {
      let bestCost = priced(w1.program, target);
      const start = bestCost;
      for (const s of sites) {
        const trial = new Set([...chosen, s]);
        const q = widenRequants(dropSaturatedRelus(p, trial).program);
        const c = priced(q.program, target);
        if (c < bestCost) [best, bestCost, chosen] = [q, c, trial];
      }
      if (chosen.size > 0) note = `the saturation to uA replaced the ReLU before ${chosen.size} of ${sites.length} requantization${sites.length === 1 ? "" : "s"}, where the cost model (${target}) forecasts fewer bytes (${start.toLocaleString("en-US")} → ${bestCost.toLocaleString("en-US")} B online)`;
      else note = `the saturation to uA could replace the ReLU before ${sites.length} requantization${sites.length === 1 ? "" : "s"}, but the cost model forecasts more bytes at each`;
    } catch (e) {
      // The cost model does not price this program: keep W1 alone, which never adds bytes.
      note = `W2 not tried (cost model: ${e instanceof Error ? e.message : String(e)})`;
      best = w1;
      chosen = new Set();
    }
  }
  const parts = [...(best.applied ? [best.note] : []), ...(note ? [note] : [])];
  if (!best.applied && chosen.size === 0) return unchanged(p, [best.note, ...(note ? [note] : [])].join("; "));
  return { program: best.program, note: parts.join("; "), applied: true };
}

export const fuseRequantRelu: Pass = {
  name: "fuse-requant-relu",
  summary: "requant of a non-negative value to uA becomes i(A+1), so the ReLU's comparison also serves the next extension (known MSB); the ReLU before a requant to uA goes where the cost model says its saturation is cheaper",
  run: fuseRequantRelus,
};
