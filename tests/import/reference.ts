// Runs an ONNX file under onnxruntime and its `pq import` under pq's plaintext backend on
// the same images, for the comparisons of onnxruntime.test.ts.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { PNG } from "pngjs";
import { compile, run } from "../../lib/index.js";
import { scaleValue } from "../../compiler/types.js";
import { decodeModel, DTYPE, encodeModel } from "../../import/onnx/proto.js";

export const DIGITS = "examples/mnist/digits";

/** The bundled digits (pixel bytes), in file order. */
export function digitImages(): Uint8Array[] {
  return readdirSync(DIGITS).filter((f) => f.endsWith(".png")).sort().map((f) => {
    const png = PNG.sync.read(readFileSync(join(DIGITS, f)));
    return Uint8Array.from({ length: 784 }, (_, i) => png.data[4 * i]!);
  });
}

export interface Comparison {
  images: number;
  /** Largest |onnxruntime's output / pq's output scale − pq's integer output| over all logits. */
  maxLsb: number;
  /** Images whose predicted class (argmax) differs. */
  classDiffers: number;
  /** Logits that differ by more than half a unit of pq's output scale. */
  logitsDiffer: number;
}

/** Runs both on every image and hands each pair of outputs (onnxruntime's, pq's integers) to `visit`; returns pq's output scale. */
async function runBoth(onnxPath: string, pqPath: string, images: Uint8Array[], visit: (ref: ArrayLike<number>, got: number[]) => void): Promise<number> {
  const session = await ort.InferenceSession.create(onnxPath, { logSeverityLevel: 3 });
  const program = compile(pqPath);
  const inputName = program.graph.nodes.find((n) => n.op === "input")!.attrs.name as string;
  for (const px of images) {
    const x = new ort.Tensor("float32", Float32Array.from(px, (v) => v / 255), [1, 1, 28, 28]);
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
  let logitsDiffer = 0;
  for (const [ref, got] of pairs) {
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(ref[i]! / scale - got[i]!);
      maxLsb = Math.max(maxLsb, d);
      if (d > 0.5) logitsDiffer++;
    }
    if (argmax(ref) !== argmax(got)) classDiffers++;
  }
  return { images: images.length, maxLsb, classDiffers, logitsDiffer };
}

/** The first part of an ONNX model: its nodes up to `last`, whose output becomes the model's output (uint8, [N, ...dims]). */
export function truncatedModel(onnxPath: string, last: string, dims: number[], outPath: string): void {
  const m = decodeModel(readFileSync(onnxPath));
  const nodes = m.graph!.node!;
  const end = nodes.findIndex((n) => n.name === last);
  if (end < 0) throw new Error(`no node ${last}`);
  m.graph!.node = nodes.slice(0, end + 1);
  const output = nodes[end]!.output![0]!;
  m.graph!.output = [{ name: output, type: { tensorType: { elemType: DTYPE.UINT8, shape: { dim: [{ dimParam: "N" }, ...dims.map((d) => ({ dimValue: d }))] } } } }];
  writeFileSync(outPath, encodeModel(m));
}

/** Element-wise |onnxruntime − pq| of a model whose output is a quantized tensor (zero point 0), over the images. */
export async function quantizedOutputDiff(onnxPath: string, pqPath: string, images: Uint8Array[]): Promise<{ elements: number; differ: number; maxDiff: number }> {
  let elements = 0;
  let differ = 0;
  let maxDiff = 0;
  await runBoth(onnxPath, pqPath, images, (ref, got) => {
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(ref[i]! - got[i]!);
      elements++;
      if (d > 0) differ++;
      maxDiff = Math.max(maxDiff, d);
    }
  });
  return { elements, differ, maxDiff };
}
