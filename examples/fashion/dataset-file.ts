// Writes a split of the installed Fashion-MNIST (dataset.ts) as an NDJSON dataset for
// `pq eval --dataset FILE`: one record per line, {"input": {"shape": [1, 28, 28], "data": [the
// 784 pixel bytes]}, "label": CLASS}, in the split's file order. Run from the repository root:
//
//   npx tsx examples/fashion/dataset-file.ts OUT.ndjson [--split test|train] [--every K]
//
// `--every K` keeps every K-th image (the 0th, K-th, ...); the default is every image of the
// test split. A missing dataset is PQ4034, saying how to install it.
import { writeFileSync } from 'node:fs';
import { INPUT_SHAPE } from '../mnist/nets.js';
import { loadFashionMnistOrExit } from './dataset.js';

const USAGE = 'usage: npx tsx examples/fashion/dataset-file.ts OUT.ndjson [--split test|train] [--every K]';

function usage(problem: string): never {
  console.error(`${problem}\n${USAGE}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let out: string | undefined;
let split: 'test' | 'train' = 'test';
let every = 1;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--split') {
    const v = args[++i];
    if (v !== 'test' && v !== 'train') usage(`--split takes test or train, not ${v ?? 'nothing'}`);
    split = v;
  } else if (a === '--every') {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 1) usage(`--every takes a positive integer, not ${args[i] ?? 'nothing'}`);
    every = v;
  } else if (a.startsWith('-') || out !== undefined) {
    usage(`unexpected argument ${a}`);
  } else {
    out = a;
  }
}
if (out === undefined) usage('no output file');

const samples = loadFashionMnistOrExit()[split].filter((_, i) => i % every === 0);
const lines = samples.map((s) => JSON.stringify({ input: { shape: INPUT_SHAPE, data: Array.from(s.pixels) }, label: s.label }));
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`wrote ${out}: ${samples.length} images of the Fashion-MNIST ${split} split`);
