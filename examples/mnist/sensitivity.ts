// Sensitivity of the ResNet-8 (resnet.ts) to the bit width of each layer, for the
// mixed-precision solver (mixed.ts): Ω(layer, b) = L(model with only that layer quantized at b
// bits) − L(float model), the cross-entropy on calibration images, for the weights of every
// weighted layer and for every activation site.
//
// Why the measured loss increase and not Hutchinson's Hessian trace (HAWQ-V2, Dong et al.,
// NeurIPS 2020: Ω = Tr(H)/n · ‖Q(w) − w‖²; EQO, Zeng et al. 2023, uses the same). The trace is a
// second-order Taylor estimate of this very increase, made because evaluating every
// (layer, width) on a large network is expensive; ResNet-8 has 17 tensors × 4 widths = 68
// forward passes over 1,000 images, a few seconds each. Measuring it also covers the
// activations in the same units (a Hessian with respect to activations needs per-input
// traces), keeps the clipping of the calibrated activation ranges that a Taylor expansion
// around the float weights misses, and needs no Hessian-vector products, which TensorFlow.js's
// wasm backend cannot form by double back-propagation (it has no Conv2DBackpropFilter kernel;
// tf-ops.ts). Both measure a layer alone and add the layers up (the solver's objective); the
// measured value can be slightly negative where quantization happens to help.

import * as tf from '@tensorflow/tfjs';
import { CONVS, SITES, WEIGHTED, forward, type FoldedResNet, type Mode, type ResNetFakeQuant, type SiteScales } from './resnet.js';
import { activationFakeQuant, weightFakeQuant } from './tf-ops.js';
import { EVAL_BATCH, type DataTensors } from './training.js';

export interface Sensitivities {
  /** The float model's cross-entropy on the calibration images. */
  base: number;
  /** Per weighted layer (WEIGHTED's names), per width: the loss increase. */
  weights: Record<string, Record<number, number>>;
  /** Per activation site (SITES order), per width. */
  acts: Record<number, number>[];
}

/** Mean softmax cross-entropy of the model under `fq` (undefined: float) on `data`. */
export async function meanLoss(m: FoldedResNet, mode: Mode, data: DataTensors, fq?: ResNetFakeQuant): Promise<number> {
  const n = data.labels.length;
  const onehot = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10);
  let sum = 0;
  for (let s = 0; s < n; s += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, n - s);
    const loss = tf.tidy(() => {
      const logits = forward(m, tf.slice(data.x, s, size), fq ? { ...mode, fq } : mode).logits;
      return tf.sum(tf.losses.softmaxCrossEntropy(tf.slice(onehot, s, size), logits, undefined, undefined, tf.Reduction.NONE));
    });
    sum += (await loss.data())[0]!;
    loss.dispose();
  }
  onehot.dispose();
  return sum / n;
}

const identity = (t: tf.Tensor): tf.Tensor => t;

/** Nothing quantized but what `weights` and `outputs` name. */
function only(weights: Map<string, (w: tf.Tensor) => tf.Tensor>, outputs: Map<number, (y: tf.Tensor) => tf.Tensor>): ResNetFakeQuant {
  return {
    weights: new Map(WEIGHTED.map((n) => [n, weights.get(n) ?? identity])),
    inputs: SITES.map(() => identity),
    outputs: SITES.map((_, i) => outputs.get(i) ?? identity),
  };
}

/**
 * Ω for every weighted layer and activation site (ReLU models) at every candidate width;
 * `scales(bits)` gives the activation scales calibrated for that width.
 */
export async function sensitivities(
  m: FoldedResNet,
  mode: Mode,
  data: DataTensors,
  candidates: readonly number[],
  scales: (bits: number) => SiteScales[],
): Promise<Sensitivities> {
  const base = await meanLoss(m, mode, data);
  const residual = new Set(CONVS.filter((c) => c.residual).map((c) => c.name));
  const weights: Sensitivities['weights'] = {};
  for (const name of WEIGHTED) {
    weights[name] = {};
    for (const b of candidates) {
      const fq = only(new Map([[name, weightFakeQuant(b, residual.has(name))]]), new Map());
      weights[name][b] = (await meanLoss(m, mode, data, fq)) - base;
    }
  }
  const acts: Sensitivities['acts'] = SITES.map(() => ({}));
  for (const [i, site] of acts.entries()) {
    for (const b of candidates) {
      const fq = only(new Map(), new Map([[i, activationFakeQuant(b, scales(b)[i]!.output)]]));
      site[b] = (await meanLoss(m, mode, data, fq)) - base;
    }
  }
  return { base, weights, acts };
}
