// The layers of a graph as reports and tables show them: the report's order (sources and
// the revealed output included; the run report, the cost forecast and progress count these),
// the computing layers, and the type each layer's result is declared with in the source.
import type { Graph, Node } from "./ir.js";
import type { TensorType } from "./types.js";

/** Layers in execution order with their ops (the output layer's ending in `reveal`): the rows of the run report and the forecast. */
export function layerOrder(g: Graph): { layer: string; ops: string[] }[] {
  const order: { layer: string; ops: string[] }[] = [];
  const byName = new Map<string, string[]>();
  for (const n of g.nodes) {
    if (n.op === "param" || n.op === "const") continue;
    let ops = byName.get(n.origin.path);
    if (!ops) {
      ops = [];
      byName.set(n.origin.path, ops);
      order.push({ layer: n.origin.path, ops });
    }
    if (!ops.includes(n.op)) ops.push(n.op);
  }
  const out = `${g.name}/output`;
  const o = byName.get(out);
  if (o) o.push("reveal");
  else order.push({ layer: out, ops: ["reveal"] });
  return order;
}

/** Layers in execution order: each non-source layer path with its nodes. */
export function layersOf(g: Graph): { path: string; nodes: Node[] }[] {
  const byPath = new Map<string, Node[]>();
  for (const n of g.nodes) {
    if (n.op === "input" || n.op === "param" || n.op === "const") continue;
    const l = byPath.get(n.origin.path) ?? [];
    l.push(n);
    byPath.set(n.origin.path, l);
  }
  return [...byPath].map(([path, nodes]) => ({ path, nodes }));
}

/**
 * Each layer's result type in the program before the passes: the type its source gives it
 * (`as u8` is u8). Passes may compute a value in a wider ring (headroom's spare bit makes
 * a u8 a u9) — an internal representation that tables and JSON must not report as the
 * layer's type. A layer that only the passes create keeps its own type (see `layerType`).
 */
export function declaredTypes(lowered: Graph): Map<string, TensorType> {
  return new Map(layersOf(lowered).map((l) => [l.path, l.nodes[l.nodes.length - 1]!.type]));
}

/** The type a table reports for a layer of the optimised graph. */
export function layerType(declared: ReadonlyMap<string, TensorType>, layer: { path: string; nodes: readonly Node[] }): TensorType {
  return declared.get(layer.path) ?? layer.nodes[layer.nodes.length - 1]!.type;
}
