// Measures every ResNet-8 model in this folder with pq's own command line and writes what the
// commands printed (their --json reports) to results.json, for plot.ts:
//
//   pq eval FILE.pq [--dataset D] --json                            accuracy on the whole test split (plaintext)
//   pq eval FILE.pq [--dataset D] --backend 2pc --correlations ot|he --limit N --json
//                                                                    N images under 2PC (OT, and HE+OT), each
//                                                                    prediction checked against the plaintext backend
//   pq cost FILE.pq --correlations ot|he --json                     communication per inference (forecast)
//
// Run from the repository root after `npm run build` (it runs dist/cli/main.js):
//
//   npx tsx examples/resnet/measure.ts [--limit N] [--keep-plaintext] [mnist] [fashion]
//
// --keep-plaintext keeps the recorded plaintext accuracies (the plaintext backend's, which the
// two-party code and the cost model do not change) and measures everything else again.
//
// MNIST is pq eval's default dataset; the Fashion-MNIST test split is written as NDJSON by
// ../fashion/dataset-file.ts (Debian's dataset-fashion-mnist must be installed: PQ4034 says how).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTIVATIONS, CORRELATIONS, DATASETS, SETTINGS, type ModelResult, type TwoParty } from './results.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
function pq(args: string[]): Record<string, unknown> {
  console.log(`  pq ${args.map((a) => (a.startsWith(ROOT) ? relative(ROOT, a) : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`pq ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** `pq eval … --backend 2pc --correlations c --limit N --json`, as results.json records it. */
function twoParty<C extends 'ot' | 'he'>(pqFile: string, data: string[], c: C, limit: number): TwoParty<C> {
  const two = pq(['eval', pqFile, ...data, '--backend', '2pc', '--correlations', c, '--limit', String(limit), '--json']) as {
    images: number;
    correct: number;
    equalToPlain: number;
    perInference: { online: { clientSent: number; serverSent: number }; offline: number; rounds: { client: number; server: number } };
  };
  const p = two.perInference;
  return {
    correlations: c,
    images: two.images,
    correct: two.correct,
    equalToPlain: two.equalToPlain,
    measured: { online: p.online.clientSent + p.online.serverSent, offline: p.offline, rounds: Math.max(p.rounds.client, p.rounds.server) },
  };
}

interface CostTotals {
  online: { clientBytes: number; serverBytes: number; rounds: number };
  offline: { bytes: number };
}

function main(): void {
  const args = process.argv.slice(2);
  let limit = 4;
  let keepPlain = false;
  const wanted = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--limit') limit = Number(args[++i]);
    else if (args[i] === '--keep-plaintext') keepPlain = true;
    else wanted.add(args[i]!);
  }
  if (!existsSync(CLI)) {
    console.error(`${relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
  const file = join(HERE, 'results.json');
  const previous: ModelResult[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { models: ModelResult[] }).models : [];
  const results: ModelResult[] = [];
  for (const dataset of DATASETS) {
    if (wanted.size > 0 && !wanted.has(dataset)) {
      results.push(...previous.filter((m) => m.dataset === dataset));
      continue;
    }
    const data: string[] = [];
    if (dataset === 'fashion') {
      const ndjson = join(mkdtempSync(join(tmpdir(), 'pq-resnet-')), 'fashion-test.ndjson');
      const r = spawnSync('npx', ['tsx', 'examples/fashion/dataset-file.ts', ndjson], { cwd: ROOT, stdio: 'inherit' });
      if (r.status !== 0) process.exit(r.status ?? 1);
      data.push('--dataset', ndjson);
    }
    for (const act of ACTIVATIONS) {
      for (const setting of SETTINGS) {
        const pqFile = join(HERE, `${dataset}_${act}_${setting}.pq`);
        console.log(relative(ROOT, pqFile));
        const before = previous.find((m) => m.dataset === dataset && m.act === act && m.setting === setting);
        if (keepPlain && !before) throw new Error(`${relative(ROOT, pqFile)} has no recorded accuracy to keep: run without --keep-plaintext`);
        const plain = keepPlain ? before!.plain : (pq(['eval', pqFile, ...data, '--json']) as ModelResult['plain']);
        const cost = Object.fromEntries(
          CORRELATIONS.map((c) => {
            const t = (pq(['cost', pqFile, '--correlations', c, '--json']) as { forecast: { totals: CostTotals } }).forecast.totals;
            return [c, { online: t.online.clientBytes + t.online.serverBytes, offline: t.offline.bytes, rounds: t.online.rounds }];
          }),
        ) as ModelResult['cost'];
        results.push({
          dataset,
          act,
          setting,
          file: relative(ROOT, pqFile),
          plain: { images: plain.images, correct: plain.correct, accuracy: plain.accuracy },
          twopc: twoParty(pqFile, data, 'ot', limit),
          twopcHe: twoParty(pqFile, data, 'he', limit),
          cost,
        });
        const last = results.at(-1)!;
        console.log(
          `  accuracy ${(100 * last.plain.accuracy).toFixed(2)}% (${last.plain.correct}/${last.plain.images}); ` +
            `2PC ${last.twopc.equalToPlain}/${last.twopc.images} (ot), ${last.twopcHe.equalToPlain}/${last.twopcHe.images} (he) equal to plaintext; ` +
            `ot ${last.cost.ot.online} + ${last.cost.ot.offline} B, he ${last.cost.he.online} + ${last.cost.he.offline} B`,
        );
      }
    }
  }
  writeFileSync(file, `${JSON.stringify({ format: 'pq-resnet-results/1', models: results }, null, 2)}\n`);
  console.log(`wrote ${relative(ROOT, file)}`);
}

main();
