// The IR verifier: structural invariants of a graph and a re-derivation of every node's
// type and interval from its operands (the same rule lowering used). Passes run it after
// every rewrite in tests; a failure is a bug in pq, reported as PQ5001 with the node.
import { diag, PqError } from "../grammar/diagnostics.js";
import { DESCRIPTORS, knownFromBigints, knownFromData, knownRange, operand, type Interval, type Known } from "./ops.js";
import { type Graph, type Node } from "./ir.js";
import { typeNode } from "./typing.js";
import { formatType, numel, sameType, typeRange } from "./types.js";

function broken(n: Node | undefined, detail: string): never {
  const where = n ? `node ${n.id} (${n.op}, ${n.origin.path})` : "graph";
  throw new PqError(diag("PQ5001", { where: `the IR verifier at ${where}`, detail }, n?.origin.span));
}

/** Check the graph; return the value interval of every node (the range analysis). */
export function verifyGraph(g: Graph): Interval[] {
  const ranges: Interval[] = [];
  const known: (Known | undefined)[] = [];
  g.nodes.forEach((n, i) => {
    if (n.id !== i) broken(n, `id ${n.id} at position ${i}`);
    const desc = DESCRIPTORS[n.op];
    if (n.inputs.length < desc.arity[0] || n.inputs.length > desc.arity[1]) broken(n, `${n.inputs.length} operands`);
    for (const j of n.inputs) if (!(j >= 0 && j < i)) broken(n, `operand ${j} is not an earlier node`);
    for (const [k, spec] of Object.entries(desc.attrs)) if (spec.required && n.attrs[k] === undefined) broken(n, `attribute ${k} missing`);
    if (n.type.bits < 1 || n.type.bits > 64) broken(n, `width ${n.type.bits}`);
    switch (n.op) {
      case "input": {
        const [lo, hi] = typeRange(n.type);
        ranges.push({ lo, hi });
        known.push(undefined);
        return;
      }
      case "param": {
        const p = g.params.get(n.attrs.name as string);
        if (!p) broken(n, `no data for parameter ${String(n.attrs.name)}`);
        if (p.shape.join() !== n.type.shape.join() || p.bits !== n.type.bits) broken(n, "parameter data differ from the node's type");
        const k = knownFromData(p.shape, p.signed, p.data);
        ranges.push(knownRange(k));
        known.push(k);
        return;
      }
      case "const": {
        const vals = n.attrs.value as bigint[];
        if (!Array.isArray(vals) || vals.length !== numel(n.type.shape)) broken(n, "literal size differs from its shape");
        const k = knownFromBigints(n.type.shape, vals);
        ranges.push(knownRange(k));
        known.push(k);
        return;
      }
      default: {
        const xs = n.inputs.map((j) => operand(g.nodes, ranges, known, j));
        for (const pos of desc.known ?? []) if (n.inputs[pos] !== undefined && !known[n.inputs[pos]!]) broken(n, `operand ${pos} must be known`);
        const declared = { bits: n.type.bits, signed: n.type.signed, shape: n.type.shape, scale: n.type.scale, vis: n.type.vis, nonneg: false };
        const { type, range } = typeNode(n.op, xs, n.attrs, declared, n.origin.path, (code, args) => {
          throw new PqError(diag(code, args, n.origin.span));
        });
        if (!sameType(type, n.type)) broken(n, `type ${formatType(n.type)} but its operands give ${formatType(type)}`);
        ranges.push(range);
        known.push(undefined);
      }
    }
  });
  for (const o of g.outputs) if (!(o.node >= 0 && o.node < g.nodes.length)) broken(undefined, `output ${o.node} is not a node`);
  return ranges;
}
