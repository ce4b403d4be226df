// Pass `fuse-batchnorm`: fold an integer batch norm into the preceding conv2d/linear
// (PrivQuant, Xu et al. ICCAD 2024, network/protocol co-optimisation: batch norm is merged
// into the convolution so that it costs nothing at inference; EQO/UFO, Zeng et al.,
// likewise runs BN as part of the linear layer). In pq a batch norm on a shared value is
// not free: with server multipliers it is one more server-weighted linear protocol
// (twopc/run.ts `weighted`), and its interval is coarser than the folded layer's.
//
// Rule. y = batchnorm(conv(x, w, b), m, a), conv ∈ {conv2d, linear}, where the conv's only
// user is the batch norm (and the conv is not a model output), w is a `param`, and m, a
// (and b) are known (params or literals) →
//   y' = conv(x, w', b')   with w'[o, …] = w[o, …]·m[o],  b'[o] = b[o]·m[o] + a[o]  (b = 0 if absent)
// Proof (docs/LANGUAGE.md, conv2d and batchnorm rows). For an output channel o and position p,
//   y[o,p] = (Σ_k x_k·w[o,k] + b[o])·m[o] + a[o] = Σ_k x_k·(w[o,k]·m[o]) + (b[o]·m[o] + a[o])
// by distributivity over the integers: the same exact integer, for conv2d (every group's
// output channel o has its own slice w[o, …]) and linear alike. Scales: w' has scale
// s_w·s_m, so the fused accumulator has scale s_x·s_w·s_m = scale(y), and b' is declared at
// it. Interval: per channel the fused interval is m[o]·[lo_o, hi_o] + a[o] (dotRange is exact
// per channel, and scaling the weights by m[o] scales P and N, swapping them when m[o] < 0),
// a subset of the batch norm's, which scaled the union over channels: the result keeps
// the batch norm's declared width (so every type downstream is unchanged) and `placement`
// may narrow it. The new parameters are exact integers of the width their values need.
import { toParamData } from "../params.js";
import type { Node, ParamData } from "../ir.js";
import type { Program } from "../ir.js";
import { mulScale, signedWidthFor, type TensorType } from "../types.js";
import type { Pass, PassResult } from "./pass.js";
import { unchanged } from "./pass.js";
import { rewrite } from "./placement.js";

/** The exact values of a known node (a param's data or a literal), row-major. */
export function knownValues(p: Program, id: number): bigint[] | undefined {
  const n = p.graph.nodes[id]!;
  if (n.op === "const") return (n.attrs.value as bigint[]).slice();
  if (n.op !== "param") return undefined;
  const d = p.graph.params.get(n.attrs.name as string);
  if (!d) return undefined;
  const out: bigint[] = new Array<bigint>(d.data.length);
  if (d.data instanceof Float64Array) for (let i = 0; i < d.data.length; i++) out[i] = BigInt(d.data[i]!);
  else for (let i = 0; i < d.data.length; i++) out[i] = d.signed ? d.data[i]! : BigInt.asUintN(64, d.data[i]!);
  return out;
}

/**
 * The exact values of a known node as doubles when they all are (a param held as doubles is
 * returned as it is: read it, never write it), else undefined.
 */
export function knownNumbers(p: Program, id: number): Float64Array | undefined {
  const n = p.graph.nodes[id]!;
  if (n.op !== "param") return undefined;
  const d = p.graph.params.get(n.attrs.name as string);
  return d && d.data instanceof Float64Array ? d.data : undefined;
}

/** Parameter data for exact integers: doubles while every value is exact (≤ 52 bits), else 64-bit words. */
export function paramData(shape: number[], values: readonly bigint[]): ParamData {
  let lo = 0n;
  let hi = 0n;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const bits = signedWidthFor(lo, hi);
  if (bits > 64) throw new Error("internal: folded parameter beyond 64 bits");
  return toParamData([...shape], bits, true, values);
}

function freshName(p: Program, base: string, taken: Set<string>): string {
  let name = `${base}_bn`;
  for (let i = 2; p.graph.params.has(name) || taken.has(name); i++) name = `${base}_bn${i}`;
  taken.add(name);
  return name;
}

interface Fold {
  conv: Node;
  b: bigint[] | undefined;
  m: bigint[];
  a: bigint[];
}

/** w'[o, …] = w[o, …]·m[o] as parameter data (paramData's): in doubles when every factor and product is below 2^51, so exact and of at most 52 bits. */
function foldedWeights(p: Program, wn: Node, m: readonly bigint[]): ParamData {
  const O = wn.type.shape[0]!;
  const wd = knownNumbers(p, wn.id);
  let mMax = 0;
  for (const v of m) mMax = Math.max(mMax, Math.abs(Number(v)));
  let wMax = 0;
  if (wd) for (let i = 0; i < wd.length; i++) wMax = Math.max(wMax, Math.abs(wd[i]!));
  if (!wd || mMax >= 2 ** 51 || wMax * mMax >= 2 ** 51) {
    const w = knownValues(p, wn.id)!;
    const per = w.length / O;
    return paramData(wn.type.shape, w.map((v, i) => v * m[Math.floor(i / per)]!));
  }
  const per = wd.length / O;
  const data = new Float64Array(wd.length);
  let lo = 0;
  let hi = 0;
  for (let o = 0; o < O; o++) {
    const mo = Number(m[o]!);
    for (let i = o * per; i < (o + 1) * per; i++) {
      // + 0: a zero weight times a negative multiplier is −0 in doubles, 0 as an integer.
      const v = wd[i]! * mo + 0;
      data[i] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return { shape: [...wn.type.shape], bits: signedWidthFor(BigInt(lo), BigInt(hi)), signed: true, data };
}

export function fuseBatchnorms(p: Program): PassResult {
  const g = p.graph;
  const userCount = new Array<number>(g.nodes.length).fill(0);
  for (const n of g.nodes) for (const i of n.inputs) userCount[i]!++;
  for (const o of g.outputs) userCount[o.node]! += 1;
  const folds = new Map<number, Fold>();
  let candidates = 0;
  const why = new Set<string>();
  for (const n of g.nodes) {
    if (n.op !== "batchnorm") continue;
    const conv = g.nodes[n.inputs[0]!]!;
    if (conv.op !== "conv2d" && conv.op !== "linear") continue;
    candidates++;
    if (userCount[conv.id] !== 1) { why.add(`${conv.origin.path} has other users`); continue; }
    if (g.nodes[conv.inputs[1]!]!.op !== "param") { why.add(`${conv.origin.path}'s weights are not a parameter`); continue; }
    // (The weights are read when folded: a param with data is known.)
    const w = p.graph.params.has(g.nodes[conv.inputs[1]!]!.attrs.name as string);
    const b = conv.inputs[2] === undefined ? undefined : knownValues(p, conv.inputs[2]);
    const m = knownValues(p, n.inputs[1]!);
    const a = knownValues(p, n.inputs[2]!);
    if (!w || !m || !a || (conv.inputs[2] !== undefined && !b)) { why.add(`${n.origin.path}'s operands are not known`); continue; }
    folds.set(n.id, { conv, b, m, a });
  }
  if (folds.size === 0) {
    return unchanged(p, candidates === 0 ? "no batchnorm follows a conv2d or linear" : `no batchnorm follows a conv2d/linear with a single user and known parameters (${[...why].join("; ")})`);
  }
  const taken = new Set<string>();
  const program = rewrite(p, (n, r) => {
    const f = folds.get(n.id);
    if (!f) return undefined;
    const { conv } = f;
    const wn = g.nodes[conv.inputs[1]!]!;
    const O = wn.type.shape[0]!;
    const b2 = f.m.map((mo, o) => (f.b ? f.b[o]! : 0n) * mo + f.a[o]!);
    const wName = freshName(p, wn.attrs.name as string, taken);
    const wData = foldedWeights(p, wn, f.m);
    const mType = g.nodes[n.inputs[1]!]!.type;
    const wType: TensorType = { bits: wData.bits, signed: true, shape: [...wn.type.shape], vis: "server", scale: mulScale(wn.type.scale, mType.scale), nonneg: false };
    const wId = r.b.param(wName, wData, wType, wn.origin);
    const bName = freshName(p, conv.inputs[2] !== undefined ? (g.nodes[conv.inputs[2]]!.attrs.name as string | undefined) ?? `${wn.attrs.name as string}_b` : `${wn.attrs.name as string}_b`, taken);
    const bData = paramData([O], b2);
    const bType: TensorType = { bits: bData.bits, signed: true, shape: [O], vis: "server", scale: n.type.scale, nonneg: false };
    const bId = r.b.param(bName, bData, bType, n.origin);
    // The fused layer takes the batch norm's place, type and origin (its width: the batch norm's).
    return r.b.add(conv.op, [r.map(conv.inputs[0]!), wId, bId], conv.attrs, conv.origin,
      { bits: n.type.bits, signed: n.type.signed, scale: n.type.scale, nonneg: false });
  });
  const paths = [...folds.values()].map((f) => f.conv.origin.path);
  const skipped = candidates - folds.size;
  return {
    program,
    note: `folded ${folds.size} batch norm${folds.size === 1 ? "" : "s"} into the preceding ${[...new Set([...folds.values()].map((f) => f.conv.op))].join("/")} (${paths.length <= 4 ? paths.join(", ") : `${paths.slice(0, 3).join(", ")}, …`})`
      + (skipped > 0 ? `; ${skipped} not folded: ${[...why].join("; ")}` : ""),
    applied: true,
  };
}

export const fuseBatchnorm: Pass = {
  name: "fuse-batchnorm",
  summary: "fold batchnorm(conv(x, w, b), m, a) into conv(x, w·m, b·m + a): exact integer identity",
  run: fuseBatchnorms,
};
