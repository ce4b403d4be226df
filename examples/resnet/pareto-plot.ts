// Draws the Pareto picture of mixed precision from mixed/results.json (pareto.ts): accuracy (pq
// eval, the whole test split) against communication per inference (pq cost, the default
// pipeline, OT, online + offline), uniform widths against the solver's mixed ones, per dataset;
// prints the table of docs/QUANTIZE.md and whether the issue's target is met:
//
//   npx tsx examples/resnet/pareto-plot.ts     # writes mixed-precision.svg, prints the table

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SITES, WEIGHTED } from '../mnist/resnet.js';
import type { ParetoPoint } from './pareto-results.js';
import { esc, logTicks } from './svg.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MIB = 2 ** 20;
const points = (JSON.parse(readFileSync(join(HERE, 'mixed', 'results.json'), 'utf8')) as { points: ParetoPoint[] }).points;
const DATASETS = ['mnist', 'fashion'] as const;
const TITLE = { mnist: 'MNIST', fashion: 'Fashion-MNIST' };
const COLOR = { uniform: '#1f6fb4', mixed: '#d1495b' };

const W = 460;
const H = 340;
const M = { left: 58, right: 16, top: 34, bottom: 46 };
const bytes = (p: ParetoPoint): number => p.forecast.total;
const label = (p: ParetoPoint): string => (p.kind === 'uniform' ? p.id.toUpperCase() : `≤${p.budget! / 1e6} MB`);

function panel(dataset: (typeof DATASETS)[number], ox: number): string {
  const ps = points.filter((p) => p.dataset === dataset);
  const accs = ps.map((p) => 100 * p.plain.accuracy);
  const yLo = Math.floor(Math.min(...accs) - 0.5);
  const yHi = Math.ceil(Math.max(...accs) + 0.3);
  const comms = ps.map((p) => bytes(p) / MIB);
  const xLo = Math.min(...comms) / 1.3;
  const xHi = Math.max(...comms) * 1.3;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number) => ox + M.left + (pw * Math.log(v / xLo)) / Math.log(xHi / xLo);
  const sy = (v: number) => M.top + ph * (1 - (v - yLo) / (yHi - yLo));
  const out: string[] = [];
  out.push(`<text x="${ox + M.left + pw / 2}" y="20" text-anchor="middle" font-weight="bold">${TITLE[dataset]} ResNet-8, ReLU (${ps[0]?.plain.images ?? 0} test images)</text>`);
  out.push(`<rect x="${ox + M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  const yStep = [0.5, 1, 2, 5, 10, 20].find((step) => (yHi - yLo) / step <= 8) ?? 25;
  for (let v = Math.ceil(yLo / yStep) * yStep; v <= yHi + 1e-9; v += yStep) {
    out.push(`<line x1="${ox + M.left}" x2="${ox + M.left + pw}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${ox + M.left - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
  }
  for (const t of logTicks(xLo, xHi)) {
    out.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${sx(t).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${ox + M.left + pw / 2}" y="${H - 8}" text-anchor="middle">pq cost (ot), online + offline per inference (MiB, log scale)</text>`);
  out.push(`<text transform="translate(${ox + 16},${M.top + ph / 2}) rotate(-90)" text-anchor="middle">test accuracy, pq eval (%)</text>`);
  for (const kind of ['uniform', 'mixed'] as const) {
    const line = ps.filter((p) => p.kind === kind).sort((a, b) => bytes(a) - bytes(b));
    out.push(`<polyline fill="none" stroke="${COLOR[kind]}" stroke-width="1" stroke-dasharray="${kind === 'uniform' ? '4 3' : ''}" points="${line.map((p) => `${sx(bytes(p) / MIB).toFixed(1)},${sy(100 * p.plain.accuracy).toFixed(1)}`).join(' ')}"/>`);
  }
  for (const p of ps) {
    const x = sx(bytes(p) / MIB);
    const y = sy(100 * p.plain.accuracy);
    out.push(
      p.kind === 'uniform'
        ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="white" stroke="${COLOR.uniform}" stroke-width="1.6"/>`
        : `<rect x="${(x - 4.5).toFixed(1)}" y="${(y - 4.5).toFixed(1)}" width="9" height="9" fill="${COLOR.mixed}" transform="rotate(45 ${x.toFixed(1)} ${y.toFixed(1)})"/>`,
    );
    out.push(`<text x="${(x + 7).toFixed(1)}" y="${(y - 6).toFixed(1)}" font-size="10" fill="${COLOR[p.kind]}">${esc(label(p))}</text>`);
  }
  return out.join('\n');
}

function legend(y: number): string {
  return [
    `<circle cx="${M.left + 6}" cy="${y}" r="5" fill="white" stroke="${COLOR.uniform}" stroke-width="1.6"/>`,
    `<text x="${M.left + 16}" y="${y + 4}">uniform widths (WxAy: x-bit weights, y-bit activations), fine-tuned</text>`,
    `<rect x="${M.left + 440}" y="${y - 4.5}" width="9" height="9" fill="${COLOR.mixed}" transform="rotate(45 ${M.left + 444.5} ${y})"/>`,
    `<text x="${M.left + 454}" y="${y + 4}">mixed, the solver's widths under a budget of pq cost --pipeline none, fine-tuned</text>`,
  ].join('\n');
}

const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 30}" viewBox="0 0 ${2 * W} ${H + 30}" font-family="sans-serif" font-size="12">`,
  '<!-- generated by examples/resnet/pareto-plot.ts from mixed/results.json -->',
  `<rect width="${2 * W}" height="${H + 30}" fill="white"/>`,
  ...DATASETS.map((d, i) => (points.some((p) => p.dataset === d) ? panel(d, i * W) : '')),
  legend(H + 14),
  '</svg>',
  '',
].join('\n');
writeFileSync(join(HERE, 'mixed-precision.svg'), svg);

const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;
const mb = (b: number): string => (b / 1e6).toFixed(2);
const widths = (p: ParetoPoint): string =>
  p.kind === 'uniform' ? '' : `${WEIGHTED.map((n) => p.widths.weights[n]).join(' ')} / ${p.widths.acts.join(' ')}`;
console.log(`Weights in the order ${WEIGHTED.join(', ')}; activations in the order ${SITES.join(', ')}.\n`);
console.log('| data | configuration | weights / activations | budget (MB) | solver (MB) | pq cost --pipeline none (MB) | pq cost (MB) | `pq eval` | 2PC measured online + offline (MB) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const d of DATASETS) {
  for (const p of points.filter((q) => q.dataset === d)) {
    const two = p.twopc ? `${mb(p.twopc.online)} + ${mb(p.twopc.offline)} (forecast ${mb(p.forecast.online)} + ${mb(p.forecast.offline)}; ${p.twopc.equalToPlain}/${p.twopc.images} = plaintext)` : '';
    console.log(
      `| ${TITLE[d]} | ${label(p)} | ${widths(p)} | ${p.budget !== undefined ? mb(p.budget) : ''} | ${mb(p.solverForecast)} | ${mb(p.loweredForecast)} | ${mb(p.forecast.total)} | ${pct(p.plain.accuracy)} (${p.plain.correct}/${p.plain.images}) | ${two} |`,
    );
  }
}

// The issue's target: at equal accuracy (within 0.5 points) the mixed configuration needs at
// least 2× less communication than the best uniform one, i.e. the cheapest uniform
// configuration whose accuracy is at most 0.5 points below the mixed one's.
console.log('');
for (const d of DATASETS) {
  const ps = points.filter((q) => q.dataset === d);
  for (const m of ps.filter((q) => q.kind === 'mixed')) {
    const rivals = ps.filter((q) => q.kind === 'uniform' && q.plain.accuracy >= m.plain.accuracy - 0.005);
    const best = rivals.sort((a, b) => bytes(a) - bytes(b))[0];
    console.log(
      `${TITLE[d]} ${label(m)}: ${pct(m.plain.accuracy)} at ${mb(bytes(m))} MB; ` +
        (best ? `cheapest uniform within 0.5 points: ${best.id.toUpperCase()} ${pct(best.plain.accuracy)} at ${mb(bytes(best))} MB, ratio ${(bytes(best) / bytes(m)).toFixed(2)}×` : 'no uniform configuration within 0.5 points'),
    );
  }
}
