// Pass `headroom`: one spare bit where it turns an extension into the cheap one. A shared
// value lifted into a wider ring with its MSB unknown is computed one bit wider when every
// use reads only its value (descriptor `reads`); its span is then under half the ring, so a
// public offset makes the lift the known-MSB extension (SiRNN §4). Kept per value where the
// cost model forecasts fewer online bytes. Exact (only representations change): proofs/
// passes/headroom.md.
import { PqError } from "../../grammar/diagnostics.js";
import type { Node, Op } from "../ir.js";
import { users } from "../ir.js";
import { onlineBytes } from "../cost/model.js";
import { DESCRIPTORS, followsWidth } from "../ops.js";
import type { Program } from "../ir.js";
import { msbOffset } from "../types.js";
import { copyDeclared, rebuild } from "./builder.js";
import type { Pass, PassContext, PassResult } from "./pass.js";
import { unchanged } from "./pass.js";

/** The candidates (the pass's choice, see above): accumulators that take a wider declared width, and requant through `ring`. */
const WIDENABLE: ReadonlySet<Op> = new Set<Op>(["conv2d", "winoconv", "linear", "batchnorm", "add", "sub", "requant"]);

/**
 * shl and divexact read their operand's value too (descriptor `reads: "value"`), but the
 * pass has never widened a value they read and proofs/passes/headroom.md does not list them:
 * kept out, so that the pass's choices stay as they are proved and measured.
 */
const NOT_PROVED = new Set<Op>(["shl", "divexact"]);

/**
 * A use that reads its operand as a value (descriptor `reads`), so a wider representation
 * of the operand changes nothing it computes. Not: msb, wrap, truncreduce and the like read
 * bits of the representation; zext of a signed value (sext of an unsigned one) reads its
 * bits with the other signedness.
 */
function readsValue(op: Op): boolean {
  return DESCRIPTORS[op].reads === "value" && !NOT_PROVED.has(op);
}

/** Every use of node id, through width-propagating ops, reads values (and is no model output). */
function readsValues(g: Program["graph"], byUser: number[][], id: number, outputs: Set<number>): boolean {
  if (outputs.has(id)) return false;
  for (const u of byUser[id] ?? []) {
    const op = g.nodes[u]!.op;
    // an extension reads the value when it reads the bits with the value's own signedness
    const sameReading = (op === "zext" && !g.nodes[id]!.type.signed) || (op === "sext" && g.nodes[id]!.type.signed);
    if (!readsValue(op) && !sameReading) return false;
    if (followsWidth(op) && !readsValues(g, byUser, u, outputs)) return false;
  }
  return true;
}

/** Values whose lift would become known-MSB with one more bit. */
export function headroomSites(p: Program): number[] {
  const g = p.graph;
  const byUser = users(g);
  const outputs = new Set(g.outputs.map((o) => o.node));
  const out: number[] = [];
  for (const n of g.nodes) {
    const t = n.type;
    // A truncreduce's ring is its input's less the shift: it gets the spare bit through a
    // widenable input that nothing else reads (Winograd's exact division after a winoconv).
    const through = DESCRIPTORS[n.op].result === "shifted" && (byUser[n.inputs[0]!] ?? []).length === 1 && !outputs.has(n.inputs[0]!) ? g.nodes[n.inputs[0]!]! : undefined;
    if (!(WIDENABLE.has(n.op) || (through && WIDENABLE.has(through.op))) || t.vis !== "shared" || t.nonneg || t.bits >= 64) continue;
    if (msbOffset(p.ranges[n.id]!, t.bits) !== undefined) continue;
    if (!readsValues(g, byUser, n.id, outputs)) continue;
    const lifted = (byUser[n.id] ?? []).some((u) => g.nodes[u]!.type.bits > t.bits && g.nodes[u]!.op !== "requant");
    if (lifted) out.push(through ? through.id : n.id);
  }
  return out;
}

/**
 * The program with the given values computed one bit wider. Ops whose result type follows
 * their operand's width (relu, maxpool, …) are retyped with it; every other op keeps its
 * declared width.
 */
export function widen(p: Program, ids: ReadonlySet<number>): Program {
  return rebuild(p, (n: Node, map, b) => {
    if (!ids.has(n.id)) {
      // A truncreduce of a widened value has one more bit too (its ring is its input's less the shift).
      if (!followsWidth(n.op) && !(DESCRIPTORS[n.op].result === "shifted" && ids.has(n.inputs[0]!))) return undefined;
      return b.add(n.op, n.inputs.map(map), n.attrs, n.origin);
    }
    const bits = n.type.bits + 1;
    // A requantization keeps its saturation type `to` and delivers the result in `ring` bits.
    const attrs = n.op === "requant" ? { ...n.attrs, ring: bits } : n.attrs;
    return b.add(n.op, n.inputs.map(map), attrs, n.origin, { ...copyDeclared(n), bits });
  });
}


export function headroomPass(p: Program, ctx?: PassContext): PassResult {
  const target = ctx?.target ?? "dealer";
  const sites = headroomSites(p);
  if (sites.length === 0) return unchanged(p, "no shared value is lifted into a wider ring with its MSB unknown");
  let best = p;
  let bestCost = onlineBytes(p, target);
  const start = bestCost;
  const chosen = new Set<number>();
  for (const s of sites) {
    const trial = new Set([...chosen, s]);
    let q: Program;
    try {
      q = widen(p, trial);
    } catch (e) {
      if (!(e instanceof PqError)) throw e;
      continue; // a use cannot take the wider width (a typing rule refused it): leave it
    }
    const c = onlineBytes(q, target);
    if (c < bestCost) {
      best = q;
      bestCost = c;
      chosen.add(s);
    }
  }
  const names = [...chosen].map((id) => `${p.graph.nodes[id]!.origin.path} (${p.graph.nodes[id]!.op}, ${p.graph.nodes[id]!.type.bits} → ${p.graph.nodes[id]!.type.bits + 1} bits)`);
  if (chosen.size === 0) {
    return unchanged(p, `${sites.length} value${sites.length === 1 ? "" : "s"} could take a spare bit for a known-MSB extension, but the cost model (${target}) forecasts more bytes at each`);
  }
  return {
    program: best,
    note: `one spare bit on ${chosen.size} of ${sites.length} lifted values, so their extension is the known-MSB one after a public offset; forecast (${target}) ${start.toLocaleString("en-US")} → ${bestCost.toLocaleString("en-US")} B online\n  ${names.join("\n  ")}`,
    applied: true,
  };
}

export const headroom: Pass = {
  name: "headroom",
  summary: "compute a lifted value one bit wider where the cost model says so: its range then spans under half the ring, and the extension is the known-MSB one after a public offset",
  run: headroomPass,
};
