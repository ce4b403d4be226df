// The floor of the mixed-precision study (docs/QUANTIZE.md, "Why 2× cannot be reached"): the
// reference model quantized at W2A2, every width at its least candidate, and each of the 34
// configurations that raise one of its 17 widths to 3 or to 8, priced by pq cost (the default
// pipeline, OT, online + offline per inference). It prints how many of them cost less than
// W2A2 (none, on both datasets) and by how much each one costs more:
//
//   npx tsx examples/resnet/floor.ts [mnist|fashion]

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { forecastFile, loadData, loadReference, prepare, RUN, totalBytes, writeModel, type Dataset } from '../mnist/mixed.js';
import { SITES, uniformWidths, WEIGHTED, type Widths } from '../mnist/resnet.js';

const dataset = (process.argv[2] ?? 'mnist') as Dataset;
await tf.setBackend('wasm');
const p = await prepare(loadReference(join(import.meta.dirname, `${dataset}_relu_w8a8.pq`)), dataset, loadData(dataset), 'ot');
const file = join(mkdtempSync(join(tmpdir(), 'pq-floor-')), 'config.pq');
const memo = new Map();
const cost = async (w: Widths): Promise<number> => {
  await writeModel(p, p.model, w, file, 'floor', memo);
  return totalBytes(forecastFile(file, 'ot', RUN).totals);
};
const floor = await cost(uniformWidths(2, 2));
const raised: string[] = [];
let cheaper = 0;
for (const bits of [3, 8]) {
  const variants: [string, Widths][] = [
    ...WEIGHTED.map((n): [string, Widths] => [`weights ${n}`, { ...uniformWidths(2, 2), weights: { ...uniformWidths(2, 2).weights, [n]: bits } }]),
    ...SITES.map((s, i): [string, Widths] => [`activation ${s}`, { ...uniformWidths(2, 2), acts: SITES.map((_, j) => (j === i ? bits : 2)) }]),
  ];
  for (const [what, w] of variants) {
    const c = await cost(w);
    if (c < floor) cheaper++;
    raised.push(`${what} at ${bits}: ${c - floor >= 0 ? '+' : ''}${(c - floor).toLocaleString('en-US')} B`);
  }
}
console.log(`${dataset}: W2A2 costs ${floor.toLocaleString('en-US')} B (pq cost --correlations ot, the reference's weights); of the ${raised.length} configurations raising one width, ${cheaper} cost less`);
console.log(raised.join('\n'));
