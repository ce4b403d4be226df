// Pass `elimination`: fold, cancel, share and move bit-width conversions (SiRNN, Rathee et
// al. 2021: every extension costs a comparison unless the MSB is known, so the fewer and
// the narrower the better; EQO/UFO, Zeng et al.: remove the redundant conversions between
// quantized layers). Runs after `placement`, which made every extension an explicit zext/sext.
//
// Notation: E(x, to = T) is zext or sext; read_E(x) is x's N bits read unsigned (zext) or
// two's complement (sext). E is *value-preserving* when read_E(x) is x's own value, i.e.
// its interval equals x's (zext of an unsigned or non-negative x, sext of a signed or
// MSB-known x): the range rule of zext/sext (ops.ts) changes the interval exactly when the
// reading differs, so the test is "ranges[E] = ranges[x]".
//
// Rules (each preserves every value bit for bit; the verifier re-types the result):
//  E0. ReLU of a non-negative value is the identity. relu(x), or its lowering
//      select(drelu(x), x, 0), with x `nonneg` (0 ≤ x < 2^(N−1)) → x. drelu reads x's N
//      bits as two's complement, which is x ≥ 0, so drelu(x) = 1 and select(1, x, 0) = x;
//      relu(x) = max(x, 0) = x. The type is x's (select with a literal takes x's type, and
//      the interval [max(lo, 0), max(hi, 0)] = [lo, hi]). A comparison on N − 1 bits and a
//      select disappear (the known-MSB fact of SiRNN §4 used for the activation itself).
//      A `relu` op of an unsigned x is the identity too (every uN value is ≥ 0; the backend
//      already runs it as the identity, so this only removes the node). Not its lowered
//      form: drelu reads a uN value ≥ 2^(N−1) as negative.
//  E1. Chains fold. E2(E1(x, to = T1), to = T2) → E1(x, to = T2) when E1 has no other use
//      and read_E2 of E1's values is the identity (E1's interval lies in the range E2
//      reads from T1's N1 bits: [0, 2^N1) for zext, [−2^(N1−1), 2^(N1−1)) for sext). Then
//      E2(E1(x)) = read_E1(x) represented in T2's ring = E1(x, to = T2). This covers
//      zext∘zext and sext∘sext (always), sext∘zext (N1 > N: a zero-extended value is
//      non-negative in N1 bits), and an extension whose only user is another extension.
//      One protocol instead of two (the general one costs a comparison on x's N bits either
//      way; the second, known-MSB, extension disappears).
//  E2. An extension to the width it already has. E(x, to = T) with T = x's element type
//      and E value-preserving → x (same bits, same value, same type).
//  E3. Sibling extensions share one. Value-preserving extensions of the same x: those to
//      the same type are one node; one to a narrower width N1 whose every use is an
//      accumulator lifting it (a value reader whose width is pinned) uses the widest one
//      instead, N2 > N1. The consumer computes in its ring M ≤ N1; the backend reduces an
//      operand wider than M locally (Z_2^N2 → Z_2^M is a ring homomorphism and both
//      extensions are ≡ x's value mod 2^M), so it computes the same value, and the
//      interval is x's in both cases. One extension instead of two (ResNet: the block
//      input feeds both the first conv and the residual add).
//  E4. Extensions sink below maxpool. maxpool(E(x)) with E value-preserving and used only
//      there → E(maxpool(x)). max is taken over values, E preserves them and maxpool(x)
//      has x's type, so E reads maxpool(x) as it read x. Cheaper twice: the maxpool's
//      comparisons run on N instead of T's bits, and the extension on k² fewer elements.
// Moves considered and not made, with the reason:
//  - flatten/reshape: input and output have the same number of elements, so an extension
//    costs the same on either side; it stays where placement put it (at its consumer).
//  - avgpool/gavgpool: the extension must precede the window sum, which needs the wider
//    ring (a sum of k² values wraps in N bits). Only when the sum fits x's own width could
//    it move below the pool — but then the pool's minimal width is ≤ N, so no extension
//    was placed in the first place (placement P2 narrows a declared-wider pool). After a
//    ReLU, the pool's input has its MSB known and the extension before the sum is already
//    the 3-bit known-MSB one.
//  - avgpool's divisor is in the scale (LANGUAGE.md avgpool): there is no division to move.
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
