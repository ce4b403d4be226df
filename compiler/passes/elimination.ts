// Pass `elimination`: fold, cancel, share and move bit-width conversions (SiRNN, Rathee et
// al. 2021; EQO/UFO, Zeng et al.), after `placement` made every extension explicit. E0: a
// ReLU of a non-negative value is the identity; E1: extension chains fold; E2: an extension
// to the width it has is dropped; E3: value-preserving sibling extensions share one; E4:
// an extension sinks below maxpool. Each preserves every value bit for bit; the rules in
// full, the moves not made and the proofs: proofs/passes/elimination.md.
import type { Graph, Node, Op } from "../ir.js";
import { users } from "../ir.js";
import type { Program } from "../ir.js";
import type { Pass, PassResult } from "./pass.js";
import { unchanged } from "./pass.js";
import { accumulates, elemAttr, liftedOperands } from "../ops.js";
import { rewrite, type Rewrite } from "./placement.js";
import { reluOperand } from "./fuse-requant-relu.js";

const isExt = (op: Op): op is "zext" | "sext" => op === "zext" || op === "sext";

function preserves(p: Program, e: Node): boolean {
  const a = p.ranges[e.id]!;
  const b = p.ranges[e.inputs[0]!]!;
  return a.lo === b.lo && a.hi === b.hi;
}

/** Does reading N1 bits with `op` give back every value of the interval? */
function readsBack(op: "zext" | "sext", lo: bigint, hi: bigint, bits: number): boolean {
  return op === "zext" ? lo >= 0n && hi < 1n << BigInt(bits) : lo >= -(1n << BigInt(bits - 1)) && hi < 1n << BigInt(bits - 1);
}

interface Ctx {
  g: Graph;
  us: number[][];
  isOutput: boolean[];
}

function ctx(p: Program): Ctx {
  const isOutput = new Array<boolean>(p.graph.nodes.length).fill(false);
  for (const o of p.graph.outputs) isOutput[o.node] = true;
  return { g: p.graph, us: users(p.graph), isOutput };
}

/** E0: relus of non-negative values. */
function reluIdentity(p: Program): { p: Program; count: number } {
  const { g } = ctx(p);
  const drop = new Map<number, number>();
  for (const n of g.nodes) {
    const x = reluOperand(g, n.id);
    if (x !== undefined && (g.nodes[x]!.type.nonneg || (n.op === "relu" && !g.nodes[x]!.type.signed))) drop.set(n.id, x);
  }
  if (drop.size === 0) return { p, count: 0 };
  return { p: rewrite(p, (n, r) => (drop.has(n.id) ? r.map(drop.get(n.id)!) : undefined)), count: drop.size };
}

/** E1 + E2: chains and identities. */
function foldChains(p: Program): { p: Program; chains: number; identities: number } {
  const { g, us, isOutput } = ctx(p);
  const chain = new Map<number, Node>(); // outer ext → inner ext
  const ident = new Set<number>();
  for (const n of g.nodes) {
    if (!isExt(n.op)) continue;
    const x = g.nodes[n.inputs[0]!]!;
    const to = elemAttr(n.attrs, "to");
    if (to.bits === x.type.bits && to.signed === x.type.signed && preserves(p, n)) {
      ident.add(n.id);
      continue;
    }
    if (!isExt(x.op) || us[x.id]!.length !== 1 || isOutput[x.id]) continue;
    const r = p.ranges[x.id]!;
    if (readsBack(n.op, r.lo, r.hi, x.type.bits)) chain.set(n.id, x);
  }
  if (chain.size === 0 && ident.size === 0) return { p, chains: 0, identities: 0 };
  const out = rewrite(p, (n, r) => {
    if (ident.has(n.id)) return r.map(n.inputs[0]!);
    const inner = chain.get(n.id);
    if (!inner) return undefined;
    const x = g.nodes[inner.inputs[0]!]!;
    // A non-negative x reads the same either way: keep the canonical known-MSB form, zext.
    const op = x.type.nonneg ? "zext" : inner.op;
    return r.b.add(op, [r.map(x.id)], { to: n.attrs.to! }, n.origin);
  });
  return { p: out, chains: chain.size, identities: ident.size };
}

/** E3: sibling extensions of one value. */
function shareSiblings(p: Program): { p: Program; count: number } {
  const { g, us, isOutput } = ctx(p);
  const byInput = new Map<number, Node[]>();
  for (const n of g.nodes) {
    if (!isExt(n.op) || !preserves(p, n)) continue;
    const list = byInput.get(n.inputs[0]!) ?? [];
    list.push(n);
    byInput.set(n.inputs[0]!, list);
  }
  // Only accumulators lifting it use this extension (and it is not an output).
  const onlyAccs = (e: Node) => !isOutput[e.id] && us[e.id]!.every((u) => {
    const c = g.nodes[u]!;
    return accumulates(c.op) && c.inputs.every((i, pos) => i !== e.id || liftedOperands(c).includes(pos));
  });
  const rep = new Map<number, number>(); // ext → the ext that replaces it
  for (const list of byInput.values()) {
    if (list.length < 2) continue;
    // Classes of identical extensions (same element type): the first of each stands for all.
    const classes = new Map<string, Node[]>();
    for (const e of list) {
      const k = `${e.type.bits}:${e.type.signed}`;
      classes.set(k, [...(classes.get(k) ?? []), e]);
    }
    const widest = list.reduce((a, b) => (b.type.bits > a.type.bits ? b : a));
    const widestKey = `${widest.type.bits}:${widest.type.signed}`;
    for (const [k, members] of classes) {
      const target = k !== widestKey && members.every(onlyAccs) ? classes.get(widestKey)![0]! : members[0]!;
      for (const e of members) if (e !== target) rep.set(e.id, target.id);
    }
  }
  if (rep.size === 0) return { p, count: 0 };
  const built = new Map<number, number>();
  const build = (id: number, r: Rewrite): number => {
    let v = built.get(id);
    if (v === undefined) {
      const n = g.nodes[id]!;
      v = r.b.add(n.op, [r.map(n.inputs[0]!)], n.attrs, n.origin);
      built.set(id, v);
    }
    return v;
  };
  const targets = new Set(rep.values());
  const out = rewrite(p, (n, r) => {
    const t = rep.get(n.id);
    if (t !== undefined) return build(t, r);
    if (targets.has(n.id)) return build(n.id, r);
    return undefined;
  });
  return { p: out, count: rep.size };
}

/** E4: extensions below maxpool. */
function sinkBelowMaxpool(p: Program): { p: Program; count: number } {
  const { g, us, isOutput } = ctx(p);
  const sink = new Set<number>();
  for (const n of g.nodes) {
    if (n.op !== "maxpool") continue;
    const e = g.nodes[n.inputs[0]!]!;
    if (isExt(e.op) && preserves(p, e) && us[e.id]!.length === 1 && !isOutput[e.id]) sink.add(n.id);
  }
  if (sink.size === 0) return { p, count: 0 };
  const out = rewrite(p, (n, r) => {
    if (!sink.has(n.id)) return undefined;
    const e = g.nodes[n.inputs[0]!]!;
    const m = r.b.add("maxpool", [r.map(e.inputs[0]!)], n.attrs, n.origin);
    return r.b.add(e.op, [m], e.attrs, e.origin);
  });
  return { p: out, count: sink.size };
}

export function eliminateConversions(p: Program): PassResult {
  const before = p.graph.nodes.filter((n) => isExt(n.op)).length;
  const done = { relu: 0, chains: 0, identities: 0, shared: 0, sunk: 0 };
  let cur = p;
  // Each rule can enable another (a sunk extension can meet a sibling); a few rounds reach
  // the fixpoint, as every rule removes a node or moves an extension strictly later.
  for (let round = 0; round < 8; round++) {
    const a = reluIdentity(cur);
    const b = foldChains(a.p);
    const c = shareSiblings(b.p);
    const d = sinkBelowMaxpool(c.p);
    done.relu += a.count;
    done.chains += b.chains;
    done.identities += b.identities;
    done.shared += c.count;
    done.sunk += d.count;
    cur = d.p;
    if (a.count + b.chains + b.identities + c.count + d.count === 0) break;
  }
  const total = done.relu + done.chains + done.identities + done.shared + done.sunk;
  if (total === 0) {
    return unchanged(p, before === 0
      ? "no conversions to fold (run placement first) and no relu of a non-negative value"
      : `none of the ${before} extensions folds, cancels, is shared or moves, and no relu has a non-negative input`);
  }
  const parts: string[] = [];
  if (done.chains > 0) parts.push(`folded ${done.chains} extension chain${done.chains === 1 ? "" : "s"}`);
  if (done.identities > 0) parts.push(`removed ${done.identities} extension${done.identities === 1 ? "" : "s"} to the width already held`);
  if (done.shared > 0) parts.push(`merged ${done.shared} sibling extension${done.shared === 1 ? "" : "s"} into a wider one`);
  if (done.sunk > 0) parts.push(`moved ${done.sunk} extension${done.sunk === 1 ? "" : "s"} below maxpool`);
  if (done.relu > 0) parts.push(`removed ${done.relu} relu${done.relu === 1 ? "" : "s"} of non-negative values`);
  const after = cur.graph.nodes.filter((n) => isExt(n.op)).length;
  return { program: cur, note: `${parts.join("; ")} (extensions ${before} → ${after})`, applied: true };
}

export const elimination: Pass = {
  name: "elimination",
  summary: "fold/cancel/share extensions, move them below maxpool, drop relus of non-negative values",
  run: eliminateConversions,
};
