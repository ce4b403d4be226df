// The shape of mixed/results.json: what pareto.ts records and pareto-plot.ts draws.
import type { Widths } from '../mnist/resnet.js';

/** Uniform settings (weight bits, activation bits) fine-tuned beside the mixed ones. */
export const UNIFORM: [number, number][] = [
  [8, 8],
  [6, 6],
  [4, 4],
  [3, 3],
  [2, 6],
  [2, 4],
  [2, 2],
];

/** Budgets of the mixed configurations: bytes per inference of the solver's pricing (mixed.ts BUDGET: pq cost with every pass but orientation disabled, --correlations ot), online + offline. */
export const BUDGETS = [9e6, 10.5e6, 12e6, 14e6];

export interface ParetoPoint {
  dataset: 'mnist' | 'fashion';
  id: string;
  kind: 'uniform' | 'mixed';
  file: string;
  widths: Widths;
  budget?: number;
  /** The solver's objective: the summed sensitivities of the chosen widths. */
  sensitivity: number;
  /** The solver's forecast (its cost table: the budget's pricing with the weights before fine-tuning), bytes. */
  solverForecast: number;
  /** The budget's pricing (mixed.ts BUDGET, --correlations ot) of the written program, online + offline bytes. */
  budgetForecast: number;
  /** pq cost --correlations ot (the default pipeline, what pq run runs) on the written program, bytes per inference. */
  forecast: { online: number; offline: number; total: number };
  /** pq eval on the whole test split (plaintext). */
  plain: { images: number; correct: number; accuracy: number };
  tfjsAccuracy: number;
  finetuneSeconds: number;
  /** pq eval --backend 2pc --correlations ot --limit 1: bytes as measured. */
  twopc?: { images: number; equalToPlain: number; online: number; offline: number };
}
