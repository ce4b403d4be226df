// Hand-built graphs for the interpreter tests (independent of the compiler front end).
import type { Attrs, Graph, Node, Op, ParamData } from "../../compiler/ir.js";
import type { Scale, TensorType } from "../../compiler/types.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints, type Tensor } from "../../interpreter/plain/tensor.js";

export interface ElemT {
  bits: number;
  signed: boolean;
}

/** "i8" → {bits 8, signed}, "u33" → {bits 33, unsigned}. */
export function el(name: string): ElemT {
  const m = /^([iu])(\d+)$/.exec(name);
  if (!m) throw new Error(`bad element type ${name}`);
  return { bits: Number(m[2]), signed: m[1] === "i" };
}

export function pow2(exp: number): Scale {
  return { kind: "pow2", exp };
}

export function ty(e: string | ElemT, shape: number[], scale: Scale = pow2(0)): TensorType {
  const { bits, signed } = typeof e === "string" ? el(e) : e;
  return { bits, signed, shape, vis: "shared", scale, nonneg: false };
}

export const big = (xs: readonly (number | bigint)[]): bigint[] => xs.map((x) => BigInt(x));

export function tensor(e: string | ElemT, shape: number[], values: readonly (number | bigint)[]): Tensor {
  const { bits, signed } = typeof e === "string" ? el(e) : e;
  return tensorFromBigints(shape, bits, signed, big(values));
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly params = new Map<string, ParamData>();
  readonly outputs: Graph["outputs"] = [];

  node(op: Op, type: TensorType, inputs: number[] = [], attrs: Attrs = {}): number {
    const id = this.nodes.length;
    this.nodes.push({ id, op, type, inputs, attrs, origin: { path: `test/${op}${id}` } });
    return id;
  }

  input(name: string, type: TensorType): number {
    return this.node("input", type, [], { name });
  }

  param(name: string, type: TensorType, values: readonly (number | bigint)[]): number {
    this.params.set(name, tensorFromBigints(type.shape, type.bits, type.signed, big(values)));
    return this.node("param", type, [], { name });
  }

  output(id: number): this {
    this.outputs.push({ node: id, to: "client" });
    return this;
  }

  graph(): Graph {
    return { name: "test", nodes: this.nodes, params: this.params, outputs: this.outputs };
  }
}

/**
 * Runs one op on the given operands (each fed as an `input` node of the tensor's own type,
 * with an optional scale) and returns the result's values.
 */
export function runOp(
  op: Op,
  operands: readonly (Tensor | { t: Tensor; scale: Scale })[],
  out: TensorType,
  attrs: Attrs = {},
): bigint[] {
  return toBigints(runOpTensor(op, operands, out, attrs));
}

export function runOpTensor(
  op: Op,
  operands: readonly (Tensor | { t: Tensor; scale: Scale })[],
  out: TensorType,
  attrs: Attrs = {},
): Tensor {
  const b = new GraphBuilder();
  const inputs = new Map<string, Tensor>();
  const ids = operands.map((o, k) => {
    const t = "t" in o ? o.t : o;
    const scale = "t" in o ? o.scale : pow2(0);
    inputs.set(`x${k}`, t);
    return b.input(`x${k}`, ty({ bits: t.bits, signed: t.signed }, t.shape, scale));
  });
  b.output(b.node(op, out, ids, attrs));
  return runPlain(b.graph(), inputs).outputs[0]!;
}
