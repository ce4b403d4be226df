// Reading a model's parameter file (docs/LANGUAGE.md "Parameters file") and checking each
// declared tensor against it. Errors name the file and the declaration's span.
import { readFileSync } from "node:fs";
import { createCipheriv, createHash } from "node:crypto";
import type { Span } from "../grammar/ast.js";
import { diag, fileReason, PqError } from "../grammar/diagnostics.js";
import type { Interval, ParamData } from "./ir.js";
import { primeKnown, type RowSums } from "./ops.js";
import { numel, typeRange } from "./types.js";

interface RawTensor {
  shape: number[];
  scale?: number;
  data: (number | string)[];
}

/** A parsed params file. `random` files generate every tensor from a seed (cost/speed specs). */
export interface ParamsFile {
  path: string;
  tensors: Map<string, RawTensor>;
  scales: Map<string, number>;
  randomSeed?: number;
}

function invalid(path: string, reason: string, span?: Span): never {
  throw new PqError(diag("PQ4002", { path, reason }, span));
}

export function readParamsFile(path: string, span?: Span): ParamsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new PqError(diag("PQ4001", { path, reason: fileReason(e) }, span));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return invalid(path, (e as Error).message, span);
  }
  if (typeof json !== "object" || json === null || (json as { format?: unknown }).format !== "pq-params/1") {
    return invalid(path, 'expected an object with "format": "pq-params/1"', span);
  }
  const obj = json as { tensors?: unknown; scales?: unknown; random?: unknown };
  const out: ParamsFile = { path, tensors: new Map(), scales: new Map() };
  if (obj.tensors !== undefined) {
    if (typeof obj.tensors !== "object" || obj.tensors === null) return invalid(path, '"tensors" must be an object', span);
    for (const [name, t] of Object.entries(obj.tensors as Record<string, unknown>)) {
      const r = t as Partial<RawTensor> | null;
      if (!r || !Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(r.data)) {
        return invalid(path, `tensor "${name}" needs an integer "shape" list and a "data" list`, span);
      }
      if (r.scale !== undefined && !(typeof r.scale === "number" && r.scale > 0)) return invalid(path, `tensor "${name}" has a non-positive scale`, span);
      out.tensors.set(name, r as RawTensor);
    }
  }
  if (obj.scales !== undefined) {
    for (const [name, v] of Object.entries(obj.scales as Record<string, unknown>)) {
      if (typeof v !== "number" || !(v > 0)) return invalid(path, `scale "${name}" must be a positive number`, span);
      out.scales.set(name, v);
    }
  }
  if (obj.random !== undefined) {
    const seed = (obj.random as { seed?: unknown }).seed;
    if (!Number.isInteger(seed)) return invalid(path, '"random" needs an integer "seed"', span);
    out.randomSeed = seed as number;
  }
  return out;
}

/**
 * One pass over fresh weights for what the type rules read of them (ops.ts primeKnown): the
 * range, and the sums of the rows of the leading dimension (a convolution's or linear layer's
 * output channels), in doubles while exact (Σ|w| < 2^53, rowSums's own rule).
 */
function summary(d: Float64Array, shape: readonly number[]): [Interval, { count: number; sums: RowSums } | undefined] {
  const rows = shape.length > 1 ? shape[0]! : 1;
  const count = rows > 0 ? d.length / rows : 0;
  const pos: bigint[] = new Array(rows);
  const neg: bigint[] = new Array(rows);
  let lo = d.length > 0 ? d[0]! : 0;
  let hi = lo;
  let exact = true;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let abs = 0;
    for (let i = r * count; i < (r + 1) * count; i++) {
      const v = d[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      sum += v;
      abs += Math.abs(v);
    }
    if (abs >= 2 ** 53) exact = false;
    else {
      pos[r] = BigInt((sum + abs) / 2);
      neg[r] = BigInt((sum - abs) / 2);
    }
  }
  return [{ lo: BigInt(lo), hi: BigInt(hi) }, exact ? { count, sums: { pos, neg } } : undefined];
}

const CHUNK_WORDS = 1 << 16;
const ZEROS = Buffer.alloc(CHUNK_WORDS * 4);

/**
 * Deterministic uniform values in [lo, hi] for a named tensor: an AES-256-CTR stream keyed
 * by SHA-256(seed, name), so a tensor does not change when others are added or reordered.
 */
function randomTensor(seed: number, name: string, shape: number[], lo: bigint, hi: bigint, bits: number, signed: boolean): ParamData {
  const n = numel(shape);
  const key = createHash("sha256").update(`pq-random/${seed}/${name}`).digest();
  const span = hi - lo + 1n;
  if (bits <= 32) {
    // The stream a chunk at a time (CTR: the same bytes as in one piece), so that a large
    // tensor does not allocate its whole stream and the zeros it encrypts on top of its data.
    const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
    const data = new Float64Array(n);
    const l = Number(lo);
    // span = 2^bits: keep the low bits (unbiased); >>> 0 keeps bit 31 unsigned
    const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
    for (let start = 0; start < n; start += CHUNK_WORDS) {
      const m = Math.min(CHUNK_WORDS, n - start);
      const bytes = cipher.update(ZEROS.subarray(0, m * 4));
      const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, m) : new Uint32Array(Uint8Array.from(bytes).buffer);
      for (let i = 0; i < m; i++) data[start + i] = l + ((words[i]! & mask) >>> 0);
    }
    primeKnown(data, ...summary(data, shape));
    return { shape: [], bits, signed, data };
  }
  const stream = createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(n * 8));
  const values: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = lo + (stream.readBigUInt64LE(i * 8) % span);
  return toParamData([], bits, signed, values);
}

export interface ParamDecl {
  /** The key in the file (block instances prefix it: `l1.conv.w`). */
  key: string;
  shape: number[];
  bits: number;
  signed: boolean;
  span: Span;
}

/** Look a declared tensor up, check shape and values, and return it in IR form with its scale. */
export function bindParam(file: ParamsFile, decl: ParamDecl): { data: ParamData; scale?: number } {
  const [lo, hi] = typeRange(decl);
  const type = `${decl.signed ? "i" : "u"}${decl.bits}`;
  const raw = file.tensors.get(decl.key);
  if (raw === undefined) {
    if (file.randomSeed === undefined) throw new PqError(diag("PQ4003", { name: decl.key, path: file.path }, decl.span));
    const data = randomTensor(file.randomSeed, decl.key, decl.shape, lo, hi, decl.bits, decl.signed);
    return { data: { ...data, shape: decl.shape } };
  }
  if (raw.shape.length !== decl.shape.length || raw.shape.some((d, i) => d !== decl.shape[i])) {
    throw new PqError(diag("PQ4004", { name: decl.key, path: file.path, got: raw.shape.join(", "), expected: decl.shape.join(", ") }, decl.span));
  }
  if (raw.data.length !== numel(decl.shape)) {
    return invalid(file.path, `tensor "${decl.key}" has ${raw.data.length} values for shape [${decl.shape.join(", ")}]`, decl.span);
  }
  const values: bigint[] = new Array(raw.data.length);
  for (let i = 0; i < raw.data.length; i++) {
    const v = raw.data[i];
    let b: bigint;
    if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
    else if (typeof v === "string" && /^-?\d+$/.test(v)) b = BigInt(v);
    else return invalid(file.path, `tensor "${decl.key}" holds ${JSON.stringify(v)} at index ${i}, not an integer`, decl.span);
    if (b < lo || b > hi) {
      throw new PqError(diag("PQ4005", { name: decl.key, path: file.path, value: b, index: i, type, lo, hi }, decl.span));
    }
    values[i] = b;
  }
  const data = toParamData(decl.shape, decl.bits, decl.signed, values);
  return raw.scale !== undefined ? { data, scale: raw.scale } : { data };
}


export function toParamData(shape: number[], bits: number, signed: boolean, values: readonly bigint[]): ParamData {
  if (bits <= 52) {
    const data = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) data[i] = Number(values[i]!);
    return { shape, bits, signed, data };
  }
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt.asIntN(64, values[i]!);
  return { shape, bits, signed, data };
}
