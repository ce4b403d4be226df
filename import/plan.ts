// What an imported model becomes: a list of pq statements over named values (each one an
// op of compiler/ops.ts — this is an emission plan, not a second op table), the server's
// integer tensors and the named scales; and the emitters of the `.pq` source and its
// `pq-params/1` file (the format of docs/LANGUAGE.md, "Parameters file", which the MNIST
// examples' generator writes with `paramsJson` too).
import { isOp } from "../compiler/ir.js";

export interface Elem {
  bits: number;
  signed: boolean;
}

export interface IntTensor {
  shape: number[];
  scale: number;
  data: number[];
}

export type Step =
  | { op: "conv2d"; out: string; x: string; w: string; b?: string; stride: number; pad: number; groups: number }
  | { op: "linear"; out: string; x: string; w: string; b?: string }
  | { op: "mulc"; out: string; x: string; c: number[] }
  | { op: "shl"; out: string; x: string; by: number }
  | { op: "relu" | "flatten" | "gavgpool" | "argmax"; out: string; x: string }
  | { op: "requant"; out: string; x: string; to: Elem; scale: string }
  | { op: "clamp"; out: string; x: string; lo: number; hi: number }
  | { op: "avgpool" | "maxpool"; out: string; x: string; k: number; stride: number }
  | { op: "reshape"; out: string; x: string; shape: number[] }
  | { op: "add"; out: string; a: string; b: string };

export interface Plan {
  model: string;
  /** The first line of the source: where the model came from. */
  comment: string;
  input: { name: string; shape: number[]; elem: Elem; scale: number };
  params: Map<string, { tensor: IntTensor; elem: Elem }>;
  scales: Map<string, number>;
  steps: Step[];
  outputs: string[];
}

const KEYWORDS = new Set([
  "import", "model", "block", "protocol", "input", "params", "param", "let", "output", "return", "to", "as", "scale",
  "nonneg", "int", "public", "client", "server", "shared",
]);

/** Allocates pq identifiers for outside names: valid, no keyword, op or element type, unique. */
export class Names {
  private readonly used = new Set<string>();

  fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_]/g, "_").replace(/^_+|_+$/g, "") || "t";
    if (/^[0-9]/.test(base)) base = `t${base}`;
    if (KEYWORDS.has(base) || isOp(base) || /^[iu]([0-9]+|[A-Z])$/.test(base)) base = `${base}_`;
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/** The narrowest signed or unsigned element type holding every value. */
export function elemFor(values: Iterable<number>): Elem {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= 0) return { bits: Math.max(1, Math.ceil(Math.log2(hi + 1))), signed: false };
  let bits = 1;
  while (-(2 ** (bits - 1)) > lo || 2 ** (bits - 1) - 1 < hi) bits++;
  return { bits, signed: true };
}

export const elemText = (e: Elem): string => `${e.signed ? "i" : "u"}${e.bits}`;

function expr(s: Step): string {
  switch (s.op) {
    case "conv2d": {
      const attrs = [s.stride !== 1 ? `stride = ${s.stride}` : "", s.pad !== 0 ? `pad = ${s.pad}` : "", s.groups !== 1 ? `groups = ${s.groups}` : ""];
      return `conv2d(${[s.x, s.w, ...(s.b !== undefined ? [s.b] : []), ...attrs.filter((a) => a !== "")].join(", ")})`;
    }
    case "linear": return `linear(${[s.x, s.w, ...(s.b !== undefined ? [s.b] : [])].join(", ")})`;
    case "mulc": return `mulc(${s.x}, c = ${s.c.length === 1 ? s.c[0] : `[${s.c.join(", ")}]`})`;
    case "shl": return `shl(${s.x}, by = ${s.by})`;
    case "relu": case "flatten": case "gavgpool": case "argmax": return `${s.op}(${s.x})`;
    case "requant": return `${s.x} as ${elemText(s.to)} scale ${s.scale}`;
    case "clamp": return `clamp(${s.x}, lo = ${s.lo}, hi = ${s.hi})`;
    case "avgpool": case "maxpool": return `${s.op}(${s.x}, ${s.k}${s.stride !== s.k ? `, stride = ${s.stride}` : ""})`;
    case "reshape": return `reshape(${s.x}, shape = [${s.shape.join(", ")}])`;
    case "add": return `add(${s.a}, ${s.b})`;
  }
}

/** The `.pq` source of a plan; `paramsFile` is the params file's name, relative to the source. */
export function pqSource(p: Plan, paramsFile: string): string {
  const lines = [
    `// ${p.comment}`,
    `model ${p.model} {`,
    `  input ${p.input.name}: client ${elemText(p.input.elem)}[${p.input.shape.join(", ")}] scale ${p.input.scale}`,
    `  params ${JSON.stringify(paramsFile)}`,
    ...[...p.params].map(([n, { tensor, elem }]) => `  param ${n}: ${elemText(elem)}[${tensor.shape.join(", ")}]`),
    ...p.steps.map((s) => `  let ${s.out} = ${expr(s)}`),
    ...p.outputs.map((o) => `  output ${o} to client`),
    "}",
    "",
  ];
  return lines.join("\n");
}

/** A `pq-params/1` file: every integer tensor with its scale, one per line, and the named scales. */
export function paramsJson(tensors: Iterable<[string, { shape: readonly number[]; scale: number; data: ArrayLike<number> }]>, scales: Record<string, number>): string {
  const lines: string[] = [];
  for (const [name, t] of tensors) {
    lines.push(`    ${JSON.stringify(name)}: ${JSON.stringify({ shape: t.shape, scale: t.scale, data: Array.from(t.data) })}`);
  }
  return ["{", '  "format": "pq-params/1",', '  "tensors": {', lines.join(",\n"), "  },", `  "scales": ${JSON.stringify(scales)}`, "}", ""].join("\n");
}

export function planParamsJson(p: Plan): string {
  return paramsJson([...p.params].map(([n, { tensor }]) => [n, tensor] as [string, IntTensor]), Object.fromEntries(p.scales));
}
