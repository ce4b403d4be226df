// The ONNX wire format, read and written with protobufjs and the official schema
// (import/onnx/onnx.proto, copied unchanged from github.com/onnx/onnx, Apache-2.0).
// Why protobufjs 8 with the official .proto rather than the `onnx-proto` package: onnx-proto
// 8.0.1 (2021) freezes the schema at IR version 8 and pins protobufjs 6, which is no longer
// maintained; protobufjs 8 is, and the official schema carries today's fields (IR 14).
// Only the fields pq reads or writes are typed below; protobufjs checks the wire format.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { STDLIB_DIR } from "../../compiler/modules.js";

export interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  rawData?: Uint8Array;
  dataLocation?: number;
}

export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}

export interface NodeProto {
  name?: string;
  opType?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProto[];
}

export interface DimProto {
  dimValue?: number;
  dimParam?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimProto[] } } };
}

export interface GraphProto {
  name?: string;
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
}

export interface ModelProto {
  irVersion?: number;
  producerName?: string;
  opsetImport?: { domain?: string; version?: number }[];
  graph?: GraphProto;
}

/** ONNX TensorProto.DataType values pq reads. */
export const DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** AttributeProto.AttributeType values pq reads and writes. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

let modelType: protobuf.Type | undefined;

function schema(): protobuf.Type {
  if (modelType === undefined) {
    const text = readFileSync(join(STDLIB_DIR, "..", "import", "onnx", "onnx.proto"), "utf8");
    modelType = protobuf.parse(text, { keepCase: false }).root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

/** Decodes a ModelProto; throws the decoder's own Error for bytes that are not one. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const t = schema();
  return t.toObject(t.decode(bytes), { longs: Number, defaults: false }) as ModelProto;
}

export function encodeModel(model: ModelProto): Uint8Array {
  const t = schema();
  return t.encode(t.fromObject(model as Record<string, unknown>)).finish();
}
