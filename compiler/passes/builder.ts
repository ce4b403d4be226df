// Building a new graph from an old one, node by node: what every pass does. Each added
// node is typed by the same rule as lowering (compiler/typing.ts), so a rewrite that would
// change a value's type or overflow fails here, at the pass, not at run time.
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { Attrs, Graph, Node, Op, Origin, ParamData } from "../ir.js";
import { knownFromBigints, knownFromData, knownRange, operand, type Interval, type Known } from "../ops.js";
import type { Program } from "../ir.js";
import { typeNode, type Declared } from "../typing.js";
import type { TensorType } from "../types.js";

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly ranges: Interval[] = [];
  private readonly known: (Known | undefined)[] = [];
  readonly params: Map<string, ParamData>;

  constructor(private readonly from: Graph) {
    this.params = new Map(from.params);
  }

  /** A source node (input, param, const) copied with its type; params keep their data. */
  source(n: Node, range: Interval): number {
    const id = this.nodes.length;
    this.nodes.push({ ...n, id, inputs: [] });
    this.ranges.push(range);
    if (n.op === "param") {
      const p = this.params.get(n.attrs.name as string)!;
      this.known.push(knownFromData(p.shape, p.signed, p.data));
    } else if (n.op === "const") {
      this.known.push(knownFromBigints(n.type.shape, n.attrs.value as bigint[]));
    } else this.known.push(undefined);
    return id;
  }

  /** A new server parameter (e.g. weights with a folded batch norm). */
  param(name: string, data: ParamData, type: TensorType, origin: Origin): number {
    if (this.params.has(name)) throw new Error(`internal: parameter ${name} exists`);
    this.params.set(name, data);
    const id = this.nodes.length;
    const known = knownFromData(data.shape, data.signed, data.data);
    this.nodes.push({ id, op: "param", type, inputs: [], attrs: { name }, origin });
    this.ranges.push(knownRange(known));
    this.known.push(known);
    return id;
  }

  /** A public literal. */
  literal(values: bigint[], type: TensorType, origin: Origin): number {
    const id = this.nodes.length;
    const known = knownFromBigints(type.shape, values);
    this.nodes.push({ id, op: "const", type, inputs: [], attrs: { value: values }, origin });
    this.ranges.push(knownRange(known));
    this.known.push(known);
    return id;
  }

  /** An op node, typed from its operands; `declared` pins its element type (acc width). */
  add(op: Op, inputs: number[], attrs: Attrs, origin: Origin, declared?: Declared): number {
    const xs = inputs.map((i) => operand(this.nodes, this.ranges, this.known, i));
    const { type, range } = typeNode(op, xs, attrs, declared, origin.path, (code, args) => {
      throw new PqError(diag(code, args, origin.span));
    });
    const id = this.nodes.length;
    this.nodes.push({ id, op, type, inputs, attrs, origin });
    this.ranges.push(range);
    this.known.push(undefined);
    return id;
  }

  type(id: number): TensorType {
    return this.nodes[id]!.type;
  }

  finish(outputs: Graph["outputs"]): Program {
    const graph: Graph = { name: this.from.name, nodes: this.nodes, params: this.params, outputs };
    if (this.from.paramsFile !== undefined) graph.paramsFile = this.from.paramsFile;
    return { graph, ranges: this.ranges };
  }
}

/**
 * The declared type that copies a node unchanged: its element type, and for a requant its
 * scale (authoritative there: the integer multiplier only approximates the ratio).
 */
export function copyDeclared(n: Node): Declared {
  const d: Declared = { bits: n.type.bits, signed: n.type.signed, nonneg: false };
  if (n.op === "requant") d.scale = n.type.scale;
  return d;
}

/** Copy a graph through a per-node rewrite: `f` returns the new id of a node (or undefined to copy it). */
export function rebuild(p: Program, f: (n: Node, map: (old: number) => number, b: GraphBuilder) => number | undefined): Program {
  const b = new GraphBuilder(p.graph);
  const ids: number[] = [];
  const map = (old: number) => ids[old]!;
  for (const n of p.graph.nodes) {
    const r = f(n, map, b);
    if (r !== undefined) ids.push(r);
    else if (n.op === "input" || n.op === "param" || n.op === "const") ids.push(b.source(n, p.ranges[n.id]!));
    else ids.push(b.add(n.op, n.inputs.map(map), n.attrs, n.origin, copyDeclared(n)));
  }
  return b.finish(p.graph.outputs.map((o) => ({ ...o, node: map(o.node) })));
}

/** Drop nodes no output depends on (model inputs stay: the client still supplies them). */
export function prune(p: Program): Program {
  const live = new Array<boolean>(p.graph.nodes.length).fill(false);
  for (const o of p.graph.outputs) live[o.node] = true;
  for (let i = p.graph.nodes.length - 1; i >= 0; i--) {
    const n = p.graph.nodes[i]!;
    if (n.op === "input") live[i] = true;
    if (live[i]) for (const j of n.inputs) live[j] = true;
  }
  if (live.every(Boolean)) return p;
  const b = new GraphBuilder(p.graph);
  const ids: number[] = [];
  for (const n of p.graph.nodes) {
    if (!live[n.id]) {
      ids.push(-1);
      continue;
    }
    if (n.op === "input" || n.op === "param" || n.op === "const") ids.push(b.source(n, p.ranges[n.id]!));
    else ids.push(b.add(n.op, n.inputs.map((i) => ids[i]!), n.attrs, n.origin, copyDeclared(n)));
  }
  for (const n of p.graph.nodes) if (!live[n.id] && n.op === "param") b.params.delete(n.attrs.name as string);
  return b.finish(p.graph.outputs.map((o) => ({ ...o, node: ids[o.node]! })));
}
