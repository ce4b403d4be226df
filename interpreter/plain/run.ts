// The plaintext reference interpreter: runs a Graph node by node on exact integers
// (docs/LANGUAGE.md "Ops"). The two-party backend must reconstruct to exactly these values.
import { assertNever, type Graph, type Node, type ParamData } from "../../compiler/ir.js";
import { ONE, elemName, formatType, numel, scaleShift, typeRange, type TensorType } from "../../compiler/types.js";
import { addSub, divexact, linmap, mul, mulc, neg, relu, requant, shl, sqplus, sum } from "./kernels/arith.js";
import { b2a, clamp, drelu, msb, select, sext, trunc, truncreduce, wrapCarry, zext } from "./kernels/bits.js";
import { argmax, avgpool, batchnorm, conv2d, gavgpool, linear, maxpool } from "./kernels/layers.js";
import { concat, flatten, reshape } from "./kernels/shape.js";
import { winoInput, winoOutput, winoProducts, withOffset } from "./kernels/winoconv.js";
import { tileOf, winoGeometry } from "../../compiler/winoconv.js";
import { bigAttr, bigListAttr, elemAttr, intAttr, matrixAttr, strAttr } from "../../compiler/ops.js";
import { convert, ProgramFault, sameShape } from "./kernels/common.js";
import { diag, PqError } from "../../grammar/diagnostics.js";
import { getBig, tensorFromBigints, type Tensor } from "./tensor.js";

export interface RunOptions {
  /** Called with every node's value right after it is computed. */
  onNode?: (node: Node, value: Tensor) => void;
  /** Keep every intermediate value and return it in `values` (indexed by node id). */
  keepAll?: boolean;
}

export interface RunResult {
  /** One tensor per `g.outputs` entry, in order. */
  outputs: Tensor[];
  /** Only with `keepAll`. */
  values?: Tensor[];
}

export function runPlain(g: Graph, inputs: Map<string, Tensor>, opts: RunOptions = {}): RunResult {
  // lastUse[i]: index of the last node reading node i, so its value is dropped right after
  // (outputs are read at the end and never dropped).
  const lastUse = new Array<number>(g.nodes.length).fill(-1);
  for (const n of g.nodes) for (const i of n.inputs) lastUse[i] = Math.max(lastUse[i]!, n.id);
  for (const o of g.outputs) lastUse[o.node] = g.nodes.length;
  const values: (Tensor | undefined)[] = new Array<Tensor | undefined>(g.nodes.length);

  for (const [k, node] of g.nodes.entries()) {
    if (node.id !== k) throw new Error(`graph ${g.name}: node at position ${k} has id ${node.id}`);
    const arg = (j: number): Tensor => {
      const id = node.inputs[j];
      const v = id === undefined ? undefined : values[id];
      if (v === undefined) throw new Error(`${where(node)}: input ${j} (node ${id}) has no value`);
      return v;
    };
    let value: Tensor;
    try {
      value = evalNode(g, node, arg, inputs);
    } catch (e) {
      if (e instanceof ProgramFault) throw new PqError(diag("PQ4020", { layer: node.origin.path, op: node.op, detail: e.message }, node.origin.span));
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(msg.startsWith(where(node)) ? msg : `${where(node)}: ${msg}`, { cause: e });
    }
    if (value.bits !== node.type.bits || value.signed !== node.type.signed || !sameShape(value.shape, node.type.shape)) {
      throw new Error(
        `${where(node)}: internal error: computed ${elemName(value)}[${value.shape.join(", ")}], type says ${formatType(node.type, false)}`,
      );
    }
    opts.onNode?.(node, value);
    if (opts.keepAll || lastUse[k]! > k) values[k] = value;
    if (!opts.keepAll) for (const i of node.inputs) if (lastUse[i] === k) values[i] = undefined;
  }

  const outputs = g.outputs.map((o) => values[o.node]!);
  return opts.keepAll ? { outputs, values: values as Tensor[] } : { outputs };
}

function where(node: Node): string {
  return `node ${node.id} (${node.op} at ${node.origin.path})`;
}

/** One node on plaintext operands: the reference semantics of its op (also the local step of the two-party backend). */
export function evalNode(g: Graph, node: Node, arg: (j: number) => Tensor, inputs: Map<string, Tensor>): Tensor {
  const t = node.type;
  const inType = (j: number): TensorType => g.nodes[node.inputs[j]!]!.type;
  const optArg = (j: number): Tensor | undefined => (node.inputs.length > j ? arg(j) : undefined);
  switch (node.op) {
    case "input": {
      const name = strAttr(node.attrs, "name");
      const v = inputs.get(name);
      if (v === undefined) throw new Error(`missing input ${name}`);
      checkInput(name, v, t);
      return v;
    }
    case "param": {
      const name = strAttr(node.attrs, "name");
      const pd = g.params.get(name);
      if (pd === undefined) throw new Error(`missing parameter ${name}`);
      return paramTensor(name, pd, t);
    }
    case "const":
      return constTensor(bigListAttr(node.attrs, "value"), t);
    case "conv2d":
      return conv2d(
        arg(0),
        arg(1),
        optArg(2),
        { stride: intAttr(node.attrs, "stride", node.op), pad: intAttr(node.attrs, "pad", node.op), groups: intAttr(node.attrs, "groups", node.op) },
        t,
      );
    case "winoconv": {
      const g = winoGeometry(tileOf(intAttr(node.attrs, "tile"))!, arg(0).shape, arg(1).shape[1]!, intAttr(node.attrs, "pad", node.op));
      const k = matrixAttr(node.attrs, "k");
      const y = winoOutput(winoProducts(arg(1), winoInput(arg(0), g, t), t), g, k, t);
      const off = optArg(2);
      return off ? withOffset(y, off, t) : y;
    }
    case "linear":
      return linear(arg(0), arg(1), optArg(2), t);
    case "batchnorm":
      return batchnorm(arg(0), arg(1), arg(2), t);
    case "relu":
      return relu(arg(0));
    case "sqplus": {
      const e = scaleShift(inType(0).scale, ONE);
      if (e === undefined) throw new Error("sqplus needs a power-of-two input scale");
      return sqplus(arg(0), e, t);
    }
    case "avgpool": {
      return avgpool(arg(0), intAttr(node.attrs, "k"), intAttr(node.attrs, "stride", node.op), t);
    }
    case "gavgpool":
      return gavgpool(arg(0), t);
    case "maxpool": {
      return maxpool(arg(0), intAttr(node.attrs, "k"), intAttr(node.attrs, "stride", node.op));
    }
    case "flatten":
      return flatten(arg(0));
    case "reshape":
      return reshape(arg(0), bigListAttr(node.attrs, "shape").map(Number));
    case "concat":
      return concat(node.inputs.map((_, j) => arg(j)), intAttr(node.attrs, "axis", node.op));
    case "requant":
      // saturation to `to` (absent in hand-built graphs: the result type), result in t's ring
      return requant(arg(0), bigAttr(node.attrs, "mult"), intAttr(node.attrs, "shift"), t, node.attrs.to === undefined ? t : elemAttr(node.attrs, "to"));
    case "argmax":
      return argmax(arg(0));
    case "add":
    case "sub": {
      // d = log2(scale x / scale y): the coarser operand is shifted left by |d|.
      const d = scaleShift(inType(0).scale, inType(1).scale);
      if (d === undefined) throw new Error(`${node.op}: operand scales differ by a non-power-of-two ratio`);
      return addSub(arg(0), arg(1), Math.max(d, 0), Math.max(-d, 0), node.op === "add" ? 1 : -1, t);
    }
    case "neg":
      return neg(arg(0), t);
    case "mulc": {
      return mulc(arg(0), Array.isArray(node.attrs.c) ? bigListAttr(node.attrs, "c") : bigAttr(node.attrs, "c"), t);
    }
    case "shl":
      return shl(arg(0), intAttr(node.attrs, "by"), t);
    case "divexact":
      return divexact(arg(0), intAttr(node.attrs, "by"), t);
    case "sum":
      return sum(arg(0), node.attrs["axis"] === undefined ? undefined : intAttr(node.attrs, "axis"), t);
    case "linmap":
      return linmap(arg(0), matrixAttr(node.attrs, "m").map((r) => r.map(BigInt)), intAttr(node.attrs, "axis", node.op), t);
    case "mul":
      return mul(arg(0), arg(1), t);
    case "msb":
      return msb(arg(0));
    case "drelu":
      return drelu(arg(0));
    case "wrap":
      return wrapCarry(arg(0), arg(1));
    case "b2a":
      return b2a(arg(0), t);
    case "select":
      return select(arg(0), arg(1), arg(2), t);
    case "clamp":
      return clamp(arg(0), bigAttr(node.attrs, "lo"), bigAttr(node.attrs, "hi"));
    case "trunc":
      return trunc(arg(0), intAttr(node.attrs, "by"));
    case "truncreduce":
      return truncreduce(arg(0), intAttr(node.attrs, "by"), node.attrs.exact === 1);
    case "zext":
      return zext(arg(0), t);
    case "sext":
      return sext(arg(0), t);
    case "reveal":
      return arg(0);
    default:
      return assertNever(node.op, "op");
  }
}

// ---- sources -------------------------------------------------------------------------
// Sources hold values of their type already (the loaders report PQ4005/PQ4012), so a value
// outside the type is an error here, not something to wrap.

function constTensor(value: readonly bigint[], t: TensorType): Tensor {
  if (value.length !== numel(t.shape)) throw new Error(`const: ${value.length} values for shape [${t.shape.join(", ")}]`);
  const [lo, hi] = typeRange(t);
  for (const v of value) if (v < lo || v > hi) throw new Error(`const: value ${v} outside ${elemName(t)}`);
  return tensorFromBigints(t.shape, t.bits, t.signed, value);
}

// A parameter is checked (and converted if its stored element type differs from the node's)
// once per (ParamData, type) and shared between runs: kernels never mutate their operands.
const paramCache = new WeakMap<ParamData, Map<string, Tensor>>();

function paramTensor(name: string, pd: ParamData, t: TensorType): Tensor {
  let byType = paramCache.get(pd);
  if (byType === undefined) paramCache.set(pd, (byType = new Map()));
  const key = `${elemName(t)}[${t.shape.join(",")}]`;
  let v = byType.get(key);
  if (v === undefined) {
    if (!sameShape(pd.shape, t.shape)) throw new Error(`param ${name}: shape [${pd.shape.join(", ")}] differs from the type's`);
    checkValues(`param ${name}`, pd, t);
    byType.set(key, (v = convert(pd, t)));
  }
  return v;
}

function checkInput(name: string, v: Tensor, t: TensorType): void {
  if (v.bits !== t.bits || v.signed !== t.signed || !sameShape(v.shape, t.shape)) {
    throw new Error(`input ${name}: got ${elemName(v)}[${v.shape.join(", ")}], expected ${formatType(t, false)}`);
  }
  checkValues(`input ${name}`, v, t);
}

/** Every value of v (read with v's own signedness) lies in the range of t's element type. */
function checkValues(what: string, v: Tensor, t: TensorType): void {
  const [lo, hi] = typeRange(t);
  const d = v.data;
  if (d instanceof Float64Array) {
    // Number(lo), Number(hi) round only beyond 2^53, where no stored double lies.
    const l = Number(lo);
    const h = Number(hi);
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (!(Number.isInteger(x) && x >= l && x <= h)) throw new Error(`${what}: value ${x} outside ${elemName(t)}`);
    }
    return;
  }
  for (let i = 0; i < d.length; i++) {
    const x = getBig(v, i);
    if (x < lo || x > hi) throw new Error(`${what}: value ${x} outside ${elemName(t)}`);
  }
}
