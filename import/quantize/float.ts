// Post-training quantization of a float ONNX graph (`pq quantize`, `pq import --calibrate`):
// the float graph is run (float64) on the calibration inputs to find each activation's range,
// then rewritten into QDQ form — the input quantized, weights symmetric W-bit per output
// channel (per tensor for a layer whose accumulator is a model output, so that output has
// one scale), biases i32 at the accumulator's scale, and a QuantizeLinear/DequantizeLinear
// pair after every activation that feeds another layer — and that QDQ graph is imported by
// the same mapper as a quantized ONNX file (import/onnx/map.ts). One path for both.
import { diag, PqError } from "../../grammar/diagnostics.js";
import { intAttr, intsAttr, numelOf, type ElemType, type OnnxGraph, type OnnxNode, type OnnxTensor } from "../onnx/graph.js";
import { checkSupported } from "../onnx/map.js";
import { percentile, quantizeBias, quantizeWeights } from "./weights.js";

export interface QuantizeOptions {
  weights: number;
  activations: number;
  /** Calibrated range of an activation: its largest magnitude (default), or this percentile of its magnitudes. */
  percentile?: number;
}

/** A float tensor without the batch axis. */
interface F {
  shape: number[];
  data: Float64Array;
}

const WEIGHTED = new Set(["Conv", "Gemm", "MatMul"]);
const FLOAT_OPS = new Set(["Conv", "Gemm", "MatMul", "Add", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Identity"]);

/** The float graph's ops are the quantized mapper's float ops; anything else is listed at once. */
function checkFloat(g: OnnxGraph): void {
  checkSupported(g);
  const q = g.nodes.find((n) => !FLOAT_OPS.has(n.op));
  if (q !== undefined) throw new PqError(diag("PQ6008", { path: g.path, kind: "quantized", detail: `node '${q.name}' (${q.op}) is quantized already; import it without --calibrate` }));
}

function constOf(g: OnnxGraph, n: OnnxNode, i: number, what: string): OnnxTensor {
  const name = n.inputs[i] ?? "";
  const t = g.init.get(name);
  if (t === undefined) throw new PqError(diag("PQ6006", { path: g.path, node: n.name, op: n.op, what, name }));
  return t;
}

function fail(g: OnnxGraph, n: OnnxNode, detail: string): never {
  throw new PqError(diag("PQ6007", { path: g.path, node: n.name, op: n.op, detail }));
}

/** Weights as [O, ...] (output channel first) for Conv, Gemm and MatMul. */
function weightsOut(g: OnnxGraph, n: OnnxNode): { dims: number[]; data: Float64Array } {
  const w = constOf(g, n, 1, "weight");
  if (n.op === "Conv" || (n.op === "Gemm" && intAttr(n, "transB", 0) === 1)) return { dims: w.dims, data: w.data };
  if (w.dims.length !== 2) fail(g, n, `weights of shape [${w.dims.join(", ")}]`);
  const [k, o] = w.dims as [number, number];
  const data = new Float64Array(k * o);
  for (let i = 0; i < k; i++) for (let j = 0; j < o; j++) data[j * k + i] = w.data[i * o + j]!;
  return { dims: [o, k], data };
}

function conv(g: OnnxGraph, n: OnnxNode, x: F): F {
  const w = constOf(g, n, 1, "weight");
  const b = n.inputs[2] ? constOf(g, n, 2, "bias") : undefined;
  const [c, h, wd] = x.shape as [number, number, number];
  const [o, ci, kh, kw] = w.dims as [number, number, number, number];
  const [sy, sx] = intsAttr(n, "strides") ?? [1, 1];
  const [pt, pl] = intsAttr(n, "pads") ?? [0, 0, 0, 0];
  const [, , pb, pr] = intsAttr(n, "pads") ?? [0, 0, 0, 0];
  const groups = intAttr(n, "group", 1);
  if (x.shape.length !== 3 || ci * groups !== c) fail(g, n, `weights [${w.dims.join(", ")}] do not fit the input [1, ${x.shape.join(", ")}]`);
  const oh = Math.floor((h + pt! + pb! - kh) / sy!) + 1;
  const ow = Math.floor((wd + pl! + pr! - kw) / sx!) + 1;
  const y = new Float64Array(o * oh * ow);
  const perGroup = o / groups;
  for (let oc = 0; oc < o; oc++) {
    const g0 = Math.floor(oc / perGroup) * ci;
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        let acc = b ? b.data[oc]! : 0;
        for (let i = 0; i < ci; i++) {
          for (let u = 0; u < kh; u++) {
            const yy = r * sy! + u - pt!;
            if (yy < 0 || yy >= h) continue;
            for (let v = 0; v < kw; v++) {
              const xx = q * sx! + v - pl!;
              if (xx < 0 || xx >= wd) continue;
              acc += x.data[((g0 + i) * h + yy) * wd + xx]! * w.data[((oc * ci + i) * kh + u) * kw + v]!;
            }
          }
        }
        y[(oc * oh + r) * ow + q] = acc;
      }
    }
  }
  return { shape: [o, oh, ow], data: y };
}

function pool(n: OnnxNode, x: F): F {
  const [k] = intsAttr(n, "kernel_shape") ?? [1];
  const [s] = intsAttr(n, "strides") ?? [k!];
  const [c, h, w] = x.shape as [number, number, number];
  const oh = Math.floor((h - k!) / s!) + 1;
  const ow = Math.floor((w - k!) / s!) + 1;
  const y = new Float64Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        let acc = n.op === "MaxPool" ? -Infinity : 0;
        for (let u = 0; u < k!; u++) {
          for (let v = 0; v < k!; v++) {
            const val = x.data[(ch * h + r * s! + u) * w + q * s! + v]!;
            acc = n.op === "MaxPool" ? Math.max(acc, val) : acc + val;
          }
        }
        y[(ch * oh + r) * ow + q] = n.op === "MaxPool" ? acc : acc / (k! * k!);
      }
    }
  }
  return { shape: [c, oh, ow], data: y };
}

/** Runs the float graph on one input; returns every tensor (without the batch axis). */
export function evalFloat(g: OnnxGraph, input: Float64Array): Map<string, F> {
  const env = new Map<string, F>([[g.input.name, { shape: g.input.shape.slice(1), data: input }]]);
  const get = (n: OnnxNode, i: number): F => {
    const name = n.inputs[i] ?? "";
    const v = env.get(name);
    if (v !== undefined) return v;
    const t = g.init.get(name);
    if (t !== undefined) return { shape: t.dims, data: t.data };
    return fail(g, n, `operand '${name}' is missing`);
  };
  for (const n of g.nodes) {
    const x = get(n, 0);
    let y: F;
    switch (n.op) {
      case "Conv": y = conv(g, n, x); break;
      case "Gemm": case "MatMul": {
        const w = weightsOut(g, n);
        const b = n.op === "Gemm" && n.inputs[2] ? constOf(g, n, 2, "bias") : undefined;
        const [o, k] = w.dims as [number, number];
        if (numelOf(x.shape) !== k) fail(g, n, `multiplies ${numelOf(x.shape)} values by a [${k}, ${o}] matrix`);
        const data = new Float64Array(o);
        for (let j = 0; j < o; j++) {
          let acc = b ? b.data[b.data.length === 1 ? 0 : j]! : 0;
          for (let i = 0; i < k; i++) acc += x.data[i]! * w.data[j * k + i]!;
          data[j] = acc;
        }
        y = { shape: [o], data };
        break;
      }
      case "Add": {
        const z = get(n, 1);
        const [big, small] = numelOf(x.shape) >= numelOf(z.shape) ? [x, z] : [z, x];
        const per = numelOf(big.shape) / numelOf(small.shape);
        if (!Number.isInteger(per)) fail(g, n, `adds shapes [${x.shape.join(", ")}] and [${z.shape.join(", ")}]`);
        y = { shape: big.shape, data: Float64Array.from(big.data, (v, i) => v + small.data[Math.floor(i / per)]!) };
        break;
      }
      case "Relu": y = { shape: x.shape, data: x.data.map((v) => Math.max(v, 0)) }; break;
      case "MaxPool": case "AveragePool": y = pool(n, x); break;
      case "GlobalAveragePool": {
        const [c, h, w] = x.shape as [number, number, number];
        const data = new Float64Array(c);
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let i = 0; i < h * w; i++) s += x.data[ch * h * w + i]!;
          data[ch] = s / (h * w);
        }
        y = { shape: [c, 1, 1], data };
        break;
      }
      case "Flatten": y = { shape: [numelOf(x.shape)], data: x.data }; break;
      case "Reshape": {
        const t = Array.from(constOf(g, n, 1, "shape").data).slice(1);
        const known = t.filter((d) => d > 0).reduce((a, b) => a * b, 1);
        y = { shape: t.map((d, i) => (d === -1 ? numelOf(x.shape) / known : d === 0 ? x.shape[i]! : d)), data: x.data };
        break;
      }
      default: y = x; // Identity
    }
    env.set(n.outputs[0] ?? "", y);
  }
  return env;
}

/** The bias in i32 at the accumulator's scale, or PQ6007 at the node when it does not fit. */
function biasOrFail(g: OnnxGraph, n: OnnxNode, b: ArrayLike<number>, accScales: number[]): Int32Array {
  try {
    return quantizeBias(b, accScales, n.name);
  } catch (e) {
    return fail(g, n, `${(e as Error).message}; calibrate on inputs that use more of the input's range, or use wider weights`);
  }
}

/** Consumers of each tensor. */
function consumers(g: OnnxGraph): Map<string, OnnxNode[]> {
  const m = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) for (const i of n.inputs) m.set(i, [...(m.get(i) ?? []), n]);
  return m;
}

const isBiasAdd = (g: OnnxGraph, n: OnnxNode) => n.op === "Add" && n.inputs.some((i) => g.init.has(i));

/**
 * The activations quantized: every Relu output, every weighted layer's (or its bias Add's, or
 * a residual Add's) output not followed by a Relu — unless it is a model output, which stays
 * the exact accumulator.
 */
function quantPoints(g: OnnxGraph): Set<string> {
  const uses = consumers(g);
  const outs = new Set(g.outputs);
  // An output's value passed on by Identity, Flatten or Reshape is the output too.
  for (const n of [...g.nodes].reverse()) if (["Identity", "Flatten", "Reshape"].includes(n.op) && outs.has(n.outputs[0] ?? "")) outs.add(n.inputs[0] ?? "");
  const points = new Set<string>();
  for (const n of g.nodes) {
    const t = n.outputs[0] ?? "";
    if (outs.has(t)) continue;
    const next = uses.get(t) ?? [];
    const feedsRelu = next.some((m) => m.op === "Relu");
    const feedsBias = next.some((m) => isBiasAdd(g, m));
    if (n.op === "Relu" || ((WEIGHTED.has(n.op) || (n.op === "Add" && !isBiasAdd(g, n))) && !feedsRelu && !feedsBias) || (isBiasAdd(g, n) && !feedsRelu)) points.add(t);
  }
  return points;
}

/** Weighted layers whose accumulator reaches a model output without a quantization point (per-tensor weights). */
function outputLayers(g: OnnxGraph, points: Set<string>): Set<string> {
  const uses = consumers(g);
  const outs = new Set(g.outputs);
  const result = new Set<string>();
  for (const n of g.nodes) {
    if (!WEIGHTED.has(n.op)) continue;
    const stack = [n.outputs[0] ?? ""];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (points.has(t)) continue;
      if (outs.has(t)) result.add(n.name);
      for (const m of uses.get(t) ?? []) if (!WEIGHTED.has(m.op)) stack.push(m.outputs[0] ?? "");
    }
  }
  return result;
}

export interface Calibration {
  /** Calibration inputs (the float model's input, without the batch axis). */
  inputs: Float64Array[];
  /** The input's quantization: PNG pixels are bytes at scale 1/255. */
  inputScale?: number;
}

/** Calibrates `g` and rewrites it in QDQ form with W-bit weights and A-bit activations. */
export function quantizeFloat(g: OnnxGraph, cal: Calibration, opts: QuantizeOptions): OnnxGraph {
  checkFloat(g);
  const points = quantPoints(g);
  const perTensor = outputLayers(g, points);
  // Ranges: largest magnitude (and sign) of each quantized activation over all inputs.
  const maxAbs = new Map<string, number>();
  const negative = new Set<string>();
  const samples = new Map<string, number[]>();
  for (const x of cal.inputs) {
    const env = evalFloat(g, x);
    for (const t of [g.input.name, ...points]) {
      const v = env.get(t)!.data;
      let m = maxAbs.get(t) ?? 0;
      for (const e of v) {
        if (e < 0) negative.add(t);
        if (Math.abs(e) > m) m = Math.abs(e);
      }
      maxAbs.set(t, m);
      if (opts.percentile !== undefined) {
        const list = samples.get(t) ?? [];
        for (const e of v) list.push(Math.abs(e));
        samples.set(t, list);
      }
    }
  }
  const A = opts.activations;
  const elemOf = (signed: boolean): ElemType => (A <= 4 ? (signed ? "int4" : "uint4") : A <= 8 ? (signed ? "int8" : "uint8") : signed ? "int16" : "uint16");
  const init = new Map(g.init);
  const nodes: OnnxNode[] = [];
  const rename = new Map<string, string>();
  const scaleOf = new Map<string, number>();
  const accOf = new Map<string, number[]>();
  const shapes = evalFloat(g, cal.inputs[0]!);
  // Internal tensors are named with `__` (no clash with the model's); nodes, whose names become
  // the .pq program's, with `_`.
  const add = (op: string, inputs: string[], output: string, attrs: Map<string, number> = new Map()) =>
    nodes.push({ name: output.replace("__", "_"), op, domain: "", inputs, outputs: [output], attrs });
  const constant = (name: string, elem: ElemType, dims: number[], data: ArrayLike<number>) => {
    init.set(name, { name, elem, dims, data: Float64Array.from(data) });
    return name;
  };
  const quantizeAt = (t: string) => {
    const signed = negative.has(t);
    const qmax = signed ? 2 ** (A - 1) - 1 : 2 ** A - 1;
    let range = maxAbs.get(t) ?? 0;
    if (opts.percentile !== undefined) range = percentile(Float64Array.from(samples.get(t) ?? [0]).sort(), opts.percentile);
    const s = t === g.input.name && cal.inputScale !== undefined ? cal.inputScale : range > 0 ? range / qmax : 1;
    const elem = t === g.input.name && cal.inputScale !== undefined ? "uint8" : elemOf(signed);
    const sName = constant(`${t}__scale`, "float", [], [s]);
    const zName = constant(`${t}__zp`, elem, [], [0]);
    add("QuantizeLinear", [t, sName, zName], `${t}__q`);
    add("DequantizeLinear", [`${t}__q`, sName, zName], `${t}__dq`);
    rename.set(t, `${t}__dq`);
    scaleOf.set(`${t}__dq`, s);
  };
  quantizeAt(g.input.name);
  for (const n0 of g.nodes) {
    const n: OnnxNode = { ...n0, inputs: n0.inputs.map((i) => rename.get(i) ?? i) };
    const x = n.inputs[0] ?? "";
    if (WEIGHTED.has(n.op)) {
      const sx = scaleOf.get(x);
      if (sx === undefined) fail(g, n, "its input is no quantized activation (pq quantizes after every layer's ReLU or output)");
      const w = weightsOut(g, n);
      const o = w.dims[0]!;
      const q = quantizeWeights(w.data, o, opts.weights, !perTensor.has(n.name));
      const wName = constant(`${n.name}__w`, opts.weights <= 8 ? "int8" : "int16", w.dims, q.data);
      const wsName = constant(`${n.name}__ws`, "float", q.scales.length > 1 ? [o] : [], q.scales);
      add("DequantizeLinear", [wName, wsName], `${n.name}__wdq`, new Map([["axis", 0]]));
      const accScales = q.scales.map((s) => sx * s);
      accOf.set(n.outputs[0] ?? "", accScales);
      let bias: string | undefined;
      const bSource = n.op === "MatMul" ? undefined : n.inputs[2] ? constOf(g, n, 2, "bias") : undefined;
      if (bSource !== undefined) {
        const bq = biasOrFail(g, n, bSource.data, accScales);
        const bName = constant(`${n.name}__b`, "int32", [o], bq);
        const bsName = constant(`${n.name}__bs`, "float", accScales.length > 1 ? [o] : [], accScales);
        add("DequantizeLinear", [bName, bsName], `${n.name}__bdq`, new Map([["axis", 0]]));
        bias = `${n.name}__bdq`;
      }
      // In pq's layout the weights are [O, K]: Gemm with transB = 1 (MatMul's columns transposed).
      const attrs = n.op === "Conv" ? n.attrs : new Map<string, number>([["transB", 1]]);
      nodes.push({ ...n, op: n.op === "Conv" ? "Conv" : "Gemm", inputs: [x, `${n.name}__wdq`, ...(bias ? [bias] : [])], attrs });
    } else if (isBiasAdd(g, n0)) {
      // A bias after MatMul, at the accumulator's scale (the mapper folds it into the product).
      const ci = n0.inputs.findIndex((i) => g.init.has(i));
      const c = g.init.get(n0.inputs[ci]!)!;
      const accScales = accOf.get(n.inputs[1 - ci] ?? "");
      if (accScales === undefined) fail(g, n, "adds a constant to something other than a layer's output");
      const cName = constant(`${n.name}__c`, "int32", c.dims, biasOrFail(g, n, c.data, accScales));
      const csName = constant(`${n.name}__cs`, "float", accScales.length > 1 ? [accScales.length] : [], accScales);
      add("DequantizeLinear", [cName, csName], `${n.name}__cdq`, new Map([["axis", 0]]));
      nodes.push({ ...n, inputs: n.inputs.map((i, k) => (k === ci ? `${n.name}__cdq` : i)) });
    } else {
      nodes.push(n);
      const s = scaleOf.get(x);
      if (s !== undefined && (n.op === "MaxPool" || n.op === "Flatten" || n.op === "Reshape" || n.op === "Identity" || n.op === "Relu")) scaleOf.set(n.outputs[0] ?? "", s);
      if (s !== undefined && n.op === "AveragePool") scaleOf.set(n.outputs[0] ?? "", s / (intsAttr(n, "kernel_shape") ?? [1])[0]! ** 2);
      if (s !== undefined && n.op === "GlobalAveragePool") scaleOf.set(n.outputs[0] ?? "", s / numelOf(shapes.get(n0.inputs[0] ?? "")!.shape.slice(1)));
    }
    const out = n0.outputs[0] ?? "";
    if (points.has(out)) quantizeAt(out);
  }
  return { ...g, init, nodes };
}
