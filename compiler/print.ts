// The IR printer: emits a graph as a valid .pq model, one `let` per node with its full
// type, so that lowering the printed text gives back the same graph (tested by the
// print→parse round-trip property). Parameters keep their file keys as names.
import { type AttrValue, type Graph, type Node } from "./ir.js";
import { DESCRIPTORS } from "./ops.js";
import { elemName, formatType } from "./types.js";

function attrText(v: AttrValue): string {
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${(v as unknown[]).map((x) => attrText(x as AttrValue)).join(", ")}]`;
  return elemName(v);
}

function literalText(n: Node): string {
  const vals = n.attrs.value as bigint[];
  if (n.type.shape.length === 0) return String(vals[0]);
  if (n.type.shape.length === 1) return `[${vals.join(", ")}]`;
  const [rows, cols] = n.type.shape as [number, number];
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(`[${vals.slice(r * cols, (r + 1) * cols).join(", ")}]`);
  return `[${out.join(", ")}]`;
}

/** A readable unique name per node: input and param names as they are, others from the layer path. */
function nodeNames(g: Graph): string[] {
  const used = new Set<string>();
  const names: string[] = [];
  for (const n of g.nodes) {
    if (n.op === "input" || n.op === "param") {
      names.push(n.attrs.name as string);
      used.add(n.attrs.name as string);
    } else names.push("");
  }
  for (const n of g.nodes) {
    if (names[n.id] !== "") continue;
    const last = n.origin.path.split("/").pop() ?? "";
    let base = /^[A-Za-z_][A-Za-z0-9_]*$/.test(last) && !KEYWORDS.has(last) ? last : "t";
    if (/^[iu]([1-9][0-9]*|[A-Z])$/.test(base)) base = `t_${base}`;
    let name = used.has(base) ? `${base}_${n.id}` : base;
    while (used.has(name)) name = `${name}_`;
    used.add(name);
    names[n.id] = name;
  }
  return names;
}

const KEYWORDS = new Set(["import", "model", "block", "protocol", "input", "params", "param", "let", "output", "return", "to", "as", "scale", "nonneg", "int", "public", "client", "server", "shared"]);

/** `k = v` for each attribute of its op's descriptor that `n` holds, but those at a quiet default. */
function attrArgs(n: Node): string[] {
  const specs = DESCRIPTORS[n.op].attrs;
  return Object.entries(n.attrs)
    .filter(([k, v]) => specs[k] !== undefined && !(specs[k]!.quietDefault && v === specs[k]!.default))
    .map(([k, v]) => `${k} = ${attrText(v)}`);
}

export function printGraph(g: Graph): string {
  const names = nodeNames(g);
  const lines = [`model ${g.name} {`];
  if (g.paramsFile !== undefined) lines.push(`  params ${JSON.stringify(g.paramsFile)}`);
  for (const n of g.nodes) {
    const name = names[n.id]!;
    switch (n.op) {
      case "input":
      {
        const attrs = attrArgs(n);
        lines.push(`  input ${name}: ${formatType({ ...n.type, nonneg: false })}${attrs.length > 0 ? ` (${attrs.join(", ")})` : ""}`);
      }
        break;
      case "param":
        lines.push(`  param ${name}: ${formatType({ ...n.type, nonneg: false })}`);
        break;
      case "const":
        lines.push(`  let ${name} = ${literalText(n)}`);
        break;
      default: {
        lines.push(`  let ${name}: ${formatType(n.type)} = ${n.op}(${[...n.inputs.map((i) => names[i]!), ...attrArgs(n)].join(", ")})`);
      }
    }
  }
  for (const o of g.outputs) lines.push(`  output ${names[o.node]} to ${o.to}`);
  lines.push("}");
  return lines.join("\n") + "\n";
}
