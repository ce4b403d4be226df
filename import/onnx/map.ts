// A quantized ONNX graph (QDQ or QOperator form, or a mix) mapped onto pq's ops.
//
// Every ONNX tensor that pq computes is held as a pq integer value v with a scale s (its real
// value v·s); a quantized ONNX tensor q with zero point z is held as v = q − z, so no pq op
// sees a zero point: zero points are shifted out of the inputs (an `add` of −z), out of the
// weights (w − z_w) and into the requantization's saturation bounds (a `clamp`). A float ONNX
// tensor computed from dequantized operands (Conv, Gemm, MatMul, Add, Relu, pools, Flatten,
// Reshape on DequantizeLinear outputs) is exact in integers — pq's conv2d/linear/avgpool are
// integer, the scales multiply — and the next QuantizeLinear is pq's requantization (`as`, a
// 16-bit multiplier and a shift, compiler/ops.ts `requantConstants`; per-channel weight scales
// become a per-channel `mulc` and a power-of-two requantization). docs/ONNX.md states where
// pq's rounding differs from ONNX's.
import { diag, PqError } from "../../grammar/diagnostics.js";
import { scaleShift } from "../../compiler/types.js";
import { elemFor, Names, type Elem, type IntTensor, type Plan, type Step } from "../plan.js";
import { intAttr, intsAttr, numelOf, type ElemType, type OnnxGraph, type OnnxNode, type OnnxTensor } from "./graph.js";

/** The ops (and com.microsoft's QLinearAdd) pq maps; docs/ONNX.md has the table. */
export const SUPPORTED_OPS: Record<string, readonly string[]> = {
  "": ["QuantizeLinear", "DequantizeLinear", "Conv", "MatMul", "Gemm", "Add", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool",
    "Flatten", "Reshape", "Identity", "QLinearConv", "QLinearMatMul"],
  "com.microsoft": ["QLinearAdd"],
};

function isSupported(n: OnnxNode): boolean {
  const domain = n.domain === "ai.onnx" ? "" : n.domain;
  return (SUPPORTED_OPS[domain] ?? []).includes(n.op);
}

/** Every node pq cannot import, listed at once (PQ6003); nothing is written then. */
export function checkSupported(g: OnnxGraph): void {
  const bad = g.nodes.filter((n) => !isSupported(n));
  if (bad.length > 0) {
    const list = bad.map((n) => `'${n.name}' (${n.domain !== "" ? `${n.domain}.` : ""}${n.op})`).join(", ");
    throw new PqError(diag("PQ6003", { path: g.path, count: bad.length, list }));
  }
}

const Q_RANGE: Partial<Record<ElemType, [number, number]>> = {
  uint4: [0, 15], int4: [-8, 7], uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
};

/** Per-channel weights awaiting their nominal scale (set at the requantization that follows). */
interface PerChannel {
  sx: number;
  w: IntTensor;
  b?: IntTensor;
}

interface Value {
  pq: string;
  /** pq's scale of v (for a per-channel accumulator: nominal until requantized). */
  scale: number;
  /** Real scale per output channel of an accumulator of per-channel weights. */
  chScale?: number[];
  pc?: PerChannel;
  /** ONNX shape without the batch axis, and pq's shape (they differ after GlobalAveragePool). */
  shape: number[];
  pqShape: number[];
  /** Interval of v (±Infinity where pq's range analysis, not the importer, knows it). */
  lo: number;
  hi: number;
  /** Set when the ONNX tensor is quantized: q = v + zp, of this element type. */
  q?: { zp: number; elem: ElemType };
  /** The weighted step that produced it, while it has no bias (for an Add of a bias). */
  biasless?: Extract<Step, { op: "conv2d" | "linear" }>;
}

/** A dequantized constant: integer values (zero point subtracted) and their scale(s). */
interface DqConst {
  dims: number[];
  ints: number[];
  scales: number[];
  axis: number;
}

export interface MapOptions {
  model: string;
  comment: string;
  argmax: boolean;
}

export function mapQuantized(g: OnnxGraph, opts: MapOptions): Plan {
  return new Mapper(g, opts).run();
}

class Mapper {
  private readonly values = new Map<string, Value>();
  private readonly dq = new Map<string, DqConst>();
  private readonly runtimeConst = new Set<string>();
  private readonly names = new Names();
  private readonly plan: Plan;
  private readonly argmax: boolean;
  /** The node being mapped, for diagnostics. */
  private node!: OnnxNode;

  constructor(private readonly g: OnnxGraph, opts: MapOptions) {
    this.plan = {
      model: this.names.fresh(opts.model), comment: opts.comment,
      input: { name: "", shape: [], elem: { bits: 8, signed: false }, scale: 1 },
      params: new Map(), scales: new Map(), steps: [], outputs: [],
    };
    this.argmax = opts.argmax;
  }

  private fail(detail: string): never {
    throw new PqError(diag("PQ6007", { path: this.g.path, node: this.node.name, op: this.node.op, detail }));
  }

  run(): Plan {
    checkSupported(this.g);
    for (const n of this.g.nodes) {
      this.node = n;
      this.visit(n);
    }
    if (this.plan.input.name === "") {
      throw new PqError(diag("PQ6008", { path: this.g.path, kind: "float", detail: `no QuantizeLinear reads its input '${this.g.input.name}'; quantize it with --calibrate DIR` }));
    }
    for (const o of this.g.outputs) {
      this.node = { name: "(graph output)", op: o, domain: "", inputs: [], outputs: [], attrs: new Map() };
      const v = this.values.get(o) ?? this.fail(`the graph output '${o}' is not a tensor pq computes (a constant?)`);
      if (v.chScale) this.fail("the output is an accumulator of per-channel weights; quantize it (QuantizeLinear) first");
      this.plan.outputs.push(this.argmax ? this.emit({ op: "argmax", out: "", x: v.pq }, `${v.pq}_class`) : v.pq);
    }
    return this.plan;
  }

  // ------------------------------------------------------------------ operands

  private init(name: string | undefined, what: string): OnnxTensor {
    const t = name === undefined || name === "" ? undefined : this.g.init.get(name);
    if (t === undefined) {
      if (name === undefined || name === "") this.fail(`the ${what} is missing`);
      throw new PqError(diag("PQ6006", { path: this.g.path, node: this.node.name, op: this.node.op, what, name }));
    }
    return t;
  }

  private optInit(name: string | undefined, what: string): OnnxTensor | undefined {
    return name === undefined || name === "" ? undefined : this.init(name, what);
  }

  private value(name: string | undefined): Value {
    const v = name === undefined ? undefined : this.values.get(name);
    if (v !== undefined) return v;
    if (name !== undefined && this.runtimeConst.has(name)) {
      throw new PqError(diag("PQ6006", { path: this.g.path, node: this.node.name, op: this.node.op, what: "operand", name }));
    }
    if (name !== undefined && (this.g.init.has(name) || this.dq.has(name))) this.fail(`operand '${name}' is a constant where pq needs a computed tensor`);
    if (name === this.g.input.name) this.fail(`reads the float model input '${name}' directly; pq needs it quantized by a QuantizeLinear first`);
    return this.fail(`operand '${name ?? ""}' is missing`);
  }

  private scalar(t: OnnxTensor, what: string): number {
    if (t.data.length !== 1) this.fail(`the ${what} must be one number (per-tensor), it has ${t.data.length}`);
    return t.data[0]!;
  }

  /** Scale and zero point of a quantization (QuantizeLinear, QLinear* operands). */
  private quantParams(scale: string | undefined, zp: string | undefined): { s: number; zp: number; elem: ElemType } {
    const s = this.scalar(this.init(scale, "scale"), "scale");
    const z = this.optInit(zp, "zero point");
    const elem = z?.elem ?? "uint8";
    if (Q_RANGE[elem] === undefined) this.fail(`quantizes to ${elem}; pq maps uint8, int8, uint16 and int16`);
    if (!(s > 0) || !Number.isFinite(s)) this.fail(`scale ${s} must be a positive number`);
    return { s, zp: z === undefined ? 0 : this.scalar(z, "zero point"), elem };
  }

  /** A constant tensor dequantized (weights, biases): integer values with one scale per slice of `axis`. */
  private dqConst(t: OnnxTensor, scale: OnnxTensor, zp: OnnxTensor | undefined, axis: number): DqConst {
    const per = scale.data.length;
    const ax = axis < 0 ? axis + t.dims.length : axis;
    if (per !== 1 && t.dims[ax] !== per) this.fail(`${per} scales for axis ${axis} of a tensor of shape [${t.dims.join(", ")}]`);
    if (zp !== undefined && zp.data.length !== per) this.fail(`${zp.data.length} zero points for ${per} scales`);
    if (t.elem === "float" || t.elem === "double") this.fail(`dequantizes the float tensor '${t.name}'`);
    const inner = per === 1 ? t.data.length : numelOf(t.dims.slice(ax + 1));
    const ints = Array.from(t.data, (v, i) => v - (zp === undefined ? 0 : zp.data[per === 1 ? 0 : Math.floor(i / inner) % per]!));
    return { dims: t.dims, ints, scales: Array.from(scale.data), axis: ax };
  }

  /** A weight or bias operand: DequantizeLinear of an initializer, or (QOperator) an initializer with its scale. */
  private weight(name: string | undefined, what: string): DqConst {
    const d = name === undefined ? undefined : this.dq.get(name);
    if (d !== undefined) return d;
    const t = this.g.init.get(name ?? "");
    if (t !== undefined && (t.elem === "float" || t.elem === "double")) {
      this.fail(`the ${what} '${name}' is a float tensor in a quantized model: quantize it (a DequantizeLinear of integers), or import the float model with --calibrate`);
    }
    if (t !== undefined) this.fail(`the ${what} '${name}' is an integer tensor without a DequantizeLinear`);
    throw new PqError(diag("PQ6006", { path: this.g.path, node: this.node.name, op: this.node.op, what, name: name ?? "" }));
  }

  // ------------------------------------------------------------------ emission

  private emit(step: Step, hint: string): string {
    const out = this.names.fresh(hint);
    this.plan.steps.push({ ...step, out } as Step);
    return out;
  }

  private param(hint: string, tensor: IntTensor, elem: Elem): string {
    const name = this.names.fresh(hint);
    this.plan.params.set(name, { tensor, elem });
    return name;
  }

  private scaleName(value: number): string {
    for (const [k, v] of this.plan.scales) if (v === value) return k;
    const name = this.names.fresh(`s${this.plan.scales.size + 1}`);
    this.plan.scales.set(name, value);
    return name;
  }

  private set(out: string | undefined, v: Value): void {
    if (out !== undefined && out !== "") this.values.set(out, v);
  }

  // ------------------------------------------------------------------ nodes

  private visit(n: OnnxNode): void {
    if (n.op !== "QuantizeLinear" && n.op !== "DequantizeLinear" && n.inputs.every((i) => i === "" || this.g.init.has(i))) {
      // Computed from constants at run time: pq needs such a tensor as an initializer (PQ6006 where it is read).
      for (const o of n.outputs) this.runtimeConst.add(o);
      return;
    }
    const [a, b] = n.inputs;
    const out = n.outputs[0];
    const hint = n.name;
    switch (n.op) {
      case "Identity":
        if (this.dq.has(a ?? "")) this.dq.set(out ?? "", this.dq.get(a ?? "")!);
        else this.set(out, this.value(a));
        return;
      case "QuantizeLinear": {
        if (intAttr(n, "axis", 1) !== 1 && this.init(n.inputs[1], "scale").data.length > 1) this.fail("per-axis quantization of a computed tensor");
        const qp = this.quantParams(n.inputs[1], n.inputs[2]);
        if (a === this.g.input.name) return this.set(out, this.input(qp, hint));
        const c = this.g.init.get(a ?? "");
        if (c !== undefined) {
          // A float constant quantized in the graph: its integers, as onnxruntime rounds them.
          const [lo, hi] = Q_RANGE[qp.elem]!;
          const data = Float64Array.from(c.data, (x) => Math.min(hi, Math.max(lo, roundHalfEven(x / qp.s) + qp.zp)));
          this.g.init.set(out ?? "", { name: out ?? "", dims: c.dims, elem: qp.elem, data });
          return;
        }
        return this.set(out, this.requant(this.value(a), qp, hint));
      }
      case "DequantizeLinear": {
        const c = this.g.init.get(a ?? "");
        if (c !== undefined) {
          this.dq.set(out ?? "", this.dqConst(c, this.init(n.inputs[1], "scale"), this.optInit(n.inputs[2], "zero point"), intAttr(n, "axis", 1)));
          return;
        }
        const v = this.value(a);
        const qp = this.quantParams(n.inputs[1], n.inputs[2]);
        if (v.q === undefined) this.fail(`dequantizes '${a}', which is not a quantized tensor`);
        if (v.q.zp !== qp.zp || !sameScale(v.scale, qp.s)) {
          this.fail(`dequantizes '${a}' with scale ${qp.s} and zero point ${qp.zp}, but it was quantized with ${v.scale} and ${v.q.zp}`);
        }
        const { q: _q, ...real } = v;
        return this.set(out, real);
      }
      case "Conv": return this.set(out, this.conv(n, this.real(a), this.weight(b, "weight"), n.inputs[2] ? this.weight(n.inputs[2], "bias") : undefined, hint));
      case "QLinearConv": {
        const x = this.quantIn(n, 0);
        const w = this.dqConst(this.init(n.inputs[3], "weight"), this.init(n.inputs[4], "weight scale"), this.optInit(n.inputs[5], "weight zero point"), 0);
        const bias = n.inputs[8] ? this.intBias(this.init(n.inputs[8], "bias"), x.scale, w.scales) : undefined;
        const acc = this.conv(n, x, w, bias, `${hint}_acc`);
        return this.set(out, this.requant(acc, this.quantParams(n.inputs[6], n.inputs[7]), hint));
      }
      case "Gemm": {
        if (intAttr(n, "transA", 0) !== 0) this.fail("transA = 1");
        const alpha = n.attrs.get("alpha") ?? 1;
        const beta = n.attrs.get("beta") ?? 1;
        if (alpha !== 1 || beta !== 1) this.fail(`alpha = ${String(alpha)}, beta = ${String(beta)}; pq maps 1 and 1`);
        const w = this.weight(b, "weight");
        return this.set(out, this.linear(this.real(a), intAttr(n, "transB", 0) === 1 ? w : transpose(w), n.inputs[2] ? this.weight(n.inputs[2], "bias") : undefined, hint));
      }
      case "MatMul": return this.set(out, this.linear(this.real(a), transpose(this.weight(b, "weight")), undefined, hint));
      case "QLinearMatMul": {
        const x = this.quantIn(n, 0);
        const w = this.dqConst(this.init(n.inputs[3], "weight"), this.init(n.inputs[4], "weight scale"), this.optInit(n.inputs[5], "weight zero point"), 1);
        const acc = this.linear(x, transpose(w), undefined, `${hint}_acc`);
        return this.set(out, this.requant(acc, this.quantParams(n.inputs[6], n.inputs[7]), hint));
      }
      case "Add": return this.set(out, this.add(a, b, hint));
      case "QLinearAdd": {
        const sum = this.addOperands(this.quantOperand(n, 0), this.quantOperand(n, 3), hint);
        return this.set(out, this.requant(sum, this.quantParams(n.inputs[6], n.inputs[7]), hint));
      }
      case "Relu": return this.set(out, this.relu(this.value(a), hint));
      case "MaxPool": case "AveragePool": return this.set(out, this.pool(n, this.value(a), hint));
      case "GlobalAveragePool": {
        const x = this.real(a);
        if (x.pqShape.length !== 3) this.fail(`expects [N, C, H, W], got [1, ${x.shape.join(", ")}]`);
        const [c, h, w] = x.pqShape as [number, number, number];
        const pq = this.emit({ op: "gavgpool", out: "", x: x.pq }, hint);
        return this.set(out, { pq, scale: x.scale / (h * w), shape: [c, 1, 1], pqShape: [c], lo: x.lo * h * w, hi: x.hi * h * w });
      }
      case "Flatten": {
        if (intAttr(n, "axis", 1) !== 1) this.fail(`axis = ${intAttr(n, "axis", 1)}; pq flattens everything after the batch axis (axis = 1)`);
        return this.set(out, this.reshape(this.value(a), [numelOf(this.value(a).shape)], hint));
      }
      case "Reshape": {
        const x = this.value(a);
        const target = Array.from(this.init(b, "shape").data);
        const full = [1, ...x.shape];
        const dims = target.map((d, i) => (d === 0 && intAttr(n, "allowzero", 0) === 0 ? full[i]! : d));
        const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
        const resolved = dims.map((d) => (d === -1 ? numelOf(full) / known : d));
        if (resolved[0] !== 1 || numelOf(resolved) !== numelOf(full)) this.fail(`reshapes [${full.join(", ")}] to [${target.join(", ")}]; pq keeps the batch axis 1 first`);
        return this.set(out, this.reshape(x, resolved.slice(1), hint));
      }
      default:
        return this.fail("no mapping (unreachable: checkSupported lists it)");
    }
  }

  /** A value read as a real tensor (not raw quantized integers). */
  private real(name: string | undefined): Value {
    const v = this.value(name);
    if (v.q !== undefined) this.fail(`reads the quantized tensor '${name}' as a float one; a DequantizeLinear must come between`);
    return v;
  }

  /** QLinear*'s quantized operand at input index i (x, x_scale, x_zero_point). */
  private quantIn(n: OnnxNode, i: number): Value {
    const x = this.value(n.inputs[i]);
    const qp = this.quantParams(n.inputs[i + 1], n.inputs[i + 2]);
    if (x.q === undefined) this.fail(`operand '${n.inputs[i]}' is not a quantized tensor`);
    if (x.q.zp !== qp.zp || !sameScale(x.scale, qp.s)) this.fail(`reads '${n.inputs[i]}' at scale ${qp.s}, zero point ${qp.zp}; it was quantized at ${x.scale}, ${x.q.zp}`);
    return x;
  }

  private quantOperand(n: OnnxNode, i: number): Value | DqConst {
    const name = n.inputs[i] ?? "";
    const c = this.g.init.get(name);
    if (c !== undefined) return this.dqConst(c, this.init(n.inputs[i + 1], "scale"), this.optInit(n.inputs[i + 2], "zero point"), 0);
    return this.quantIn(n, i);
  }

  private input(qp: { s: number; zp: number; elem: ElemType }, hint: string): Value {
    if (this.plan.input.name !== "") this.fail("a second QuantizeLinear of the model input; pq reads the input once");
    const [lo, hi] = Q_RANGE[qp.elem]!;
    const shape = this.g.input.shape.slice(1);
    if (this.g.input.shape[0] !== 1) this.fail(`the input's batch axis is ${this.g.input.shape[0]}; pq runs batch 1`);
    const elem = elemFor([lo, hi]);
    this.plan.input = { name: this.names.fresh(this.g.input.name || "x"), shape, elem, scale: qp.s };
    let pq = this.plan.input.name;
    if (qp.zp !== 0) {
      // v = q − z: one local add of a constant the server holds.
      const zp = this.param(`${hint}_zp`, { shape, scale: qp.s, data: new Array<number>(numelOf(shape)).fill(-qp.zp) }, elemFor([-qp.zp]));
      pq = this.emit({ op: "add", out: "", a: pq, b: zp }, `${hint}_v`);
    }
    return { pq, scale: qp.s, shape, pqShape: shape, lo: lo - qp.zp, hi: hi - qp.zp, q: { zp: qp.zp, elem: qp.elem } };
  }

  private intBias(t: OnnxTensor, sx: number, ws: number[]): DqConst {
    if (t.elem !== "int32") this.fail(`the bias is ${t.elem}; QLinearConv's bias is int32`);
    return { dims: t.dims, ints: Array.from(t.data), scales: ws.map((s) => sx * s), axis: 0 };
  }

  /** Bias integers at the accumulator's per-channel scale (exact when the model's bias scale is s_x·s_w, as ONNX requires). */
  private biasInts(b: DqConst, accScales: number[], o: number): number[] {
    if (numelOf(b.dims) !== o) this.fail(`the bias has ${numelOf(b.dims)} values for ${o} outputs`);
    return b.ints.map((v, i) => {
      const bs = b.scales[b.scales.length === 1 ? 0 : i]!;
      const as = accScales[accScales.length === 1 ? 0 : i]!;
      const q = sameScale(bs, as) ? v : Math.round((v * bs) / as);
      if (Math.abs(q) > 2 ** 31 - 1) this.fail(`bias ${v * bs} does not fit i32 at the accumulator's scale ${as}`);
      return q;
    });
  }

  /** Weights (out-channel axis 0) as a param; per-channel scales leave the nominal scale to the requantization. */
  private weighted(kind: "conv2d" | "linear", x: Value, w: DqConst, bias: DqConst | undefined, hint: string, attrs: { stride: number; pad: number; groups: number }, outShape: number[]): Value {
    if (x.chScale) this.fail("reads an accumulator of per-channel weights; quantize it (QuantizeLinear) first");
    const o = w.dims[0]!;
    const per = w.scales.length > 1 && w.scales.some((s) => s !== w.scales[0]);
    if (w.scales.length > 1 && w.axis !== 0) this.fail(`per-channel weight scales along axis ${w.axis}; pq maps them along the output channels`);
    const ws = per ? w.scales : [w.scales[0]!];
    const wScale = per ? Math.max(...ws) : ws[0]!;
    const wt: IntTensor = { shape: w.dims, scale: wScale, data: w.ints };
    // Parameters are named after the ONNX node (its accumulator may be named `NODE_acc`).
    const base = this.node.name;
    const wName = this.param(`${base}_w`, wt, elemFor(w.ints));
    const accScales = ws.map((s) => x.scale * s);
    let bt: IntTensor | undefined;
    let bName: string | undefined;
    if (bias !== undefined) {
      bt = { shape: [o], scale: x.scale * wScale, data: this.biasInts(bias, accScales, o) };
      bName = this.param(`${base}_b`, bt, { bits: 32, signed: true });
    }
    const step = kind === "conv2d"
      ? { op: "conv2d" as const, out: "", x: x.pq, w: wName, ...(bName !== undefined ? { b: bName } : {}), ...attrs }
      : { op: "linear" as const, out: "", x: x.pq, w: wName, ...(bName !== undefined ? { b: bName } : {}) };
    const pq = this.emit(step, hint);
    const emitted = this.plan.steps[this.plan.steps.length - 1] as Extract<Step, { op: "conv2d" | "linear" }>;
    return {
      pq, scale: x.scale * wScale, shape: outShape, pqShape: outShape, lo: -Infinity, hi: Infinity,
      ...(per ? { chScale: accScales, pc: { sx: x.scale, w: wt, ...(bt ? { b: bt } : {}) } } : {}),
      ...(bias === undefined ? { biasless: emitted } : {}),
    };
  }

  private conv(n: OnnxNode, x: Value, w: DqConst, bias: DqConst | undefined, hint: string): Value {
    if (x.pqShape.length !== 3) this.fail(`expects [N, C, H, W], got [1, ${x.shape.join(", ")}]`);
    if (w.dims.length !== 4) this.fail(`pq maps 2-D convolutions (weights [O, C, kh, kw]), these are [${w.dims.join(", ")}]`);
    const [, h, wd] = x.pqShape as [number, number, number];
    const [o, , kh, kw] = w.dims as [number, number, number, number];
    const strides = intsAttr(n, "strides") ?? [1, 1];
    const pads = intsAttr(n, "pads") ?? [0, 0, 0, 0];
    const dil = intsAttr(n, "dilations") ?? [1, 1];
    const autoPad = n.attrs.get("auto_pad") ?? "NOTSET";
    if (autoPad !== "NOTSET" && autoPad !== "VALID") this.fail(`auto_pad = ${String(autoPad)}; write explicit pads`);
    if (dil.some((d) => d !== 1)) this.fail(`dilations [${dil.join(", ")}]; pq's conv2d has none`);
    if (strides[0] !== strides[1]) this.fail(`strides [${strides.join(", ")}]; pq's conv2d has one stride for both axes`);
    if (pads.some((p) => p !== pads[0])) this.fail(`pads [${pads.join(", ")}]; pq's conv2d pads all four sides alike`);
    const stride = strides[0]!;
    const pad = pads[0]!;
    const groups = intAttr(n, "group", 1);
    const outShape = [o, Math.floor((h + 2 * pad - kh) / stride) + 1, Math.floor((wd + 2 * pad - kw) / stride) + 1];
    return this.weighted("conv2d", x, w, bias, hint, { stride, pad, groups }, outShape);
  }

  private linear(x: Value, w: DqConst, bias: DqConst | undefined, hint: string): Value {
    if (w.dims.length !== 2) this.fail(`weights of shape [${w.dims.join(", ")}]; pq's linear takes a matrix`);
    if (x.pqShape.length !== 1 || x.pqShape[0] !== w.dims[1]) this.fail(`multiplies [1, ${x.shape.join(", ")}] by a [${w.dims[1]}, ${w.dims[0]}] matrix; pq's linear takes [1, K] × [K, O]`);
    return this.weighted("linear", x, w, bias, hint, { stride: 1, pad: 0, groups: 1 }, [w.dims[0]!]);
  }

  private add(a: string | undefined, b: string | undefined, hint: string): Value {
    const ca = this.dq.get(a ?? "");
    const cb = this.dq.get(b ?? "");
    if (ca !== undefined && cb !== undefined) this.fail("adds two constants");
    const x = ca !== undefined ? this.real(b) : this.real(a);
    const c = ca ?? cb;
    if (c !== undefined && x.biasless !== undefined && numelOf(c.dims) === x.shape[0]) {
      // A bias after MatMul (or Conv): folded into the product, exactly as an ONNX bias.
      const step = x.biasless;
      const accScales = x.chScale ?? [x.scale];
      const bt: IntTensor = { shape: [x.shape[0]!], scale: x.pc ? x.pc.sx * x.pc.w.scale : x.scale, data: this.biasInts(c, accScales, x.shape[0]!) };
      step.b = this.param(`${hint}_b`, bt, { bits: 32, signed: true });
      if (x.pc) x.pc.b = bt;
      const { biasless: _b, ...rest } = x;
      return rest;
    }
    return this.addOperands(x, c ?? this.real(b), hint);
  }

  /** x + y, exact when the scales differ by a power of two; else both on a common scale 2^-8 finer than x's. */
  private addOperands(x0: Value | DqConst, y0: Value | DqConst, hint: string): Value {
    if ("ints" in x0 && "ints" in y0) this.fail("adds two constants");
    const [x, y] = "ints" in x0 ? [y0 as Value, x0] : [x0, y0];
    if (x.chScale || ("pq" in y && y.chScale)) this.fail("adds an accumulator of per-channel weights; quantize it (QuantizeLinear) first");
    if ("pq" in y) {
      if (x.pqShape.join() !== y.pqShape.join()) this.fail(`adds shapes [${x.shape.join(", ")}] and [${y.shape.join(", ")}]; pq adds equal shapes`);
      const d = scaleShift({ kind: "real", value: x.scale }, { kind: "real", value: y.scale });
      if (d !== undefined) {
        const pq = this.emit({ op: "add", out: "", a: x.pq, b: y.pq }, hint);
        const [fx, fy] = d >= 0 ? [2 ** d, 1] : [1, 2 ** -d];
        return { pq, scale: Math.min(x.scale, y.scale), shape: x.shape, pqShape: x.pqShape, lo: x.lo * fx + y.lo * fy, hi: x.hi * fx + y.hi * fy };
      }
    }
    const fine = x.scale * 2 ** -8;
    const xs = this.emit({ op: "shl", out: "", x: x.pq, by: 8 }, `${hint}_x`);
    let ys: string;
    let ylo: number;
    let yhi: number;
    if ("pq" in y) {
      const r = y.scale / fine;
      ylo = Math.floor(y.lo * r);
      yhi = Math.ceil(y.hi * r);
      const to = Number.isFinite(ylo) && Number.isFinite(yhi) ? elemFor([ylo, yhi]) : { bits: 32, signed: true };
      ys = this.emit({ op: "requant", out: "", x: y.pq, to, scale: this.scaleName(fine) }, `${hint}_y`);
    } else {
      if (numelOf(y.dims) !== numelOf(x.shape)) this.fail(`adds a constant of shape [${y.dims.join(", ")}] to [${x.shape.join(", ")}]; pq adds equal shapes`);
      const data = y.ints.map((v, i) => Math.round((v * y.scales[y.scales.length === 1 ? 0 : i]!) / fine));
      ys = this.param(`${hint}_c`, { shape: x.pqShape, scale: fine, data }, elemFor(data));
      ylo = Math.min(...data);
      yhi = Math.max(...data);
    }
    const pq = this.emit({ op: "add", out: "", a: xs, b: ys }, hint);
    return { pq, scale: fine, shape: x.shape, pqShape: x.pqShape, lo: x.lo * 256 + ylo, hi: x.hi * 256 + yhi };
  }

  private relu(x: Value, hint: string): Value {
    if (x.q === undefined || x.q.zp === 0) {
      if (x.lo >= 0 || (x.q !== undefined && !Q_RANGE[x.q.elem]![0])) return x; // already non-negative
      const pq = this.emit({ op: "relu", out: "", x: x.pq }, hint);
      return { ...x, pq, lo: Math.max(0, x.lo), hi: Math.max(0, x.hi), biasless: undefined } as Value;
    }
    // ONNX's Relu of quantized integers is max(q, 0) = max(v, −zp) + zp.
    if (x.lo >= -x.q.zp) return x;
    const pq = this.emit({ op: "clamp", out: "", x: x.pq, lo: -x.q.zp, hi: x.hi }, hint);
    return { ...x, pq, lo: -x.q.zp };
  }

  private pool(n: OnnxNode, x: Value, hint: string): Value {
    const k = intsAttr(n, "kernel_shape") ?? [];
    const strides = intsAttr(n, "strides") ?? k;
    const pads = intsAttr(n, "pads") ?? [0, 0, 0, 0];
    if (x.pqShape.length !== 3) this.fail(`expects [N, C, H, W], got [1, ${x.shape.join(", ")}]`);
    if (k.length !== 2 || k[0] !== k[1]) this.fail(`kernel_shape [${k.join(", ")}]; pq pools square windows`);
    if (strides[0] !== strides[1]) this.fail(`strides [${strides.join(", ")}]; pq pools with one stride`);
    if (pads.some((p) => p !== 0) || (n.attrs.get("auto_pad") ?? "NOTSET") !== "NOTSET" && n.attrs.get("auto_pad") !== "VALID") this.fail("padding; pq pools without padding");
    if (intAttr(n, "ceil_mode", 0) !== 0) this.fail("ceil_mode = 1; pq drops partial windows");
    if ((intsAttr(n, "dilations") ?? [1, 1]).some((d) => d !== 1)) this.fail("dilations");
    if (n.outputs.length > 1 && n.outputs[1] !== "") this.fail("the Indices output");
    const kk = k[0]!;
    const stride = strides[0]!;
    const [c, h, w] = x.pqShape as [number, number, number];
    const shape = [c, Math.floor((h - kk) / stride) + 1, Math.floor((w - kk) / stride) + 1];
    if (n.op === "MaxPool") {
      if (x.chScale) this.fail("pools an accumulator of per-channel weights; quantize it (QuantizeLinear) first");
      const pq = this.emit({ op: "maxpool", out: "", x: x.pq, k: kk, stride }, hint);
      return { ...x, pq, shape, pqShape: shape, biasless: undefined } as Value;
    }
    if (x.q !== undefined) this.fail("averages quantized integers; ONNX's AveragePool reads float tensors (a DequantizeLinear must come between)");
    if (x.chScale) this.fail("pools an accumulator of per-channel weights; quantize it (QuantizeLinear) first");
    // pq's avgpool is the window sum; the divisor k² goes into the scale (no rounding here).
    const pq = this.emit({ op: "avgpool", out: "", x: x.pq, k: kk, stride }, hint);
    return { pq, scale: x.scale / (kk * kk), shape, pqShape: shape, lo: x.lo * kk * kk, hi: x.hi * kk * kk };
  }

  private reshape(x: Value, shape: number[], hint: string): Value {
    if (x.chScale) this.fail("reshapes an accumulator of per-channel weights; quantize it (QuantizeLinear) first");
    if (numelOf(shape) !== numelOf(x.shape)) this.fail(`reshapes ${numelOf(x.shape)} values to [${shape.join(", ")}]`);
    if (x.pqShape.join() === shape.join()) return { ...x, shape };
    const pq = shape.length === 1
      ? this.emit({ op: "flatten", out: "", x: x.pq }, hint)
      : this.emit({ op: "reshape", out: "", x: x.pq, shape }, hint);
    return { ...x, pq, shape, pqShape: shape, biasless: undefined } as Value;
  }

  /**
   * QuantizeLinear of a computed tensor: pq's requantization to the quantized range shifted by
   * the zero point, v = clamp(round(x·s_x / s_y), qmin − zp, qmax − zp).
   */
  private requant(x: Value, qp: { s: number; zp: number; elem: ElemType }, hint: string): Value {
    const [qlo, qhi] = Q_RANGE[qp.elem]!;
    const lo = qlo - qp.zp;
    const hi = qhi - qp.zp;
    const q = { zp: qp.zp, elem: qp.elem };
    if (!x.chScale && x.scale === qp.s && x.lo >= lo && x.hi <= hi) return { ...x, q, biasless: undefined } as Value;
    const to = elemFor([lo, hi]);
    let src = x.pq;
    let scale = qp.s;
    if (x.chScale && x.pc) {
      // Per-channel: v_o = round(acc_o·m_o / 2^sh), m_o = round(r_o·2^sh), sh from the largest
      // ratio as pq's per-tensor rule picks it; the weights' nominal scale is set so that the
      // accumulator times m_o / 2^sh is on the output scale.
      const ratios = x.chScale.map((s) => s / qp.s);
      const rmax = Math.max(...ratios);
      let sh = 0;
      while (rmax * 2 ** sh >= 2 ** 16) sh--;
      while (rmax * 2 ** sh < 2 ** 15) sh++;
      const m = ratios.map((r) => Math.round(r * 2 ** sh));
      x.pc.w.scale = (qp.s * 2 ** -sh) / x.pc.sx;
      if (x.pc.b) x.pc.b.scale = x.pc.sx * x.pc.w.scale;
      src = this.emit({ op: "mulc", out: "", x: src, c: m }, `${hint}_m`);
      scale = x.pc.sx * x.pc.w.scale * 2 ** sh;
    }
    let pq = this.emit({ op: "requant", out: "", x: src, to, scale: this.scaleName(scale) }, hint);
    const [tlo, thi] = to.signed ? [-(2 ** (to.bits - 1)), 2 ** (to.bits - 1) - 1] : [0, 2 ** to.bits - 1];
    if (tlo !== lo || thi !== hi) pq = this.emit({ op: "clamp", out: "", x: pq, lo, hi }, `${hint}_q`);
    return { pq, scale, shape: x.shape, pqShape: x.pqShape, lo, hi, q };
  }
}

function transpose(w: DqConst): DqConst {
  if (w.dims.length !== 2) return w;
  const [k, o] = w.dims as [number, number];
  const ints = new Array<number>(k * o);
  for (let i = 0; i < k; i++) for (let j = 0; j < o; j++) ints[j * k + i] = w.ints[i * o + j]!;
  return { dims: [o, k], ints, scales: w.scales, axis: w.scales.length > 1 ? 1 - w.axis : 0 };
}

function sameScale(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}

/** ONNX QuantizeLinear's rounding: to nearest, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
