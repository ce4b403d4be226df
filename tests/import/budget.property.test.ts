// The mixed-precision solver (import/quantize/budget.ts) is exact: on random small chains its
// choice has the least summed sensitivity of every complete choice within the budget, found by
// enumerating them all, and its Pareto frontier is the brute-force one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { paretoChain, solveChain, type Option } from "../../import/quantize/budget.js";

/** Every complete path through the chain from `start`: its bytes, sensitivity and choices. */
function allPaths(stages: Option<number>[][], start: number): { cost: number; loss: number; choices: number[] }[] {
  let paths = [{ state: start, cost: 0, loss: 0, choices: [] as number[] }];
  for (const options of stages) {
    paths = paths.flatMap((p) =>
      options.filter((o) => o.from === p.state).map((o) => ({ state: o.to, cost: p.cost + o.cost, loss: p.loss + o.loss, choices: [...p.choices, o.choice] })),
    );
  }
  return paths;
}

const option = (states: number) =>
  fc.record({
    from: fc.nat(states - 1),
    to: fc.nat(states - 1),
    cost: fc.nat(60),
    loss: fc.integer({ min: -5, max: 40 }),
  });

const chain = fc.integer({ min: 1, max: 3 }).chain((states) =>
  fc.record({
    stages: fc.array(fc.array(option(states), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
    budget: fc.nat(200),
  }),
);

const numbered = (stages: Omit<Option<number>, "choice">[][]): Option<number>[][] => stages.map((s) => s.map((o, i) => ({ ...o, choice: i })));

describe("mixed-precision solver", () => {
  it("the solver's choice is the least-sensitivity path within the budget, as brute force finds it", () => {
    fc.assert(
      fc.property(chain, ({ stages, budget }) => {
        const st = numbered(stages);
        const feasible = allPaths(st, 0).filter((p) => p.cost <= budget);
        const got = solveChain(st, 0, budget);
        if (feasible.length === 0) {
          expect(got).toBeUndefined();
          return;
        }
        const best = Math.min(...feasible.map((p) => p.loss));
        expect(got).toBeDefined();
        expect(got!.loss).toBe(best);
        expect(got!.cost).toBeLessThanOrEqual(budget);
        // the reported choices are a real path with the reported bytes and sensitivity
        const again = allPaths(st, 0).find((p) => p.choices.join() === got!.choices.join());
        expect(again && [again.cost, again.loss]).toEqual([got!.cost, got!.loss]);
      }),
      { numRuns: 500 },
    );
  });

  it("the Pareto frontier is the brute-force one: no path beats a frontier point in both bytes and sensitivity", () => {
    fc.assert(
      fc.property(chain, ({ stages }) => {
        const st = numbered(stages);
        const paths = allPaths(st, 0);
        const front = paretoChain(st, 0).map((s) => [s.cost, s.loss]);
        const want = paths
          .filter((p) => !paths.some((q) => q.cost <= p.cost && q.loss <= p.loss && (q.cost < p.cost || q.loss < p.loss)))
          .map((p) => [p.cost, p.loss]);
        expect(front).toEqual([...new Map(want.map((w) => [w.join(), w])).values()].sort((a, b) => a[0]! - b[0]!));
      }),
      { numRuns: 300 },
    );
  });
});
