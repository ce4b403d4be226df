// Trains the example networks (nets.ts) on MNIST or Fashion-MNIST, quantizes them to pq's
// integer semantics at W8A8 and W4A4, checks the result with an integer reference
// simulation (quantize.ts) and writes every artifact into the dataset's example folder:
//
//   float-accuracy.json, {mlp,lenet}_{w8a8,w4a4}.{pq,params.json}, and sample PNGs
//   (examples/mnist/digits/digit-<d>.png, examples/fashion/samples/<d>-<class>.png)
//
// Run from the repository root:  npx tsx examples/mnist/train.ts [mnist|fashion]
// (mnist when omitted; fashion needs Debian's dataset-fashion-mnist, ../fashion/README.md).
// Everything is seeded (own PRNG for initialization and shuffling; the wasm
// backend is single-threaded), so a rerun reproduces the same files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import pngjs from 'pngjs';
import { FASHION_CLASSES, loadFashionMnistOrExit } from '../fashion/dataset.js';
import { IMAGE_SIZE, PIXELS, loadMnist, type Sample } from './dataset.js';
import { LENET, MLP, isWeighted, type Net, type WeightedLayer } from './nets.js';
import {
  W4A4,
  W8A8,
  accuracy,
  fileStem,
  paramsJson,
  pqSource,
  quantizeNet,
  type FloatParams,
  type QuantNet,
  type Setting,
} from './quantize.js';
import { percentile } from '../../import/quantize/weights.js';
import { activationFakeQuant, conv2dValid, weightFakeQuant } from './tf-ops.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const BATCH = 64;
/** Adam, one fresh optimizer per phase: a short low-rate phase settles the weights. */
interface Phase {
  epochs: number;
  lr: number;
}

/** What differs between the two datasets' examples; the networks and the method do not. */
interface Example {
  /** Names the generated .pq files' header comment. */
  title: string;
  outDir: string;
  load: () => { train: Sample[]; test: Sample[] };
  schedule: Record<Net['id'], Phase[]>;
  /** Quantization-aware fine-tuning for W4A4, starting from the float weights. */
  qatSchedule: Phase[];
  /**
   * Training images are translated by up to this many pixels in each direction
   * (zero fill): with only ~8000 MNIST training images both nets overfit otherwise.
   */
  maxShift: number;
  /** Calibration reads the first this many training images (all of them for MNIST's 7,996). */
  calibrationImages: number;
  /** `shuffle` seeds drive both the epoch order and the augmentation shifts. */
  seeds: Record<Net['id'], { init: number; shuffle: number; qatShuffle: number }>;
  /** The sample PNG of class `label` (the first test image of that class), relative to outDir. */
  sampleFile: (label: number) => string;
}

const EXAMPLES: Record<'mnist' | 'fashion', Example> = {
  mnist: {
    title: 'MNIST',
    outDir: HERE,
    load: loadMnist,
    schedule: {
      mlp: [
        { epochs: 20, lr: 1e-3 },
        { epochs: 5, lr: 1e-4 },
      ],
      lenet: [
        { epochs: 15, lr: 1e-3 },
        { epochs: 5, lr: 1e-4 },
      ],
    },
    qatSchedule: [
      { epochs: 4, lr: 2e-4 },
      { epochs: 2, lr: 2e-5 },
    ],
    maxShift: 2,
    calibrationImages: Infinity,
    seeds: {
      mlp: { init: 1, shuffle: 2, qatShuffle: 3 },
      lenet: { init: 4, shuffle: 5, qatShuffle: 6 },
    },
    sampleFile: (label) => join('digits', `digit-${label}.png`),
  },
  // 60,000 training images: a few epochs suffice and no augmentation is needed (garments
  // are centred, and the machine's 2 shared cores bound the budget; ../fashion/README.md).
  fashion: {
    title: 'Fashion-MNIST',
    outDir: join(HERE, '..', 'fashion'),
    load: () => loadFashionMnistOrExit(),
    schedule: {
      mlp: [
        { epochs: 5, lr: 1e-3 },
        { epochs: 1, lr: 1e-4 },
      ],
      lenet: [
        { epochs: 5, lr: 1e-3 },
        { epochs: 1, lr: 1e-4 },
      ],
    },
    qatSchedule: [{ epochs: 1, lr: 1e-4 }],
    maxShift: 0,
    calibrationImages: 6000,
    seeds: {
      mlp: { init: 11, shuffle: 12, qatShuffle: 13 },
      lenet: { init: 14, shuffle: 15, qatShuffle: 16 },
    },
    sampleFile: (label) => join('samples', `${label}-${FASHION_CLASSES[label]!.toLowerCase().replace(/[^a-z]+/g, '-')}.png`),
  },
};

/**
 * Activation ranges: this percentile (nearest rank) of all elements of each
 * post-ReLU float activation over the calibration images. At 4 bits a tighter
 * clip trades rare large values for resolution on the common ones.
 */
const CALIBRATION_PERCENTILE: Record<Setting['id'], number> = { w8a8: 99.99, w4a4: 99.9 };
const EVAL_BATCH = 500;

/** mulberry32: a small, well-distributed 32-bit PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * A training batch: pixel byte / 255, each image randomly translated by
 * -maxShift..maxShift pixels along each axis.
 */
function augmentedBatch(samples: Sample[], rows: Int32Array, random: () => number, maxShift: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = new Float32Array(rows.length * PIXELS);
  const y = new Float32Array(rows.length * 10);
  rows.forEach((row, i) => {
    const s = samples[row]!;
    const dx = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    const dy = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    for (let r = Math.max(0, dy); r < Math.min(IMAGE_SIZE, IMAGE_SIZE + dy); r++) {
      for (let c = Math.max(0, dx); c < Math.min(IMAGE_SIZE, IMAGE_SIZE + dx); c++) {
        x[i * PIXELS + r * IMAGE_SIZE + c] = s.pixels[(r - dy) * IMAGE_SIZE + (c - dx)]! / 255;
      }
    }
    y[i * 10 + s.label] = 1;
  });
  return { x: tf.tensor4d(x, [rows.length, IMAGE_SIZE, IMAGE_SIZE, 1]), y: tf.tensor2d(y, [rows.length, 10]) };
}

interface DataTensors {
  /** [N, 28, 28, 1], pixel byte / 255. */
  x: tf.Tensor4D;
  labels: Int32Array;
}

function toTensors(samples: Sample[]): DataTensors {
  const x = new Float32Array(samples.length * PIXELS);
  samples.forEach((s, i) => {
    for (let p = 0; p < PIXELS; p++) x[i * PIXELS + p] = s.pixels[p]! / 255;
  });
  return {
    x: tf.tensor4d(x, [samples.length, IMAGE_SIZE, IMAGE_SIZE, 1]),
    labels: Int32Array.from(samples, (s) => s.label),
  };
}

/** Float model in TensorFlow layouts: conv w [k, k, in, out], linear w [in, out]. */
interface FloatModel {
  net: Net;
  vars: Map<string, { w: tf.Variable; b: tf.Variable }>;
}

function weighted(net: Net): WeightedLayer[] {
  return net.layers.filter(isWeighted);
}

/** He-uniform weights (suits ReLU), zero biases. */
function createModel(net: Net, seed: number): FloatModel {
  const random = prng(seed);
  const vars = new Map<string, { w: tf.Variable; b: tf.Variable }>();
  for (const layer of weighted(net)) {
    const shape =
      layer.op === 'conv'
        ? [layer.kernel, layer.kernel, layer.inChannels, layer.outChannels]
        : [layer.inFeatures, layer.outFeatures];
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const limit = Math.sqrt(6 / fanIn);
    const values = Float32Array.from({ length: fanIn * shape.at(-1)! }, () => (2 * random() - 1) * limit);
    vars.set(layer.name, {
      w: tf.variable(tf.tensor(values, shape)),
      b: tf.variable(tf.zeros([shape.at(-1)!])),
    });
  }
  return { net, vars };
}

function cloneModel(m: FloatModel): FloatModel {
  const vars = new Map<string, { w: tf.Variable; b: tf.Variable }>();
  for (const [name, v] of m.vars) vars.set(name, { w: tf.variable(v.w.clone()), b: tf.variable(v.b.clone()) });
  return { net: m.net, vars };
}

interface FakeQuant {
  weight: (w: tf.Tensor) => tf.Tensor;
  activations: Array<(y: tf.Tensor) => tf.Tensor>;
}

function fakeQuant(setting: Setting, actMax: number[]): FakeQuant {
  const qmax = 2 ** setting.actBits - 1;
  return {
    weight: weightFakeQuant(setting.weightBits),
    activations: actMax.map((m) => activationFakeQuant(setting.actBits, m / qmax)),
  };
}

/**
 * Float forward pass mirroring the pq programs. Returns the logits and every
 * post-ReLU activation (before any fake quantization) for calibration.
 */
function forward(m: FloatModel, x: tf.Tensor4D, fq?: FakeQuant): { logits: tf.Tensor2D; hidden: tf.Tensor[] } {
  const last = weighted(m.net).length;
  const hidden: tf.Tensor[] = [];
  let h: tf.Tensor = x;
  let seen = 0;
  for (const layer of m.net.layers) {
    if (layer.op === 'avgpool') {
      h = tf.avgPool(h as tf.Tensor4D, 2, 2, 'valid');
      continue;
    }
    if (layer.op === 'flatten') {
      // NHWC -> NCHW first: pq flattens row-major over [C, H, W].
      h = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [x.shape[0], -1]);
      continue;
    }
    const v = m.vars.get(layer.name)!;
    const w = fq ? fq.weight(v.w) : v.w;
    let z: tf.Tensor;
    if (layer.op === 'conv') {
      const p = layer.pad;
      const padded = p > 0 ? tf.pad(h, [[0, 0], [p, p], [p, p], [0, 0]]) : h;
      z = tf.add(conv2dValid(padded as tf.Tensor4D, w as tf.Tensor4D), v.b);
    } else {
      z = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), v.b);
    }
    if (++seen === last) return { logits: z as tf.Tensor2D, hidden };
    const a = tf.relu(z);
    hidden.push(a);
    h = fq ? fq.activations[hidden.length - 1]!(a) : a;
  }
  throw new Error(`${m.net.id}: no output layer`);
}

async function fit(m: FloatModel, samples: Sample[], schedule: Phase[], seed: number, maxShift: number, fq?: FakeQuant): Promise<void> {
  const random = prng(seed);
  const n = samples.length;
  const varList = [...m.vars.values()].flatMap((v) => [v.w, v.b]);
  const total = schedule.reduce((a, p) => a + p.epochs, 0);
  let epoch = 0;
  for (const phase of schedule) {
    const optimizer = tf.train.adam(phase.lr);
    for (let e = 0; e < phase.epochs; e++) {
      const start = performance.now();
      const order = shuffled(n, random);
      let lossSum = 0;
      for (let s = 0; s < n; s += BATCH) {
        const rows = order.subarray(s, s + BATCH);
        const batch = augmentedBatch(samples, rows, random, maxShift);
        const cost = tf.tidy(() =>
          optimizer.minimize(() => tf.losses.softmaxCrossEntropy(batch.y, forward(m, batch.x, fq).logits) as tf.Scalar, true, varList)!,
        );
        lossSum += (await cost.data())[0]! * rows.length;
        tf.dispose([cost, batch.x, batch.y]);
      }
      const seconds = ((performance.now() - start) / 1000).toFixed(1);
      console.log(`  epoch ${++epoch}/${total}  lr ${phase.lr}  loss ${(lossSum / n).toFixed(4)}  (${seconds}s)`);
    }
    optimizer.dispose();
  }
}

async function floatAccuracy(m: FloatModel, data: DataTensors, fq?: FakeQuant): Promise<number> {
  const n = data.labels.length;
  let correct = 0;
  for (let s = 0; s < n; s += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, n - s);
    const predicted = tf.tidy(() => tf.argMax(forward(m, tf.slice(data.x, s, size), fq).logits, 1));
    const classes = await predicted.data();
    predicted.dispose();
    for (let i = 0; i < size; i++) if (classes[i] === data.labels[s + i]) correct++;
  }
  return correct / n;
}

/** For each percentile, the calibrated range of every hidden activation. */
async function calibrate(m: FloatModel, x: tf.Tensor4D, percentiles: number[]): Promise<number[][]> {
  const n = x.shape[0];
  const chunks: Float32Array[][] = [];
  for (let s = 0; s < n; s += EVAL_BATCH) {
    const hidden = tf.tidy(() => forward(m, tf.slice(x, s, Math.min(EVAL_BATCH, n - s))).hidden);
    for (const [i, t] of hidden.entries()) (chunks[i] ??= []).push((await t.data()) as Float32Array);
    tf.dispose(hidden);
  }
  const ranges = percentiles.map(() => [] as number[]);
  for (const parts of chunks) {
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    all.sort();
    percentiles.forEach((p, i) => ranges[i]!.push(percentile(all, p)));
  }
  return ranges;
}

/** Float parameters in pq layout: conv [out, in, kh, kw], linear [out, in]. */
async function exportParams(m: FloatModel): Promise<FloatParams> {
  const params: FloatParams = new Map();
  for (const layer of weighted(m.net)) {
    const v = m.vars.get(layer.name)!;
    const w = layer.op === 'conv' ? tf.transpose(v.w, [3, 2, 0, 1]) : tf.transpose(v.w);
    params.set(layer.name, { w: (await w.data()) as Float32Array, b: (await v.b.data()) as Float32Array });
    w.dispose();
  }
  return params;
}

function writeModel(ex: Example, q: QuantNet): void {
  writeFileSync(join(ex.outDir, `${fileStem(q)}.pq`), pqSource(q, ex.title));
  writeFileSync(join(ex.outDir, `${fileStem(q)}.params.json`), paramsJson(q));
}

/** The first test image of each class, as 8-bit grayscale PNGs. */
function writeSamples(ex: Example, test: Sample[]): void {
  const options = { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 } as const;
  for (let label = 0; label < 10; label++) {
    const sample = test.find((s) => s.label === label)!;
    const png = new pngjs.PNG({ width: IMAGE_SIZE, height: IMAGE_SIZE, ...options });
    png.data = Buffer.from(sample.pixels);
    const file = join(ex.outDir, ex.sampleFile(label));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, pngjs.PNG.sync.write(png, options));
  }
}

const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;

const which = process.argv[2] ?? 'mnist';
if (which !== 'mnist' && which !== 'fashion') {
  console.error(`usage: npx tsx examples/mnist/train.ts [mnist|fashion] (got '${which}')`);
  process.exit(2);
}
const ex = EXAMPLES[which];
await tf.setBackend('wasm');
const { train, test } = ex.load();
console.log(`${ex.title}: ${train.length} train / ${test.length} test images`);
writeSamples(ex, test);
const calibrationImages = toTensors(train.slice(0, ex.calibrationImages)).x;
const testData = toTensors(test);

const floatResults: Record<string, number> = {};
const summary: string[] = [];
for (const net of [MLP, LENET]) {
  const seeds = ex.seeds[net.id];
  console.log(`\n${net.title}: training (Adam, batch ${BATCH}, shifts up to ${ex.maxShift}px)`);
  let start = performance.now();
  const model = createModel(net, seeds.init);
  await fit(model, train, ex.schedule[net.id], seeds.shuffle, ex.maxShift);
  const trainSeconds = (performance.now() - start) / 1000;
  const floatAcc = await floatAccuracy(model, testData);
  floatResults[net.id] = floatAcc;
  console.log(`${net.title}: float test accuracy ${pct(floatAcc)} (trained in ${trainSeconds.toFixed(0)}s)`);

  const [range8, range4] = await calibrate(model, calibrationImages, [CALIBRATION_PERCENTILE.w8a8, CALIBRATION_PERCENTILE.w4a4]);
  const floatParams = await exportParams(model);
  const q8 = quantizeNet(net, floatParams, range8!, W8A8);
  writeModel(ex, q8);
  const acc8 = accuracy(q8, test);
  const ptq4 = accuracy(quantizeNet(net, floatParams, range4!, W4A4), test);
  console.log(`${net.title}: simulated W8A8 ${pct(acc8)}, W4A4 post-training ${pct(ptq4)}`);

  console.log(`${net.title}: W4A4 quantization-aware fine-tuning`);
  start = performance.now();
  const qat = cloneModel(model);
  const fq = fakeQuant(W4A4, range4!);
  await fit(qat, train, ex.qatSchedule, seeds.qatShuffle, ex.maxShift, fq);
  const qatSeconds = (performance.now() - start) / 1000;
  const q4 = quantizeNet(net, await exportParams(qat), range4!, W4A4);
  writeModel(ex, q4);
  const acc4 = accuracy(q4, test);
  console.log(
    `${net.title}: fake-quant W4A4 ${pct(await floatAccuracy(qat, testData, fq))}, simulated W4A4 ${pct(acc4)} (fine-tuned in ${qatSeconds.toFixed(0)}s)`,
  );
  summary.push(
    `${net.title.padEnd(6)} float ${pct(floatAcc)}  W8A8 ${pct(acc8)}  W4A4 ${pct(acc4)} (post-training only: ${pct(ptq4)})  ` +
      `train ${trainSeconds.toFixed(0)}s + QAT ${qatSeconds.toFixed(0)}s`,
  );
}

writeFileSync(
  join(ex.outDir, 'float-accuracy.json'),
  `${JSON.stringify({ split: 'test', images: test.length, ...floatResults }, null, 2)}\n`,
);
console.log(`\nTest accuracy (${test.length} images; quantized = integer simulation):`);
for (const line of summary) console.log(`  ${line}`);
