// Draws accuracy against communication for every ResNet-8 variant (ReLU / x² + x × W8A8 / W4A4
// × OT / HE correlations) from results.json (measure.ts) and float-accuracy.json (train.ts), as
// plain SVG text, and prints the README's table from the same numbers:
//
//   npx tsx examples/resnet/plot.ts      # writes accuracy-vs-communication.svg, prints the table

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTIVATIONS, CORRELATIONS, DATASETS, SETTINGS, type ModelResult } from './results.js';
import { H, MARGIN as M, W, esc, panelFrame, svgDocument } from './svg.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MIB = 2 ** 20;

const models = (JSON.parse(readFileSync(join(HERE, 'results.json'), 'utf8')) as { models: ModelResult[] }).models;
const floats = JSON.parse(readFileSync(join(HERE, 'float-accuracy.json'), 'utf8')) as Record<string, Record<string, number>>;

const TITLE: Record<(typeof DATASETS)[number], string> = { mnist: 'MNIST', fashion: 'Fashion-MNIST' };
const ACT_NAME: Record<(typeof ACTIVATIONS)[number], string> = { relu: 'ReLU', sqplus: 'x² + x' };
const COLOR: Record<(typeof ACTIVATIONS)[number], string> = { relu: '#1f6fb4', sqplus: '#d1495b' };
const total = (m: ModelResult, c: (typeof CORRELATIONS)[number]): number => m.cost[c].online + m.cost[c].offline;

function marker(c: (typeof CORRELATIONS)[number], x: number, y: number, color: string, filled: boolean): string {
  const fill = filled ? color : 'white';
  return c === 'ot'
    ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${fill}" stroke="${color}" stroke-width="1.6"/>`
    : `<rect x="${(x - 4.5).toFixed(1)}" y="${(y - 4.5).toFixed(1)}" width="9" height="9" fill="${fill}" stroke="${color}" stroke-width="1.6"/>`;
}

function panel(dataset: (typeof DATASETS)[number], ox: number): string {
  const ms = models.filter((m) => m.dataset === dataset);
  const accs = ms.map((m) => 100 * m.plain.accuracy).concat(ACTIVATIONS.map((a) => 100 * floats[dataset]![a]!));
  const comms = ms.flatMap((m) => CORRELATIONS.map((c) => total(m, c) / MIB));
  const { out, sx, sy } = panelFrame(ox, `${TITLE[dataset]} (${ms[0]?.plain.images ?? 0} test images)`, comms, accs,
    'communication per inference, online + offline (MiB, log scale)', 'test accuracy (%)');
  const x0 = sx(Math.min(...comms) / 1.3);
  const x1 = sx(Math.max(...comms) * 1.3);
  for (const act of ACTIVATIONS) {
    const f = 100 * floats[dataset]![act]!;
    out.push(`<line x1="${x0}" x2="${x1}" y1="${sy(f).toFixed(1)}" y2="${sy(f).toFixed(1)}" stroke="${COLOR[act]}" stroke-dasharray="5 4" stroke-width="1.2"/>`);
  }
  for (const m of ms) {
    for (const c of CORRELATIONS) {
      const x = sx(total(m, c) / MIB);
      const y = sy(100 * m.plain.accuracy);
      out.push(marker(c, x, y, COLOR[m.act], m.setting === 'w8a8'));
      out.push(`<text x="${(x + 7).toFixed(1)}" y="${(y - 6).toFixed(1)}" font-size="10" fill="${COLOR[m.act]}">${m.setting === 'w8a8' ? 'W8A8' : 'W4A4'}</text>`);
    }
  }
  return out.join('\n');
}

function legend(y: number): string {
  const items: string[] = [];
  let x = M.left;
  for (const act of ACTIVATIONS) {
    items.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${COLOR[act]}" stroke-width="6"/>`, `<text x="${x + 28}" y="${y + 4}">${esc(ACT_NAME[act])}</text>`);
    x += 100;
  }
  items.push(marker('ot', x + 6, y, '#444', true), `<text x="${x + 16}" y="${y + 4}">OT correlations</text>`);
  x += 130;
  items.push(marker('he', x + 6, y, '#444', true), `<text x="${x + 16}" y="${y + 4}">HE correlations</text>`);
  x += 130;
  items.push(marker('ot', x + 6, y, '#444', true), `<text x="${x + 16}" y="${y + 4}">W8A8</text>`);
  x += 64;
  items.push(marker('ot', x + 6, y, '#444', false), `<text x="${x + 16}" y="${y + 4}">W4A4</text>`);
  x += 64;
  items.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="#444" stroke-dasharray="5 4"/>`, `<text x="${x + 28}" y="${y + 4}">float model</text>`);
  return items.join('\n');
}

const svg = svgDocument(
  'examples/resnet/plot.ts from results.json and float-accuracy.json',
  DATASETS.map((d, i) => (models.some((m) => m.dataset === d) ? panel(d, i * W) : '')),
  legend(H + 14),
);
writeFileSync(join(HERE, 'accuracy-vs-communication.svg'), svg);

const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;
const mib = (b: number): string => (b / MIB).toFixed(2);
console.log('| data | activation | float | weights/activations | `pq eval` (plaintext) | drop from float | 2PC = plaintext (ot, he) | ot online + offline (MiB) | he online + offline (MiB) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const dataset of DATASETS) {
  for (const act of ACTIVATIONS) {
    for (const setting of SETTINGS) {
      const m = models.find((r) => r.dataset === dataset && r.act === act && r.setting === setting);
      if (m === undefined) continue;
      const f = floats[dataset]![act]!;
      const cells = [
        TITLE[dataset],
        ACT_NAME[act],
        pct(f),
        setting.toUpperCase(),
        `${pct(m.plain.accuracy)} (${m.plain.correct}/${m.plain.images})`,
        `${(100 * (f - m.plain.accuracy)).toFixed(2)} points`,
        `${m.twopc.equalToPlain}/${m.twopc.images}, ${m.twopcHe.equalToPlain}/${m.twopcHe.images}`,
        `${mib(m.cost.ot.online)} + ${mib(m.cost.ot.offline)}`,
        `${mib(m.cost.he.online)} + ${mib(m.cost.he.offline)}`,
      ];
      console.log(`| ${cells.join(' | ')} |`);
    }
  }
}

// The two-party runs against the forecast: online bytes and rounds must agree exactly; the
// measured offline bytes are averaged over the run's inferences, which share one session's base OTs.
console.log('');
for (const [c, run] of [['ot', (m: ModelResult) => m.twopc], ['he', (m: ModelResult) => m.twopcHe]] as const) {
  const online = models.every((m) => run(m).measured.online === m.cost[c].online && run(m).measured.rounds === m.cost[c].rounds);
  const offline = [...new Set(models.map((m) => m.cost[c].offline - run(m).measured.offline))];
  console.log(
    `2PC (${c}) measured against pq cost: online bytes and rounds ${online ? 'equal for every model' : 'DIFFER'}; ` +
      `forecast offline − measured offline per inference: ${offline.join(', ')} B`,
  );
}
