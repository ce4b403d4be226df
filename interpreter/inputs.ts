// Reading a client input: a JSON tensor ({"shape", "data"} or nested arrays) or a PNG
// image (8-bit pixels, [C, H, W]: one channel or three as the PNG's colour type says).
// Checked against the model input's declared type: a wrong shape or an out-of-range value
// is an error.
import { readFileSync } from "node:fs";
import { PNG, type PNGWithMetadata } from "pngjs";
import { diag, fileReason, PqError } from "../grammar/diagnostics.js";
import { didYouMean } from "../grammar/suggest.js";
import type { Graph } from "../compiler/ir.js";
import type { TensorType } from "../compiler/types.js";
import { elemName, numel, typeRange } from "../compiler/types.js";
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
  return bad(path, `element ${i} is ${JSON.stringify(v)}, not an integer`);
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

/** Load `path` as the value of the model input `name` of type `type`. */
export function loadInput(path: string, name: string, type: TensorType): Tensor {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new PqError(diag("PQ4010", { path, reason: fileReason(e) }));
  }
  let shape: number[];
  let raw: unknown[];
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    if (type.bits < 8 || (type.signed && type.bits < 9)) bad(path, `a PNG holds 8-bit pixels, but input '${name}' is ${elemName(type)}`);
    ({ shape, data: raw } = pngPixels(bytes, path));
  } else {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString("utf8"));
    } catch (e) {
      return bad(path, `neither PNG nor JSON (${(e as Error).message})`);
    }
    if (json !== null && typeof json === "object" && !Array.isArray(json)) {
      const o = json as { shape?: unknown; data?: unknown };
      if (!Array.isArray(o.shape) || !o.shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(o.data)) {
        bad(path, 'an object needs an integer "shape" list and a "data" list');
      }
      shape = o.shape as number[];
      raw = o.data as unknown[];
      if (raw.length !== numel(shape)) bad(path, `${raw.length} values for shape [${shape.join(", ")}]`);
    } else {
      ({ shape, data: raw } = flattenNested(json, path, type.shape.length + EXTRA_DEPTH));
    }
  }
  if (shape.join() !== type.shape.join()) {
    throw new PqError(diag("PQ4011", { path, got: shape.join(", "), name, expected: type.shape.join(", ") }));
  }
  const [lo, hi] = typeRange(type);
  const values = raw.map((v, i) => {
    const b = toBig(v, path, i);
    if (b < lo || b > hi) throw new PqError(diag("PQ4012", { path, value: b, index: i, type: elemName(type) }));
    return b;
  });
  return tensorFromBigints(shape, type.bits, type.signed, values);
}

/**
 * `--input FILE` for a one-input model, `--input NAME=FILE` for each input otherwise. A
 * spec that starts with an identifier and `=` names an input: one the model lacks (PQ4015)
 * or one given twice (PQ4016) is an error, not a file path or a silent override.
 */
export function readInputs(g: Graph, specs: readonly string[]): Map<string, Tensor> {
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
  const out = new Map<string, Tensor>();
  for (const n of inputs) {
    const name = n.attrs.name as string;
    const path = byName.get(name);
    if (path === undefined) throw new PqError(diag("PQ4014", { count: inputs.length }));
    out.set(name, loadInput(path, name, n.type));
  }
  return out;
}
