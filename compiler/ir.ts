// The IR: one node type for everything (tinygrad's habit). A graph is a list of nodes in
// topological order; a node names its inputs by id. Ops form a closed union: a `switch`
// over `Op` must be exhaustive (see `assertNever`), so adding an op fails to compile
// until every backend and pass handles it. Each op is described once in ops.ts.
import type { Span } from "../grammar/ast.js";
import type { TensorType } from "./types.js";

export const OPS = [
  // sources
  "input", "param", "const",
  // layers
  "conv2d", "winoconv", "linear", "batchnorm", "relu", "sqplus", "avgpool", "gavgpool", "maxpool",
  "flatten", "reshape", "concat", "requant", "argmax",
  // local primitives
  "add", "sub", "neg", "mulc", "shl", "divexact", "sum", "linmap",
  // interactive primitives
  "mul", "msb", "drelu", "wrap", "b2a", "select", "clamp", "trunc", "truncreduce",
  "zext", "sext", "reveal",
] as const;

export type Op = (typeof OPS)[number];

export function isOp(name: string): name is Op {
  return (OPS as readonly string[]).includes(name);
}

/** An element type written as an attribute value, e.g. `to = i16`. */
export interface ElemSpec {
  kind: "elem";
  bits: number;
  signed: boolean;
}

export type AttrValue = number | bigint | string | number[] | number[][] | bigint[] | ElemSpec;
export type Attrs = Record<string, AttrValue>;

export interface Origin {
  span?: Span;
  /** Layer path used for diagnostics and cost attribution, e.g. `lenet/conv1`. */
  path: string;
  /** The stdlib protocol this node was inlined from (`relu`), for cost attribution. */
  via?: string;
}

export interface Node {
  id: number;
  op: Op;
  type: TensorType;
  inputs: number[];
  attrs: Attrs;
  origin: Origin;
}

/**
 * Integer tensor data of a parameter, row-major, exact. Same representation rule as the
 * interpreter's tensors: declared width ≤ 52 bits → Float64Array of the integer values;
 * wider → BigInt64Array of `BigInt.asIntN(64, value)` (read back by the declared
 * signedness). Large networks have millions of weights: no arrays of BigInt here.
 */
export interface ParamData {
  shape: number[];
  bits: number;
  signed: boolean;
  data: Float64Array | BigInt64Array;
}

export interface Graph {
  name: string;
  /** Topologically ordered; `nodes[i].id === i`. */
  nodes: Node[];
  /** Server-owned tensors, keyed by the `name` attr of `param` nodes. */
  params: Map<string, ParamData>;
  paramsFile?: string;
  outputs: { node: number; to: "client" | "server" }[];
}

/** A closed integer interval: a node's values (the range analysis). */
export interface Interval {
  lo: bigint;
  hi: bigint;
}

/** Compile-time known integer values (params and literals), row-major. */
export interface Known {
  shape: number[];
  at(i: number): bigint;
  /** Fast read when the value is a safe integer (all pq parameters up to 52 bits). */
  num(i: number): number;
  size: number;
  /** The values as doubles when they are all exact (≤ 52-bit parameters): the fast path. */
  f64?: Float64Array;
}

/** A lowered program: its graph and the value interval of every node (range analysis), by node id. */
export interface Program {
  graph: Graph;
  ranges: Interval[];
}

export function assertNever(x: never, what = "value"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}

/** Users of each node, in order. */
export function users(g: Graph): number[][] {
  const out: number[][] = g.nodes.map(() => []);
  for (const n of g.nodes) for (const i of n.inputs) out[i]!.push(n.id);
  return out;
}
