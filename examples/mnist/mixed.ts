// Mixed precision for the ResNet-8 examples under a communication budget (issue 19; the network
// side of EQO, Zeng et al., arXiv 2404.09404, and PrivQuant, Xu et al., ICCAD 2024), as
// `pq quantize MODEL.pq --budget B` runs it (../resnet/README.md, "Mixed precision"):
//
//   1. the reference: a trained ResNet-8 (ReLU) as .pq + params, dequantized into the folded
//      float model resnet.ts trains (weights · scale, biases · accumulator scale);
//   2. sensitivity per layer and candidate width, of weights and of activations: the measured
//      increase of the cross-entropy on calibration images when only that layer is quantized
//      at that width (sensitivity.ts says why not Hutchinson's Hessian trace);
//   3. the cost table: per layer of the program, its bytes in pq's own forecast (pq cost, for
//      the chosen correlations; online + offline, both parties) for every combination of the
//      widths that layer's cost depends on, read from the forecasts of whole programs;
//   4. the exact solver (import/quantize/budget.ts) over the chain stem → blocks → classifier
//      with the state = the width of the activation between blocks;
//   5. quantization-aware fine-tuning at the chosen widths (training.ts's loop), export as .pq +
//      params with the widths as the types, and pq's own forecast and accuracy of the result.
//
// The cost model. The budget is in the forecast of the program as lowered with its OT receivers
// chosen (`pq cost` with every pass but `orientation` disabled, BUDGET: it says why not the
// default pipeline's, which it bounds).
// A layer of the forecast is a `let` of the program: stem, each block's middle (`b1_a`: its
// first conv, ReLU, requantization) and output (`b1`: its second conv, the shortcut — a 1×1
// projection of the block's input or the input itself —, the add, ReLU, requantization), and the
// classifier (`output`). Each layer's bytes depend on the widths it reads and writes and on the
// weights at those widths (the range analysis sizes accumulators and intervals from the weights'
// values): LAYER_DEPS lists them. The forecast is the sum over layers, so the solver's forecast
// of a configuration is the sum of its table entries, and it equals that forecast on
// the written program when that program's weights are the ones the table was priced with
// (tests/examples/mixed.test.ts). Fine-tuning moves the weights, so the written program's
// forecast is computed again and printed beside the solver's.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { evalCommand } from '../../cli/eval.js';
import type { Io } from '../../cli/common.js';
import { forecast, type Forecast } from '../../compiler/cost/model.js';
import { POOL_FIXED, POOL_PER_COT } from '../../compiler/cost/ot-sizes.js';
import type { Backend } from '../../compiler/cost/formulas.js';
import { compileFile } from '../../compiler/lower.js';
import { PIPELINES, runPipeline } from '../../compiler/passes/pipeline.js';
import { readParamsFile } from '../../compiler/params.js';
import { diag, PqError } from '../../grammar/diagnostics.js';
import { paretoChain, solveChain, type Option } from '../../import/quantize/budget.js';
import type { WeightClip } from '../../import/quantize/weights.js';
import { loadFashionMnist } from '../fashion/dataset.js';
import { loadMnist, type Sample } from './dataset.js';
import { INPUT_SHAPE } from './nets.js';
import {
  BLOCK_SITES,
  CONVS,
  SITES,
  WEIGHTED,
  fakeQuant,
  forward,
  quantizeResNet,
  resnetParamsJson,
  resnetPqSource,
  siteScales,
  type FoldedResNet,
  type Mode,
  type SiteScales,
  type Widths,
} from './resnet.js';
import { trainable } from './resnet-train.js';
import { sensitivities, type Sensitivities } from './sensitivity.js';
import { accuracyOf, calibrate, fit, toTensors, type DataTensors, type Phase } from './training.js';

/** The widths tried for every weight tensor and activation: pq's types take any width, these span the useful range. */
export const CANDIDATES = [2, 3, 4, 5, 6, 8] as const;
export type Dataset = 'mnist' | 'fashion';

/**
 * Weight scales (weightScale): the least squared error, for every configuration, uniform or
 * mixed. With max|w| on the top code, 2-bit weights are ternary with threshold max|w|/2 and
 * almost all become 0 (W2A6 fine-tuned to 22% on MNIST that way, docs/QUANTIZE.md).
 */
export const WEIGHT_CLIP: WeightClip = 'mse';

/** Calibration percentile per activation width: fewer levels, a tighter clip (train.ts uses 99.99 at 8 bits, 99.9 at 4). */
const PERCENTILE: Record<number, number> = { 2: 99, 3: 99.9, 4: 99.9, 5: 99.99, 6: 99.99, 8: 99.99 };

/**
 * Per dataset: fine-tuning (longer than train.ts's W4A4 stage: widths of 2 and 3 bits need it),
 * augmentation as train.ts's, and the fine-tuning's shuffle seed.
 */
const PLAN: Record<Dataset, { title: string; every: number; phases: Phase[]; maxShift: number; seed: number }> = {
  mnist: { title: 'MNIST', every: 1, phases: [{ epochs: 1, lr: 3e-4 }, { epochs: 1, lr: 1e-4 }], maxShift: 2, seed: 41 },
  fashion: { title: 'Fashion-MNIST', every: 4, phases: [{ epochs: 1, lr: 3e-4 }, { epochs: 1, lr: 1e-4 }], maxShift: 0, seed: 51 },
};
const CALIBRATION_IMAGES = 1000;

const evalMode: Mode = { act: 'relu', alpha: 1, training: false };

// ---------------------------------------------------------------------------------------
// 1. The reference model

/** A trained ResNet-8 with ReLU (examples/resnet/*_relu_*.pq) as the folded float model, or PQ6011. */
export function loadReference(file: string): FoldedResNet {
  const r = compileFile(file);
  const bad = (detail: string): never => {
    throw new PqError(diag('PQ6011', { path: file, detail }));
  };
  if (!r.program) throw new PqError(r.diagnostics);
  const g = r.program.graph;
  const count = (op: string) => g.nodes.filter((n) => n.op === op).length;
  if (count('sqplus') > 0 || count('drelu') !== SITES.length) bad(`its activations are not ${SITES.length} ReLUs`);
  const params = readParamsFile(g.paramsFile!);
  const tensor = (name: string, shape: number[]) => {
    const t = params.tensors.get(name);
    if (!t || t.shape.join() !== shape.join() || t.scale === undefined) bad(`parameter '${name}' is missing or not [${shape.join(', ')}] with a scale`);
    return Float32Array.from(t!.data as number[], (v) => Number(v) * t!.scale!);
  };
  const convs = new Map<string, { w: tf.Variable; b: tf.Variable }>();
  for (const c of CONVS) {
    const w = tf.tensor(tensor(`${c.name}_w`, [c.cout, c.cin, c.k, c.k]), [c.cout, c.cin, c.k, c.k]);
    convs.set(c.name, { w: tf.variable(tf.transpose(w, [2, 3, 1, 0])), b: tf.variable(tf.tensor(tensor(`${c.name}_b`, [c.cout]))) });
    w.dispose();
  }
  const fcW = tf.tensor(tensor('fc_w', [10, 32]), [10, 32]);
  const fc = { w: tf.variable(tf.transpose(fcW)), b: tf.variable(tf.tensor(tensor('fc_b', [10]))) };
  fcW.dispose();
  return { kind: 'folded', convs, fc };
}

function cloneFolded(m: FoldedResNet): FoldedResNet {
  const copy = (v: tf.Variable) => tf.variable(v.clone());
  return { kind: 'folded', convs: new Map([...m.convs].map(([n, c]) => [n, { w: copy(c.w), b: copy(c.b) }])), fc: { w: copy(m.fc.w), b: copy(m.fc.b) } };
}

// ---------------------------------------------------------------------------------------
// 3. The cost table

/** A width variable: a weighted layer's weights (`w:NAME`) or an activation site's values (`a:INDEX`). */
const wv = (name: string): string => `w:${name}`;
const av = (site: number): string => `a:${site}`;

/**
 * The width variables each layer's forecast depends on (the header: the cost model). A layer's
 * bytes follow from the widths it reads and writes and from the intervals of its operands;
 * the stem's output interval is narrower than its type (one input channel: its accumulator
 * never reaches the top of u{A}), so it depends on the stem's weights, and block 1's output
 * layer, which extends the stem's output for its 1×1 projection, depends on them too. Found by
 * changing one width at a time; `costTable` checks it on every configuration it prices (a
 * layer priced differently at the same widths of its variables is an error).
 */
export const LAYER_DEPS: Record<string, string[]> = {
  setup: [],
  x: [],
  stem: [wv('stem'), av(0)],
  ...Object.fromEntries(
    BLOCK_SITES.flatMap((b, i) => [
      [`${b.name}_a`, [av(b.input), wv(b.convs[0]!), av(b.mid)]],
      [b.name, [...(i === 0 ? [wv('stem')] : []), av(b.input), av(b.mid), ...b.convs.slice(1).map(wv), av(b.output)]],
    ]),
  ),
  output: [av(SITES.length - 1), wv('fc')],
};

const variableOf = (w: Widths, v: string): number => (v.startsWith('w:') ? w.weights[v.slice(2)]! : w.acts[Number(v.slice(2))]!);
const keyOf = (w: Widths, layer: string): string => LAYER_DEPS[layer]!.map((v) => variableOf(w, v)).join(',');

/**
 * Whole configurations that together show every layer at every combination of its variables:
 * k^6 configurations (k candidates), each variable a digit of the configuration's index, so that
 * no layer reads the same digit twice (checked when the table is built).
 */
const DIGITS = 6;
const DIGIT: Record<string, number> = {
  [wv('stem')]: 0, [av(0)]: 1, [av(1)]: 2, [wv('b1_conv2')]: 3, [wv('b1_sc')]: 4, [av(2)]: 5, [wv('b1_conv1')]: 0,
  [av(3)]: 0, [wv('b2_conv2')]: 1, [wv('b2_sc')]: 2, [av(4)]: 3, [wv('b2_conv1')]: 1,
  [av(5)]: 4, [wv('b3_conv2')]: 5, [av(6)]: 0, [wv('b3_conv1')]: 0,
  [wv('fc')]: 1,
};

export function coveringConfigs(candidates: readonly number[]): Widths[] {
  const k = candidates.length;
  const out: Widths[] = [];
  for (let i = 0; i < k ** DIGITS; i++) {
    const digit = (v: string) => candidates[Math.floor(i / k ** DIGIT[v]!) % k]!;
    out.push({ weights: Object.fromEntries(WEIGHTED.map((n) => [n, digit(wv(n))])), acts: SITES.map((_, s) => digit(av(s))) });
  }
  return out;
}

/** Per layer, its bytes (online both parties + offline) by the key of its variables' widths. */
export type CostTable = Record<string, Record<string, number>>;

const layerName = (l: string): string => l.slice(l.lastIndexOf('/') + 1);
export const totalBytes = (c: { online: { clientBytes: number; serverBytes: number }; offline: { bytes: number } }): number =>
  c.online.clientBytes + c.online.serverBytes + c.offline.bytes;

/** How a forecast is priced: a pipeline and the passes it skips (`pq cost --pipeline P --disable …`). */
export interface Pricing {
  pipeline: string;
  disable: readonly string[];
}

/**
 * What the budget is priced with: the program as lowered with each layer's OT receiver chosen
 * (the default pipeline with every pass but `orientation` disabled). Its layers' bytes are local
 * (LAYER_DEPS); the default pipeline's are not: its other passes choose by the forecast of the
 * whole program (fuse-requant-relu prices each trial with the min over widening every headroom
 * site or none; a pass is kept only if the whole forecast does not grow), so one layer's width
 * can change another's bytes anywhere in the network. That guard also bounds the default
 * pipeline's online bytes by this program's. Without `orientation` (the program as lowered,
 * `--pipeline none`, which earlier runs priced) every product takes the activation as the OT
 * receiver, so activation bits look dear and weight bits cheap, the opposite of what runs: the
 * default pipeline makes the weights the receiver in most layers (docs/QUANTIZE.md).
 */
export const BUDGET: Pricing = { pipeline: 'pq', disable: [...new Set(PIPELINES.pq!.filter((pass) => pass !== 'orientation'))] };
/** The default pipeline: what pq run runs. */
export const RUN: Pricing = { pipeline: 'pq', disable: [] };
/** The pq cost options of a pricing. */
export const pricingArgs = (p: Pricing): string => [`--pipeline ${p.pipeline}`, ...p.disable.map((d) => `--disable ${d}`)].join(' ');

/** pq cost's forecast of a .pq file (passes targeting `correlations`), or its diagnostics as a PqError; `needs` as forecast's. */
export function forecastFile(file: string, correlations: Backend, pricing: Pricing = BUDGET, needs?: Map<string, Record<'client' | 'server', number>>): Forecast {
  const r = compileFile(file);
  if (!r.program) throw new PqError(r.diagnostics);
  return forecast(runPipeline(r.program, pricing.pipeline, { target: correlations, disable: [...pricing.disable] }).program, correlations, { needs });
}

/** What a reference model quantizes to at given widths (before fine-tuning): the written program's params and source. */
export interface Prepared {
  dataset: Dataset;
  model: FoldedResNet;
  /** Per activation width, the site scales calibrated for it. */
  scales: Map<number, SiteScales[]>;
  candidates: readonly number[];
  correlations: Backend;
}

const scalesFor = (p: Prepared, w: Widths): SiteScales[] => w.acts.map((a, i) => p.scales.get(a)![i]!);

/** Writes `model` quantized at `w` as FILE.pq and FILE.params.json; `memo` as quantizeResNet's (the same model every call). */
export async function writeModel(p: Prepared, model: FoldedResNet, w: Widths, file: string, label: string, memo?: Parameters<typeof quantizeResNet>[6]): Promise<void> {
  const q = await quantizeResNet(model, 'relu', scalesFor(p, w), w, label, WEIGHT_CLIP, memo);
  const stem = basename(file).replace(/\.pq$/, '');
  writeFileSync(join(dirname(file), `${stem}.params.json`), resnetParamsJson(q));
  writeFileSync(file, resnetPqSource(q, stem, PLAN[p.dataset].title, 'pq quantize --budget (examples/mnist/mixed.ts)'));
}

export async function costTable(p: Prepared, progress: (done: number, total: number) => void = () => {}): Promise<CostTable> {
  const table: CostTable = Object.fromEntries(Object.keys(LAYER_DEPS).map((l) => [l, {}]));
  const dir = mkdtempSync(join(tmpdir(), 'pq-mixed-'));
  const configs = coveringConfigs(p.candidates);
  const memo = new Map();
  for (const [i, w] of configs.entries()) {
    const file = join(dir, 'config.pq');
    await writeModel(p, p.model, w, file, 'cost table', memo);
    const needs = new Map<string, Record<'client' | 'server', number>>();
    const f = forecastFile(file, p.correlations, BUDGET, needs);
    const pool = poolCharge(f, needs, p.correlations);
    for (const l of f.layers) {
      const name = layerName(l.layer);
      const entries = table[name];
      if (!entries) throw new Error(`cost table: the forecast has a layer '${l.layer}' the cost model does not know`);
      const key = keyOf(w, name);
      const bytes = totalBytes(l) + (pool.get(l.layer) ?? 0);
      if (entries[key] !== undefined && entries[key] !== bytes) {
        throw new Error(`cost table: layer ${name} costs ${entries[key]} and ${bytes} bytes at the same widths ${key}: it depends on more than ${LAYER_DEPS[name]!.join(', ')}`);
      }
      entries[key] = bytes;
    }
    progress(i + 1, configs.length);
  }
  const k = p.candidates.length;
  for (const [l, deps] of Object.entries(LAYER_DEPS)) {
    if (Object.keys(table[l]!).length !== k ** deps.length) throw new Error(`cost table: layer ${l} covered at ${Object.keys(table[l]!).length} of ${k ** deps.length} width combinations`);
  }
  return table;
}

/**
 * Under pq's `ot` and `he` providers, the session's silent-OT refills (layer `setup`, primitive
 * `silent-ot`) depend on each direction's total of pooled COTs, not layer by layer. The table
 * charges them by their separable bound instead (ot-sizes.ts POOL_FIXED, POOL_PER_COT): each
 * layer POOL_PER_COT per COT it takes, the set-up POOL_FIXED per direction in place of the
 * refills' bytes. So a configuration's table cost is never below its forecast, and at most one
 * main-size iteration and a bootstrap-size one per direction (about 0.7 MB) above it: a
 * configuration the solver finds within the budget is within it.
 * `needs`: each layer's pooled COTs from the same pricing (forecast's `needs`). Returns what to
 * add to each layer's forecast bytes.
 */
function poolCharge(f: Forecast, needs: ReadonlyMap<string, Record<'client' | 'server', number>>, correlations: Backend): Map<string, number> {
  const out = new Map<string, number>();
  if (correlations !== 'ot' && correlations !== 'he') return out;
  const refills = f.rows.filter((r) => r.primitive === 'silent-ot').reduce((a, r) => a + totalBytes(r), 0);
  out.set('setup', 2 * POOL_FIXED - refills);
  for (const [layer, n] of needs) out.set(layer, (out.get(layer) ?? 0) + POOL_PER_COT * (n.client + n.server));
  return out;
}

/** The solver's forecast of a configuration: the sum of its layers' table entries. */
export function tableCost(t: CostTable, w: Widths): number {
  return Object.keys(LAYER_DEPS).reduce((sum, l) => sum + t[l]![keyOf(w, l)]!, 0);
}

// ---------------------------------------------------------------------------------------
// 4. The chain for the solver

/** A stage's choice: some variables' widths. */
type Assignment = Record<string, number>;

function assignments(vars: string[], candidates: readonly number[]): Assignment[] {
  return vars.reduce<Assignment[]>((acc, v) => acc.flatMap((a) => candidates.map((c) => ({ ...a, [v]: c }))), [{}]);
}

const widthsOf = (a: Assignment): Widths => ({
  weights: Object.fromEntries(WEIGHTED.map((n) => [n, a[wv(n)]!])),
  acts: SITES.map((_, s) => a[av(s)]!),
});

/**
 * The chain: the stem (its weights and activation; state = that width), each block (its
 * middle width and weights, its output width; read: the block's input width), the classifier
 * (its weights). Costs are the table's, sensitivities the sum of each chosen width's.
 */
export function chain(t: CostTable, s: Sensitivities, candidates: readonly number[]): Option<Assignment>[][] {
  const loss = (a: Assignment) =>
    Object.entries(a).reduce((sum, [v, bits]) => sum + (v.startsWith('w:') ? s.weights[v.slice(2)]![bits]! : s.acts[Number(v.slice(2))]![bits]!), 0);
  const cost = (a: Assignment, layers: string[]) => layers.reduce((sum, l) => sum + t[l]![LAYER_DEPS[l]!.map((v) => a[v]!).join(',')]!, 0);
  // The state between stages is the width of the activation crossing; after the stem also its
  // weights' width (block 1's output layer depends on it), as 100·activation + weights.
  const afterStem = (a: Assignment) => 100 * a[av(0)]! + a[wv('stem')]!;
  const stages: Option<Assignment>[][] = [];
  stages.push(assignments([wv('stem'), av(0)], candidates).map((a) => ({ from: 0, to: afterStem(a), cost: cost(a, ['setup', 'x', 'stem']), loss: loss(a), choice: a })));
  for (const [i, b] of BLOCK_SITES.entries()) {
    const own = [av(b.mid), ...b.convs.map(wv), av(b.output)];
    const reads = i === 0 ? [av(b.input), wv('stem')] : [av(b.input)];
    stages.push(
      assignments([...reads, ...own], candidates).map((a) => {
        const mine = Object.fromEntries(own.map((v) => [v, a[v]!]));
        return { from: i === 0 ? afterStem(a) : a[av(b.input)]!, to: a[av(b.output)]!, cost: cost(a, [`${b.name}_a`, b.name]), loss: loss(mine), choice: mine };
      }),
    );
  }
  const last = av(SITES.length - 1);
  stages.push(
    assignments([last, wv('fc')], candidates).map((a) => ({ from: a[last]!, to: 0, cost: cost(a, ['output']), loss: loss({ [wv('fc')]: a[wv('fc')]! }), choice: { [wv('fc')]: a[wv('fc')]! } })),
  );
  return stages;
}

export function solve(t: CostTable, s: Sensitivities, candidates: readonly number[], budget: number): { widths: Widths; cost: number; loss: number } | undefined {
  const best = solveChain(chain(t, s, candidates), 0, budget);
  return best && { widths: widthsOf(Object.assign({}, ...best.choices) as Assignment), cost: best.cost, loss: best.loss };
}

// ---------------------------------------------------------------------------------------
// 2 and 5: data, sensitivity, fine-tuning

export interface Data {
  train: Sample[];
  test: Sample[];
  calibration: DataTensors;
}

export function loadData(dataset: Dataset): Data {
  const { train, test } = dataset === 'mnist' ? loadMnist() : loadFashionMnist();
  return { train, test, calibration: toTensors(train.slice(0, CALIBRATION_IMAGES)) };
}

/** The reference model with its activation scales calibrated per candidate width. */
export async function prepare(model: FoldedResNet, dataset: Dataset, data: Data, correlations: Backend, candidates: readonly number[] = CANDIDATES): Promise<Prepared> {
  const probe = (x: tf.Tensor4D) => forward(model, x, evalMode).probes.map((p) => p[1]!);
  const ranges = await calibrate(probe, data.calibration.x, candidates.map((a) => PERCENTILE[a] ?? 99.99));
  const scales = new Map(candidates.map((a, i) => [a, siteScales('relu', ranges[i]!.map((r) => [r, r]), SITES.map(() => a))] as const));
  return { dataset, model, scales, candidates, correlations };
}

export function measureSensitivity(p: Prepared, data: Data): Promise<Sensitivities> {
  return sensitivities(p.model, evalMode, data.calibration, p.candidates, (a) => p.scales.get(a)!, WEIGHT_CLIP);
}

/** What the solver reads: the sensitivities and the cost table, for one reference model, dataset, correlations and candidates. */
export interface Analysis {
  /**
   * What the analysis was made for. `forecast` is pq cost of the model itself (the budget's
   * pipeline): any change of pq's cost model since (a protocol's or the set-up's bytes) changes
   * it, so a cost table priced by an older pq is measured again, never reused.
   */
  key: { model: string; dataset: Dataset; correlations: Backend; pipeline: string; candidates: number[]; weightClip: WeightClip; forecast: number };
  sensitivities: Sensitivities;
  costs: CostTable;
}

/** SHA-256 of a .pq file and its params file: what an analysis was made for. */
export function modelHash(file: string): string {
  const h = createHash('sha256').update(readFileSync(file));
  const params = /params\s+"([^"]+)"/.exec(readFileSync(file, 'utf8'))?.[1];
  if (params !== undefined) h.update(readFileSync(join(dirname(file), params)));
  return `sha256:${h.digest('hex')}`;
}

/**
 * The sensitivities and the cost table of `file`'s model, read from `cache` when it holds the
 * same key (model hash, dataset, correlations, pipeline, candidates, the model's own forecast), else measured and written
 * there: re-running with another budget then takes only the fine-tuning.
 */
export async function analyse(file: string, p: Prepared, data: Data, cache: string, log: (s: string) => void): Promise<Analysis> {
  const key: Analysis['key'] = {
    model: modelHash(file), dataset: p.dataset, correlations: p.correlations, pipeline: pricingArgs(BUDGET), candidates: [...p.candidates], weightClip: WEIGHT_CLIP,
    forecast: totalBytes(forecastFile(file, p.correlations).totals),
  };
  // The sensitivities do not depend on the cost model: kept when only `forecast` differs.
  const { forecast: _f, ...measured } = key;
  let kept: Sensitivities | undefined;
  if (existsSync(cache)) {
    const old = JSON.parse(readFileSync(cache, 'utf8')) as Analysis;
    if (JSON.stringify(old.key) === JSON.stringify(key)) {
      log(`pq: sensitivities and cost table from ${cache}`);
      return old;
    }
    const { forecast: _g, ...before } = old.key;
    if (JSON.stringify(before) === JSON.stringify(measured)) {
      log(`pq: sensitivities from ${cache}; its cost table was priced by another cost model (the model's forecast ${old.key.forecast ?? 'not recorded'}, now ${key.forecast} B): priced again`);
      kept = old.sensitivities;
    }
  }
  if (!kept) log(`pq: sensitivity of ${WEIGHTED.length} weight tensors and ${SITES.length} activations at ${p.candidates.join(', ')} bits (${CALIBRATION_IMAGES} training images)`);
  const sensitivities = kept ?? (await measureSensitivity(p, data));
  log(`pq: pricing ${p.candidates.length ** DIGITS} configurations with pq cost ${pricingArgs(BUDGET)} --correlations ${p.correlations}`);
  let last = performance.now();
  const costs = await costTable(p, (done, total) => {
    if (done === total || performance.now() - last > 10_000) {
      log(`pq: [${done}/${total}] configurations priced`);
      last = performance.now();
    }
  });
  const analysis = { key, sensitivities, costs };
  writeFileSync(cache, `${JSON.stringify(analysis)}\n`);
  return analysis;
}

/** Fine-tunes a copy of the reference at `w` (fake quantization, straight-through) and returns it with its tfjs test accuracy. */
export async function finetune(p: Prepared, data: Data, w: Widths, log: (line: string) => void = console.log): Promise<{ model: FoldedResNet; accuracy: number; seconds: number }> {
  const plan = PLAN[p.dataset];
  const mode: Mode = { ...evalMode, fq: fakeQuant('relu', scalesFor(p, w), w, WEIGHT_CLIP) };
  const model = cloneFolded(p.model);
  const start = performance.now();
  await fit(trainable(model, () => mode), data.train.filter((_, i) => i % plan.every === 0), plan.phases, plan.seed, plan.maxShift, log);
  const seconds = (performance.now() - start) / 1000;
  const test = toTensors(data.test);
  const accuracy = await accuracyOf((x) => forward(model, x, mode).logits, test);
  tf.dispose(test.x);
  return { model, accuracy, seconds };
}

/** pq eval's accuracy of a written program on the dataset's whole test split (plaintext). */
export async function pqAccuracy(file: string, dataset: Dataset, data: Data): Promise<{ correct: number; images: number; accuracy: number }> {
  let set: string | undefined;
  if (dataset === 'fashion') {
    set = join(mkdtempSync(join(tmpdir(), 'pq-mixed-')), 'test.ndjson');
    writeFileSync(set, `${data.test.map((s) => JSON.stringify({ input: { shape: INPUT_SHAPE, data: Array.from(s.pixels) }, label: s.label })).join('\n')}\n`);
  }
  const r = compileFile(file);
  if (!r.program) throw new PqError(r.diagnostics);
  const program = runPipeline(r.program, 'pq', { target: 'dealer' }).program;
  let json = '';
  const io: Io = { out: (s) => (json += s), err: () => {} };
  await evalCommand(program, { file, pipeline: 'pq', disabled: [], backend: 'plain', limit: Infinity, json: true, ...(set !== undefined ? { dataset: set } : {}) }, io);
  const out = JSON.parse(json) as { correct: number; images: number; accuracy: number };
  return { correct: out.correct, images: out.images, accuracy: out.accuracy };
}

// ---------------------------------------------------------------------------------------
// The command

export interface MixedOptions {
  model: string;
  dataset: Dataset;
  budget: number;
  correlations: Backend;
  out: string;
}

const MB = (b: number): string => `${(b / 1e6).toFixed(2)} MB`;

/** `pq quantize MODEL.pq --budget B`: prints the per-layer choice, the forecast and the accuracy. */
export async function quantizeMixed(opts: MixedOptions, io: Io): Promise<number> {
  await tf.setBackend('wasm');
  const model = loadReference(opts.model);
  const data = loadData(opts.dataset);
  const p = await prepare(model, opts.dataset, data, opts.correlations);
  const { sensitivities: s, costs: table } = await analyse(opts.model, p, data, opts.out.replace(/\.pq$/, '.analysis.json'), io.err);
  const choice = solve(table, s, p.candidates, opts.budget);
  if (!choice) {
    const cheapest = paretoChain(chain(table, s, p.candidates), 0)[0]!.cost;
    throw new PqError(diag('PQ6012', { budget: MB(opts.budget), cheapest: MB(cheapest), correlations: opts.correlations }));
  }
  io.err(`pq: fine-tuning at the chosen widths (${PLAN[opts.dataset].phases.map((ph) => `${ph.epochs} epoch at lr ${ph.lr}`).join(', ')})`);
  const tuned = await finetune(p, data, choice.widths, io.err);
  await writeModel(p, tuned.model, choice.widths, opts.out, `mixed precision, budget ${MB(opts.budget)} (${opts.correlations})`);
  const written = forecastFile(opts.out, opts.correlations);
  const run = forecastFile(opts.out, opts.correlations, RUN);
  const acc = await pqAccuracy(opts.out, opts.dataset, data);
  // A divergence of zero can come out a rounding error below it.
  const omega = (v: number): string => Math.max(0, v).toFixed(4);
  const rows = [
    ...WEIGHTED.map((n) => [n, `i${choice.widths.weights[n]}`, '', omega(s.weights[n]![choice.widths.weights[n]!]!)]),
    ...SITES.map((site, i) => [site, '', `u${choice.widths.acts[i]}`, omega(s.acts[i]![choice.widths.acts[i]!]!)]),
  ];
  const { table: render } = await import('../../cli/table.js');
  io.out(render(['layer', 'weights', 'activation', 'sensitivity'], rows, ['total', '', '', omega(choice.loss)]));
  io.out('sensitivity: KL divergence of the predictions from the float model\'s on the calibration images when only that tensor is quantized at that width (summed: the solver\'s objective).');
  const bytes = (b: number): string => `${b.toLocaleString('en-US')} B`;
  io.out(
    `forecast (${opts.correlations}, online + offline, both parties, per inference): ${bytes(Math.ceil(choice.cost))} by the solver (budget ${bytes(opts.budget)}); on ${opts.out} after fine-tuning ` +
      `${bytes(totalBytes(written.totals))} by pq cost ${pricingArgs(BUDGET)}, ${bytes(totalBytes(run.totals))} by pq cost (the default pipeline, what pq run runs)`,
  );
  io.out(`accuracy: ${(100 * acc.accuracy).toFixed(2)}% (${acc.correct}/${acc.images}, pq eval, plaintext); fine-tuned tfjs model ${(100 * tuned.accuracy).toFixed(2)}% (${tuned.seconds.toFixed(0)} s)`);
  io.out(`wrote ${opts.out} and ${opts.out.replace(/\.pq$/, '.params.json')}`);
  return 0;
}
