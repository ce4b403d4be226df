// Pass `fuse-requant-relu`: requantize → ReLU → extend-for-the-next-layer around one
// comparison (EQO/UFO, Zeng et al.; SiRNN §4; PrivQuant, Xu et al. ICCAD 2024). W1: a
// requant of a non-negative value to uA is retyped i(A+1), so its MSB stays known and the
// next extension is the cheap one (applied wherever a later extension gains). W2:
// requant(relu(x), to = uA) = requant(x, to = uA), the saturation is the ReLU (applied per
// site where the cost model forecasts fewer bytes). Proofs, measurements and what would need
// a new primitive: proofs/passes/requant-relu.md.
import type { Graph, Node } from "../ir.js";
import { users } from "../ir.js";
import { accumulates, DESCRIPTORS, elemAttr, liftedOperands, passesThrough, readingOf } from "../ops.js";
import { PqError } from "../../grammar/diagnostics.js";
import { onlineBytes } from "../cost/model.js";
import { headroomSites, widen } from "./headroom.js";
import type { Program } from "../ir.js";
import type { Pass, PassContext, PassResult } from "./pass.js";
import { unchanged } from "./pass.js";
import { elem, rewrite } from "./placement.js";

/**
 * x when node `id` computes relu(x): a `relu` op, or the std/protocols lowering
 * select(drelu(x), x, 0) of a signed or `nonneg` x. (On an unsigned x that may reach
 * 2^(N−1), drelu reads those values as negative: the select zeroes them, relu would not.)
 */
export function reluOperand(g: Graph, id: number): number | undefined {
  const n = g.nodes[id]!;
  if (n.op === "relu") return n.inputs[0];
  if (n.op !== "select") return undefined;
  const [b, x, z] = n.inputs as [number, number, number];
  const bn = g.nodes[b]!;
  const zn = g.nodes[z]!;
  const zero = zn.op === "const" && (zn.attrs.value as bigint[]).length === 1 && (zn.attrs.value as bigint[])[0] === 0n;
  return bn.op === "drelu" && bn.inputs[0] === x && zero && readingOf("drelu", g.nodes[x]!.type) === "sign" ? x : undefined;
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
