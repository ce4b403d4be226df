// Small helpers of the SVG figures drawn as plain text (plot.ts, pareto-plot.ts).

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Ticks 1, 1.5, 2, 3, 5, 7 × 10^k inside [lo, hi] (a log axis). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 1.5, 2, 3, 5, 7]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}
