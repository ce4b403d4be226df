// Winograd convolution (Lavin & Gray, arXiv 1509.09308, §4): a 3×3 stride-1 conv2d with
// server weights rewritten to F(2×2,3×3), tile by tile:  Y = Aᵀ [U ⊙ V] A  with
// V = Bᵀ d B (input transform), U = G g Gᵀ (filter transform), summed over input channels
// before the output transform. On additive shares the input and output transforms are
// public integer maps, hence local; the filter transform is computed by the server on its
// plaintext weights and becomes a new server parameter; only the α² per-position products
// (contractions over the input channels) are interactive. In the OT accounting of SiRNN
// that is α²·C·T = 4·C·H'W' receiver elements instead of 9·C·H'W' for im2col (EQO/UFO build
// on exactly this, docs/PROTOCOLS.md "Winograd").
//
// How it is written in pq's IR: one `winoconv(x, U'', K1²·b, tile = m, pad = p, k = 0)`
// (docs/LANGUAGE.md; compiler/winoconv.ts), then the exact division. The op's backends compute
// the transforms locally and all α² products in one server-weight product (one round), and
// its interval is exact per tile pixel, so the whole of it runs in the ring of its result.
//
// Exactness. G has halves; the server uses the integer U'' = (K1/D_a)(K1/D_b)·Gn g Gnᵀ =
// K1²·U (winograd-matrices.ts), declared at scale s_w/K1² so its real value is U's. The
// winoconv is then Y' = K1²·Y exactly (W1 in proofs/passes/winograd.md: its effective kernel
// is K1²·g placed in the tile's window, so its interval is K1² times the direct conv's and
// its ring holds it), and the bias enters as K1²·b. F(2×2,3×3): K1² = 4, and truncreduce's
// exact ⌊Y'/4⌋ is Y, at the conv's own scale; it is emitted with exact = 1 (Y' is a multiple
// of 4), which makes it local on shares. F(4×4,3×3) has G with denominators 4, 6 and
// 24: the factor is 576 = 2⁶·3². truncreduce removes 2⁶ exactly (the value is a multiple of
// 576), and `divexact(by = 9)` removes 9: x = 9y exactly, so y ≡ x·9⁻¹ (mod 2^N), a local
// multiplication on shares that the range analysis types as y's interval (ops.ts).
//
// Choice by cost (a function here; compiler/cost is separate): per layer, direct vs
// F(2,3) vs F(4,3) in bits of the interactive part, in one of two accountings:
//   dealer: the bilinear-triple protocol sends (|W| + |x|)·N bits (linear.ts), so direct
//           costs (9·C·O + C·H·W)·N0 and Winograd α²·(C·O + C·T)·N (the exact division
//           by K is local);
//           with |x| = C·H·W for direct and 4·C·H'W' for F(2,3) it rarely wins;
//   iknp:   SiRNN's cross-term cost with the cheaper receiver (orientation.ts) in the
//           winoconv's ring (a dry run types it) (docs/PROTOCOLS.md).
import { paramData as foldedParam } from "./fuse-batchnorm.js";
import { PqError } from "../../grammar/diagnostics.js";
import type { Graph, Node, ParamData } from "../ir.js";
import { intAttr, type Interval } from "../ops.js";
import type { Program } from "../ir.js";
import { divScale, mulScale, numel, scaleShift, signedWidthFor, type Scale, type TensorType } from "../types.js";
import { toParamData } from "../params.js";
import { GraphBuilder, prune } from "./builder.js";
import { layerCost, productCost } from "./orientation.js";
import type { Pass, PassResult } from "./pass.js";
import { F2, F4, filterAt, outputFactor, type WinogradTile } from "./winograd-matrices.js";
import { rememberExactKernel, winoGeometry } from "../winoconv.js";

export type Accounting = "dealer" | "iknp";

export interface WinogradOptions {
  /** Which cost decides (default iknp, the OT accounting the passes' targets use). */
  accounting?: Accounting;
  /** Tests and measurements: rewrite every eligible layer with F(2,3) (true) or F(4,3) regardless of cost. */
  force?: boolean | "F4";
}

/** Why a conv2d is not a candidate, or undefined when it is one. */
export function ineligible(g: Graph, n: Node): string | undefined {
  if (n.op !== "conv2d") return "not a conv2d";
  const w = g.nodes[n.inputs[1]!]!;
  const x = g.nodes[n.inputs[0]!]!;
  if (w.type.shape[2] !== 3 || w.type.shape[3] !== 3) return "kernel is not 3×3";
  if (intAttr(n.attrs, "stride") !== 1) return "stride is not 1";
  if (intAttr(n.attrs, "groups") !== 1) return "grouped";
  if (w.op !== "param" || w.type.vis !== "server") return "weights are not a server parameter";
  if (x.type.vis === "public" || n.type.vis !== "shared") return "not a two-party product";
  const b = n.inputs[2];
  if (b !== undefined && g.nodes[b]!.op !== "param" && g.nodes[b]!.op !== "const") return "bias is not a parameter or literal";
  return undefined;
}

// ---------------------------------------------------------------- integer data helpers

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** filterAt on doubles: kernel k of a row-major [.., 3, 3] array starting at `base`. */
export function filterAtNumber(t: WinogradTile, a: number, b: number, w: Float64Array, base: number): number {
  let s = 0;
  for (let u = 0; u < 3; u++) {
    const ga = t.Gn[a]![u]!;
    if (ga === 0) continue;
    for (let v = 0; v < 3; v++) {
      const gb = t.Gn[b]![v]!;
      if (gb !== 0) s += ga * gb * w[base + u * 3 + v]!;
    }
  }
  return s;
}

function readData(d: ParamData): bigint[] {
  const out = new Array<bigint>(d.data.length);
  if (d.data instanceof Float64Array) for (let i = 0; i < out.length; i++) out[i] = BigInt(d.data[i]!);
  else for (let i = 0; i < out.length; i++) out[i] = d.signed ? d.data[i]! : BigInt.asUintN(64, d.data[i]!);
  return out;
}

/** Parameter data by the IR's representation rule (fuse-batchnorm.ts), with its width. */
function paramData(shape: number[], values: readonly bigint[]): { data: ParamData; bits: number } {
  const data = foldedParam(shape, values);
  return { data, bits: data.bits };
}

function freshName(params: Map<string, ParamData>, base: string): string {
  let name = base;
  for (let k = 2; params.has(name); k++) name = `${base}_${k}`;
  return name;
}

// ---------------------------------------------------------------- emitting one layer

/**
 * A Winograd convolution's server data, what `winoconv` takes: filters u [α², O, C] of the
 * given width, the exponents k of the per-(position, output channel) factors 2^k, an offset
 * per output channel, and the factor K by which the winoconv's result exceeds the conv's
 * (divided out exactly after it). The exact filters below have K = K1², k = 0; the
 * quantized ones (winograd-quant.ts) K = 1.
 */
export interface WinoFilters {
  t: WinogradTile;
  /** u [α², O, C] row-major, exact integers. */
  u: Float64Array | bigint[];
  k: number[][];
  /** u's width (declared). */
  bits: number;
  offset?: bigint[];
  /** u's scale: the winoconv's result scale over x's. */
  uScale: Scale;
  K: number;
  /** A batch norm folded into the filters (its node takes the result's value). */
  folded?: Node;
}

/** The exact integer filters U'' = (K1/D_a)(K1/D_c)·Gn g Gnᵀ = K1²·U of conv2d `n` (module comment), and K1²·b. */
export function exactFilters(g: Graph, n: Node, t: WinogradTile): WinoFilters {
  const wNode = g.nodes[n.inputs[1]!]!;
  const wData = g.params.get(wNode.attrs.name as string)!;
  const K = outputFactor(t);
  const [O, C] = wNode.type.shape as [number, number];
  const a2 = t.alpha * t.alpha;
  // The filter transform in doubles when every |u| ≤ K1²·(Σ|Gn row|)²·max|w| stays below 2^51
  // (exact, and within the IR's double representation of ≤ 52-bit parameters).
  const wFast = wData.data instanceof Float64Array && maxAbs(wData.data) * K * 64 < 2 ** 51 ? wData.data : undefined;
  const w = wFast ? [] : readData(wData);
  let u: Float64Array | bigint[];
  let lo = 0n;
  let hi = 0n;
  if (wFast) {
    // Doubles are exact here (|u| < 2^52, checked above): no BigInt per weight. Gn g Gnᵀ one
    // side at a time (Gn·g for a row a of Gn, then ·Gnᵀ for every column c): every partial
    // sum is an integer below 2^51, so the values are filterAtNumber's, in fewer steps and
    // with every array read and written in order.
    const OC = O * C;
    const uf = new Float64Array(a2 * OC);
    const { alpha } = t;
    const left = new Float64Array(OC * 3);
    let l = 0;
    let h = 0;
    for (let a = 0; a < alpha; a++) {
      const [g0, g1, g2] = t.Gn[a]! as [number, number, number];
      for (let i = 0, base = 0; i < OC; i++, base += 9) {
        for (let v = 0; v < 3; v++) left[i * 3 + v] = 0 + g0 * wFast[base + v]! + g1 * wFast[base + 3 + v]! + g2 * wFast[base + 6 + v]!;
      }
      for (let c = 0; c < alpha; c++) {
        const j = a * alpha + c;
        const fn = (t.K1 / t.D[a]!) * (t.K1 / t.D[c]!);
        const [h0, h1, h2] = t.Gn[c]! as [number, number, number];
        for (let i = 0; i < OC; i++) {
          const v = fn * (0 + left[i * 3]! * h0 + left[i * 3 + 1]! * h1 + left[i * 3 + 2]! * h2);
          uf[j * OC + i] = v;
          if (v < l) l = v;
          if (v > h) h = v;
        }
      }
    }
    [u, lo, hi] = [uf, BigInt(l), BigInt(h)];
    // Typing the winoconv needs its effective kernel's parts: here K·w in the window.
    rememberExactKernel(t, uf, wFast, K, O, C);
  } else {
    const ub = new Array<bigint>(a2 * O * C);
    for (let j = 0; j < a2; j++) {
      const f = BigInt((t.K1 / t.D[Math.floor(j / t.alpha)]!) * (t.K1 / t.D[j % t.alpha]!));
      for (let i = 0; i < O * C; i++) {
        const v = f * filterAt(t, Math.floor(j / t.alpha), j % t.alpha, (p, q) => w[i * 9 + p * 3 + q]!);
        ub[j * O * C + i] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    u = ub;
  }
  const f: WinoFilters = {
    t, u, k: Array.from({ length: a2 }, () => new Array<number>(O).fill(0)), bits: signedWidthFor(lo, hi),
    uScale: divScale(wNode.type.scale, K), K,
  };
  const bId = n.inputs[2];
  if (bId !== undefined) {
    const bn = g.nodes[bId]!;
    const vals = bn.op === "param" ? readData(g.params.get(bn.attrs.name as string)!) : (bn.attrs.value as bigint[]);
    f.offset = vals.map((v) => v * BigInt(K));
  }
  return f;
}

/**
 * Add the Winograd convolution of conv2d `n` with filters `f` to `b`, reading x: one
 * `winoconv`, then the exact division by K = 2^shift·q (truncreduce by shift, then
 * divexact by the odd q: local, × q⁻¹ mod 2^N). Returns the result's node and the
 * winoconv's (whose width the products run in).
 */
export function emitWinoconv(b: GraphBuilder, g: Graph, n: Node, x: number, f: WinoFilters): { out: number; conv: number } {
  const wNode = g.nodes[n.inputs[1]!]!;
  const [O, C] = wNode.type.shape as [number, number];
  const a2 = f.t.alpha * f.t.alpha;
  const wName = wNode.attrs.name as string;
  const origin = (f.folded ?? n).origin;
  const tag = f.K === 1 ? "wq" : "wg";
  const uType: TensorType = { bits: f.bits, signed: true, shape: [a2, O, C], vis: "server", scale: f.uScale, nonneg: false };
  const uData: ParamData = f.u instanceof Float64Array && f.bits <= 52
    ? { shape: [a2, O, C], bits: f.bits, signed: true, data: f.u }
    : toParamData([a2, O, C], f.bits, true, f.u instanceof Float64Array ? Array.from(f.u, BigInt) : f.u);
  const ins = [x, b.param(freshName(b.params, `${wName}_${tag}${f.t.m}`), uData, uType, wNode.origin)];
  if (f.offset) {
    const { data, bits } = paramData([O], f.offset);
    const bNode = n.inputs[2] !== undefined ? g.nodes[n.inputs[2]]! : undefined;
    const vis = f.folded || !bNode ? "server" : bNode.type.vis;
    const type: TensorType = { bits, signed: true, shape: [O], vis, scale: mulScale(b.type(x).scale, f.uScale), nonneg: false };
    ins.push(vis === "public" ? b.literal(f.offset, type, origin) : b.param(freshName(b.params, `${wName}_${tag}${f.t.m}_offset`), data, type, origin));
  }
  const attrs = { tile: f.t.m, pad: intAttr(n.attrs, "pad"), k: f.k };
  let conv = b.add("winoconv", ins, attrs, origin);
  const { shift, q } = splitFactor(f.K);
  // truncreduce needs a ring wider than its shift: a tiny result is computed wider (the
  // first node is then dead, and pruned).
  if (shift > 0 && b.type(conv).bits <= shift) conv = b.add("winoconv", ins, attrs, origin, { bits: shift + 1, signed: true, nonneg: false });
  let out = conv;
  if (shift > 0) out = b.add("truncreduce", [conv], { by: shift, exact: 1 }, origin);
  if (q > 1) out = b.add("divexact", [out], { by: q }, origin);
  return { out, conv };
}

/** K = 2^shift·q with q odd. */
function splitFactor(K: number): { shift: number; q: number } {
  let shift = 0;
  let q = K;
  while (q % 2 === 0) {
    q /= 2;
    shift++;
  }
  return { shift, q };
}

// ---------------------------------------------------------------- the cost model

/** Bits on the wire of the interactive part of one layer, by accounting. */
export interface LayerCosts {
  direct: number;
  f2?: number;
  f4?: number;
  /** Activation receiver elements of direct (im2col, 9·C·H'W') and F(2,3) (16·C·T = 4·C·H'W'). */
  elements: { direct: number; f2?: number };
}

export function directCost(g: Graph, n: Node, acc: Accounting): { bits: number; elements: number } {
  const c = layerCost(g, n)!;
  const elements = c.elements.activations;
  if (acc === "iknp") return { bits: Math.min(c.weights, c.activations), elements };
  const x = g.nodes[n.inputs[0]!]!;
  const w = g.nodes[n.inputs[1]!]!;
  return { bits: (numel(w.type.shape) + numel(x.type.shape)) * n.type.bits, elements };
}

/**
 * Bits on the wire of a Winograd convolution with filters f (the x's lift into its ring is
 * the direct conv's too, so it is left out of both): its ring from a dry run of
 * emitWinoconv; the products by SiRNN's cost with the cheaper receiver (iknp, as
 * orientation.ts) or the bilinear triples' |U| + |V| ring elements (dealer); the division by
 * the exact factor K is local (truncreduce with exact = 1, divexact). Undefined, with the
 * reason, when it does not type.
 */
export function winogradCost(g: Graph, n: Node, xType: TensorType, xRange: Interval, f: WinoFilters, acc: Accounting): { bits: number; elements: number } | string {
  const b = new GraphBuilder(g);
  const x = b.source({ id: 0, op: "input", type: xType, inputs: [], attrs: { name: "x" }, origin: n.origin }, xRange);
  let N: number;
  try {
    N = b.type(emitWinoconv(b, g, n, x, f).conv).bits;
  } catch (err) {
    if (err instanceof PqError) return err.diagnostics.map((d) => d.message).join("; ");
    throw err;
  }
  const [O, C] = g.nodes[n.inputs[1]!]!.type.shape as [number, number];
  const geo = winoGeometry(f.t, xType.shape, O, intAttr(n.attrs, "pad"));
  const a2 = f.t.alpha * f.t.alpha;
  const tiles = geo.th * geo.tw;
  if (acc === "dealer") return { bits: a2 * (O * C + C * tiles) * N, elements: a2 * C * tiles };
  const p = productCost(O, C, tiles, a2, f.bits, N, N);
  return { bits: Math.min(p.weights, p.activations), elements: p.elements.activations };
}

// ---------------------------------------------------------------- the pass

interface LayerLog {
  id: number;
  path: string;
  choice: "direct" | "F(2×2,3×3)" | "F(4×4,3×3)";
  costs: LayerCosts;
  why?: string;
}

const bitsText = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} Mbit` : `${Math.round(b)} bit`);

/** A layer's rewrite: adds the replacement of the conv to `b`, reading x, and returns its id. */
export interface Choice {
  emit(b: GraphBuilder, x: number): number;
}

/** The Winograd convolution with filters f as a Choice. */
export function winoChoice(g: Graph, n: Node, f: WinoFilters): Choice {
  return { emit: (b, x) => emitWinoconv(b, g, n, x, f).out };
}

/**
 * Rewrite the chosen layers; downstream nodes keep their widths where the new intervals fit,
 * else are retyped. `alias` maps a node to one whose new value it takes (a batch norm folded
 * into the chain of its conv).
 */
export function rewrite(p: Program, decide: (n: Node, b: GraphBuilder, x: number) => Choice | undefined, alias?: ReadonlyMap<number, number>): { program: Program; retyped: number } {
  const g = p.graph;
  const b = new GraphBuilder(g);
  const ids: number[] = [];
  const map = (old: number) => ids[old]!;
  let retyped = 0;
  const rewritten = new Set<number>();
  for (const n of g.nodes) {
    if (n.op === "input" || n.op === "param" || n.op === "const") {
      ids.push(b.source(n, p.ranges[n.id]!));
      continue;
    }
    const same = alias?.get(n.id);
    if (same !== undefined && rewritten.has(same)) {
      ids.push(map(same));
      continue;
    }
    if (ineligible(g, n) === undefined) {
      const x = map(n.inputs[0]!);
      const c = decide(n, b, x);
      if (c) {
        ids.push(c.emit(b, x));
        rewritten.add(n.id);
        continue;
      }
    }
    const inputs = n.inputs.map(map);
    // A requantization whose input now arrives at another power-of-two scale (a coarsened
    // winoconv, winograd-quant.ts) shifts that many bits less: the same real-valued ratio.
    let attrs = n.attrs;
    if (n.op === "requant") {
      const d = scaleShift(b.type(inputs[0]!).scale, g.nodes[n.inputs[0]!]!.type.scale);
      if (d === undefined) throw new Error(`internal: the input scale of ${n.origin.path} changed by a factor that is not a power of two`);
      if (d !== 0) attrs = { ...n.attrs, shift: intAttr(n.attrs, "shift") - d };
    }
    try {
      ids.push(b.add(n.op, inputs, attrs, n.origin, { bits: n.type.bits, signed: n.type.signed, nonneg: false, ...(n.op === "requant" ? { scale: n.type.scale } : {}) }));
    } catch (err) {
      if (!(err instanceof PqError)) throw err;
      // A wider operand interval (the rewrite's, not its values): type it afresh.
      ids.push(b.add(n.op, inputs, attrs, n.origin, n.op === "requant" ? { bits: n.type.bits, signed: n.type.signed, nonneg: false, scale: n.type.scale } : undefined));
      retyped++;
    }
  }
  // The original weights (and bias) of a rewritten layer are dead: the server keeps U only.
  return { program: prune(b.finish(g.outputs.map((o) => ({ ...o, node: map(o.node) })))), retyped };
}

export function winogradPass(opts: WinogradOptions = {}): Pass {
  const acc: Accounting = opts.accounting ?? "iknp";
  return {
    name: "winograd",
    summary: "3×3 stride-1 convolutions with server weights as Winograd F(2×2,3×3) or F(4×4,3×3): local transforms, server-side filter transform, the tile (or direct) chosen by cost",
    run(p): PassResult {
      const g = p.graph;
      const candidates = g.nodes.filter((n) => ineligible(g, n) === undefined);
      if (candidates.length === 0) return { program: p, note: "no 3×3 stride-1 convolution with server weights", applied: false };
      const logs: LayerLog[] = [];
      const skip = new Set<number>();
      const decide = (n: Node, b: GraphBuilder, x: number): Choice | undefined => {
        if (skip.has(n.id)) return undefined;
        const xType = b.type(x);
        const direct = directCost(g, n, acc);
        const costs: LayerCosts = { direct: direct.bits, elements: { direct: direct.elements } };
        const f2 = exactFilters(g, n, F2);
        const f4 = exactFilters(g, n, F4);
        const e2 = winogradCost(g, n, xType, b.ranges[x]!, f2, acc);
        const e4 = winogradCost(g, n, xType, b.ranges[x]!, f4, acc);
        let why: string | undefined;
        if (typeof e2 === "string") why = `F(2×2,3×3) does not fit: ${e2}`;
        else {
          costs.f2 = e2.bits;
          costs.elements.f2 = e2.elements;
        }
        if (typeof e4 === "string") why = `${why ? `${why}; ` : ""}F(4×4,3×3) does not fit: ${e4}`;
        else costs.f4 = e4.bits;
        // The tile by cost: the cheapest of direct, F(2,3) and F(4,3) (or the forced one).
        const best = Math.min(costs.direct, costs.f2 ?? Infinity, costs.f4 ?? Infinity);
        const tile = opts.force === "F4" ? (costs.f4 !== undefined ? F4 : undefined)
          : opts.force === true ? (costs.f2 !== undefined ? F2 : undefined)
          : costs.f4 !== undefined && costs.f4 === best && best < costs.direct ? F4
          : costs.f2 !== undefined && costs.f2 === best && best < costs.direct ? F2 : undefined;
        if (!tile && why === undefined) why = "direct is cheaper";
        const log: LayerLog = { id: n.id, path: n.origin.path, choice: tile === F4 ? "F(4×4,3×3)" : tile === F2 ? "F(2×2,3×3)" : "direct", costs };
        if (why !== undefined) log.why = why;
        logs.push(log);
        return tile === F4 ? winoChoice(g, n, f4) : tile === F2 ? winoChoice(g, n, f2) : undefined;
      };
      // A consumer that cannot take the wider interval (a fixed-width conversion) undoes the
      // nearest rewritten layer upstream of it; retry without it.
      for (;;) {
        logs.length = 0;
        try {
          const { program, retyped } = rewrite(p, decide);
          const applied = logs.filter((l) => l.choice !== "direct");
          const lines = logs.map((l) => {
            const c = l.costs;
            const f4 = c.f4 !== undefined ? `, F(4,3) ${bitsText(c.f4)}` : "";
            return `${l.path}: ${l.choice} (${acc}: direct ${bitsText(c.direct)}, F(2,3) ${c.f2 !== undefined ? bitsText(c.f2) : "n/a"}${f4}` +
              `; activation receiver elements ${c.elements.direct} → ${c.elements.f2 ?? "n/a"})${l.why ? ` — ${l.why}` : ""}`;
          });
          const chosenCost = (l: LayerLog) => (l.choice === "F(4×4,3×3)" ? l.costs.f4! : l.choice === "F(2×2,3×3)" ? l.costs.f2! : l.costs.direct);
          const total = (k: "direct" | "chosen") => logs.reduce((s, l) => s + (k === "direct" ? l.costs.direct : chosenCost(l)), 0);
          const count = (c: LayerLog["choice"]) => logs.filter((l) => l.choice === c).length;
          const head = applied.length === 0
            ? `no layer rewritten: direct is cheaper or Winograd does not fit for all ${logs.length} candidates (${acc} accounting)`
            : `Winograd on ${applied.length} of ${logs.length} 3×3 convolutions (F(2×2,3×3): ${count("F(2×2,3×3)")}, F(4×4,3×3): ${count("F(4×4,3×3)")}; ${acc}: ${bitsText(total("direct"))} → ${bitsText(total("chosen"))})` +
              (retyped > 0 ? `; ${retyped} consumers retyped for the wider intervals` : "");
          if (applied.length === 0) return { program: p, note: `${head}\n  ${lines.join("\n  ")}`, applied: false };
          return { program, note: `${head}\n  ${lines.join("\n  ")}`, applied: true };
        } catch (err) {
          if (!(err instanceof PqError)) throw err;
          const last = [...logs].reverse().find((l) => l.choice !== "direct");
          if (!last) throw err;
          skip.add(last.id);
        }
      }
    },
  };
}

export const winograd: Pass = winogradPass();
