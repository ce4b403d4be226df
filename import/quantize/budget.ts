// The exact solver of mixed precision under a communication budget: choose one option per
// stage of a chain so that the summed sensitivity is least and the summed bytes stay within
// the budget (HAWQ-V2, Dong et al., NeurIPS 2020, §3.3; EQO, Zeng et al., arXiv 2404.09404,
// §5: sensitivity-weighted widths under a cost budget; PrivQuant, Xu et al., ICCAD 2024, the
// same with communication as the cost).
//
// A network is a chain of stages. A stage's options each read a state (the width of the
// activation entering the stage) and write one (the width leaving it), with the bytes and the
// sensitivity that choice adds; what an option costs may depend on the state it reads, which
// is how one layer's communication depends on its neighbour's widths. Dynamic programming over
// the chain, keeping per state the Pareto frontier of (bytes, sensitivity) of the partial
// choices that reach it: a partial choice dominated by another reaching the same state can be
// dropped, since everything after it depends only on that state. Exact; brute force agrees
// (tests/import/budget.property.test.ts).

export interface Option<C> {
  /** The state this option reads and the one it leaves. */
  from: number;
  to: number;
  /** Bytes (≥ 0) and sensitivity (any sign) it adds. */
  cost: number;
  loss: number;
  choice: C;
}

export interface Solution<C> {
  cost: number;
  loss: number;
  /** One choice per stage, in order. */
  choices: C[];
}

interface Partial<C> {
  cost: number;
  loss: number;
  choice?: C;
  prev?: Partial<C>;
}

/** Keeps what nothing else beats in both bytes and sensitivity, by rising bytes (ties: the first). */
function frontier<T extends { cost: number; loss: number }>(xs: readonly T[]): T[] {
  const sorted = xs.slice().sort((a, b) => a.cost - b.cost || a.loss - b.loss);
  const out: T[] = [];
  for (const x of sorted) if (out.length === 0 || x.loss < out.at(-1)!.loss) out.push(x);
  return out;
}

/**
 * A stage's options that can be part of an optimum: of those with the same states read and
 * left, only the Pareto-optimal ones (the rest are interchangeable with one of them for every
 * stage after), and none above the budget on its own (costs are never negative).
 */
function dominant<C>(options: readonly Option<C>[], budget: number): Option<C>[] {
  const groups = new Map<string, Option<C>[]>();
  for (const o of options) {
    if (o.cost > budget) continue;
    const k = `${o.from} ${o.to}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(o);
  }
  return [...groups.values()].flatMap((g) => frontier(g));
}

function unwind<C>(p: Partial<C>): C[] {
  const choices: C[] = [];
  for (let q: Partial<C> | undefined = p; q?.prev !== undefined; q = q.prev) choices.push(q.choice as C);
  return choices.reverse();
}

/**
 * Every Pareto-optimal complete choice within `budget` (by rising bytes, falling sensitivity),
 * starting in state `start`. Empty when nothing fits.
 */
export function paretoChain<C>(stages: readonly (readonly Option<C>[])[], start: number, budget = Infinity): Solution<C>[] {
  let states = new Map<number, Partial<C>[]>([[start, [{ cost: 0, loss: 0 }]]]);
  for (const options of stages) {
    const next = new Map<number, Partial<C>[]>();
    for (const o of dominant(options, budget)) {
      for (const p of states.get(o.from) ?? []) {
        const cost = p.cost + o.cost;
        if (cost > budget) continue;
        let list = next.get(o.to);
        if (!list) next.set(o.to, (list = []));
        list.push({ cost, loss: p.loss + o.loss, choice: o.choice, prev: p });
      }
    }
    states = new Map([...next].map(([s, ps]) => [s, frontier(ps)]));
  }
  return frontier([...states.values()].flat()).map((p) => ({ cost: p.cost, loss: p.loss, choices: unwind(p) }));
}

/** The least-sensitivity complete choice within `budget` (ties: the fewer bytes), or undefined when none fits. */
export function solveChain<C>(stages: readonly (readonly Option<C>[])[], start: number, budget: number): Solution<C> | undefined {
  const front = paretoChain(stages, start, budget);
  return front.at(-1);
}
