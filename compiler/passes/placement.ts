// Pass `placement`: bit-width conversion placement (SiRNN, Rathee et al. 2021, §4). The
// backend's implicit extensions (the operands an op's descriptor lifts, compiler/ops.ts)
// become explicit zext/sext nodes at the consumer's ring, known-MSB where the MSB is known
// (P1); an accumulator wider than its interval needs is narrowed when every use only reads
// its value (P2); one whose uses all lift it is computed in their ring instead when that
// replaces a costly extension (P3). Each rule preserves results bit for bit: statements,
// proofs and the cost trade-offs in proofs/passes/placement.md.
import type { Attrs, ElemSpec, Graph, Node, Op } from "../ir.js";
import { users } from "../ir.js";
import type { Program } from "../ir.js";
import { isNonneg, type Declared } from "../typing.js";
import { signedWidthFor } from "../types.js";
import { accumulates, DESCRIPTORS, liftedOperands, passesThrough, readingOf } from "../ops.js";
import { GraphBuilder } from "./builder.js";
import type { Pass, PassResult } from "./pass.js";
import { unchanged } from "./pass.js";

// ------------------------------------------------------------------ shared helpers
// Used by all the passes in this folder (placement, elimination, fusion). They differ from
// builder.ts's `rebuild`/`prune` in one respect that matters: a copied `requant` keeps its
// declared scale (its integer multiplier only approximates the ratio of scales, so
// re-inferring the scale changes it by ~1e-5 and a later bias declared at the exact scale
// fails PQ2014), and accumulators keep their declared width and scale, so a rewrite that
// changed a scale is caught here.

/** The declared type a copy of `n` is built with: accumulators and requant keep width and scale; others re-infer. */
export function declaredOf(n: Node, bits = n.type.bits): Declared | undefined {
  if (accumulates(n.op) || n.op === "requant") return { bits, signed: n.type.signed, scale: n.type.scale, nonneg: false };
  return undefined;
}

export interface Rewrite {
  p: Program;
  b: GraphBuilder;
  /** New id of an old node. */
  map(old: number): number;
  /** Users of each old node. */
  users: number[][];
  /** Old nodes that are model outputs. */
  isOutput: boolean[];
  /** Copy an old node onto new inputs (default: its mapped inputs) and attributes. */
  copy(n: Node, inputs?: number[], attrs?: Attrs, bits?: number): number;
}

/**
 * Copy a program through a per-node rewrite: `f` returns the new id of a node, or undefined
 * to copy it. Dead nodes (and the parameters only they used) are dropped afterwards.
 */
export function rewrite(p: Program, f: (n: Node, r: Rewrite) => number | undefined): Program {
  const b = new GraphBuilder(p.graph);
  const ids: number[] = [];
  const isOutput = new Array<boolean>(p.graph.nodes.length).fill(false);
  for (const o of p.graph.outputs) isOutput[o.node] = true;
  const r: Rewrite = {
    p, b, users: users(p.graph), isOutput,
    map: (old) => ids[old]!,
    copy(n, inputs, attrs, bits) {
      if (n.op === "input" || n.op === "param" || n.op === "const") return b.source(n, p.ranges[n.id]!);
      return b.add(n.op, inputs ?? n.inputs.map(r.map), attrs ?? n.attrs, n.origin, declaredOf(n, bits));
    },
  };
  for (const n of p.graph.nodes) ids.push(f(n, r) ?? r.copy(n));
  return compact(b.finish(p.graph.outputs.map((o) => ({ ...o, node: r.map(o.node) }))));
}

/** Drop nodes no output depends on (model inputs stay) and parameters no node uses. */
export function compact(p: Program): Program {
  const g = p.graph;
  const live = new Array<boolean>(g.nodes.length).fill(false);
  for (const o of g.outputs) live[o.node] = true;
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (n.op === "input") live[i] = true;
    if (live[i]) for (const j of n.inputs) live[j] = true;
  }
  const b = new GraphBuilder(g);
  const ids: number[] = [];
  for (const n of g.nodes) {
    if (!live[n.id]) ids.push(-1);
    else if (n.op === "input" || n.op === "param" || n.op === "const") ids.push(b.source(n, p.ranges[n.id]!));
    else ids.push(b.add(n.op, n.inputs.map((i) => ids[i]!), n.attrs, n.origin, declaredOf(n)));
  }
  const used = new Set(g.nodes.filter((n) => live[n.id] && n.op === "param").map((n) => n.attrs.name as string));
  for (const k of [...b.params.keys()]) if (!used.has(k)) b.params.delete(k);
  return b.finish(g.outputs.map((o) => ({ ...o, node: ids[o.node]! })));
}

export function elem(bits: number, signed: boolean): ElemSpec {
  return { kind: "elem", bits, signed };
}

// ------------------------------------------------------------------ P2: narrowing

// A use is width-agnostic when it reads only the value (which fits both widths: `value`, or
// `sign` of a signed or nonneg operand — the MSB is then the sign) and its own type does not
// follow the operand's width; one that passes the width through (relu, maxpool, …) is, when
// its own uses are. The facts are the ops' descriptors' (compiler/ops.ts `readingOf`, `result`).
function readsValueOnly(op: Op, x: Node): boolean {
  const d = DESCRIPTORS[op];
  const r = readingOf(op, x.type);
  return (r === "value" || r === "sign") && d.result !== "operand" && d.result !== "widest";
}

function widthAgnostic(g: Graph, us: number[][], isOutput: boolean[], id: number, seen = new Set<number>()): boolean {
  if (isOutput[id]) return false;
  if (seen.has(id)) return true;
  seen.add(id);
  return us[id]!.every((u) => {
    const n = g.nodes[u]!;
    if (readsValueOnly(n.op, g.nodes[id]!)) return true;
    if (passesThrough(n.op)) return widthAgnostic(g, us, isOutput, u, seen);
    // select(b, x, literal): x's type (relu lowered); the condition position reads a u1.
    if (n.op === "select" && n.inputs[1] === id && n.inputs[2] !== id && g.nodes[n.inputs[2]!]!.op === "const") return widthAgnostic(g, us, isOutput, u, seen);
    return false;
  });
}

/**
 * The ring each accumulator computes in: P2 narrows it to its interval's width, then P3
 * widens it to its consumers' ring when that replaces a costly extension.
 */
export function placementWidths(p: Program): { widths: number[]; narrowed: number[]; widened: number[] } {
  const g = p.graph;
  const us = users(g);
  const isOutput = new Array<boolean>(g.nodes.length).fill(false);
  for (const o of g.outputs) isOutput[o.node] = true;
  const widths = g.nodes.map((n) => {
    if (!accumulates(n.op) || !n.type.signed) return n.type.bits;
    const r = p.ranges[n.id]!;
    // Not below a ring some consumer lifts it to: narrowing would only add an extension back.
    let need = signedWidthFor(r.lo, r.hi);
    for (const u of us[n.id]!) if (accumulates(g.nodes[u]!.op)) need = Math.max(need, Math.min(n.type.bits, g.nodes[u]!.type.bits));
    return need < n.type.bits && widthAgnostic(g, us, isOutput, n.id) ? need : n.type.bits;
  });
  const narrowed = g.nodes.filter((n) => widths[n.id]! < n.type.bits).map((n) => n.id);
  const widened: number[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const x = g.nodes[i]!;
    if (!accumulates(x.op) || x.type.vis !== "shared" || isOutput[i] || us[i]!.length === 0) continue;
    if (isNonneg(p.ranges[i]!, widths[i]!)) continue; // its extension is the cheap known-MSB one
    let W = 0;
    for (const u of us[i]!) {
      const c = g.nodes[u]!;
      const lifts = liftedOperands(c);
      if (!accumulates(c.op) || c.inputs.some((j, pos) => j === i && !lifts.includes(pos))) {
        W = 0;
        break;
      }
      W = Math.max(W, widths[u]!);
    }
    if (W <= widths[i]!) continue;
    // x's own shared operands must reach W cheaply: already that wide, with the MSB known,
    // or extended anyway for another accumulator (a general extension's cost is set by its
    // source width, and elimination's E3 lets the widest extension serve both).
    const cheap = liftedOperands(x).every((pos) => {
      const o = g.nodes[x.inputs[pos]!]!;
      if (o.type.vis !== "shared") return true;
      const bits = widths[o.id]!;
      const extendedAnyway = us[o.id]!.some((u) => u !== i && accumulates(g.nodes[u]!.op) && widths[u]! > bits
        && g.nodes[u]!.inputs.every((j, pos2) => j !== o.id || liftedOperands(g.nodes[u]!).includes(pos2)));
      return bits >= W || isNonneg(p.ranges[o.id]!, bits) || extendedAnyway;
    });
    if (!cheap) continue;
    widths[i] = W;
    widened.push(i);
  }
  return { widths, narrowed: narrowed.filter((i) => widths[i]! < g.nodes[i]!.type.bits), widened };
}

// ------------------------------------------------------------------ the pass

export function placeConversions(p: Program): PassResult {
  const { widths, narrowed, widened } = placementWidths(p);
  let zexts = 0;
  let sexts = 0;
  let shared = 0;
  let knownMsb = 0;
  const cache = new Map<string, number>();
  const program = rewrite(p, (n, r) => {
    const lifts = liftedOperands(n);
    if (lifts.length === 0 || n.type.vis !== "shared") return n.op === "input" || n.op === "param" || n.op === "const" ? undefined : r.copy(n, undefined, undefined, widths[n.id]);
    const inputs = n.inputs.map(r.map);
    // An accumulator computes in its (possibly narrowed) declared ring; select and concat
    // in the widest of their operands' rings as typed now (a literal y takes x's type).
    const N = accumulates(n.op) ? widths[n.id]!
      : n.op === "select" && r.p.graph.nodes[n.inputs[2]!]!.op === "const" ? r.b.type(inputs[1]!).bits
      : Math.max(...lifts.map((pos) => r.b.type(inputs[pos]!).bits));
    for (const pos of lifts) {
      const x = inputs[pos]!;
      const xt = r.b.type(x);
      if (xt.vis !== "shared" || xt.bits >= N) continue;
      const op: Op = xt.nonneg || !xt.signed ? "zext" : "sext";
      const key = `${x}:${N}:${xt.signed}`;
      let e = cache.get(key);
      if (e === undefined) {
        e = r.b.add(op, [x], { to: elem(N, xt.signed) }, n.origin);
        cache.set(key, e);
        if (op === "zext") zexts++;
        else sexts++;
        if (xt.nonneg) knownMsb++;
      } else shared++;
      inputs[pos] = e;
    }
    return r.copy(n, inputs, undefined, N);
  });
  const placed = zexts + sexts;
  if (placed === 0 && narrowed.length === 0 && widened.length === 0) {
    return unchanged(p, "no shared operand is narrower than its consumer and no accumulator is wider than its interval needs");
  }
  const parts: string[] = [];
  if (placed > 0) {
    parts.push(`placed ${placed} extension${placed === 1 ? "" : "s"} (${zexts} zext, ${sexts} sext; ${knownMsb} with the MSB known`
      + `${shared > 0 ? `; ${shared} use${shared === 1 ? "" : "s"} share one` : ""})`);
  }
  const list = (ids: number[]) => ids.map((i) => `${p.graph.nodes[i]!.origin.path} i${p.graph.nodes[i]!.type.bits}→i${widths[i]}`).join(", ");
  if (narrowed.length > 0) parts.push(`narrowed ${narrowed.length} accumulator${narrowed.length === 1 ? "" : "s"} to their intervals' width (${list(narrowed)})`);
  else parts.push("no accumulator is wider than its interval needs");
  if (widened.length > 0) parts.push(`computed ${widened.length} accumulator${widened.length === 1 ? "" : "s"} directly in their consumers' ring instead of extending them (${list(widened)})`);
  return { program, note: parts.join("; "), applied: true };
}

export const placement: Pass = {
  name: "placement",
  summary: "make the backend's implicit extensions explicit zext/sext at the consumer's width (known-MSB form where the MSB is known); narrow over-wide accumulators; compute an accumulator in its consumers' ring rather than extend it",
  run: placeConversions,
};
