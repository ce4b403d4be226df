// Trains the example networks (nets.ts) on MNIST or Fashion-MNIST, quantizes them to pq's
// integer semantics at W8A8 and W4A4, checks the result with an integer reference
// simulation (quantize.ts) and writes every artifact into the dataset's example folder:
//
//   float-accuracy.json, {mlp,lenet}_{w8a8,w4a4}.{pq,params.json}, and sample PNGs
//   (examples/mnist/digits/digit-<d>.png, examples/fashion/samples/<d>-<class>.png)
//
// Run from the repository root:  npx tsx examples/mnist/train.ts [mnist|fashion] [resnet]
// (mnist when omitted; fashion needs Debian's dataset-fashion-mnist, ../fashion/README.md).
// With `resnet` it trains the residual networks instead (resnet-train.ts), written to
// examples/resnet/ (../resnet/README.md).
// Everything is seeded (own PRNG for initialization and shuffling; the wasm
// backend is single-threaded), so a rerun reproduces the same files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import pngjs from 'pngjs';
import { FASHION_CLASSES, loadFashionMnistOrExit } from '../fashion/dataset.js';
import { IMAGE_SIZE, loadMnist, type Sample } from './dataset.js';
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
import { activationFakeQuant, conv2dValid, weightFakeQuant } from './tf-ops.js';
import { trainResNets, type ResNetPlan } from './resnet-train.js';
import { BATCH, accuracyOf, calibrate, fit, prng, toTensors, type Phase, type Trainable } from './training.js';

const HERE = dirname(fileURLToPath(import.meta.url));

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
  resnet: ResNetPlan;
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
    resnet: {
      relu: { every: 1, phases: [{ epochs: 4, lr: 1e-3 }, { epochs: 1, lr: 1e-4 }] },
      sqplus: { every: 1, phases: [{ epochs: 3, lr: 3e-4 }] },
      rampFraction: 0.5,
      qat: { every: 2, phases: [{ epochs: 1, lr: 1e-4 }] },
      calibrationImages: 1000,
      seeds: { init: 21, relu: 22, sqplus: 23, qat: { relu: { w8a8: 24, w4a4: 25 }, sqplus: { w8a8: 26, w4a4: 27 } } },
    },
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
    // An epoch of 60,000 images takes ~7 minutes for ResNet-8 here: the stages read subsets.
    resnet: {
      relu: { every: 4, phases: [{ epochs: 3, lr: 1e-3 }, { epochs: 1, lr: 1e-4 }] },
      sqplus: { every: 4, phases: [{ epochs: 2, lr: 3e-4 }] },
      rampFraction: 0.5,
      qat: { every: 8, phases: [{ epochs: 1, lr: 1e-4 }] },
      calibrationImages: 1000,
      seeds: { init: 31, relu: 32, sqplus: 33, qat: { relu: { w8a8: 34, w4a4: 35 }, sqplus: { w8a8: 36, w4a4: 37 } } },
    },
  },
};

/**
 * Activation ranges: this percentile (nearest rank) of all elements of each
 * post-ReLU float activation over the calibration images. At 4 bits a tighter
 * clip trades rare large values for resolution on the common ones.
 */
const CALIBRATION_PERCENTILE: Record<Setting['id'], number> = { w8a8: 99.99, w4a4: 99.9 };

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

function trainable(m: FloatModel, fq?: FakeQuant): Trainable {
  return {
    vars: [...m.vars.values()].flatMap((v) => [v.w, v.b]),
    loss: (x, y) => tf.losses.softmaxCrossEntropy(y, forward(m, x, fq).logits) as tf.Scalar,
  };
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

/** MLP and LeNet: float training, W8A8 by calibration, W4A4 by quantization-aware fine-tuning (README.md). */
async function trainNets(ex: Example, train: Sample[], test: Sample[]): Promise<void> {
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
    await fit(trainable(model), train, ex.schedule[net.id], seeds.shuffle, ex.maxShift);
    const trainSeconds = (performance.now() - start) / 1000;
    const floatAcc = await accuracyOf((x) => forward(model, x).logits, testData);
    floatResults[net.id] = floatAcc;
    console.log(`${net.title}: float test accuracy ${pct(floatAcc)} (trained in ${trainSeconds.toFixed(0)}s)`);

    const [range8, range4] = await calibrate((x) => forward(model, x).hidden, calibrationImages, [CALIBRATION_PERCENTILE.w8a8, CALIBRATION_PERCENTILE.w4a4]);
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
    await fit(trainable(qat, fq), train, ex.qatSchedule, seeds.qatShuffle, ex.maxShift);
    const qatSeconds = (performance.now() - start) / 1000;
    const q4 = quantizeNet(net, await exportParams(qat), range4!, W4A4);
    writeModel(ex, q4);
    const acc4 = accuracy(q4, test);
    console.log(
      `${net.title}: fake-quant W4A4 ${pct(await accuracyOf((x) => forward(qat, x, fq).logits, testData))}, simulated W4A4 ${pct(acc4)} (fine-tuned in ${qatSeconds.toFixed(0)}s)`,
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
}

const which = process.argv[2] ?? 'mnist';
const nets = process.argv[3] ?? 'mlp,lenet';
if ((which !== 'mnist' && which !== 'fashion') || (nets !== 'mlp,lenet' && nets !== 'resnet')) {
  console.error(`usage: npx tsx examples/mnist/train.ts [mnist|fashion] [resnet] (got '${process.argv.slice(2).join(' ')}')`);
  process.exit(2);
}
const ex = EXAMPLES[which];
await tf.setBackend('wasm');
const { train, test } = ex.load();
console.log(`${ex.title}: ${train.length} train / ${test.length} test images`);
if (nets === 'resnet') {
  const outDir = join(HERE, '..', 'resnet');
  await trainResNets({ id: which, title: ex.title, outDir, maxShift: ex.maxShift, plan: ex.resnet, percentiles: CALIBRATION_PERCENTILE }, train, test);
} else {
  await trainNets(ex, train, test);
}
