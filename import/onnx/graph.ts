// An ONNX file read into a checked graph: tensors decoded to numbers, `Constant` nodes
// turned into initializers, the opsets checked, every node's inputs known (the nodes in
// topological order), the graph input's shape fixed. Every failure is a coded diagnostic
// (PQ6001–PQ6010) naming the file and, where there is one, the node.
import { readFileSync } from "node:fs";
import { diag, fileReason, PqError } from "../../grammar/diagnostics.js";
import { ATTR, decodeModel, DTYPE, type AttributeProto, type NodeProto, type TensorProto } from "./proto.js";

/** 4-bit types are never read from a file (pq reads no packed data); `pq quantize` uses them for A = 4. */
export type ElemType = "float" | "double" | "uint4" | "int4" | "uint8" | "int8" | "uint16" | "int16" | "int32" | "int64";

const ELEM_OF: Record<number, ElemType> = {
  [DTYPE.FLOAT]: "float", [DTYPE.DOUBLE]: "double", [DTYPE.UINT8]: "uint8", [DTYPE.INT8]: "int8",
  [DTYPE.UINT16]: "uint16", [DTYPE.INT16]: "int16", [DTYPE.INT32]: "int32", [DTYPE.INT64]: "int64",
};

/** A constant tensor; integers up to int64's exact-double range are held as numbers. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  elem: ElemType;
  data: Float64Array;
}

export type AttrValue = number | number[] | string | OnnxTensor;

export interface OnnxNode {
  /** The node's name, or `OpType#k` (k its position) when the file gives none. */
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
}

export interface OnnxGraph {
  path: string;
  /** The one graph input that is not an initializer; its shape with the batch axis (1) first. */
  input: { name: string; shape: number[]; elem: ElemType };
  outputs: string[];
  init: Map<string, OnnxTensor>;
  nodes: OnnxNode[];
}

/** The opsets pq maps (docs/ONNX.md): ai.onnx 13 (per-axis DequantizeLinear) to 23, com.microsoft 1 (QLinearAdd). */
export const OPSETS: Record<string, [number, number]> = { "": [13, 23], "ai.onnx": [13, 23], "com.microsoft": [1, 1] };

const BYTES: Record<ElemType, number> = { uint4: 0.5, int4: 0.5, float: 4, double: 8, uint8: 1, int8: 1, uint16: 2, int16: 2, int32: 4, int64: 8 };

export function numelOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function decodeTensor(t: TensorProto, path: string, name: string): OnnxTensor {
  const bad = (detail: string): never => {
    throw new PqError(diag("PQ6010", { path, name, detail }));
  };
  const elem = ELEM_OF[t.dataType ?? 0];
  if (elem === undefined) return bad(`has data type ${t.dataType ?? "(none)"}, which pq does not read (float, double, int8/16/32/64, uint8/16)`);
  if (t.dataLocation === 1) return bad("keeps its data in an external file; save the model with its data inside (onnx.save(..., save_as_external_data=False))");
  const dims = (t.dims ?? []).map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) bad(`has the invalid shape [${dims.join(", ")}]`);
  const n = numelOf(dims);
  let data: Float64Array;
  if (t.rawData !== undefined && t.rawData.length > 0) {
    const raw = t.rawData;
    if (raw.length !== n * BYTES[elem]) bad(`holds ${raw.length} bytes of raw data, its shape [${dims.join(", ")}] of ${elem} needs ${n * BYTES[elem]}`);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      switch (elem) {
        case "float": data[i] = v.getFloat32(4 * i, true); break;
        case "double": data[i] = v.getFloat64(8 * i, true); break;
        case "uint8": data[i] = v.getUint8(i); break;
        case "int8": data[i] = v.getInt8(i); break;
        case "uint16": data[i] = v.getUint16(2 * i, true); break;
        case "int16": data[i] = v.getInt16(2 * i, true); break;
        case "int32": data[i] = v.getInt32(4 * i, true); break;
        case "int64": data[i] = Number(v.getBigInt64(8 * i, true)); break;
        case "uint4": case "int4": break; // not in ELEM_OF: never read
      }
    }
  } else {
    const typed = elem === "float" ? t.floatData : elem === "double" ? t.doubleData : elem === "int64" ? t.int64Data : t.int32Data;
    const list = (typed ?? []).map(Number);
    if (list.length !== n) bad(`holds ${list.length} values, its shape [${dims.join(", ")}] needs ${n}`);
    data = Float64Array.from(list);
  }
  if (elem === "int64" && data.some((v) => Math.abs(v) > Number.MAX_SAFE_INTEGER)) {
    bad("holds an integer beyond 2^53, which pq does not import exactly");
  }
  return { name, dims, elem, data };
}

function attrValue(a: AttributeProto, path: string, node: string): AttrValue | undefined {
  switch (a.type) {
    case ATTR.FLOAT: return a.f ?? 0;
    case ATTR.INT: return Number(a.i ?? 0);
    case ATTR.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case ATTR.TENSOR: return decodeTensor(a.t ?? {}, path, `${node}.${a.name ?? ""}`);
    case ATTR.FLOATS: return [...(a.floats ?? [])];
    case ATTR.INTS: return (a.ints ?? []).map(Number);
    default: return undefined; // graphs, sparse tensors, type protos: no op pq maps reads them
  }
}

/** Reads and checks an ONNX file. Throws PqError with a PQ60xx diagnostic. */
export function readOnnx(path: string): OnnxGraph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new PqError(diag("PQ6001", { path, reason: `cannot read it (${fileReason(e)})` }));
  }
  const model = (() => {
    try {
      return decodeModel(bytes);
    } catch (e) {
      const why = (e as Error).message;
      throw new PqError(diag("PQ6001", { path, reason: /index out of range/.test(why) ? "the protobuf ends early (a truncated file)" : `the bytes are not protobuf (${why})` }));
    }
  })();
  const g = model.graph;
  if (g === undefined || (g.node ?? []).length === 0 || model.irVersion === undefined) {
    throw new PqError(diag("PQ6001", { path, reason: "it has no IR version or no graph of nodes" }));
  }
  for (const o of model.opsetImport ?? []) {
    const domain = o.domain ?? "";
    const range = OPSETS[domain];
    const v = Number(o.version ?? 0);
    const supported = "ai.onnx opsets 13–23 and com.microsoft 1";
    if (range === undefined) throw new PqError(diag("PQ6002", { path, version: v, domain, supported }));
    if (v < range[0] || v > range[1]) throw new PqError(diag("PQ6002", { path, version: v, domain: domain || "ai.onnx", supported }));
  }

  const init = new Map<string, OnnxTensor>();
  for (const t of g.initializer ?? []) init.set(t.name ?? "", decodeTensor(t, path, t.name ?? ""));
  const inputs = (g.input ?? []).filter((i) => !init.has(i.name ?? ""));
  if (inputs.length !== 1) {
    throw new PqError(diag("PQ6001", { path, reason: `pq imports models with one input, this one has ${inputs.length} (${inputs.map((i) => i.name).join(", ")})` }));
  }
  const vi = inputs[0]!;
  const inName = vi.name ?? "";
  const tt = vi.type?.tensorType;
  const dims = tt?.shape?.dim ?? [];
  const shapeText = dims.map((d) => (d.dimValue !== undefined ? String(d.dimValue) : d.dimParam || "?")).join(", ");
  const shape = dims.map((d, i) => {
    if (d.dimValue !== undefined && Number(d.dimValue) > 0) return Number(d.dimValue);
    if (i === 0 && dims.length > 1) return 1; // a symbolic batch axis: pq runs one input at a time
    throw new PqError(diag("PQ6005", { path, name: inName, shape: shapeText }));
  });
  if (shape.length === 0) throw new PqError(diag("PQ6005", { path, name: inName, shape: shapeText }));
  const inElem = ELEM_OF[tt?.elemType ?? 0] ?? "float";

  const nodes: OnnxNode[] = [];
  const known = new Set<string>([inName, ...init.keys()]);
  for (const [k, n] of (g.node ?? []).entries()) {
    const p: NodeProto = n;
    const op = p.opType ?? "";
    const name = p.name || `${op}#${k}`;
    const attrs = new Map<string, AttrValue>();
    for (const a of p.attribute ?? []) {
      const v = attrValue(a, path, name);
      if (v !== undefined) attrs.set(a.name ?? "", v);
    }
    for (const i of p.input ?? []) {
      if (i !== "" && !known.has(i)) throw new PqError(diag("PQ6004", { path, node: name, op, name: i }));
    }
    for (const o of p.output ?? []) known.add(o);
    if (op === "Constant" && (p.domain ?? "") === "") {
      const value = attrs.get("value") ?? attrs.get("value_float") ?? attrs.get("value_int") ?? attrs.get("value_floats") ?? attrs.get("value_ints");
      const out = p.output?.[0] ?? "";
      const elem: ElemType = attrs.has("value_int") || attrs.has("value_ints") ? "int64" : "float";
      if (typeof value === "object" && !Array.isArray(value)) init.set(out, { ...value, name: out });
      else if (typeof value === "number") init.set(out, { name: out, dims: [], elem, data: Float64Array.of(value) });
      else if (Array.isArray(value)) init.set(out, { name: out, dims: [value.length], elem, data: Float64Array.from(value) });
      else throw new PqError(diag("PQ6007", { path, node: name, op, detail: "a Constant pq reads holds a tensor, a number or a list of numbers" }));
      continue;
    }
    nodes.push({ name, op, domain: p.domain ?? "", inputs: [...(p.input ?? [])], outputs: [...(p.output ?? [])], attrs });
  }
  const outputs = (g.output ?? []).map((o) => o.name ?? "");
  for (const o of outputs) if (!known.has(o)) throw new PqError(diag("PQ6004", { path, node: "(graph output)", op: "output", name: o }));
  return { path, input: { name: inName, shape, elem: inElem }, outputs, init, nodes };
}

/** An int attribute (or its default). */
export function intAttr(n: OnnxNode, name: string, dflt: number): number {
  const v = n.attrs.get(name);
  return typeof v === "number" ? v : dflt;
}

export function intsAttr(n: OnnxNode, name: string): number[] | undefined {
  const v = n.attrs.get(name);
  return Array.isArray(v) ? v : undefined;
}
