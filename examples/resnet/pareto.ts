// The Pareto picture of mixed precision (issue 19; docs/QUANTIZE.md): for each dataset, the
// trained ReLU ResNet-8 (`DATASET_relu_w8a8.pq`, the reference) fine-tuned at uniform widths and
// at the widths the exact solver chooses under several budgets of pq's OT forecast; every model
// written to mixed/, its accuracy by pq eval (the whole test split, plaintext), its forecast by
// pq cost, and the bytes the two-party backend measures on the first test image:
//
//   npx tsx examples/resnet/pareto.ts [mnist] [fashion] [--only ID,…]   # writes mixed/*.pq, mixed/results.json
//   npx tsx examples/resnet/pareto-plot.ts                  # mixed-precision.svg and the table
//
// The sensitivities and the cost table (46,656 forecasts of whole programs) are
// kept in mixed/DATASET-analysis.json and reused when present.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  analyse,
  finetune,
  forecastFile,
  loadData,
  loadReference,
  pqAccuracy,
  prepare,
  RUN,
  solve,
  tableCost,
  totalBytes,
  writeModel,
  type Dataset,
} from '../mnist/mixed.js';
import { uniformWidths, type Widths } from '../mnist/resnet.js';
import { BUDGETS, UNIFORM, type ParetoPoint } from './pareto-results.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const OUT = join(HERE, 'mixed');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const CORRELATIONS = 'ot';

/** The first test image under 2PC (OT): pq eval's measured bytes, and whether the prediction equals the plaintext one. */
function measure2pc(file: string, dataset: Dataset): ParetoPoint['twopc'] {
  const args = ['eval', file, '--backend', '2pc', '--correlations', 'ot', '--limit', '1', '--json'];
  if (dataset === 'fashion') {
    const ndjson = join(tmpdir(), 'pq-fashion-test.ndjson');
    if (!existsSync(ndjson)) {
      spawnSync('npx', ['tsx', 'examples/fashion/dataset-file.ts', ndjson], { cwd: ROOT, stdio: 'inherit' });
    }
    args.push('--dataset', ndjson);
  }
  console.log(`  pq ${args.map((a) => (a.startsWith(ROOT) ? relative(ROOT, a) : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`pq ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  const two = JSON.parse(r.stdout) as { images: number; equalToPlain: number; perInference: { online: { clientSent: number; serverSent: number }; offline: number } };
  return { images: two.images, equalToPlain: two.equalToPlain, online: two.perInference.online.clientSent + two.perInference.online.serverSent, offline: two.perInference.offline };
}

async function run(dataset: Dataset): Promise<ParetoPoint[]> {
  const reference = join(HERE, `${dataset}_relu_w8a8.pq`);
  const data = loadData(dataset);
  const p = await prepare(loadReference(reference), dataset, data, CORRELATIONS);
  const analysis = await analyse(reference, p, data, join(OUT, `${dataset}-analysis.json`), console.log);
  const configs: { id: string; kind: 'uniform' | 'mixed'; widths: Widths; budget?: number; loss: number }[] = [];
  const lossOf = (w: Widths) =>
    Object.entries(w.weights).reduce((s, [n, b]) => s + analysis.sensitivities.weights[n]![b]!, 0) + w.acts.reduce((s, b, i) => s + analysis.sensitivities.acts[i]![b]!, 0);
  for (const [w, a] of UNIFORM) configs.push({ id: `w${w}a${a}`, kind: 'uniform', widths: uniformWidths(w, a), loss: lossOf(uniformWidths(w, a)) });
  for (const budget of BUDGETS) {
    const choice = solve(analysis.costs, analysis.sensitivities, analysis.key.candidates, budget);
    if (!choice) throw new Error(`${dataset}: nothing fits in ${budget} B`);
    configs.push({ id: `mixed_${budget / 1e6}mb`, kind: 'mixed', widths: choice.widths, budget, loss: choice.loss });
  }
  const points: ParetoPoint[] = [];
  for (const c of configs) {
    if (only.size > 0 && !only.has(c.id)) {
      const kept = previous.find((pt) => pt.dataset === dataset && pt.id === c.id);
      if (kept) {
        points.push(kept);
        continue;
      }
    }
    const file = join(OUT, `${dataset}_${c.id}.pq`);
    console.log(`${relative(ROOT, file)}: weights ${JSON.stringify(c.widths.weights)}, activations ${c.widths.acts.join(' ')}`);
    const solverBefore = tableCost(analysis.costs, c.widths);
    const tuned = await finetune(p, data, c.widths);
    await writeModel(p, tuned.model, c.widths, file, c.kind === 'uniform' ? c.id.toUpperCase() : `mixed precision, budget ${c.budget! / 1e6} MB (${CORRELATIONS})`);
    const budgeted = forecastFile(file, CORRELATIONS);
    const f = forecastFile(file, CORRELATIONS, RUN);
    const acc = await pqAccuracy(file, dataset, data);
    const point: ParetoPoint = {
      dataset, id: c.id, kind: c.kind, file: relative(ROOT, file), widths: c.widths, ...(c.budget !== undefined ? { budget: c.budget } : {}),
      sensitivity: c.loss, solverForecast: solverBefore, budgetForecast: totalBytes(budgeted.totals), forecast: { online: f.totals.online.clientBytes + f.totals.online.serverBytes, offline: f.totals.offline.bytes, total: totalBytes(f.totals) },
      plain: acc, tfjsAccuracy: tuned.accuracy, finetuneSeconds: tuned.seconds,
    };
    point.twopc = measure2pc(file, dataset);
    console.log(`  pq eval ${(100 * acc.accuracy).toFixed(2)}%, pq cost ${point.forecast.total} B (budget's pricing: ${point.budgetForecast} B; solver ${solverBefore} B before fine-tuning), 2PC online ${point.twopc!.online} B + offline ${point.twopc!.offline} B`);
    points.push(point);
    tf.dispose([...tuned.model.convs.values()].flatMap((v) => [v.w, v.b]).concat([tuned.model.fc.w, tuned.model.fc.b]));
  }
  return points;
}

const args = process.argv.slice(2);
const wanted = args.filter((a): a is Dataset => a === 'mnist' || a === 'fashion');
/** `--only ID,ID`: fine-tune just these configurations, keep the others' results from results.json. */
const onlyAt = args.indexOf('--only');
const only = new Set(onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : []);
const datasets: Dataset[] = wanted.length > 0 ? wanted : ['mnist', 'fashion'];
mkdirSync(OUT, { recursive: true });
await tf.setBackend('wasm');
const file = join(OUT, 'results.json');
const recorded = (): ParetoPoint[] => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { points: ParetoPoint[] }).points : []);
const previous = recorded();
const fresh: ParetoPoint[] = [];
for (const d of datasets) fresh.push(...(await run(d)));
// Read again: a run for the other dataset may have written its points meanwhile.
const points = [...recorded().filter((pt) => !datasets.includes(pt.dataset)), ...fresh];
writeFileSync(file, `${JSON.stringify({ format: 'pq-mixed-results/1', correlations: CORRELATIONS, points }, null, 2)}\n`);
console.log(`wrote ${relative(ROOT, file)}`);
