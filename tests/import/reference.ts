// Runs an ONNX file under onnxruntime and its `pq import` under pq's plaintext backend on
// the same images, for the comparisons of onnxruntime.test.ts.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { PNG } from "pngjs";
import { compile, run } from "../../lib/index.js";
import { scaleValue } from "../../compiler/types.js";
import type { AttrValue, ElemType, OnnxGraph, OnnxTensor } from "../../import/onnx/graph.js";
import { ATTR, decodeModel, DTYPE, encodeModel, type AttributeProto, type NodeProto, type TensorProto } from "../../import/onnx/proto.js";

export const DIGITS = "examples/mnist/digits";
/** The Fashion-MNIST examples' sample images (the first test image of each class). */
export const FASHION_SAMPLES = "examples/fashion/samples";

/** The 28x28 grey PNGs of `dir` (pixel bytes), in file order: by default the bundled digits. */
export function digitImages(dir = DIGITS): Uint8Array[] {
  return readdirSync(dir).filter((f) => f.endsWith(".png")).sort().map((f) => {
    const png = PNG.sync.read(readFileSync(join(dir, f)));
    return Uint8Array.from({ length: 784 }, (_, i) => png.data[4 * i]!);
  });
}

export interface Comparison {
  images: number;
  /** Largest |onnxruntime's output / pq's output scale − pq's integer output| over all logits. */
  maxLsb: number;
  /** Images whose predicted class (argmax) differs. */
  classDiffers: number;
  /**
   * Of those, the images where onnxruntime's largest logit is shared by several classes (its
   * argmax takes the first) and pq's class is another of them: a tie of quantized logits that a
   * rounding difference of one unit breaks the other way.
   */
  tiedClassDiffers: number;
  /** Logits that differ by more than half a unit of pq's output scale. */
  logitsDiffer: number;
}

/**
 * The model with each quantized operator in its defining float form (the ONNX specification of
 * QLinearConv, QLinearMatMul and com.microsoft's QLinearAdd): DequantizeLinear of every
 * quantized operand, the float op, QuantizeLinear of the result. onnxruntime's integer kernels
 * are not a reference on every machine: on x86 CPUs without VNNI (AVX2 only) its u8·s8 products
 * go through vpmaddubsw, which saturates pairs of products to int16, and a LeNet's first
 * activation then differs from the specification by up to 78 units (measured on an AMD EPYC with
 * AVX2). The float form runs the same on every CPU; with graph optimizations off, onnxruntime
 * does not fuse it back into the integer kernels (the QDQ fixtures likewise run unfused).
 */
export function dequantizedForm(bytes: Uint8Array): Uint8Array {
  const m = decodeModel(bytes);
  const g = m.graph!;
  const rank = new Map((g.initializer ?? []).map((t) => [t.name!, (t.dims ?? []).length]));
  const nodes: NodeProto[] = [];
  const dq = (x: string, scale: string, zp: string | undefined, out: string, axis?: number) =>
    nodes.push({ opType: "DequantizeLinear", input: zp === undefined ? [x, scale] : [x, scale, zp], output: [out], attribute: axis === undefined ? [] : [{ name: "axis", type: ATTR.INT, i: axis }] });
  const q = (x: string, scale: string, zp: string, out: string) => nodes.push({ opType: "QuantizeLinear", input: [x, scale, zp], output: [out] });
  for (const n of g.node ?? []) {
    const i = n.input ?? [];
    const y = n.output![0]!;
    const id = `${y}__ref`;
    if (n.opType === "QLinearConv") {
      dq(i[0]!, i[1]!, i[2], `${id}_x`);
      // Per-channel weights: their scale and zero point run along the output channels (axis 0).
      dq(i[3]!, i[4]!, i[5], `${id}_w`, rank.get(i[4]!) === 1 ? 0 : undefined);
      const ins = [`${id}_x`, `${id}_w`];
      if (i[8]) {
        // The int32 bias is at scale x_scale·w_scale, zero point 0.
        nodes.push({ opType: "Mul", input: [i[1]!, i[4]!], output: [`${id}_bs`] });
        dq(i[8], `${id}_bs`, undefined, `${id}_b`, rank.get(i[4]!) === 1 ? 0 : undefined);
        ins.push(`${id}_b`);
      }
      nodes.push({ opType: "Conv", input: ins, output: [`${id}_y`], attribute: n.attribute ?? [] });
      q(`${id}_y`, i[6]!, i[7]!, y);
    } else if (n.opType === "QLinearMatMul") {
      dq(i[0]!, i[1]!, i[2], `${id}_a`);
      // Per-column weights of a 2-D B: along its columns (axis 1).
      dq(i[3]!, i[4]!, i[5], `${id}_b`, rank.get(i[4]!) === 1 ? 1 : undefined);
      nodes.push({ opType: "MatMul", input: [`${id}_a`, `${id}_b`], output: [`${id}_y`] });
      q(`${id}_y`, i[6]!, i[7]!, y);
    } else if (n.opType === "QLinearAdd") {
      dq(i[0]!, i[1]!, i[2], `${id}_a`);
      dq(i[3]!, i[4]!, i[5], `${id}_b`);
      nodes.push({ opType: "Add", input: [`${id}_a`, `${id}_b`], output: [`${id}_y`] });
      q(`${id}_y`, i[6]!, i[7]!, y);
    } else {
      nodes.push(n);
    }
  }
  g.node = nodes;
  return encodeModel(m);
}

/** Runs both on every image (bytes; onnxruntime's input is bytes / 255) and hands each pair of outputs (onnxruntime's, pq's integers) to `visit`; returns pq's output scale. */
async function runBoth(onnxPath: string, pqPath: string, images: Uint8Array[], visit: (ref: ArrayLike<number>, got: number[]) => void): Promise<number> {
  const session = await ort.InferenceSession.create(dequantizedForm(readFileSync(onnxPath)), { logSeverityLevel: 3, graphOptimizationLevel: "disabled" });
  const program = compile(pqPath);
  const input = program.graph.nodes.find((n) => n.op === "input")!;
  const inputName = input.attrs.name as string;
  for (const px of images) {
    const x = new ort.Tensor("float32", Float32Array.from(px, (v) => v / 255), [1, ...input.type.shape]);
    const ref = (await session.run({ [session.inputNames[0]!]: x }))[session.outputNames[0]!]!.data as ArrayLike<number>;
    visit(ref, (await run(program, { [inputName]: Array.from(px) }, { backend: "plain" })).outputs[0]!.map(Number));
  }
  await session.release();
  return scaleValue(program.graph.nodes[program.graph.outputs[0]!.node]!.type.scale);
}

export async function compareWithOnnxRuntime(onnxPath: string, pqPath: string, images: Uint8Array[]): Promise<Comparison> {
  const argmax = (v: ArrayLike<number>) => Array.from(v).reduce((b, x, i, a) => (x > a[b]! ? i : b), 0);
  const pairs: [ArrayLike<number>, number[]][] = [];
  const scale = await runBoth(onnxPath, pqPath, images, (ref, got) => pairs.push([ref, got]));
  let maxLsb = 0;
  let classDiffers = 0;
  let tiedClassDiffers = 0;
  let logitsDiffer = 0;
  for (const [ref, got] of pairs) {
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(ref[i]! / scale - got[i]!);
      maxLsb = Math.max(maxLsb, d);
      if (d > 0.5) logitsDiffer++;
    }
    const mine = argmax(got);
    if (argmax(ref) !== mine) {
      classDiffers++;
      if (ref[mine] === Math.max(...Array.from(ref))) tiedClassDiffers++;
    }
  }
  return { images: images.length, maxLsb, classDiffers, tiedClassDiffers, logitsDiffer };
}

/** The first part of an ONNX model: its nodes up to `last`, whose output becomes the model's output (uint8 or int8, [N, ...dims]). */
export function truncatedModel(onnxPath: string, last: string, dims: number[], outPath: string, signed = false): void {
  const m = decodeModel(readFileSync(onnxPath));
  const nodes = m.graph!.node!;
  const end = nodes.findIndex((n) => n.name === last);
  if (end < 0) throw new Error(`no node ${last}`);
  m.graph!.node = nodes.slice(0, end + 1);
  const output = nodes[end]!.output![0]!;
  m.graph!.output = [{ name: output, type: { tensorType: { elemType: signed ? DTYPE.INT8 : DTYPE.UINT8, shape: { dim: [{ dimParam: "N" }, ...dims.map((d) => ({ dimValue: d }))] } } } }];
  writeFileSync(outPath, encodeModel(m));
}

/** Element-wise |(onnxruntime's q − zp) − pq's v| of a model whose output is a quantized tensor, over the images. */
export async function quantizedOutputDiff(onnxPath: string, pqPath: string, images: Uint8Array[], zp = 0): Promise<{ elements: number; differ: number; maxDiff: number }> {
  let elements = 0;
  let differ = 0;
  let maxDiff = 0;
  await runBoth(onnxPath, pqPath, images, (ref, got) => {
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(ref[i]! - zp - got[i]!);
      elements++;
      if (d > 0) differ++;
      maxDiff = Math.max(maxDiff, d);
    }
  });
  return { elements, differ, maxDiff };
}

const DTYPE_OF: Record<ElemType, number> = {
  float: DTYPE.FLOAT, double: DTYPE.DOUBLE, uint8: DTYPE.UINT8, int8: DTYPE.INT8, uint16: DTYPE.UINT16, int16: DTYPE.INT16,
  int32: DTYPE.INT32, int64: DTYPE.INT64, uint4: 21, int4: 22,
};

function tensorProto(t: OnnxTensor): TensorProto {
  const n = t.data.length;
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const raw: Record<string, () => Uint8Array> = {
    float: () => bytes(Float32Array.from(t.data)), double: () => bytes(Float64Array.from(t.data)), uint8: () => Uint8Array.from(t.data),
    int8: () => bytes(Int8Array.from(t.data)), uint16: () => bytes(Uint16Array.from(t.data)), int16: () => bytes(Int16Array.from(t.data)),
    int32: () => bytes(Int32Array.from(t.data)), int64: () => bytes(BigInt64Array.from({ length: n }, (_, i) => BigInt(t.data[i]!))),
  };
  const make = raw[t.elem];
  if (make === undefined) throw new Error(`cannot write ${t.elem}`);
  return { name: t.name, dims: t.dims, dataType: DTYPE_OF[t.elem], rawData: make() };
}

/** A graph as an ONNX file (opset 21): the fixtures' float models, and pq's QDQ rewrite of them for onnxruntime. */
export function writeGraph(g: OnnxGraph, path: string): void {
  const attr = (name: string, v: AttrValue): AttributeProto =>
    Array.isArray(v) ? { name, type: ATTR.INTS, ints: v } : typeof v === "number" ? (Number.isInteger(v) ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.FLOAT, f: v }) : typeof v === "string" ? { name, type: ATTR.STRING, s: new TextEncoder().encode(v) } : { name, type: ATTR.TENSOR, t: tensorProto(v) };
  const dims = g.input.shape.map((d, i) => (i === 0 ? { dimParam: "N" } : { dimValue: d }));
  writeFileSync(path, encodeModel({
    irVersion: 10, opsetImport: [{ domain: "", version: 21 }],
    graph: {
      name: "g",
      node: g.nodes.map((n) => ({ name: n.name, opType: n.op, input: n.inputs, output: n.outputs, attribute: [...n.attrs].map(([k, v]) => attr(k, v)) })),
      initializer: [...g.init.values()].map(tensorProto),
      input: [{ name: g.input.name, type: { tensorType: { elemType: DTYPE.FLOAT, shape: { dim: dims } } } }],
      output: g.outputs.map((name) => ({ name, type: { tensorType: { elemType: DTYPE.FLOAT } } })),
    },
  }));
}
