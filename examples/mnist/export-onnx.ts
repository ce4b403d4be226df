// Exports the MNIST and Fashion-MNIST example networks to ONNX, for `pq import`'s tests and
// docs (docs/ONNX.md): from the W8A8 parameters the examples ship
// (`examples/{mnist,fashion}/*_w8a8.params.json`, made by train.ts), in three forms each —
//   NET_float.onnx  the float model: weights q·s_w and biases q_b·s_acc as float32;
//   NET_qdq.onnx    QDQ: the same integers as the W8A8 .pq model, QuantizeLinear/
//                   DequantizeLinear around float ops (an average pool is quantized to
//                   uint16 at scale s/4, so it stays the exact window sum pq computes);
//   NET_qop.onnx    QOperator: QLinearConv with per-channel weights requantized from the float
//                   weights, QLinearMatMul + com.microsoft.QLinearAdd for the dense layers (uint8 with
//                   zero point 128 for the product, the bias and the logits),
//                   Flatten on uint8, and DequantizeLinear → AveragePool → QuantizeLinear at the
//                   input's scale (onnxruntime's own quantizer writes pools so).
// The QOperator model's extra scales (products before their bias, the logits) are calibrated
// with the float model on the first 500 training images of the model's dataset. The files are
// examples/onnx/NET_FORM.onnx for MNIST and examples/onnx/fashion_NET_FORM.onnx for
// Fashion-MNIST. Run from the repository root (both datasets when none is named):
//   npx tsx examples/mnist/export-onnx.ts [mnist|fashion]...
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ATTR, DTYPE, encodeModel, type AttributeProto, type NodeProto, type TensorProto, type ModelProto } from "../../import/onnx/proto.js";
import { readOnnx } from "../../import/onnx/graph.js";
import { evalFloat } from "../../import/quantize/float.js";
import { quantizeWeights, symmetricScale } from "../../import/quantize/weights.js";
import { loadFashionMnistOrExit } from "../fashion/dataset.js";
import { loadMnist, type Sample } from "./dataset.js";
import { LENET, MLP, isWeighted, weightShape, type Net } from "./nets.js";

const HERE = new URL(".", import.meta.url).pathname;
const OUT = join(HERE, "..", "onnx");

interface ParamsFile {
  tensors: Record<string, { shape: number[]; scale: number; data: number[] }>;
  scales: Record<string, number>;
}

type Attr = number | number[];

class Builder {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private k = 0;

  constructor(private readonly graphName: string) {}

  tensor(name: string, dtype: number, dims: number[], values: ArrayLike<number>): string {
    const n = values.length;
    let raw: Uint8Array;
    switch (dtype) {
      case DTYPE.FLOAT: raw = new Uint8Array(Float32Array.from(values).buffer); break;
      case DTYPE.INT8: raw = new Uint8Array(Int8Array.from(values).buffer); break;
      case DTYPE.UINT8: raw = Uint8Array.from(values); break;
      case DTYPE.UINT16: raw = new Uint8Array(Uint16Array.from(values).buffer); break;
      case DTYPE.INT32: raw = new Uint8Array(Int32Array.from(values).buffer); break;
      case DTYPE.INT64: raw = new Uint8Array(BigInt64Array.from(Array.from({ length: n }, (_, i) => BigInt(values[i]!))).buffer); break;
      default: throw new Error(`dtype ${dtype}`);
    }
    this.inits.push({ name, dims, dataType: dtype, rawData: raw });
    return name;
  }

  node(op: string, inputs: string[], name: string, attrs: Record<string, Attr> = {}, domain = ""): string {
    const attribute: AttributeProto[] = Object.entries(attrs).map(([k, v]) =>
      Array.isArray(v) ? { name: k, type: ATTR.INTS, ints: v } : { name: k, type: ATTR.INT, i: v });
    this.nodes.push({ name, opType: op, input: inputs, output: [name], attribute, ...(domain !== "" ? { domain } : {}) });
    this.k++;
    return name;
  }

  /** QuantizeLinear then DequantizeLinear of `x` at (scale, zero point of `dtype`). */
  qdq(x: string, name: string, scale: number, dtype: number): { q: string; dq: string } {
    const s = this.tensor(`${name}_scale`, DTYPE.FLOAT, [], [scale]);
    const z = this.tensor(`${name}_zp`, dtype, [], [0]);
    const q = this.node("QuantizeLinear", [x, s, z], `${name}_q`);
    return { q, dq: this.node("DequantizeLinear", [q, s, z], `${name}_dq`) };
  }

  model(input: string, output: string, outDims: number[], opsets: [string, number][]): Uint8Array {
    const vi = (name: string, dims: (number | string)[]) => ({
      name, type: { tensorType: { elemType: DTYPE.FLOAT, shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
    });
    const m: ModelProto = {
      irVersion: 10, producerName: "pq examples/mnist/export-onnx.ts",
      opsetImport: opsets.map(([domain, version]) => ({ domain, version })),
      graph: { name: this.graphName, node: this.nodes, initializer: this.inits, input: [vi(input, ["N", 1, 28, 28])], output: [vi(output, ["N", ...outDims])] },
    };
    return encodeModel(m);
  }
}

const f32 = (v: number) => Math.fround(v);

function floatWeights(p: ParamsFile, name: string): { w: number[]; b: number[]; dims: number[] } {
  const w = p.tensors[`${name}_w`]!;
  const b = p.tensors[`${name}_b`]!;
  return { w: w.data.map((q) => q * w.scale), b: b.data.map((q) => q * b.scale), dims: w.shape };
}

function floatModel(net: Net, p: ParamsFile, graphName: string): Uint8Array {
  const g = new Builder(graphName);
  let x = "input";
  for (const [i, l] of net.layers.entries()) {
    if (l.op === "avgpool") x = g.node("AveragePool", [x], `pool${i}`, { kernel_shape: [2, 2], strides: [2, 2] });
    else if (l.op === "flatten") x = g.node("Flatten", [x], "flatten", { axis: 1 });
    else {
      const { w, b, dims } = floatWeights(p, l.name);
      const W = g.tensor(`${l.name}.weight`, DTYPE.FLOAT, dims, w);
      const B = g.tensor(`${l.name}.bias`, DTYPE.FLOAT, [dims[0]!], b);
      x = l.op === "conv"
        ? g.node("Conv", [x, W, B], l.name, { kernel_shape: [l.kernel, l.kernel], pads: [l.pad, l.pad, l.pad, l.pad] })
        : g.node("Gemm", [x, W, B], l.name, { transB: 1 });
      if (l !== net.layers[net.layers.length - 1]) x = g.node("Relu", [x], `${l.name}_relu`);
    }
  }
  const out = g.node("Identity", [x], "logits");
  return g.model("input", out, [10], [["", 21]]);
}

function qdqModel(net: Net, p: ParamsFile, graphName: string): Uint8Array {
  const g = new Builder(graphName);
  let scale = 1 / 255;
  let x = g.qdq("input", "input", scale, DTYPE.UINT8).dq;
  let act = 0;
  for (const [i, l] of net.layers.entries()) {
    if (l.op === "avgpool") {
      const pooled = g.node("AveragePool", [x], `pool${i}`, { kernel_shape: [2, 2], strides: [2, 2] });
      scale = scale / 4;
      x = g.qdq(pooled, `pool${i}`, scale, DTYPE.UINT16).dq;
    } else if (l.op === "flatten") {
      x = g.node("Flatten", [x], "flatten", { axis: 1 });
    } else {
      const w = p.tensors[`${l.name}_w`]!;
      const b = p.tensors[`${l.name}_b`]!;
      const W = g.node("DequantizeLinear", [g.tensor(`${l.name}.weight_q`, DTYPE.INT8, w.shape, w.data), g.tensor(`${l.name}.weight_scale`, DTYPE.FLOAT, [], [w.scale])], `${l.name}.weight`);
      const B = g.node("DequantizeLinear", [g.tensor(`${l.name}.bias_q`, DTYPE.INT32, b.shape, b.data), g.tensor(`${l.name}.bias_scale`, DTYPE.FLOAT, [], [b.scale])], `${l.name}.bias`);
      x = l.op === "conv"
        ? g.node("Conv", [x, W, B], l.name, { kernel_shape: [l.kernel, l.kernel], pads: [l.pad, l.pad, l.pad, l.pad] })
        : g.node("Gemm", [x, W, B], l.name, { transB: 1 });
      if (l !== net.layers[net.layers.length - 1]) {
        act++;
        scale = p.scales[`a${act}`]!;
        x = g.qdq(g.node("Relu", [x], `${l.name}_relu`), `${l.name}_act`, scale, DTYPE.UINT8).dq;
      }
    }
  }
  const out = g.node("Identity", [x], "logits");
  return g.model("input", out, [10], [["", 21]]);
}

/** Largest |value| of a tensor of the float model over the calibration images. */
function ranges(floatOnnx: string, images: Float64Array[], tensors: string[]): Map<string, number> {
  const fg = readOnnx(floatOnnx);
  const out = new Map<string, number>(tensors.map((t) => [t, 0]));
  for (const x of images) {
    const env = evalFloat(fg, x);
    for (const t of tensors) out.set(t, Math.max(out.get(t)!, ...Array.from(env.get(t)!.data, Math.abs)));
  }
  return out;
}

function qopModel(net: Net, p: ParamsFile, graphName: string, floatOnnx: string, images: Float64Array[]): Uint8Array {
  const g = new Builder(graphName);
  const denses = net.layers.filter((l) => l.op === "linear").map((l) => (l.op === "linear" ? l.name : ""));
  // The product before its bias is the float Gemm minus the bias: its range bounds the Gemm's
  // range plus the bias's, calibrated here on the Gemm outputs themselves.
  const r = ranges(floatOnnx, images, denses);
  const scalar = (name: string, dtype: number, v: number) => g.tensor(name, dtype, [], [v]);
  let xs = scalar("input_scale", DTYPE.FLOAT, 1 / 255);
  let xz = scalar("input_zp", DTYPE.UINT8, 0);
  let sx = 1 / 255;
  let x = g.node("QuantizeLinear", ["input", xs, xz], "input_q");
  let act = 0;
  for (const [i, l] of net.layers.entries()) {
    if (l.op === "avgpool") {
      const d = g.node("DequantizeLinear", [x, xs, xz], `pool${i}_dq`);
      const pooled = g.node("AveragePool", [d], `pool${i}`, { kernel_shape: [2, 2], strides: [2, 2] });
      x = g.node("QuantizeLinear", [pooled, xs, xz], `pool${i}_q`);
      continue;
    }
    if (l.op === "flatten") {
      x = g.node("Flatten", [x], "flatten", { axis: 1 });
      continue;
    }
    const last = l === net.layers[net.layers.length - 1];
    const { w, b, dims } = floatWeights(p, l.name);
    const o = dims[0]!;
    if (l.op === "conv") {
      const q = quantizeWeights(w, o, 8, true);
      act++;
      const ys = scalar(`${l.name}_y_scale`, DTYPE.FLOAT, p.scales[`a${act}`]!);
      const yz = scalar(`${l.name}_y_zp`, DTYPE.UINT8, 0);
      const W = g.tensor(`${l.name}.weight_q`, DTYPE.INT8, dims, q.data);
      const Ws = g.tensor(`${l.name}.weight_scale`, DTYPE.FLOAT, [o], q.scales);
      const Wz = g.tensor(`${l.name}.weight_zp`, DTYPE.INT8, [o], new Array<number>(o).fill(0));
      const B = g.tensor(`${l.name}.bias_q`, DTYPE.INT32, [o], b.map((v, k) => Math.round(v / (f32(sx) * f32(q.scales[k]!)))));
      x = g.node("QLinearConv", [x, xs, xz, W, Ws, Wz, ys, yz, B], l.name, { kernel_shape: [l.kernel, l.kernel], pads: [l.pad, l.pad, l.pad, l.pad] });
      [xs, xz, sx] = [ys, yz, p.scales[`a${act}`]!];
      continue;
    }
    // Dense: QLinearMatMul (per-tensor int8 weights, [K, O]) to int8 at the product's scale, then
    // QLinearAdd of the int8 bias, to uint8 at the activation's scale (int8 logits at the end).
    const [, k] = dims as [number, number];
    const q = quantizeWeights(w, o, 8, false);
    const wt = new Array<number>(k * o);
    for (let a = 0; a < o; a++) for (let c = 0; c < k; c++) wt[c * o + a] = q.data[a * k + c]!;
    const mmScale = symmetricScale(r.get(l.name)! + Math.max(...b.map(Math.abs)), 8);
    const ms = scalar(`${l.name}_mm_scale`, DTYPE.FLOAT, mmScale);
    // onnxruntime's QLinearMatMul gives the type of its input (uint8), and QLinearAdd's operands
    // and result share one type: the product and bias are uint8 with zero point 128, as are
    // the logits.
    const T = DTYPE.UINT8;
    const Z = 128;
    const mz = scalar(`${l.name}_mm_zp`, T, Z);
    const W = g.tensor(`${l.name}.weight_q`, DTYPE.INT8, [k, o], wt);
    const Ws = scalar(`${l.name}.weight_scale`, DTYPE.FLOAT, q.scales[0]!);
    const Wz = scalar(`${l.name}.weight_zp`, DTYPE.INT8, 0);
    const mm = g.node("QLinearMatMul", [x, xs, xz, W, Ws, Wz, ms, mz], `${l.name}_matmul`);
    const bs = symmetricScale(Math.max(...b.map(Math.abs)), 8);
    const B = g.tensor(`${l.name}.bias_q`, T, [o], b.map((v) => Math.round(v / bs) + Z));
    const Bs = scalar(`${l.name}.bias_scale`, DTYPE.FLOAT, bs);
    const Bz = scalar(`${l.name}.bias_zp`, T, Z);
    if (!last) act++;
    const ysv = last ? symmetricScale(r.get(l.name)!, 8) : p.scales[`a${act}`]!;
    const ys = scalar(`${l.name}_y_scale`, DTYPE.FLOAT, ysv);
    const yz = scalar(`${l.name}_y_zp`, DTYPE.UINT8, last ? 128 : 0);
    x = g.node("QLinearAdd", [mm, ms, mz, B, Bs, Bz, ys, yz], l.name, {}, "com.microsoft");
    [xs, xz, sx] = [ys, yz, ysv];
  }
  const out = g.node("DequantizeLinear", [x, xs, xz], "logits");
  return g.model("input", out, [10], [["", 21], ["com.microsoft", 1]]);
}

/** Where each dataset's W8A8 parameters are, what its fixtures are called, and its training images. */
const DATASETS = {
  mnist: { dir: HERE, prefix: "", graphName: "mnist", train: () => loadMnist().train },
  fashion: { dir: join(HERE, "..", "fashion"), prefix: "fashion_", graphName: "fashion_mnist", train: () => loadFashionMnistOrExit().train },
} satisfies Record<string, { dir: string; prefix: string; graphName: string; train: () => Sample[] }>;

const named = process.argv.slice(2);
const unknown = named.filter((d) => !(d in DATASETS));
if (unknown.length > 0) {
  console.error(`usage: npx tsx examples/mnist/export-onnx.ts [mnist|fashion]... (unknown: ${unknown.join(", ")})`);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
for (const id of (named.length > 0 ? named : Object.keys(DATASETS)) as (keyof typeof DATASETS)[]) {
  const d = DATASETS[id];
  const calib = d.train().slice(0, 500).map((s) => Float64Array.from(s.pixels, (v) => v / 255));
  for (const net of [MLP, LENET]) {
    const p = JSON.parse(readFileSync(join(d.dir, `${net.id}_w8a8.params.json`), "utf8")) as ParamsFile;
    if (!net.layers.filter(isWeighted).every((l) => p.tensors[`${l.name}_w`]!.shape.join() === weightShape(l).join())) throw new Error(`${id} ${net.id}: params do not fit nets.ts`);
    const stem = `${d.prefix}${net.id}`;
    const floatPath = join(OUT, `${stem}_float.onnx`);
    writeFileSync(floatPath, floatModel(net, p, d.graphName));
    writeFileSync(join(OUT, `${stem}_qdq.onnx`), qdqModel(net, p, d.graphName));
    writeFileSync(join(OUT, `${stem}_qop.onnx`), qopModel(net, p, d.graphName, floatPath, calib));
    console.log(`${stem}: wrote ${stem}_float.onnx, ${stem}_qdq.onnx, ${stem}_qop.onnx`);
  }
}
