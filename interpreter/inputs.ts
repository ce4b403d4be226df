// Reading a client input: a JSON tensor ({"shape", "data"} or nested arrays of integers,
// or {"real": ..} of reals quantized by the input's scale and zero point) or a PNG image
// (8-bit pixels, [C, H, W]: one channel or three as the PNG's colour type says, converted to
// the model's channel count; reals normalised by the input's mean and std when it declares them).
// Checked against the model input's declared type: a wrong shape or an out-of-range integer
// is an error.
import { readFileSync } from "node:fs";
import { PNG, type PNGWithMetadata } from "pngjs";
import { diag, fileReason, PqError } from "../grammar/diagnostics.js";
import { didYouMean } from "../grammar/suggest.js";
import type { Graph } from "../compiler/ir.js";
import type { Attrs } from "../compiler/ir.js";
import type { TensorType } from "../compiler/types.js";
import { elemName, numel, scaleValue, typeRange } from "../compiler/types.js";
import { tensorFromBigints, type Tensor } from "./plain/tensor.js";

function bad(path: string, reason: string): never {
  throw new PqError(diag("PQ4013", { path, reason }));
}

/** Nesting beyond the model input's rank still read, so that a wrong rank is a shape error (PQ4011). */
const EXTRA_DEPTH = 8;

/**
 * Nested arrays → shape and row-major values. Arrays nested `depth` levels deeper are refused
 * before they are followed (the recursion stays that shallow).
 */
function flattenNested(v: unknown, path: string, depth: number): { shape: number[]; data: unknown[] } {
  if (!Array.isArray(v)) return { shape: [], data: [v] };
  if (depth === 0) return bad(path, "arrays nested far deeper than the model input's dimensions");
  if (v.length === 0) return bad(path, "an empty array");
  const parts = v.map((x) => flattenNested(x, path, depth - 1));
  const inner = parts[0]!.shape;
  if (parts.some((p) => p.shape.join() !== inner.join())) bad(path, "ragged nested arrays");
  return { shape: [v.length, ...inner], data: parts.flatMap((p) => p.data) };
}

function toBig(v: unknown, path: string, i: number): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  return bad(path, `element ${i} is ${JSON.stringify(v)}, not an integer${typeof v === "number" ? ' (real values go in {"real": [..]}, quantized by the input\'s scale)' : ""}`);
}

export function pngPixels(bytes: Buffer, path: string): { shape: number[]; data: number[] } {
  let png: PNGWithMetadata;
  try {
    png = PNG.sync.read(bytes);
  } catch (e) {
    return bad(path, `not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  // The PNG's colour type decides (not its pixels, so a colour photo of a grey scene keeps its
  // three channels): grey and grey+alpha are one channel, RGB, RGBA and palette images three.
  // pngjs decodes every type to 8-bit RGBA (16-bit samples scaled down, 1/2/4-bit grey up, a
  // palette looked up); alpha is dropped.
  const channels = png.color ? 3 : 1;
  const out: number[] = new Array(channels * width * height);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < width * height; p++) out[c * width * height + p] = data[4 * p + c]!;
  }
  return { shape: [channels, height, width], data: out };
}

/**
 * A PNG's [C, H, W] samples brought to the model input's channel count when the two differ
 * and the model's shape is [1 or 3, H, W]: grey is repeated into R, G and B; colour becomes
 * grey by the ITU-R BT.601 luma, round(0.299 R + 0.587 G + 0.114 B) (what PIL's convert("L") computes, rounded).
 */
export function toChannels(img: { shape: number[]; data: number[] }, want: readonly number[]): { shape: number[]; data: number[] } {
  const [c, h, w] = img.shape as [number, number, number];
  if (want.length !== 3 || want[0] === c || want[1] !== h || want[2] !== w || !((want[0] === 1 && c === 3) || (want[0] === 3 && c === 1))) return img;
  const n = h * w;
  if (c === 1) return { shape: [3, h, w], data: [...img.data, ...img.data, ...img.data] };
  const grey = new Array<number>(n);
  for (let p = 0; p < n; p++) grey[p] = Math.round((299 * img.data[p]! + 587 * img.data[n + p]! + 114 * img.data[2 * n + p]!) / 1000);
  return { shape: [1, h, w], data: grey };
}

/** How a model input maps reals to its integers: its scale, and the `zero`, `mean`, `std` attributes of its declaration. */
interface RealMap {
  scale: number;
  zero: bigint;
  mean?: readonly number[];
  std?: readonly number[];
}

function realMap(type: TensorType, attrs: Attrs): RealMap {
  return {
    scale: scaleValue(type.scale), zero: (attrs.zero as bigint | undefined) ?? 0n,
    ...(attrs.mean !== undefined ? { mean: attrs.mean as number[] } : {}), ...(attrs.std !== undefined ? { std: attrs.std as number[] } : {}),
  };
}

/** An input reads a PNG as reals when its declaration says how (any of zero, mean, std); else as its raw 8-bit samples. */
function readsRealPixels(attrs: Attrs): boolean {
  return attrs.zero !== undefined || attrs.mean !== undefined || attrs.std !== undefined;
}

/** q = round(r / scale) + zero (half away from zero), saturated to the type's range, as a quantizer does. */
function quantize(r: number, m: RealMap, lo: bigint, hi: bigint): bigint {
  const q = BigInt(Math.sign(r / m.scale) * Math.round(Math.abs(r / m.scale))) + m.zero;
  return q < lo ? lo : q > hi ? hi : q;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Load `path` as the value of the model input `name` of type `type`; `attrs` are the input
 * node's attributes (its declaration's `zero`, `mean`, `std`: docs/LANGUAGE.md, Inputs).
 */
export function loadInput(path: string, name: string, type: TensorType, attrs: Attrs = {}): Tensor {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new PqError(diag("PQ4010", { path, reason: fileReason(e) }));
  }
  if (bytes.subarray(0, 8).equals(PNG_MAGIC)) return fromPng(bytes, path, name, type, attrs);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    return bad(path, `neither PNG nor JSON (${(e as Error).message})`);
  }
  return inputFromJson(json, path, name, type, attrs);
}

function fromPng(bytes: Buffer, path: string, name: string, type: TensorType, attrs: Attrs): Tensor {
  const real = readsRealPixels(attrs);
  if (!real && (type.bits < 8 || (type.signed && type.bits < 9))) bad(path, `a PNG holds 8-bit pixels, but input '${name}' is ${elemName(type)}`);
  const { shape, data } = toChannels(pngPixels(bytes, path), type.shape);
  checkShape(shape, path, name, type);
  if (!real) return checked(data, path, type);
  const m = realMap(type, attrs);
  const [lo, hi] = typeRange(type);
  const plane = data.length / shape[0]!;
  const at = (v: readonly number[] | undefined, c: number, dflt: number) => (v === undefined ? dflt : v.length === 1 ? v[0]! : v[c]!);
  return tensorFromBigints(shape, type.bits, type.signed, data.map((p, i) => {
    const c = Math.floor(i / plane);
    return quantize((p / 255 - at(m.mean, c, 0)) / at(m.std, c, 1), m, lo, hi);
  }));
}

/**
 * A JSON value as the model input `name`: integers (`{"shape", "data"}` or nested arrays), or
 * reals (`{"real": nested arrays}` or `{"shape", "real"}`) quantized by the input's scale and
 * zero point. `path` names where the value came from in errors (a file, or a dataset record).
 */
export function inputFromJson(json: unknown, path: string, name: string, type: TensorType, attrs: Attrs = {}): Tensor {
  let shape: number[];
  let raw: unknown[];
  let real = false;
  if (json !== null && typeof json === "object" && !Array.isArray(json)) {
    const o = json as { shape?: unknown; data?: unknown; real?: unknown };
    real = o.real !== undefined;
    const values = real ? o.real : o.data;
    if (o.shape === undefined && real) ({ shape, data: raw } = flattenNested(values, path, type.shape.length + EXTRA_DEPTH));
    else {
      if (!Array.isArray(o.shape) || !o.shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(values) || (o.data !== undefined && real)) {
        bad(path, 'an object needs an integer "shape" list and a "data" list (integers) or a "real" list (reals)');
      }
      shape = o.shape as number[];
      raw = values as unknown[];
      if (raw.length !== numel(shape)) bad(path, `${raw.length} values for shape [${shape.join(", ")}]`);
    }
  } else {
    ({ shape, data: raw } = flattenNested(json, path, type.shape.length + EXTRA_DEPTH));
  }
  checkShape(shape, path, name, type);
  if (!real) return checked(raw, path, type);
  const m = realMap(type, attrs);
  const [lo, hi] = typeRange(type);
  return tensorFromBigints(shape, type.bits, type.signed, raw.map((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return bad(path, `element ${i} is ${JSON.stringify(v)}, not a real number`);
    return quantize(v, m, lo, hi);
  }));
}

function checkShape(shape: readonly number[], path: string, name: string, type: TensorType): void {
  if (shape.join() !== type.shape.join()) {
    throw new PqError(diag("PQ4011", { path, got: shape.join(", "), name, expected: type.shape.join(", ") }));
  }
}

/** Integer values, each checked against the type's range (PQ4012). */
function checked(raw: readonly unknown[], path: string, type: TensorType): Tensor {
  const [lo, hi] = typeRange(type);
  const values = raw.map((v, i) => {
    const b = toBig(v, path, i);
    if (b < lo || b > hi) throw new PqError(diag("PQ4012", { path, value: b, index: i, type: elemName(type) }));
    return b;
  });
  return tensorFromBigints(type.shape, type.bits, type.signed, values);
}

/**
 * `--input FILE` for a one-input model, `--input NAME=FILE` for each input otherwise. A
 * spec that starts with an identifier and `=` names an input: one the model lacks (PQ4015)
 * or one given twice (PQ4016) is an error, not a file path or a silent override.
 */
export function readInputs(g: Graph, specs: readonly string[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, path] of inputPaths(g, specs)) {
    const n = g.nodes.find((m) => m.op === "input" && m.attrs.name === name)!;
    out.set(name, loadInput(path, name, n.type, n.attrs));
  }
  return out;
}

/** The file of each model input, in the model's order, from `--input` specs (readInputs). */
export function inputPaths(g: Graph, specs: readonly string[]): Map<string, string> {
  const inputs = g.nodes.filter((n) => n.op === "input");
  const names = inputs.map((n) => n.attrs.name as string);
  const byName = new Map<string, string>();
  for (const s of specs) {
    const named = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(s);
    let name: string;
    let path: string;
    if (named) {
      [, name, path] = named as unknown as [string, string, string];
      if (!names.includes(name)) {
        throw new PqError(diag("PQ4015", { model: g.name, name, suggestion: didYouMean(name, names), known: names.join(", ") || "none" }));
      }
    } else if (names.length === 1) {
      [name, path] = [names[0]!, s];
    } else {
      throw new PqError(diag("PQ4014", { count: inputs.length }));
    }
    if (byName.has(name)) throw new PqError(diag("PQ4016", { name, first: byName.get(name)!, second: path }));
    byName.set(name, path);
  }
  const out = new Map<string, string>();
  for (const name of names) {
    const path = byName.get(name);
    if (path === undefined) throw new PqError(diag("PQ4014", { count: inputs.length }));
    out.set(name, path);
  }
  return out;
}
