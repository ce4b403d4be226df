// Pass `winograd-quant` — APPROXIMATE, and only in the `eqo` pipeline: 3×3 stride-1
// convolutions as Winograd F(2×2,3×3) whose transformed filters are quantized to the layer's
// own weight width, with the following batch norm folded in before quantization. This is
// EQO's idea (Zeng et al., arXiv 2404.09404: Winograd convolution combined with quantization,
// so that the interactive products use low-bit Winograd-domain weights), applied after
// training instead of learned: it changes the model's values, so it is a separate, named
// pass with a per-layer error bound it computes, states in its note, and tests check.
//
// What it computes. For an output channel o, tile position (a, c) and input channel i, the
// real transformed filter is r = m[o]·(G g[o,i] Gᵀ)[a,c] (m: the folded batch norm's
// multiplier, 1 without one), in units of the result's scale over x's scale. The server
// replaces it by q·2^k with q a B-bit signed integer (B = the declared width of the layer's
// weights) and one exponent k ≥ 0 per (position, output channel), chosen to minimise
// Σ_i (q·2^k − r)² (the scale that trades clipping of the position's outliers against
// resolution: tap-wise scales as in Andri et al., arXiv 2209.12982, per output channel).
// The result is one `winoconv` node (compiler/winoconv.ts): input transform local, one
// server-weight product per position with q as the OT receiver's operand (2 bits for W2),
// the factors 2^k and the output transform Aᵀ·A local, the offset (b·m + a when folded)
// added by the server. Its interval is exact per tile pixel, so all of it runs in the
// result's ring, not in the wider ring the transforms' intermediate intervals would need.
// Every step after the quantization is exact, so plaintext and two-party runs of the result
// agree bit for bit; only the filters differ from the original layer.
//
// The bound. The exact layer is y = Aᵀ[Σ_i r ⊙ V_i]A + offset over the reals (the Winograd
// identity, Lavin & Gray §4), and the quantized one y' = Aᵀ[Σ_i (q·2^k) ⊙ V_i]A + offset, so
//   y' − y = Σ_(a,c) Aᵀ[y₀][a]·Aᵀ[x₀][c] · Σ_i Δ[a,c,i] · V_i[a,c],   Δ = q·2^k − r,
// a dot product of the tile's input window with the error kernel E_Δ (compiler/winoconv.ts's
// effective kernel of the filters Δ). Over x in [lo, hi] ∪ {0} (zero padding) its extremes
// are Σ max(E_Δ·lo, E_Δ·hi) and Σ min(E_Δ·lo, E_Δ·hi): the pass states the largest magnitude
// over output channels and tile pixels, |y' − y| ≤ bound for every output element (sharp for
// the window; proofs/passes/winograd.md). Choosing among coarsenings it compares a looser,
// cheaper bound (|V_i[a,c]| ≤ Σ |Bᵀ[a][u]·Bᵀ[c][v]|·max(|lo|, |hi|)).
//
// Coarsening. Where every use of the result rescales for free (requantizations, through
// relu, select, add), the result is delivered 2^c coarser: rows are quantized with k ≥ c,
// the factors become 2^(k−c), the offset is rounded to a multiple of 2^c (≤ 2^(c−1) more
// error, counted in the bound), and the requantizations shift c bits less (rewrite in
// winograd.ts), so their truncation and the products' ring shrink by c bits.
import { PqError } from "../../grammar/diagnostics.js";
import type { Graph, Node } from "../ir.js";
import { intAttr, readingOf, type Interval, type Known } from "../ops.js";
import { kernelParts } from "../winoconv.js";
import type { Program } from "../ir.js";
import { mulScale, type TensorType } from "../types.js";
import type { GraphBuilder } from "./builder.js";
import { onlineBytes, type PassTarget } from "../cost/model.js";
import { knownNumbers, knownValues } from "./fuse-batchnorm.js";
import { layerCost, orientation } from "./orientation.js";
import type { Pass, PassResult } from "./pass.js";
import {
  directCost, filterAtNumber, ineligible, rewrite, winoChoice, winogradCost, type Accounting, type Choice, type WinoFilters,
} from "./winograd.js";
import { F2, F4, type WinogradTile } from "./winograd-matrices.js";

export interface WinogradQuantOptions {
  /** Which cost decides (default iknp). */
  accounting?: Accounting;
  /** Tiles the pass may use (default F(2×2,3×3) only: 2-bit filters cannot hold F(4×4,3×3)'s transformed range usefully). */
  tiles?: readonly ("F2" | "F4")[];
  /** Tests: rewrite every eligible layer with the first allowed tile regardless of cost. */
  force?: boolean;
  /**
   * Deliver a layer's result up to 2^c coarser where its requantizations can shift c bits
   * less (the truncation and the products' ring shrink by c bits): the largest c whose bound
   * stays within (1 + slack) of c = 0's. Default 0.25; 0 disables it.
   */
  slack?: number;
  /**
   * Mixed precision (EQO's, with the stated bound as the sensitivity): spend up to this many
   * more forecast online bytes (both parties, for `target`) on wider filters — up to 3 bits
   * more than the layer's weights — where they cut the sum of the layers' relative error
   * bounds most per byte. Unset: every layer at its weights' width.
   */
  budget?: number;
  target?: PassTarget;
  /**
   * Fold a following batch norm into the filters before quantizing (default true, as
   * quantized inference does). Folding widens the products' ring to the batch norm's, but
   * removes the batch norm's own product and the extension of the conv's result into its
   * ring; on ResNet-32 W2A6 (IKNP) folding everywhere forecasts 405 MiB against 422 MiB.
   */
  fold?: boolean;
}

/** One layer's quantized filters (K = 1: the winoconv's result is the layer's) and what they cost in accuracy. */
export interface LayerQuant extends WinoFilters {
  /** |2^c·y' − y| ≤ bound for every output element, in units of the original result's scale. */
  bound: number;
  /** c: the result is delivered at 2^c times the original result's scale (its consumers' requantizations shift c bits less). */
  coarsen: number;
}

/** The single batch norm reading conv `n` with known multiplier and offset, if there is one. */
function foldableBatchnorm(p: Program, n: Node, users: number[][], isOutput: Set<number>): Node | undefined {
  const us = users[n.id]!;
  if (us.length !== 1 || isOutput.has(n.id)) return undefined;
  const u = p.graph.nodes[us[0]!]!;
  if (u.op !== "batchnorm" || u.inputs[0] !== n.id) return undefined;
  if (!knownValues(p, u.inputs[1]!) || !knownValues(p, u.inputs[2]!)) return undefined;
  return u;
}

/**
 * How many bits coarser the layer's result `id` may be delivered: every use must rescale for
 * free — a requantization (its shift shrinks by as many bits, so at most its shift), a
 * sign test (drelu, msb), or a relu, select (of the value), add or sub whose own uses may
 * (an add aligns a coarser operand by a local shift; the signed relu is drelu + select).
 * 0 when a use would see the scale (anything else, or a model output).
 */
function coarsenCap(g: Graph, id: number, users: number[][], isOutput: Set<number>): number {
  if (isOutput.has(id)) return 0;
  let cap = Infinity;
  for (const u of users[id]!) {
    const n = g.nodes[u]!;
    if (n.op === "requant") cap = Math.min(cap, Math.max(0, intAttr(n.attrs, "shift")));
    else if (readingOf(n.op, g.nodes[id]!.type) === "sign") continue; // reads the sign only (drelu, msb of a signed value)
    else if (n.op === "relu" || n.op === "add" || n.op === "sub" || (n.op === "select" && n.inputs[0] !== id)) cap = Math.min(cap, coarsenCap(g, u, users, isOutput));
    else return 0;
  }
  return cap === Infinity ? 0 : cap;
}

/** q·2^k ≈ r for one (position, output channel): the k ≥ 0 minimising the squared error over the input channels. */
export function quantizeRow(r: Float64Array, bits: number): { q: Int32Array; k: number } {
  const qmin = -(2 ** (bits - 1));
  const qmax = 2 ** (bits - 1) - 1;
  let maxAbs = 0;
  for (const v of r) maxAbs = Math.max(maxAbs, Math.abs(v));
  let best = 0;
  let bestErr = Infinity;
  // Scales too fine for the row's largest |r| = M are skipped: with s' = 2^k' the finest scale
  // that clips nothing, k' error is at most C·(s'/2)² (rounding), while a k whose range stops
  // short of M, s·2^(bits−1) < M, errs by more than (M − s·2^(bits−1))² on that entry alone. Every
  // k below `from` has that error above twice k''s bound, so none of them is the first minimum.
  let from = 0;
  const kClip = Math.ceil(Math.log2(maxAbs / qmax));
  if (maxAbs > 0 && kClip > 0 && kClip <= 52) {
    const bound = 2 * r.length * (2 ** kClip / 2) ** 2;
    while (from < kClip && maxAbs - 2 ** from * -qmin > 0 && (maxAbs - 2 ** from * -qmin) ** 2 > bound) from++;
  }
  for (let k = from; k <= 52; k++) {
    const s = 2 ** k;
    let err = 0;
    for (let i = 0; i < r.length; i++) err += (Math.min(qmax, Math.max(qmin, Math.round(r[i]! / s))) * s - r[i]!) ** 2;
    if (err < bestErr) [best, bestErr] = [k, err];
    if (s * qmin < -2 * maxAbs && s * qmax > 2 * maxAbs) break; // every later k rounds more coarsely
  }
  // The best k's values, computed again rather than kept for every k tried.
  if (bestErr === Infinity) return { q: new Int32Array(r.length), k: 0 };
  const s = 2 ** best;
  const q = new Int32Array(r.length);
  for (let i = 0; i < r.length; i++) q[i] = Math.min(qmax, Math.max(qmin, Math.round(r[i]! / s)));
  return { q, k: best };
}

/**
 * The quantized filters of conv2d `n` for tile `t` (the module comment), with the batch norm
 * `bn` folded in when given: a function of the coarsening c giving the filters — each row
 * at its best scale 2^k, or at 2^c where that is finer — and the error bound for inputs in
 * `xRange` (tight, or the cheap loose one the pass compares coarsenings with).
 */
export function layerQuantizer(p: Program, n: Node, t: WinogradTile, bn: Node | undefined, xRange: Interval, bits?: number): (coarsen: number, tight: boolean) => LayerQuant {
  const g: Graph = p.graph;
  const wNode = g.nodes[n.inputs[1]!]!;
  const [O, C] = wNode.type.shape as [number, number];
  const B = bits ?? wNode.type.bits;
  const w = knownNumbers(p, wNode.id) ?? Float64Array.from(knownValues(p, wNode.id)!, Number);
  const m = bn ? knownValues(p, bn.inputs[1]!)! : undefined;
  const bias = n.inputs[2] !== undefined ? knownValues(p, n.inputs[2])! : undefined;
  const a = bn ? knownValues(p, bn.inputs[2]!)! : undefined;
  // The result: the conv's value, or the batch norm's; U is declared at (result scale)/(x's scale).
  const uScale = bn ? mulScale(wNode.type.scale, g.nodes[bn.inputs[1]!]!.type.scale) : wNode.type.scale;
  const alpha = t.alpha;
  const a2 = alpha * alpha;
  // The real filters r, row (j, o) at r[(j·O + o)·C …], and each row's best quantization.
  const real = new Float64Array(a2 * O * C);
  const qBest = new Int32Array(a2 * O * C);
  const kBest = new Int32Array(a2 * O);
  for (let j = 0; j < a2; j++) {
    const pa = Math.floor(j / alpha);
    const pc = j % alpha;
    const den = t.D[pa]! * t.D[pc]!;
    for (let o = 0; o < O; o++) {
      const mo = m ? Number(m[o]!) : 1;
      const base = (j * O + o) * C;
      const r = real.subarray(base, base + C);
      for (let i = 0; i < C; i++) r[i] = (filterAtNumber(t, pa, pc, w, (o * C + i) * 9) / den) * mo;
      const row = quantizeRow(r, B);
      qBest.set(row.q, base);
      kBest[j * O + o] = row.k;
    }
  }
  const exact = bn ? m!.map((mo, o) => (bias ? bias[o]! : 0n) * mo + a![o]!) : bias;
  const qmin = -(2 ** (B - 1));
  const qmax = 2 ** (B - 1) - 1;
  const rowExp = (row: number, coarsen: number) => Math.max(kBest[row]!, coarsen);
  // Per coarsening, the filters (one array, so the winoconv's interval is computed once:
  // winoconv.ts caches by it). Made when asked for: choosing a coarsening needs only absAt.
  const memo = new Map<number, { u: Float64Array; delta: Float64Array }>();
  const filters = (coarsen: number): { u: Float64Array; delta: Float64Array } => {
    let hit = memo.get(coarsen);
    if (!hit) {
      const q = new Float64Array(a2 * O * C);
      // Δ = q·2^k − r, the quantization error of every filter entry.
      const delta = new Float64Array(a2 * O * C);
      for (let row = 0; row < a2 * O; row++) {
        const base = row * C;
        const kr = rowExp(row, coarsen);
        const s = 2 ** kr;
        for (let i = 0; i < C; i++) {
          const v = kr === kBest[row] ? qBest[base + i]! : Math.min(qmax, Math.max(qmin, Math.round(real[base + i]! / s)));
          q[base + i] = v;
          delta[base + i] = v * s - real[base + i]!;
        }
      }
      hit = { u: q, delta };
      memo.set(coarsen, hit);
    }
    return hit;
  };
  // Σ_i |Δ| of row (j, o) at coarsening c (the loose bound's), as Δ's entries give it: a row
  // whose best exponent is ≥ c keeps its best quantization, so only the others change with c.
  const absAt = (row: number, coarsen: number): number => {
    const base = row * C;
    const kr = rowExp(row, coarsen);
    const s = 2 ** kr;
    const kept = kr === kBest[row];
    let sum = 0;
    for (let i = base; i < base + C; i++) {
      const v = kept ? qBest[i]! : Math.min(qmax, Math.max(qmin, Math.round(real[i]! / s)));
      sum += Math.abs(v * s - real[i]!);
    }
    return sum;
  };
  const bestAbs = Float64Array.from({ length: a2 * O }, (_, row) => absAt(row, 0));
  return (coarsen, tight) => {
    const k = Array.from({ length: a2 }, (_, j) => Array.from({ length: O }, (_, o) => rowExp(j * O + o, coarsen) - coarsen));
    // The error is y' − y = Σ_i Σ_(u,v) E·d[i,u,v] with E the effective kernel of the filters Δ
    // (compiler/winoconv.ts, factors 1) and d in [lo, hi] ∪ {0} (zero padding): its extremes
    // are Σ max(E·lo, E·hi) and Σ min(E·lo, E·hi), per output channel and tile pixel.
    const lo = Math.min(0, Number(xRange.lo));
    const hi = Math.max(0, Number(xRange.hi));
    let bound = 0;
    if (tight) {
      const { delta } = filters(coarsen);
      const errors: Known = { shape: [a2, O, C], size: delta.length, num: (i: number) => delta[i]!, at: () => { throw new Error("internal: real-valued errors"); } };
      // lo ≤ 0 ≤ hi, so Σ max(E·lo, E·hi) = pos·hi + neg·lo and Σ min(E·lo, E·hi) = pos·lo + neg·hi.
      const { pos, neg } = kernelParts(t, errors, Array.from({ length: a2 }, () => new Array<number>(O).fill(0)), O, C);
      for (let i = 0; i < pos.length; i++) bound = Math.max(bound, pos[i]! * hi + neg[i]! * lo, -(pos[i]! * lo + neg[i]! * hi));
    } else {
      // Looser and O(α²·O·C): |E| ≤ Σ_(a,c) |Aᵀ[y0][a]·Aᵀ[x0][c]·Δ[a,c]|·|Bᵀ[a]|·|Bᵀ[c]| entrywise,
      // against max(|lo|, |hi|). The pass compares coarsenings with it, and states the tight one.
      const xMax = Math.max(-lo, hi);
      const rowAbs = t.BT.map((row) => row.reduce((acc, v) => acc + Math.abs(v), 0));
      for (let o = 0; o < O; o++) {
        const sAbs = new Float64Array(a2);
        for (let j = 0; j < a2; j++) sAbs[j] = kBest[j * O + o]! >= coarsen ? bestAbs[j * O + o]! : absAt(j * O + o, coarsen);
        for (let y0 = 0; y0 < t.m; y0++) {
          for (let x0 = 0; x0 < t.m; x0++) {
            let e = 0;
            for (let j = 0; j < a2; j++) {
              const pa = Math.floor(j / alpha);
              const pc = j % alpha;
              e += Math.abs(t.AT[y0]![pa]! * t.AT[x0]![pc]!) * rowAbs[pa]! * rowAbs[pc]! * sAbs[j]!;
            }
            bound = Math.max(bound, e * xMax);
          }
        }
      }
    }
    // Coarsened by 2^c: the factors 2^(k−c), the offset rounded to a multiple of 2^c (≤ 2^(c−1) more error).
    const offset = exact && coarsen > 0 ? exact.map((v) => (v + (1n << BigInt(coarsen - 1))) >> BigInt(coarsen)) : exact;
    const r: LayerQuant = {
      t, get u() { return filters(coarsen).u; }, k, bits: B, uScale: mulScale(uScale, { kind: "pow2", exp: coarsen }), K: 1, coarsen,
      bound: (bound + (exact && coarsen > 0 ? 2 ** (coarsen - 1) : 0)) * (1 + 1e-9),
  };
  if (offset) r.offset = offset;
  if (bn) r.folded = bn;
  return r;
  };
}

/** What the pass did to one candidate layer. */
export interface QuantLog {
  path: string;
  choice: string;
  direct: number;
  chosen: number;
  bound?: number;
  range?: number;
  coarsen?: number;
  /** The filters' width, when the budget (mixed precision) set it. */
  bits?: number;
  folded?: string;
}

const mbit = (b: number) => `${(b / 1e6).toFixed(2)} Mbit`;

/** The pass with its per-layer log (tests and the bench read the bounds from it). */
export function winogradQuantize(p: Program, opts: WinogradQuantOptions = {}): { result: PassResult; layers: QuantLog[] } {
  const acc: Accounting = opts.accounting ?? "iknp";
  const tiles = (opts.tiles ?? ["F2"]).map((s) => (s === "F4" ? F4 : F2));
  const g = p.graph;
  const candidates = g.nodes.filter((n) => ineligible(g, n) === undefined);
  if (candidates.length === 0) return { result: { program: p, note: "no 3×3 stride-1 convolution with server weights", applied: false }, layers: [] };
  const users: number[][] = g.nodes.map(() => []);
  for (const n of g.nodes) for (const i of n.inputs) users[i]!.push(n.id);
  const isOutput = new Set(g.outputs.map((o) => o.node));
  const alias = new Map<number, number>();
  const logs: QuantLog[] = [];
  // The rewritten layers: what the budget step (mixed precision) needs to requantize them.
  const chosen = new Map<number, { t: WinogradTile; bn: Node | undefined; coarsen: number; x: Interval; xType: TensorType; log: QuantLog; cost: number }>();
  const decide = (n: Node, b: GraphBuilder, x: number): Choice | undefined => {
    const xType = b.type(x);
    const bn = opts.fold === false ? undefined : foldableBatchnorm(p, n, users, isOutput);
    // A batch norm after the conv costs its own product unless it is folded.
    const direct = directCost(g, n, acc).bits + (bn && layerCost(g, bn) ? directCost(g, bn, acc).bits : 0);
    let best: { choice: Choice; cost: number; quant: LayerQuant; quantize: ReturnType<typeof layerQuantizer> } | undefined;
    for (const t of tiles) {
      // The coarsest result whose bound stays within (1 + slack) of the finest one's.
      const cap = opts.slack === 0 ? 0 : coarsenCap(g, (bn ?? n).id, users, isOutput);
      // (Compared by the loose bound, which is cheap; the chosen layer's tight bound is stated.)
      const quantize = layerQuantizer(p, n, t, bn, b.ranges[x]!);
      let quant = quantize(0, false);
      const limit = (1 + (opts.slack ?? 0.25)) * quant.bound;
      for (let c = 1; c <= cap; c++) {
        const q = quantize(c, false);
        if (q.bound > limit) break;
        quant = q;
      }
      const c = winogradCost(g, n, xType, b.ranges[x]!, quant, acc);
      if (typeof c !== "string" && (!best || c.bits < best.cost)) best = { choice: winoChoice(g, n, quant), cost: c.bits, quant, quantize };
    }
    const log: QuantLog = { path: n.origin.path, choice: "direct", direct, chosen: direct };
    logs.push(log);
    if (!best || (!opts.force && best.cost >= direct)) return undefined;
    log.choice = best.quant.t === F4 ? "F(4×4,3×3)" : "F(2×2,3×3)";
    log.chosen = best.cost;
    best.quant = best.quantize(best.quant.coarsen, true);
    best.choice = winoChoice(g, n, best.quant);
    log.bound = best.quant.bound;
    if (best.quant.coarsen) log.coarsen = best.quant.coarsen;
    const folded = best.quant.folded;
    const out = folded ?? n;
    log.range = Math.max(Math.abs(Number(p.ranges[out.id]!.lo)), Math.abs(Number(p.ranges[out.id]!.hi)));
    if (folded) {
      alias.set(folded.id, n.id);
      log.folded = folded.origin.path;
    }
    chosen.set(n.id, { t: best.quant.t, bn, coarsen: best.quant.coarsen, x: b.ranges[x]!, xType, log, cost: best.cost });
    return best.choice;
  };
  let program: Program;
  let retyped: number;
  try {
    ({ program, retyped } = rewrite(p, decide, alias));
  } catch (err) {
    if (!(err instanceof PqError)) throw err;
    return { result: { program: p, note: `not applied: a consumer cannot take a quantized layer's interval (${err.diagnostics.map((d) => d.message).join("; ")})`, applied: false }, layers: logs };
  }
  let budgetNote = "";
  if (opts.budget !== undefined && chosen.size > 0) {
    const r = spendBudget(p, program, opts.budget, opts.target ?? (acc === "dealer" ? "dealer" : "ot"), acc, chosen, alias);
    program = r.program;
    budgetNote = r.note;
  }
  const applied = logs.filter((l) => l.choice !== "direct");
  const lines = logs.map((l) => `${l.path}: ${l.choice} (${acc}: direct ${mbit(l.direct)}${l.choice !== "direct" ? ` → ${mbit(l.chosen)}` : ""})` +
    (l.bound !== undefined ? `; |Δy| ≤ ${l.bound.toFixed(0)} (${((100 * l.bound) / Math.max(1, l.range!)).toFixed(1)} % of max|y| ${l.range})` : "") +
    (l.coarsen ? `; delivered ${l.coarsen} bits coarser` : "") +
    (l.bits !== undefined ? `; ${l.bits}-bit filters` : "") +
    (l.folded ? `; batch norm ${l.folded} folded` : ""));
  if (applied.length === 0) return { result: { program: p, note: `no layer rewritten: direct is cheaper for all ${logs.length} candidates\n  ${lines.join("\n  ")}`, applied: false }, layers: logs };
  const bits = logs.reduce((s, l) => s + l.chosen, 0);
  const was = logs.reduce((s, l) => s + l.direct, 0);
  return {
    result: {
      program,
      note: `APPROXIMATE: ${applied.length} of ${logs.length} 3×3 convolutions with quantized Winograd filters (${acc}: ${mbit(was)} → ${mbit(bits)}), ` +
        `${applied.filter((l) => l.folded).length} batch norm(s) folded` + (retyped > 0 ? `; ${retyped} consumers retyped` : "") + budgetNote + `\n  ${lines.join("\n  ")}`,
      applied: true,
    },
    layers: logs,
  };
}

/**
 * Mixed precision under a communication budget: starting from every rewritten layer at its
 * weights' width (the program `at`), upgrade one layer by one filter bit at a time — the
 * upgrade with the largest drop of its relative error bound (bound / max|y|) per forecast
 * byte — while the estimated extra bytes (the upgrades' product costs) stay within `budget`;
 * the result's forecast is checked against `at`'s, and upgrades are undone from the last
 * while it exceeds it by more than the budget. The budget is extra bytes because later
 * passes change the total the pass cannot see. Each layer keeps its coarsening, so nothing
 * downstream changes but the values.
 */
function spendBudget(
  p: Program, at: Program, budget: number, target: PassTarget, acc: Accounting,
  chosen: ReadonlyMap<number, { t: WinogradTile; bn: Node | undefined; coarsen: number; x: Interval; xType: TensorType; log: QuantLog; cost: number }>,
  alias: ReadonlyMap<number, number>,
): { program: Program; note: string } {
  const g = p.graph;
  // Priced as the pipeline's guard prices (receivers chosen as orientation will choose them).
  const price = (q: Program) => onlineBytes(target === "dealer" ? q : orientation.run(q, { target }).program, target);
  const start = price(at);
  const limit = start + budget;
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  interface Step { id: number; bits: number; rel: number; bytes: number }
  const widths = new Map<number, number>();
  const levels = new Map<number, Step[]>();
  for (const [id, c] of chosen) {
    const n = g.nodes[id]!;
    const B = g.nodes[n.inputs[1]!]!.type.bits;
    const range = c.log.range!;
    const steps: Step[] = [];
    for (let bits = B; bits <= Math.min(B + 3, 16); bits++) {
      const q = bits === B ? undefined : layerQuantizer(p, n, c.t, c.bn, c.x, bits)(c.coarsen, true);
      const cost = q ? winogradCost(g, n, c.xType, c.x, q, acc) : c.cost;
      if (typeof cost === "string") break;
      steps.push({ id, bits, rel: (q ? q.bound : c.log.bound!) / Math.max(1, range), bytes: (typeof cost === "number" ? cost : cost.bits) / 8 });
    }
    widths.set(id, B);
    levels.set(id, steps);
  }
  // Greedy on marginal gain per byte.
  const taken: number[] = [];
  let spent = start;
  for (;;) {
    let best: { id: number; gain: number; bytes: number } | undefined;
    for (const [id, steps] of levels) {
      const k = widths.get(id)! - steps[0]!.bits;
      const cur = steps[k]!;
      const next = steps[k + 1];
      if (!next) continue;
      const bytes = Math.max(1, next.bytes - cur.bytes);
      const gain = (cur.rel - next.rel) / bytes;
      if (gain > 0 && spent + bytes <= limit && (!best || gain > best.gain)) best = { id, gain, bytes };
    }
    if (!best) break;
    widths.set(best.id, widths.get(best.id)! + 1);
    taken.push(best.id);
    spent += best.bytes;
  }
  const build = (): Program => rewrite(p, (n, b, x) => {
    const c = chosen.get(n.id);
    if (!c) return undefined;
    const q = layerQuantizer(p, n, c.t, c.bn, b.ranges[x]!, widths.get(n.id))(c.coarsen, true);
    c.log.bound = q.bound;
    c.log.bits = widths.get(n.id)!;
    return winoChoice(g, n, q);
  }, alias).program;
  if (taken.length === 0) return { program: at, note: `; mixed precision: no filter bit fits a budget of ${mb(budget)}` };
  let program = build();
  let bytes = price(program);
  while (bytes > limit && taken.length > 0) {
    const id = taken.pop()!;
    widths.set(id, widths.get(id)! - 1);
    program = build();
    bytes = price(program);
  }
  const widened = [...widths].filter(([id, w]) => w > g.nodes[g.nodes[id]!.inputs[1]!]!.type.bits).length;
  return { program, note: `; mixed precision with ${mb(budget)} to spend: ${widened} of ${chosen.size} layers widened (+${taken.length} filter bits), forecast ${mb(start)} → ${mb(bytes)}` };
}

export function winogradQuantPass(opts: WinogradQuantOptions = {}): Pass {
  return {
    name: "winograd-quant",
    summary: "APPROXIMATE (pipeline eqo): 3×3 stride-1 convolutions as Winograd F(2×2,3×3) with filters quantized to the layer's weight width (per position and output channel a power-of-two scale), a following batch norm folded in where that is cheaper; a per-layer error bound in the note",
    run: (p) => winogradQuantize(p, opts).result,
  };
}

export const winogradQuant: Pass = winogradQuantPass();
