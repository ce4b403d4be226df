// The training loop and data plumbing shared by train.ts's networks (nets.ts: MLP, LeNet) and
// the residual networks (resnet.ts): seeded shuffling and augmentation, Adam phases, batched
// evaluation and percentile calibration. See README.md, "Training".

import * as tf from '@tensorflow/tfjs';
import { percentile } from '../../import/quantize/weights.js';
import { IMAGE_SIZE, PIXELS, type Sample } from './dataset.js';

export const BATCH = 64;
export const EVAL_BATCH = 500;

/** Adam, one fresh optimizer per phase: a short low-rate phase settles the weights. */
export interface Phase {
  epochs: number;
  lr: number;
}

/** mulberry32: a small, well-distributed 32-bit PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
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

export interface DataTensors {
  /** [N, 28, 28, 1], pixel byte / 255. */
  x: tf.Tensor4D;
  labels: Int32Array;
}

export function toTensors(samples: Sample[]): DataTensors {
  const x = new Float32Array(samples.length * PIXELS);
  samples.forEach((s, i) => {
    for (let p = 0; p < PIXELS; p++) x[i * PIXELS + p] = s.pixels[p]! / 255;
  });
  return {
    x: tf.tensor4d(x, [samples.length, IMAGE_SIZE, IMAGE_SIZE, 1]),
    labels: Int32Array.from(samples, (s) => s.label),
  };
}

/** What `fit` trains: its variables and the loss of a batch. */
export interface Trainable {
  vars: tf.Variable[];
  /** `progress` is the fraction of the whole schedule's batches done before this one, in [0, 1). */
  loss: (x: tf.Tensor4D, y: tf.Tensor2D, progress: number) => tf.Scalar;
  /** When set, a step's gradients are scaled down to this global L2 norm if above it. */
  clipNorm?: number;
}

/** One Adam step, with the gradients clipped to a global norm. */
function clippedStep(optimizer: tf.Optimizer, t: Trainable, f: () => tf.Scalar, clipNorm: number): tf.Scalar {
  const { value, grads } = optimizer.computeGradients(f, t.vars);
  const names = Object.keys(grads);
  const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]!))))));
  const factor = Math.min(1, clipNorm / Math.max(norm.dataSync()[0]!, 1e-12));
  norm.dispose();
  const clipped = factor < 1 ? Object.fromEntries(names.map((k) => [k, tf.mul(grads[k]!, factor)])) : grads;
  optimizer.applyGradients(clipped);
  tf.dispose(Object.values(grads));
  if (clipped !== grads) tf.dispose(Object.values(clipped));
  return value;
}

/** Trains `t` over the phases; `log` gets one line per epoch (a command's stderr, or the console). */
export async function fit(t: Trainable, samples: Sample[], schedule: Phase[], seed: number, maxShift: number, log: (line: string) => void = console.log): Promise<void> {
  const random = prng(seed);
  const n = samples.length;
  const total = schedule.reduce((a, p) => a + p.epochs, 0);
  const batchesPerEpoch = Math.ceil(n / BATCH);
  let epoch = 0;
  let step = 0;
  for (const phase of schedule) {
    const optimizer = tf.train.adam(phase.lr);
    for (let e = 0; e < phase.epochs; e++) {
      const start = performance.now();
      const order = shuffled(n, random);
      let lossSum = 0;
      for (let s = 0; s < n; s += BATCH) {
        const rows = order.subarray(s, s + BATCH);
        const batch = augmentedBatch(samples, rows, random, maxShift);
        const progress = step++ / (total * batchesPerEpoch);
        const f = () => t.loss(batch.x, batch.y, progress);
        const cost = tf.tidy(() => (t.clipNorm === undefined ? optimizer.minimize(f, true, t.vars)! : clippedStep(optimizer, t, f, t.clipNorm)));
        lossSum += (await cost.data())[0]! * rows.length;
        tf.dispose([cost, batch.x, batch.y]);
      }
      const seconds = ((performance.now() - start) / 1000).toFixed(1);
      log(`  epoch ${++epoch}/${total}  lr ${phase.lr}  loss ${(lossSum / n).toFixed(4)}  (${seconds}s)`);
    }
    optimizer.dispose();
  }
}

/** Test accuracy of a batched classifier `logits`. */
export async function accuracyOf(logits: (x: tf.Tensor4D) => tf.Tensor2D, data: DataTensors): Promise<number> {
  const n = data.labels.length;
  let correct = 0;
  for (let s = 0; s < n; s += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, n - s);
    const predicted = tf.tidy(() => tf.argMax(logits(tf.slice(data.x, s, size)), 1));
    const classes = await predicted.data();
    predicted.dispose();
    for (let i = 0; i < size; i++) if (classes[i] === data.labels[s + i]) correct++;
  }
  return correct / n;
}

/**
 * Activation ranges for calibration: for each percentile, that percentile (nearest rank) of all
 * elements of each tensor `probe` returns, over all images of `x` (in batches).
 */
export async function calibrate(probe: (x: tf.Tensor4D) => tf.Tensor[], x: tf.Tensor4D, percentiles: number[]): Promise<number[][]> {
  const n = x.shape[0];
  const chunks: Float32Array[][] = [];
  for (let s = 0; s < n; s += EVAL_BATCH) {
    const hidden = tf.tidy(() => probe(tf.slice(x, s, Math.min(EVAL_BATCH, n - s))));
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
