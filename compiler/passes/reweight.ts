// Pass `reweight`: EQO's bit re-weighting (Zeng et al., arXiv 2404.09404: weight outliers,
// notably after the Winograd transform, accommodated without widening every weight). A layer
// whose weights w need m bits for a few large values gets the attributes `split = l` and
// `support = S` (ops.ts): w = w_lo + 2^l·w_hi with w_lo a dense i_l tensor and w_hi zero outside
// S, the positions whose weight does not fit i_l (with l = 0, S is the non-zero weights: a
// pruned layer). Values, types and intervals are unchanged — the attributes only state facts
// about w, which the compiler checks — so the pass is exact and changes nothing downstream.
//
// Cost: under OT with the weights as receiver (orientation), the product makes l-bit OTs for
// every weight and (m − l + 1)-bit ones for the entries of S (protocols/linear.ts; one OT round
// per plane), about |w|·l + |S|·(m − l + 1) choice bits against |w|·m. The pass prices every
// l of every layer with the whole program's forecast (the pipeline guard's: orientation
// applied) and keeps the cheapest, layer by layer. Under the dealer the products do not
// depend on the weights' width, so nothing applies there; under he only the products the OT
// kernel runs (where HE is not cheaper: he-sizes.ts heCheaper, which prices the OT side per
// plane) can gain.
//
// Disclosure: S is part of the program, so the client learns which weights are outliers (not
// their values). That is why the pass is not in the default pipeline (`--pipeline reweight`).
import type { Node, Program } from "../ir.js";
import { knownValues } from "./fuse-batchnorm.js";
import { copyDeclared, rebuild } from "./builder.js";
import { isServerLinear, orientation } from "./orientation.js";
import { onlineBytes } from "../cost/model.js";
import { highPlaneBits } from "../cost/ot-sizes.js";
import type { Pass, PassContext } from "./pass.js";

/** The positions of w that do not fit i_l (l = 0: the non-zero ones): the high plane's support. */
export function outliers(w: readonly bigint[], l: number): number[] {
  const lo = l === 0 ? 0n : -(1n << BigInt(l - 1));
  const hi = l === 0 ? 0n : (1n << BigInt(l - 1)) - 1n;
  const out: number[] = [];
  w.forEach((v, i) => {
    if (v < lo || v > hi) out.push(i);
  });
  return out;
}

/** The layers the pass may re-weight: server-weight conv2d/linear/winoconv with signed parameter weights of ≥ 2 bits, not re-weighted yet. */
function candidates(p: Program): Node[] {
  const g = p.graph;
  return g.nodes.filter((n) => {
    if (n.op !== "conv2d" && n.op !== "linear" && n.op !== "winoconv") return false;
    if (!isServerLinear(g, n) || n.attrs.support !== undefined || (n.attrs.split ?? 0) !== 0) return false;
    const w = g.nodes[n.inputs[1]!]!;
    return w.op === "param" && w.type.signed && w.type.bits >= 2;
  });
}

/** The program with node `id`'s attributes extended (node ids are kept). */
function withAttrs(p: Program, id: number, attrs: Record<string, number | number[]>): Program {
  return rebuild(p, (n, map, b) => (n.id === id ? b.add(n.op, n.inputs.map(map), { ...n.attrs, ...attrs }, n.origin, copyDeclared(n)) : undefined));
}

/** The forecast the pass minimises: the pipeline guard's (online bytes, both parties, receivers as orientation chooses). */
function priced(p: Program, ctx: PassContext): number {
  return onlineBytes(orientation.run(p, ctx).program, ctx.target);
}

export const reweight: Pass = {
  name: "reweight",
  summary: "EQO's bit re-weighting: state a layer's weights as a dense low plane plus a sparse high plane whose positions are public (`split`, `support`), where the OT forecast falls (exact)",
  run(p, ctx = { target: "ot" }) {
    const layers = candidates(p);
    if (layers.length === 0) return { program: p, note: "no server-weight layer with signed parameter weights of 2 bits or more", applied: false };
    if (ctx.target === "dealer") return { program: p, note: "the dealer's products do not depend on the weights' width: nothing to gain", applied: false };
    let best = p;
    let bestCost = priced(p, ctx);
    const lines: string[] = [];
    for (const layer of layers) {
      const w = knownValues(p, layer.inputs[1]!)!;
      const m = p.graph.nodes[layer.inputs[1]!]!.type.bits;
      let choice: { program: Program; cost: number; l: number; nnz: number } | undefined;
      for (let l = 0; l < m; l++) {
        const support = outliers(w, l);
        const q = withAttrs(best, layer.id, { split: l, support });
        const cost = priced(q, ctx);
        if (cost < (choice?.cost ?? bestCost)) choice = { program: q, cost, l, nnz: support.length };
      }
      if (!choice) continue;
      const what = choice.l === 0
        ? `only its ${choice.nnz} non-zero weights of ${w.length} (i${m})`
        : `i${m} → i${choice.l} dense + i${highPlaneBits(m, choice.l)} on ${choice.nnz} of ${w.length} weights`;
      lines.push(`${layer.origin.path} (${layer.op}): ${what} (${bestCost} → ${choice.cost} B)`);
      best = choice.program;
      bestCost = choice.cost;
    }
    if (lines.length === 0) return { program: p, note: `re-weighting none of ${layers.length} layer${layers.length === 1 ? "" : "s"} lowers the forecast (${ctx.target})`, applied: false };
    return {
      program: best,
      note: `DISCLOSES to the client the positions (not the values) of the weights in the high planes of ${lines.length} re-weighted layers of ${layers.length}\n  ${lines.join("\n  ")}`,
      applied: true,
    };
  },
};
