// The shape of results.json: what measure.ts records from pq's commands and plot.ts draws.

export const DATASETS = ['mnist', 'fashion'] as const;
export const ACTIVATIONS = ['relu', 'sqplus'] as const;
export const SETTINGS = ['w8a8', 'w4a4'] as const;
export const CORRELATIONS = ['ot', 'he'] as const;

/** Communication per inference, both parties, in bytes: online (both directions) and offline. */
export interface Traffic {
  online: number;
  offline: number;
  rounds: number;
}

/** `pq eval --backend 2pc --correlations C --limit N`: its images, how many it got right and equal to plaintext, its meter per inference. */
export interface TwoParty<C extends (typeof CORRELATIONS)[number]> {
  correlations: C;
  images: number;
  correct: number;
  equalToPlain: number;
  measured: Traffic;
}

export interface ModelResult {
  dataset: (typeof DATASETS)[number];
  act: (typeof ACTIVATIONS)[number];
  setting: (typeof SETTINGS)[number];
  file: string;
  plain: { images: number; correct: number; accuracy: number };
  twopc: TwoParty<'ot'>;
  /** The same images under `--correlations he`. */
  twopcHe: TwoParty<'he'>;
  cost: Record<(typeof CORRELATIONS)[number], Traffic>;
}
