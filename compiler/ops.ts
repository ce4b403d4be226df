// One descriptor per op (MP-SPDZ's habit): its kind, arity, attributes with their
// defaults, and its type rule — shape, scale, visibility and value interval from its
// operands. Lowering, the verifier, the printer and the range analysis all read this
// table; the backends implement the semantics of docs/LANGUAGE.md.
import { type Attrs, type AttrValue, type ElemSpec, type Interval, type Known, type Node, type Op } from "./ir.js";
// Interval and Known are the IR's (compiler/ir.ts); the backends and bench read them from here too.
export type { Interval, Known };
import {
  divScale, formatScale, joinVis, sameScale, mulScale, normScale, numel, scaleShift, scaleValue, typeRange,
  type Scale, type TensorType, type Visibility,
} from "./types.js";
import type { Code } from "../grammar/diagnostics.js";
import { tileOf, winoGeometry, winoRange } from "./winoconv.js";
import { requantPlan, RequantTooWide } from "./requant-plan.js";

export interface Operand {
  type: TensorType;
  range: Interval;
  known?: Known;
  /** The operand's node id and defining op, for rules that recognise a pattern (select on its own sign). */
  id?: number;
  def?: { op: Op; inputs: readonly number[] };
}

export type AttrKind = "int" | "ints" | "int-or-ints" | "matrix" | "elem" | "bigint" | "reals";

export interface AttrSpec {
  kind: AttrKind;
  default?: AttrValue;
  /** The default is another attribute's value (a pool's stride is its window k). */
  defaultFrom?: string;
  required?: boolean;
  /** The printer leaves the attribute out at its default (options most programs never set). */
  quietDefault?: boolean;
}

/**
 * Which operand of an OT-based product is the OT receiver: 0 the activations, 1 the
 * weights (a batch norm's per-channel multipliers) (SiRNN's cost function, docs/PROTOCOLS.md;
 * chosen by the orientation pass). The dealer
 * backend's protocol is symmetric and ignores it; the cost model of OT backends reads it.
 */
const receiverAttr: AttrSpec = { kind: "int", default: 0, quietDefault: true };

/**
 * EQO's bit re-weighting, as two public facts about a layer's weights w (signed, m bits):
 * `split = l` (0 ≤ l < m, default 0) and `support` (increasing flat indices into w; absent:
 * every index). They say w = w_lo + 2^l·w_hi where w_lo is a dense i_l tensor and w_hi is zero
 * outside the support: every weight outside the support fits i_l (is zero when l = 0: a pruned
 * layer). Inside it, w_hi = ⌊(w + 2^(l−1))/2^l⌋ (w itself when l = 0) and w_lo = w − 2^l·w_hi
 * (protocols/linear.ts `splitPlanes`). Values are unchanged; the OT product with the weights
 * as receiver makes l-bit OTs for every weight and (m − l + 1)-bit ones (m when l = 0) for the
 * support's entries only, so the client learns the support's positions (they are part of the
 * program). Every other kernel computes with w as it is. The `reweight` pass writes both.
 */
const supportAttr: AttrSpec = { kind: "ints" };
const splitAttr: AttrSpec = { kind: "int", default: 0, quietDefault: true };

/** A layer's bit re-weighting (ops.ts `split`, `support`), as LinearMap and ProductShape carry it. */
export function reweighting(node: Node): { split?: number; support?: readonly number[] } {
  const support = node.attrs.support as number[] | undefined;
  const split = typeof node.attrs.split === "number" && node.attrs.split > 0 ? node.attrs.split : undefined;
  return { ...(split !== undefined ? { split } : {}), ...(support ? { support } : {}) };
}

/** A support's shape: increasing integer indices into n weights (also what `pq connect` checks of a received program). */
export function isSupport(s: unknown, n: number): s is number[] {
  return Array.isArray(s) && s.every((v, i) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < n && (i === 0 || (v as number) > (s[i - 1] as number)));
}

/** `split` and `support` as above: every weight outside the support fits i_split (PQ2029). */
function checkSupport(a: Attrs, w: Operand, op: string, fail: Fail): void {
  const s = a.support;
  const l = a.split === undefined ? 0 : intAttr(a, "split");
  if (s === undefined && l === 0) return;
  const n = numel(w.type.shape);
  valid(Number.isInteger(l) && l >= 0 && l < w.type.bits, fail, op, `split must be in 0..${w.type.bits - 1} (below the weights' ${w.type.bits} bits)`);
  valid(l === 0 || w.type.signed, fail, op, "split needs signed weights");
  if (s !== undefined && !isSupport(s, n)) {
    fail("PQ2029", { op, detail: `support must list increasing indices in 0..${n - 1} of the weights` });
  }
  const k = w.known;
  if (!k || s === undefined) return;
  const inSupport = new Uint8Array(n);
  for (const i of s as number[]) inSupport[i] = 1;
  // i_l's range; [0, 0] when l = 0.
  const lo = l === 0 ? 0 : -(2 ** (l - 1));
  const hi = l === 0 ? 0 : 2 ** (l - 1) - 1;
  for (let i = 0; i < n; i++) {
    const v = k.num(i);
    if (!inSupport[i] && (v < lo || v > hi)) {
      fail("PQ2029", { op, detail: `weight ${i} is ${k.at(i)}, outside the support and ${l === 0 ? "not zero" : `outside i${l} (split = ${l})`}` });
    }
  }
}

/** The result of a type rule. `bits`/`signed` absent: an accumulator (*acc*) whose width comes from the range. */
export interface Inferred {
  shape: number[];
  scale: Scale;
  range: Interval;
  bits?: number;
  signed?: boolean;
  vis?: Visibility;
}

export type Fail = (code: Code, args: Record<string, string | number | bigint>) => never;

export type OpKind = "source" | "layer" | "local" | "interactive";

/**
 * Where an op's result element type comes from — what a pass that changes an operand's
 * width must know about the op's own type:
 * - `acc`: an accumulator (*acc* in docs/LANGUAGE.md), its width from its interval (or a declared
 *   one); rewrites keep its declared width and scale;
 * - `operand`: its operand's element type, so a change of that width passes through to it;
 * - `widest`: the widest of its operands' (concat; select, where a literal takes x's type);
 * - `shifted`: its operand's width less a shift (truncreduce);
 * - `fixed`: set by the op, its attributes or its declaration (requant's `to`, a bit, an
 *   extension's `to`, argmax's index, a source).
 */
export type ResultType = "acc" | "operand" | "widest" | "shifted" | "fixed";

/**
 * What of its operands' representation an op's result depends on:
 * - `value`: only their values, whatever their width and signedness (a wider representation
 *   of the same values changes nothing it computes);
 * - `sign`: the MSB, which is the value's sign when the operand is signed (msb, drelu);
 * - `bits`: bits of the representation (wrap, truncation's low bits, b2a, an extension that
 *   reads with its own signedness, select's condition, what reveal opens);
 * - `none`: no operands (sources).
 */
export type Reading = "value" | "sign" | "bits" | "none";

export interface OpDescriptor {
  op: Op;
  kind: OpKind;
  /** Minimum and maximum operand count (Infinity for variadic). */
  arity: [number, number];
  attrs: Record<string, AttrSpec>;
  /** Operand positions that must be compile-time known (weights, biases). */
  known?: number[];
  /** Where the result's element type comes from (`acc`: an accumulator). */
  result: ResultType;
  /** What of its operands' representation the result depends on. */
  reads: Reading;
  /**
   * Operand positions the two-party backend brings into the op's ring before it computes
   * (an extension for a narrower shared value; the owner's local reading otherwise);
   * `all` for every operand. Read through `liftedOperands`.
   */
  lifted: readonly number[] | "all";
  summary: string;
  infer(xs: Operand[], attrs: Attrs, fail: Fail): Inferred;
}

// ---------------------------------------------------------------- interval helpers

const minB = (...v: bigint[]) => v.reduce((a, b) => (b < a ? b : a));
const maxB = (...v: bigint[]) => v.reduce((a, b) => (b > a ? b : a));
const union = (a: Interval, b: Interval): Interval => ({ lo: minB(a.lo, b.lo), hi: maxB(a.hi, b.hi) });
const scaleI = (r: Interval, c: bigint): Interval => ({ lo: minB(r.lo * c, r.hi * c), hi: maxB(r.lo * c, r.hi * c) });
const addI = (a: Interval, b: Interval): Interval => ({ lo: a.lo + b.lo, hi: a.hi + b.hi });
const floorDiv2 = (v: bigint, s: number) => v >> BigInt(s);
/** With zero padding the window may read zeros, so 0 joins the interval. */
const withZero = (r: Interval): Interval => ({ lo: minB(r.lo, 0n), hi: maxB(r.hi, 0n) });

/**
 * Σ_k w_k·x_k over x_k ∈ [lo, hi] for the weights of row `row`, plus `bias`. A positive weight
 * takes its minimum at lo, a negative one at hi, so the interval is (P·lo + N·hi, P·hi + N·lo)
 * with P, N the sums of the row's positive and negative weights (rowSums).
 */
function dotRange(sums: RowSums, row: number, x: Interval, bias: bigint): Interval {
  const pos = sums.pos[row]!;
  const neg = sums.neg[row]!;
  return { lo: pos * x.lo + neg * x.hi + bias, hi: pos * x.hi + neg * x.lo + bias };
}

/** P and N of every row of a weight matrix: the sums of its positive and negative weights. */
export interface RowSums {
  pos: bigint[];
  neg: bigint[];
}

// Passes rebuild graphs many times and each rebuild re-types every node: the sums depend only
// on the weights' data and the row length, so they are kept per data array (as winoconv.ts
// keeps its kernel parts).
const rowSumsCache = new WeakMap<Float64Array, Map<number, RowSums>>();

/** The sums of the `rows` rows of `count` consecutive weights of w: in doubles while exact (Σ|w| < 2^53), else in BigInt. */
function rowSums(w: Known, rows: number, count: number): RowSums {
  const wd = w.f64;
  const hit = wd ? rowSumsCache.get(wd)?.get(count) : undefined;
  if (hit) return hit;
  const sums: RowSums = { pos: new Array<bigint>(rows), neg: new Array<bigint>(rows) };
  for (let r = 0; r < rows; r++) {
    const start = r * count;
    if (wd) {
      // Σw and Σ|w| avoid a data-dependent branch per weight: P = (Σw + Σ|w|)/2, N = (Σw − Σ|w|)/2.
      let sum = 0;
      let abs = 0;
      for (let i = start; i < start + count; i++) {
        const v = wd[i]!;
        sum += v;
        abs += Math.abs(v);
      }
      if (abs < 2 ** 53) {
        sums.pos[r] = BigInt((sum + abs) / 2);
        sums.neg[r] = BigInt((sum - abs) / 2);
        continue;
      }
    }
    [sums.pos[r], sums.neg[r]] = bigSums(w, start, count);
  }
  if (wd) {
    const m = rowSumsCache.get(wd) ?? new Map<number, RowSums>();
    m.set(count, sums);
    rowSumsCache.set(wd, m);
  }
  return sums;
}

function bigSums(w: Known, start: number, count: number): [bigint, bigint] {
  let pos = 0n;
  let neg = 0n;
  for (let i = start; i < start + count; i++) {
    const v = w.at(i);
    if (v > 0n) pos += v;
    else neg += v;
  }
  return [pos, neg];
}

// Per data array too: a rebuild re-types every parameter.
const knownRangeCache = new WeakMap<Float64Array, Interval>();

/**
 * What a maker of a weight array computed on its way through the values (params.ts's random
 * weights): their range, and the positive and negative sums of its rows of `count` (Σ|w| <
 * 2^53), as knownRange and rowSums would find them — so those need not read the array again.
 */
export function primeKnown(d: Float64Array, range: Interval, rows?: { count: number; sums: RowSums }): void {
  knownRangeCache.set(d, range);
  if (rows) rowSumsCache.set(d, new Map([[rows.count, rows.sums]]));
}

function knownRange(k: Known): Interval {
  if (k.f64) {
    const hit = knownRangeCache.get(k.f64);
    if (hit) return { ...hit };
    let lo = k.size > 0 ? k.f64[0]! : 0;
    let hi = lo;
    const d = k.f64;
    for (let i = 1; i < d.length; i++) {
      const v = d[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const r = { lo: BigInt(lo), hi: BigInt(hi) };
    knownRangeCache.set(k.f64, r);
    return { ...r };
  }
  let lo = k.size > 0 ? k.at(0) : 0n;
  let hi = lo;
  for (let i = 1; i < k.size; i++) {
    const v = k.at(i);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}

// ---------------------------------------------------------------- attribute readers
// The one set of readers of a node's attributes (type rules, passes, both backends, the
// cost model): a missing or ill-typed attribute is an internal error, since lowering and
// the verifier check them against the specs.

/** An int attribute; with `op`, absent means the descriptor's default. */
export function intAttr(a: Attrs, name: string, op?: Op): number {
  const v = op ? attrOrDefault(op, a, name) : a[name];
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n === "number" && Number.isSafeInteger(n)) return n;
  throw new Error(`attribute ${name} is not an int`);
}

/** A list of integers (a literal's `value`, mulc's `c` as a list). */
export function bigListAttr(a: Attrs, name: string): bigint[] {
  const v = a[name];
  if (Array.isArray(v)) return (v as readonly unknown[]).map((e) => bigOf(e, name));
  throw new Error(`attribute ${name} is not a list`);
}

export function strAttr(a: Attrs, name: string): string {
  const v = a[name];
  if (typeof v === "string") return v;
  throw new Error(`attribute ${name} is not a string`);
}

function bigOf(v: unknown, name: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  throw new Error(`attribute ${name} is not an integer`);
}

export function elemAttr(a: Attrs, name: string): ElemSpec {
  const v = a[name];
  if (typeof v === "object" && v !== null && !Array.isArray(v) && v.kind === "elem") return v;
  throw new Error(`attribute ${name} is not an element type`);
}

export function bigAttr(a: Attrs, name: string): bigint {
  return bigOf(a[name], name);
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function vis(xs: Operand[]): Visibility {
  return joinVis(xs.map((x) => x.type.vis));
}

/** A bias is added at the accumulator scale; one written with another scale is a mistake (scale 1 = unscaled integer). */
function checkBiasScale(b: Operand | undefined, acc: Scale, op: string, fail: Fail): void {
  if (!b || (b.type.scale.kind === "pow2" && b.type.scale.exp === 0) || sameScale(b.type.scale, acc)) return;
  fail("PQ2014", { op, detail: `the bias/offset has scale ${formatScale(b.type.scale)}, the accumulator ${formatScale(acc)}`, hint: "declare the bias at the product of the input and weight scales" });
}

function checkReceiver(a: Attrs, op: string, fail: Fail): void {
  if (a.receiver !== undefined && a.receiver !== 0 && a.receiver !== 1) fail("PQ2006", { name: "receiver", op, expected: "0 (activations) or 1 (weights)" });
}

/** A condition on shapes (PQ2008). */
function need(cond: boolean, fail: Fail, op: string, detail: string): void {
  if (!cond) fail("PQ2008", { op, detail });
}

/** A condition on attributes or element types (PQ2029). */
function valid(cond: boolean, fail: Fail, op: string, detail: string): void {
  if (!cond) fail("PQ2029", { op, detail });
}

/** Window geometry shared by the pooling ops. */
function poolShape(x: Operand, k: number, stride: number, op: string, fail: Fail): number[] {
  need(x.type.shape.length === 3, fail, op, `expects [C, H, W], got ${shapeStr(x.type.shape)}`);
  const [c, h, w] = x.type.shape as [number, number, number];
  need(k >= 1 && stride >= 1 && h >= k && w >= k, fail, op, `window ${k} with stride ${stride} does not fit ${h}×${w}`);
  return [c, Math.floor((h - k) / stride) + 1, Math.floor((w - k) / stride) + 1];
}

/** Per-tensor requantization constants (docs/LANGUAGE.md, `as`). */
export function requantConstants(from: Scale, to: Scale): { mult: number; shift: number } {
  // r = from/to = 2^-k exactly: a pure shift (k < 0 shifts left).
  const k = scaleShift(to, from);
  if (k !== undefined) return { mult: 1, shift: k };
  const r = (from.kind === "pow2" ? 2 ** from.exp : from.value) / (to.kind === "pow2" ? 2 ** to.exp : to.value);
  let shift = 0;
  while (r * 2 ** shift >= 2 ** 16) shift--;
  while (r * 2 ** shift < 2 ** 15) shift++;
  return { mult: Math.round(r * 2 ** shift), shift };
}

/** y = ⌊(x·M + 2^(s−1)) / 2^s⌋ for s > 0, x·M·2^(−s) otherwise (before clamping). */
export function requantValue(x: bigint, mult: number, shift: number): bigint {
  const m = BigInt(mult);
  if (shift > 0) return (x * m + (1n << BigInt(shift - 1))) >> BigInt(shift);
  return (x * m) << BigInt(-shift);
}

// ---------------------------------------------------------------- the table

const conv2d: OpDescriptor = {
  op: "conv2d", kind: "layer", arity: [2, 3], known: [1, 2],
  result: "acc", reads: "value", lifted: [0, 2],
  attrs: { stride: { kind: "int", default: 1 }, pad: { kind: "int", default: 0 }, groups: { kind: "int", default: 1 }, receiver: receiverAttr, split: splitAttr, support: supportAttr },
  summary: "2-D convolution with server weights (and bias)",
  infer([x, w, b], a, fail) {
    const stride = intAttr(a, "stride");
    const pad = intAttr(a, "pad");
    const groups = intAttr(a, "groups");
    checkReceiver(a, "conv2d", fail);
    checkSupport(a, w!, "conv2d", fail);
    need(x!.type.shape.length === 3, fail, "conv2d", `input must be [C, H, W], got ${shapeStr(x!.type.shape)}`);
    need(w!.type.shape.length === 4, fail, "conv2d", `weights must be [O, C/groups, kh, kw], got ${shapeStr(w!.type.shape)}`);
    const [c, h, wd] = x!.type.shape as [number, number, number];
    const [o, ci, kh, kw] = w!.type.shape as [number, number, number, number];
    valid(groups >= 1 && c % groups === 0 && o % groups === 0, fail, "conv2d", `groups = ${groups} must divide ${c} input and ${o} output channels`);
    need(ci === c / groups, fail, "conv2d", `weights expect ${ci} channels per group, input has ${c / groups}`);
    valid(stride >= 1 && pad >= 0, fail, "conv2d", `stride must be ≥ 1 and pad ≥ 0`);
    const ho = Math.floor((h + 2 * pad - kh) / stride) + 1;
    const wo = Math.floor((wd + 2 * pad - kw) / stride) + 1;
    need(ho >= 1 && wo >= 1, fail, "conv2d", `a ${kh}×${kw} kernel does not fit a ${h}×${wd} input with pad ${pad}`);
    if (b) need(sameShape(b.type.shape, [o]), fail, "conv2d", `bias must be [${o}], got ${shapeStr(b.type.shape)}`);
    const xr = pad > 0 ? withZero(x!.range) : x!.range;
    const sums = rowSums(w!.known!, o, ci * kh * kw);
    let range: Interval | undefined;
    for (let oc = 0; oc < o; oc++) {
      const r = dotRange(sums, oc, xr, b ? b.known!.at(oc) : 0n);
      range = range ? union(range, r) : r;
    }
    const scale = mulScale(x!.type.scale, w!.type.scale);
    checkBiasScale(b, scale, "conv2d", fail);
    return { shape: [o, ho, wo], scale, range: range!, vis: vis(b ? [x!, w!, b] : [x!, w!]) };
  },
};

/**
 * A convolution given by Winograd-domain filters (compiler/winoconv.ts has the formula):
 * winoconv(x, u, offset?, tile = m, pad = p, k = [[…]]) with u [α², O, C] server filters, k the
 * α² × O public exponents of the per-(position, output channel) factors 2^k, and an offset
 * per output channel at the result's scale. The `winograd` (exact filters, then an exact
 * division) and `winograd-quant` (approximate) passes write it; its interval is exact per
 * tile pixel, so the products run in the result's ring.
 */
const winoconv: OpDescriptor = {
  op: "winoconv", kind: "layer", arity: [2, 3], known: [1, 2],
  result: "acc", reads: "value", lifted: [0, 2],
  attrs: { tile: { kind: "int", required: true }, pad: { kind: "int", default: 0 }, k: { kind: "matrix", required: true }, receiver: receiverAttr, split: splitAttr, support: supportAttr },
  summary: "convolution by Winograd-domain filters F(m×m,3×3): local transforms, one server-weight product per tile position",
  infer([x, u, off], a, fail) {
    checkReceiver(a, "winoconv", fail);
    checkSupport(a, u!, "winoconv", fail);
    const t = tileOf(intAttr(a, "tile"));
    if (!t) return fail("PQ2006", { name: "tile", op: "winoconv", expected: "2 (F(2×2,3×3)) or 4 (F(4×4,3×3))" });
    const pad = intAttr(a, "pad");
    const k = matrixAttr(a, "k");
    need(x!.type.shape.length === 3, fail, "winoconv", `input must be [C, H, W], got ${shapeStr(x!.type.shape)}`);
    need(u!.type.shape.length === 3, fail, "winoconv", `filters must be [α², O, C], got ${shapeStr(u!.type.shape)}`);
    const [a2, O, C] = u!.type.shape as [number, number, number];
    need(a2 === t.alpha * t.alpha, fail, "winoconv", `F(${t.m}×${t.m},3×3) has ${t.alpha * t.alpha} tile positions, the filters ${a2}`);
    need(C === x!.type.shape[0], fail, "winoconv", `filters expect ${C} channels, input has ${x!.type.shape[0]}`);
    valid(pad >= 0, fail, "winoconv", "pad must be ≥ 0");
    const g = winoGeometry(t, x!.type.shape, O, pad);
    need(g.Ho >= 1 && g.Wo >= 1, fail, "winoconv", `a 3×3 kernel does not fit a ${g.H}×${g.W} input with pad ${pad}`);
    valid(k.length === a2 && k.every((r) => r.length === O && r.every((e) => Number.isInteger(e) && e >= 0 && e < 53)), fail, "winoconv", `k must be ${a2} rows of ${O} exponents in 0..52`);
    if (off) need(sameShape(off.type.shape, [O]), fail, "winoconv", `offset must be [${O}], got ${shapeStr(off.type.shape)}`);
    const range = winoRange(t, u!.known!, k, O, C, x!.range, off?.known);
    if (!range) return fail("PQ2008", { op: "winoconv", detail: "the filters' effective kernel is beyond 2^53" });
    const scale = mulScale(x!.type.scale, u!.type.scale);
    checkBiasScale(off, scale, "winoconv", fail);
    return { shape: [O, g.Ho, g.Wo], scale, range, vis: vis(off ? [x!, u!, off] : [x!, u!]) };
  },
};

const linear: OpDescriptor = {
  op: "linear", kind: "layer", arity: [2, 3], known: [1, 2], attrs: { receiver: receiverAttr, split: splitAttr, support: supportAttr },
  result: "acc", reads: "value", lifted: [0, 2],
  summary: "fully connected layer with server weights (and bias)",
  infer([x, w, b], a, fail) {
    checkReceiver(a, "linear", fail);
    checkSupport(a, w!, "linear", fail);
    need(x!.type.shape.length === 1, fail, "linear", `input must be 1-D [K], got ${shapeStr(x!.type.shape)}; flatten it first`);
    need(w!.type.shape.length === 2 && w!.type.shape[1] === x!.type.shape[0], fail, "linear",
      `weights ${shapeStr(w!.type.shape)} do not match input ${shapeStr(x!.type.shape)} (expected [O, ${x!.type.shape[0]}])`);
    const [o, k] = w!.type.shape as [number, number];
    if (b) need(sameShape(b.type.shape, [o]), fail, "linear", `bias must be [${o}], got ${shapeStr(b.type.shape)}`);
    const sums = rowSums(w!.known!, o, k);
    let range: Interval | undefined;
    for (let oc = 0; oc < o; oc++) {
      const r = dotRange(sums, oc, x!.range, b ? b.known!.at(oc) : 0n);
      range = range ? union(range, r) : r;
    }
    const scale = mulScale(x!.type.scale, w!.type.scale);
    checkBiasScale(b, scale, "linear", fail);
    return { shape: [o], scale, range: range!, vis: vis(b ? [x!, w!, b] : [x!, w!]) };
  },
};

const batchnorm: OpDescriptor = {
  op: "batchnorm", kind: "layer", arity: [3, 3], known: [1, 2], attrs: { receiver: receiverAttr },
  result: "acc", reads: "value", lifted: [0, 2],
  summary: "per-channel integer affine map (folded into the previous layer when possible)",
  infer([x, m, add], _a, fail) {
    const c = x!.type.shape[0] ?? 1;
    need(x!.type.shape.length >= 1, fail, "batchnorm", "input must have a channel axis");
    need(m!.known!.size === c && add!.known!.size === c, fail, "batchnorm", `multiplier and offset must have ${c} entries`);
    let range: Interval | undefined;
    for (let i = 0; i < c; i++) {
      const r = addI(scaleI(x!.range, m!.known!.at(i)), { lo: add!.known!.at(i), hi: add!.known!.at(i) });
      range = range ? union(range, r) : r;
    }
    const scale = mulScale(x!.type.scale, m!.type.scale);
    checkBiasScale(add, scale, "batchnorm", fail);
    return { shape: [...x!.type.shape], scale, range: range!, vis: vis([x!, m!, add!]) };
  },
};

const same = (x: Operand, range: Interval, extra: Partial<Inferred> = {}): Inferred => ({
  shape: [...x.type.shape], scale: x.type.scale, range, bits: x.type.bits, signed: x.type.signed, vis: x.type.vis, ...extra,
});

const relu: OpDescriptor = {
  op: "relu", kind: "layer", arity: [1, 1], attrs: {}, summary: "max(x, 0)",
  result: "operand", reads: "value", lifted: [],
  infer([x]) {
    return same(x!, { lo: maxB(x!.range.lo, 0n), hi: maxB(x!.range.hi, 0n) });
  },
};

const sqplus: OpDescriptor = {
  op: "sqplus", kind: "layer", arity: [1, 1], attrs: {}, summary: "x² + x (Flash's ReLU replacement), exact",
  result: "acc", reads: "value", lifted: [0],
  infer([x], _a, fail) {
    const s = normScale(x!.type.scale);
    if (s.kind !== "pow2") fail("PQ2014", { op: "sqplus", detail: "the input scale must be a power of two", hint: "requantize to a power-of-two scale first" });
    const e = (s as { exp: number }).exp;
    // f(q) = a·q² + c·q with a, c > 0: convex, minimum near q = −c/(2a).
    const [a, c] = e <= 0 ? [1n, 1n << BigInt(-e)] : [1n << BigInt(e), 1n];
    const f = (q: bigint) => a * q * q + c * q;
    const { lo, hi } = x!.range;
    const cands = [f(lo), f(hi)];
    const v = -c / (2n * a);
    for (const q of [v - 1n, v, v + 1n]) if (q >= lo && q <= hi) cands.push(f(q));
    const scale: Scale = e <= 0 ? { kind: "pow2", exp: 2 * e } : { kind: "pow2", exp: e };
    return { shape: [...x!.type.shape], scale, range: { lo: minB(...cands), hi: maxB(...cands) }, vis: x!.type.vis };
  },
};

const pool = (op: "avgpool" | "maxpool"): OpDescriptor => ({
  op, kind: "layer", arity: [1, 1], attrs: { k: { kind: "int", required: true }, stride: { kind: "int", defaultFrom: "k" } },
  result: op === "avgpool" ? "acc" : "operand", reads: "value", lifted: op === "avgpool" ? [0] : [],
  summary: op === "avgpool" ? "k×k window sum; the divisor k² goes into the scale" : "k×k window maximum",
  infer([x], a, fail) {
    const k = intAttr(a, "k");
    const stride = intAttr(a, "stride", op);
    const shape = poolShape(x!, k, stride, op, fail);
    if (op === "maxpool") return same(x!, x!.range, { shape });
    return { shape, scale: divScale(x!.type.scale, k * k), range: scaleI(x!.range, BigInt(k * k)), vis: x!.type.vis };
  },
});

const gavgpool: OpDescriptor = {
  op: "gavgpool", kind: "layer", arity: [1, 1], attrs: {}, summary: "global sum over H and W; the divisor goes into the scale",
  result: "acc", reads: "value", lifted: [0],
  infer([x], _a, fail) {
    need(x!.type.shape.length === 3, fail, "gavgpool", `expects [C, H, W], got ${shapeStr(x!.type.shape)}`);
    const [c, h, w] = x!.type.shape as [number, number, number];
    return { shape: [c], scale: divScale(x!.type.scale, h * w), range: scaleI(x!.range, BigInt(h * w)), vis: x!.type.vis };
  },
};

/** add/sub: align power-of-two scale ratios by shifting the coarser operand. */
function alignShifts(x: Operand, y: Operand, op: string, fail: Fail): { dx: number; dy: number; scale: Scale } {
  const d = scaleShift(x.type.scale, y.type.scale);
  if (d === undefined) {
    fail("PQ2014", { op, detail: "the operand scales differ by a factor that is not a power of two", hint: "requantize one operand to the other's scale with `as`" });
  }
  return d! >= 0 ? { dx: d!, dy: 0, scale: y.type.scale } : { dx: 0, dy: -d!, scale: x.type.scale };
}

const addsub = (op: "add" | "sub"): OpDescriptor => ({
  op, kind: "local", arity: [2, 2], attrs: {},
  result: "acc", reads: "value", lifted: [0, 1],
  summary: op === "add" ? "x + y (residual add; power-of-two scales aligned by a shift)" : "x − y (scales aligned as add)",
  infer([x, y], _a, fail) {
    need(sameShape(x!.type.shape, y!.type.shape), fail, op, `operands have shapes ${shapeStr(x!.type.shape)} and ${shapeStr(y!.type.shape)}`);
    const { dx, dy, scale } = alignShifts(x!, y!, op, fail);
    const rx = scaleI(x!.range, 1n << BigInt(dx));
    const ry0 = scaleI(y!.range, 1n << BigInt(dy));
    const ry = op === "add" ? ry0 : { lo: -ry0.hi, hi: -ry0.lo };
    return { shape: [...x!.type.shape], scale, range: addI(rx, ry), vis: vis([x!, y!]) };
  },
});

const neg: OpDescriptor = {
  op: "neg", kind: "local", arity: [1, 1], attrs: {}, summary: "−x",
  result: "acc", reads: "value", lifted: [0],
  infer([x]) {
    return { shape: [...x!.type.shape], scale: x!.type.scale, range: { lo: -x!.range.hi, hi: -x!.range.lo }, vis: x!.type.vis };
  },
};

export function mulcConstants(a: Attrs): number[] {
  const c = a.c;
  if (typeof c === "number") return [c];
  if (Array.isArray(c) && c.every((v) => typeof v === "number")) return c as number[];
  throw new Error("mulc needs c = INT or c = [INT, ...]");
}

const mulc: OpDescriptor = {
  op: "mulc", kind: "local", arity: [1, 1], attrs: { c: { kind: "int-or-ints", required: true } },
  result: "acc", reads: "value", lifted: [0],
  summary: "multiply by a public integer (per channel along axis 0 with a list)",
  infer([x], a, fail) {
    const cs = mulcConstants(a);
    if (cs.length > 1) need(x!.type.shape[0] === cs.length, fail, "mulc", `${cs.length} constants for ${x!.type.shape[0] ?? 1} channels`);
    let range: Interval | undefined;
    for (const c of cs) range = range ? union(range, scaleI(x!.range, BigInt(c))) : scaleI(x!.range, BigInt(c));
    return { shape: [...x!.type.shape], scale: x!.type.scale, range: range!, vis: x!.type.vis };
  },
};

const shl: OpDescriptor = {
  op: "shl", kind: "local", arity: [1, 1], attrs: { by: { kind: "int", required: true } },
  result: "acc", reads: "value", lifted: [0],
  summary: "x·2^k (same real value: the scale shrinks by 2^k)",
  infer([x], a, fail) {
    const k = intAttr(a, "by");
    valid(k >= 0 && k < 64, fail, "shl", `shift ${k} must be in 0..63`);
    return { shape: [...x!.type.shape], scale: mulScale(x!.type.scale, { kind: "pow2", exp: -k }), range: scaleI(x!.range, 1n << BigInt(k)), vis: x!.type.vis };
  },
};

/**
 * Exact division by an odd public integer q of a value known to be a multiple of q (the
 * Winograd F(4×4,3×3) chain's factor 9). Local on shares: multiplication by q⁻¹ mod 2^N,
 * since x = q·y in Z implies y ≡ x·q⁻¹ (mod 2^N). The plaintext interpreter checks the
 * precondition. The scale grows by q (the same real value); a scale that is then a power of
 * two up to rounding of the decimal arithmetic is taken as that power of two.
 */
const divexact: OpDescriptor = {
  op: "divexact", kind: "local", arity: [1, 1], attrs: { by: { kind: "int", required: true } },
  result: "acc", reads: "value", lifted: [0],
  summary: "x / q for an odd public q that divides every value of x (local: × q⁻¹ mod 2^N)",
  infer([x], a, fail) {
    const q = intAttr(a, "by");
    valid(Number.isSafeInteger(q) && q >= 1 && q % 2 === 1, fail, "divexact", `divisor ${q} must be an odd positive integer`);
    const Q = BigInt(q);
    const range = { lo: -floorDivB(-x!.range.lo, Q), hi: floorDivB(x!.range.hi, Q) };
    const v = scaleValue(x!.type.scale) * q;
    const e = Math.round(Math.log2(v));
    const scale: Scale = Math.abs(v / 2 ** e - 1) < 1e-9 ? { kind: "pow2", exp: e } : { kind: "real", value: v };
    return { shape: [...x!.type.shape], scale, range, vis: x!.type.vis };
  },
};

function floorDivB(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

const sum: OpDescriptor = {
  op: "sum", kind: "local", arity: [1, 1], attrs: { axis: { kind: "int" } },
  result: "acc", reads: "value", lifted: [0],
  summary: "sum of all elements, or along one axis",
  infer([x], a, fail) {
    if (a.axis === undefined) {
      return { shape: [], scale: x!.type.scale, range: scaleI(x!.range, BigInt(numel(x!.type.shape))), vis: x!.type.vis };
    }
    const ax = intAttr(a, "axis");
    valid(ax >= 0 && ax < x!.type.shape.length, fail, "sum", `axis ${ax} out of range for ${shapeStr(x!.type.shape)}`);
    const n = x!.type.shape[ax]!;
    return { shape: x!.type.shape.filter((_, i) => i !== ax), scale: x!.type.scale, range: scaleI(x!.range, BigInt(n)), vis: x!.type.vis };
  },
};

export function matrixAttr(a: Attrs, name: string): number[][] {
  const m = a[name];
  if (Array.isArray(m) && m.every((r) => Array.isArray(r))) return m as number[][];
  throw new Error(`attribute ${name} is not a matrix`);
}

const linmap: OpDescriptor = {
  op: "linmap", kind: "local", arity: [1, 1], attrs: { m: { kind: "matrix", required: true }, axis: { kind: "int", default: 0 } },
  result: "acc", reads: "value", lifted: [0],
  summary: "a public integer matrix applied along one axis (Winograd transforms)",
  infer([x], a, fail) {
    const m = matrixAttr(a, "m");
    const ax = intAttr(a, "axis");
    valid(ax >= 0 && ax < x!.type.shape.length, fail, "linmap", `axis ${ax} out of range for ${shapeStr(x!.type.shape)}`);
    const k = x!.type.shape[ax]!;
    valid(m.length > 0 && m.every((r) => r.length === k), fail, "linmap", `matrix rows must have ${k} entries (the length of axis ${ax})`);
    let range: Interval | undefined;
    for (const row of m) {
      let r: Interval = { lo: 0n, hi: 0n };
      for (const c of row) r = addI(r, scaleI(x!.range, BigInt(c)));
      range = range ? union(range, r) : r;
    }
    const shape = [...x!.type.shape];
    shape[ax] = m.length;
    return { shape, scale: x!.type.scale, range: range!, vis: x!.type.vis };
  },
};

const flatten: OpDescriptor = {
  op: "flatten", kind: "layer", arity: [1, 1], attrs: {}, summary: "reshape to one dimension",
  result: "operand", reads: "value", lifted: [],
  infer([x]) {
    return same(x!, x!.range, { shape: [numel(x!.type.shape)] });
  },
};

const reshape: OpDescriptor = {
  op: "reshape", kind: "layer", arity: [1, 1], attrs: { shape: { kind: "ints", required: true } },
  result: "operand", reads: "value", lifted: [],
  summary: "row-major reshape",
  infer([x], a, fail) {
    const s = a.shape as number[];
    need(numel(s) === numel(x!.type.shape) && s.every((d) => d >= 1), fail, "reshape", `cannot reshape ${shapeStr(x!.type.shape)} to ${shapeStr(s)}`);
    return same(x!, x!.range, { shape: [...s] });
  },
};

const concat: OpDescriptor = {
  op: "concat", kind: "layer", arity: [2, Infinity], attrs: { axis: { kind: "int", default: 0 } },
  result: "widest", reads: "value", lifted: "all",
  summary: "concatenate along an axis",
  infer(xs, a, fail) {
    const ax = intAttr(a, "axis");
    const first = xs[0]!;
    valid(ax >= 0 && ax < first.type.shape.length, fail, "concat", `axis ${ax} out of range for ${shapeStr(first.type.shape)}`);
    let len = 0;
    let range = first.range;
    for (const x of xs) {
      need(x.type.shape.length === first.type.shape.length && x.type.shape.every((d, i) => i === ax || d === first.type.shape[i]),
        fail, "concat", `shapes ${shapeStr(first.type.shape)} and ${shapeStr(x.type.shape)} differ off axis ${ax}`);
      if (x.type.signed !== first.type.signed) fail("PQ2013", { op: "concat", detail: "operands differ in signedness" });
      if (scaleShift(x.type.scale, first.type.scale) !== 0) fail("PQ2014", { op: "concat", detail: "operands have different scales", hint: "requantize them to one scale" });
      len += x.type.shape[ax]!;
      range = union(range, x.range);
    }
    const shape = [...first.type.shape];
    shape[ax] = len;
    return {
      shape, scale: first.type.scale, range, bits: xs.reduce((w, x) => Math.max(w, x.type.bits), 0), signed: first.type.signed,
      vis: vis(xs),
    };
  },
};

const requant: OpDescriptor = {
  op: "requant", kind: "layer", arity: [1, 1],
  result: "fixed", reads: "value", lifted: [],
  // `ring = K` (K ≥ the width of `to`, 0 = that width): the result, saturated to `to`'s range,
  // represented in Z_2^K — the same values with spare bits (the headroom pass sets it).
  attrs: { mult: { kind: "int", required: true }, shift: { kind: "int", required: true }, to: { kind: "elem", required: true }, ring: { kind: "int", default: 0, quietDefault: true } },
  summary: "integer-only requantization: multiply, round, shift, saturate",
  infer([x], a, fail) {
    const mult = intAttr(a, "mult");
    const shift = intAttr(a, "shift");
    const to = elemAttr(a, "to");
    valid(mult >= 1 && mult < 2 ** 16, fail, "requant", `multiplier ${mult} must be in 1..65535`);
    const ring = a.ring === undefined ? 0 : intAttr(a, "ring");
    valid(ring === 0 || (ring >= to.bits && ring <= 64), fail, "requant", `ring = ${ring} must be 0 or between the width of ${to.signed ? "i" : "u"}${to.bits} and 64`);
    const [tlo, thi] = typeRange(to);
    const clampB = (v: bigint) => (v < tlo ? tlo : v > thi ? thi : v);
    const range = { lo: clampB(requantValue(x!.range.lo, mult, shift)), hi: clampB(requantValue(x!.range.hi, mult, shift)) };
    // On shares the protocol works in one ring of at most 64 bits (compiler/requant-plan.ts).
    if (x!.type.vis === "shared") {
      try {
        requantPlan(x!.range, x!.type, mult, shift, to);
      } catch (e) {
        if (!(e instanceof RequantTooWide)) throw e;
        fail("PQ3004", { need: e.W, lo: x!.range.lo, hi: x!.range.hi, factor: shift >= 0 ? `${mult}·2^-${shift}` : `${mult}·2^${-shift}` });
      }
    }
    const s = x!.type.scale;
    const scale: Scale = mult === 1 ? mulScale(s, { kind: "pow2", exp: shift }) : normScale({ kind: "real", value: ((s.kind === "pow2" ? 2 ** s.exp : s.value) * 2 ** shift) / mult });
    return { shape: [...x!.type.shape], scale, range, bits: ring || to.bits, signed: to.signed, vis: x!.type.vis };
  },
};

const argmax: OpDescriptor = {
  op: "argmax", kind: "layer", arity: [1, 1], attrs: {}, summary: "index of the largest element (ties: smallest index)",
  result: "fixed", reads: "value", lifted: [],
  infer([x]) {
    const n = numel(x!.type.shape);
    const bits = Math.max(1, Math.ceil(Math.log2(n)));
    return { shape: [], scale: { kind: "pow2", exp: 0 }, range: { lo: 0n, hi: BigInt(n - 1) }, bits, signed: false, vis: x!.type.vis };
  },
};

const mul: OpDescriptor = {
  op: "mul", kind: "interactive", arity: [2, 2], attrs: {}, summary: "element-wise product (Beaver triple)",
  result: "acc", reads: "value", lifted: [0, 1],
  infer([x, y], _a, fail) {
    need(sameShape(x!.type.shape, y!.type.shape), fail, "mul", `operands have shapes ${shapeStr(x!.type.shape)} and ${shapeStr(y!.type.shape)}`);
    const p = [x!.range.lo * y!.range.lo, x!.range.lo * y!.range.hi, x!.range.hi * y!.range.lo, x!.range.hi * y!.range.hi];
    return { shape: [...x!.type.shape], scale: mulScale(x!.type.scale, y!.type.scale), range: { lo: minB(...p), hi: maxB(...p) }, vis: vis([x!, y!]) };
  },
};

/**
 * The interval of select(drelu(x), x, 0). drelu reads x's N-bit two's complement: a signed x
 * keeps its non-negative part; an unsigned x keeps its values below 2^(N−1) (those at or
 * above read as negative, so drelu is 0 there). 0 joins when some value has drelu 0.
 */
export function dreluSelectRange(t: Pick<TensorType, "bits" | "signed">, r: Interval): Interval {
  const top = t.signed ? r.hi : minB(r.hi, (1n << BigInt(t.bits - 1)) - 1n); // largest value read as ≥ 0
  const low = t.signed ? maxB(r.lo, 0n) : r.lo; // smallest value read as ≥ 0
  const someZero = t.signed ? r.lo < 0n : r.hi > top;
  if (low > top) return { lo: 0n, hi: 0n }; // drelu is 0 everywhere
  return someZero ? union({ lo: low, hi: top }, { lo: 0n, hi: 0n }) : { lo: low, hi: top };
}

/**
 * What node `op` reads of an operand of type `x`. A sign test (msb, drelu) reads the sign of a
 * signed value, and of a `nonneg` one (its MSB is known 0); of any other unsigned value it
 * reads the top bit of the representation, which a change of width changes.
 */
export function readingOf(op: Op, x: Pick<TensorType, "signed" | "nonneg">): Reading {
  const r = DESCRIPTORS[op].reads;
  return r === "sign" && !x.signed && !x.nonneg ? "bits" : r;
}

const bit = (op: "msb" | "drelu"): OpDescriptor => ({
  op, kind: "interactive", arity: [1, 1], attrs: {},
  result: "fixed", reads: "sign", lifted: [],
  summary: op === "msb" ? "most significant bit" : "1 if x ≥ 0 else 0",
  infer([x]) {
    return { shape: [...x!.type.shape], scale: { kind: "pow2", exp: 0 }, range: { lo: 0n, hi: 1n }, bits: 1, signed: false, vis: x!.type.vis };
  },
});

const wrap: OpDescriptor = {
  op: "wrap", kind: "interactive", arity: [2, 2], attrs: {}, summary: "carry out of the N-bit addition x + y",
  result: "fixed", reads: "bits", lifted: [],
  infer([x, y], _a, fail) {
    valid(sameShape(x!.type.shape, y!.type.shape) && x!.type.bits === y!.type.bits, fail, "wrap", "operands must have the same shape and width");
    return { shape: [...x!.type.shape], scale: { kind: "pow2", exp: 0 }, range: { lo: 0n, hi: 1n }, bits: 1, signed: false, vis: vis([x!, y!]) };
  },
};

const b2a: OpDescriptor = {
  op: "b2a", kind: "interactive", arity: [1, 1], attrs: { to: { kind: "elem", required: true } },
  result: "fixed", reads: "bits", lifted: [],
  summary: "a bit as the integer 0 or 1 in a wider ring",
  infer([b], a, fail) {
    valid(b!.type.bits === 1, fail, "b2a", "the operand must be a u1 bit");
    const to = elemAttr(a, "to");
    return { shape: [...b!.type.shape], scale: { kind: "pow2", exp: 0 }, range: { lo: 0n, hi: 1n }, bits: to.bits, signed: to.signed, vis: b!.type.vis };
  },
};

const select: OpDescriptor = {
  op: "select", kind: "interactive", arity: [3, 3], attrs: {}, summary: "b ? x : y",
  result: "widest", reads: "bits", lifted: [1, 2],
  infer([b, x, y], _a, fail) {
    valid(b!.type.bits === 1, fail, "select", "the condition must be a u1 bit");
    need(numel(b!.type.shape) === 1 || sameShape(b!.type.shape, x!.type.shape), fail, "select", "the condition must be a scalar or have the shape of x");
    need(numel(y!.type.shape) === 1 || sameShape(y!.type.shape, x!.type.shape), fail, "select", `x ${shapeStr(x!.type.shape)} and y ${shapeStr(y!.type.shape)} differ`);
    if (!y!.known && scaleShift(x!.type.scale, y!.type.scale) !== 0) fail("PQ2014", { op: "select", detail: "x and y have different scales", hint: "requantize them to one scale" });
    // A literal y takes x's element type (as it takes x's scale); otherwise the wider wins.
    const lit = y!.def?.op === "const" && x!.def?.op !== "const";
    const signed = lit ? x!.type.signed : x!.type.signed || y!.type.signed;
    const bits = lit ? x!.type.bits : Math.max(x!.type.bits, y!.type.bits);
    // select(drelu(x), x, 0): the values of x whose N-bit reading is ≥ 0, and 0 where some is not.
    const zero = y!.known !== undefined && y!.known.size === 1 && y!.known.at(0) === 0n;
    const signSelect = zero && b!.def?.op === "drelu" && b!.def.inputs[0] === x!.id && x!.id !== undefined;
    const range = signSelect ? dreluSelectRange(x!.type, x!.range) : union(x!.range, y!.range);
    return {
      shape: [...x!.type.shape], scale: x!.type.scale, range, bits, signed,
      vis: vis([b!, x!, y!]),
    };
  },
};

const clamp: OpDescriptor = {
  op: "clamp", kind: "interactive", arity: [1, 1], attrs: { lo: { kind: "bigint", required: true }, hi: { kind: "bigint", required: true } },
  result: "operand", reads: "value", lifted: [],
  summary: "min(max(x, lo), hi)",
  infer([x], a, fail) {
    const lo = bigAttr(a, "lo");
    const hi = bigAttr(a, "hi");
    valid(lo <= hi, fail, "clamp", `lo ${lo} exceeds hi ${hi}`);
    const c = (v: bigint) => (v < lo ? lo : v > hi ? hi : v);
    const range = { lo: c(x!.range.lo), hi: c(x!.range.hi) };
    return same(x!, range);
  },
};

const truncOp = (op: "trunc" | "truncreduce"): OpDescriptor => ({
  op, kind: "interactive", arity: [1, 1],
  // truncreduce's `exact = 1`: every value of x is a multiple of 2^s (Winograd's factor), so
  // on shares it is local (trunc.ts); a value that is not is a run-time error (PQ4020).
  attrs: op === "trunc" ? { by: { kind: "int", required: true } } : { by: { kind: "int", required: true }, exact: { kind: "int", default: 0, quietDefault: true } },
  result: op === "trunc" ? "operand" : "shifted", reads: "bits", lifted: [],
  summary: op === "trunc" ? "exact ⌊x / 2^s⌋ in the same ring" : "exact ⌊x / 2^s⌋ in the ring of N − s bits (local when x is declared a multiple of 2^s: exact = 1)",
  infer([x], a, fail) {
    const s = intAttr(a, "by");
    valid(s >= 1 && s < x!.type.bits, fail, op, `shift ${s} must be in 1..${x!.type.bits - 1}`);
    if (op === "truncreduce") valid([0, 1].includes(intAttr(a, "exact")), fail, op, `exact must be 0 or 1, got ${intAttr(a, "exact")}`);
    const range = { lo: floorDiv2(x!.range.lo, s), hi: floorDiv2(x!.range.hi, s) };
    const bits = op === "trunc" ? x!.type.bits : x!.type.bits - s;
    return same(x!, range, { bits, scale: mulScale(x!.type.scale, { kind: "pow2", exp: s }) });
  },
});

const ext = (op: "zext" | "sext"): OpDescriptor => ({
  op, kind: "interactive", arity: [1, 1], attrs: { to: { kind: "elem", required: true } },
  result: "fixed", reads: "bits", lifted: [],
  summary: op === "zext" ? "zero extension to a wider ring" : "sign extension to a wider ring",
  infer([x], a, fail) {
    const to = elemAttr(a, "to");
    const n = x!.type.bits;
    valid(to.bits >= n, fail, op, `target width ${to.bits} is narrower than ${n}`);
    // The value read from x: its own reading, reinterpreted when the signedness differs.
    const half = 1n << BigInt(n - 1);
    const full = 1n << BigInt(n);
    let { lo, hi } = x!.range;
    if (op === "zext" && x!.type.signed && lo < 0n) [lo, hi] = hi < 0n ? [lo + full, hi + full] : [0n, full - 1n];
    if (op === "sext" && !x!.type.signed && hi >= half) [lo, hi] = lo >= half ? [lo - full, hi - full] : [-half, half - 1n];
    return { shape: [...x!.type.shape], scale: x!.type.scale, range: { lo, hi }, bits: to.bits, signed: to.signed, vis: x!.type.vis };
  },
});

const reveal: OpDescriptor = {
  op: "reveal", kind: "interactive", arity: [1, 1], attrs: {}, summary: "open the value to the client",
  result: "operand", reads: "bits", lifted: [],
  infer([x]) {
    return same(x!, x!.range, { vis: "client" });
  },
};

/** Sources are typed by their declarations (lowering), never by this rule. */
const source = (op: "input" | "param" | "const", summary: string, attrs: Record<string, AttrSpec> = {}): OpDescriptor => ({
  op, kind: "source", arity: [0, 0], attrs, summary,
  result: "fixed", reads: "none", lifted: [],
  infer() {
    throw new Error(`${op} nodes are typed by their declaration`);
  },
});

export const DESCRIPTORS: { readonly [K in Op]: OpDescriptor } = {
  // How real values become the input's integers (docs/LANGUAGE.md, Inputs): q = round(r / scale) + zero,
  // and a PNG's 8-bit sample p is first the real (p/255 − mean[c]) / std[c] when mean or std is declared.
  input: source("input", "a client input tensor", {
    zero: { kind: "bigint", default: 0n, quietDefault: true },
    mean: { kind: "reals" },
    std: { kind: "reals" },
  }),
  param: source("param", "a server parameter tensor from the params file"),
  const: source("const", "a public literal"),
  conv2d, linear, batchnorm, relu, sqplus,
  avgpool: pool("avgpool"), gavgpool, maxpool: pool("maxpool"),
  flatten, reshape, concat, requant, argmax,
  winoconv,
  add: addsub("add"), sub: addsub("sub"), neg, mulc, shl, divexact, sum, linmap,
  mul, msb: bit("msb"), drelu: bit("drelu"), wrap, b2a, select, clamp,
  trunc: truncOp("trunc"), truncreduce: truncOp("truncreduce"), zext: ext("zext"), sext: ext("sext"), reveal,
};

// ---------------------------------------------------------------- facts the passes read

/** An accumulator (*acc* in docs/LANGUAGE.md): its width comes from its interval. */
export function accumulates(op: Op): boolean {
  return DESCRIPTORS[op].result === "acc";
}

/** Operand positions of `n` that the two-party backend lifts into n's ring (the descriptor's `lifted`; an absent optional operand is not). */
export function liftedOperands(n: Pick<Node, "op" | "inputs">): number[] {
  const l = DESCRIPTORS[n.op].lifted;
  return l === "all" ? n.inputs.map((_, i) => i) : l.filter((pos) => pos < n.inputs.length);
}

/** Reads only its operand's value and takes its element type: a change of that width passes through (relu, maxpool, …). */
export function passesThrough(op: Op): boolean {
  const d = DESCRIPTORS[op];
  return d.reads === "value" && d.result === "operand";
}

/** Reads only values and its width follows its operands' (passes through, or the widest: concat). */
export function followsWidth(op: Op): boolean {
  const d = DESCRIPTORS[op];
  return d.reads === "value" && (d.result === "operand" || d.result === "widest");
}

/** The attribute `name` of an `op` node, or its default (a constant, or another attribute's value). */
export function attrOrDefault(op: Op, a: Attrs, name: string): AttrValue | undefined {
  const v = a[name];
  if (v !== undefined) return v;
  const spec = DESCRIPTORS[op].attrs[name];
  return spec?.default ?? (spec?.defaultFrom !== undefined ? a[spec.defaultFrom] : undefined);
}

/** Known values from a plain bigint list (literals) or a params tensor. */
export function knownFromBigints(shape: number[], values: readonly bigint[]): Known {
  return { shape, size: values.length, at: (i) => values[i]!, num: (i) => Number(values[i]!) };
}

export function knownFromData(shape: number[], signed: boolean, data: Float64Array | BigInt64Array): Known {
  if (data instanceof Float64Array) return { shape, size: data.length, at: (i) => BigInt(data[i]!), num: (i) => data[i]!, f64: data };
  const read = (i: number) => (signed ? data[i]! : BigInt.asUintN(64, data[i]!));
  return { shape, size: data.length, at: read, num: (i) => Number(read(i)) };
}

export { knownRange };

/** An operand as the type rules see it: its type, interval, known values and defining op. */
export function operand(nodes: readonly Node[], ranges: readonly Interval[], known: readonly (Known | undefined)[], i: number): Operand {
  const n = nodes[i]!;
  const o: Operand = { type: n.type, range: ranges[i]!, id: i, def: { op: n.op, inputs: n.inputs } };
  const k = known[i];
  if (k) o.known = k;
  return o;
}
