// Sensitivity of the ResNet-8 (resnet.ts) to the bit width of each layer, for the
// mixed-precision solver (mixed.ts): Ω(layer, b) = the mean KL divergence of the model's
// predictions with only that layer quantized at b bits from the float model's, over
// calibration images, for the weights of every weighted layer and for every activation site.
// That is the measured increase of the distillation loss (which is 0 for the float model), the
// sensitivity ZeroQ uses (Cai et al., CVPR 2020, §3.3).
//
// Why a measured loss and not Hutchinson's Hessian trace (HAWQ-V2, Dong et al., NeurIPS 2020:
// Ω = Tr(H)/n · ‖Q(w) − w‖²; EQO, Zeng et al., arXiv 2404.09404, uses the same). The trace is a
// second-order Taylor estimate of such an increase, made because evaluating every (layer, width)
// on a large network is expensive; ResNet-8 has 17 tensors × 6 widths = 102 forward passes over
// 1,000 images, a few seconds each. Measuring it also covers the activations in the same units
// (a Hessian with respect to activations needs per-input traces), keeps the clipping of the
// calibrated activation ranges that a Taylor expansion around the float weights misses, and needs
// no Hessian-vector products, which TensorFlow.js's wasm backend cannot form by double
// back-propagation (it has no Conv2DBackpropFilter kernel; tf-ops.ts). Why KL and not the
// increase of the cross-entropy with the labels: a first run used that, and at 4 to 8 bits it
// was below its own noise (often negative: quantization happening to help on those images), so
// the solver read 2-bit choices as nearly free; the divergence is never negative and grows with
// every change of the predictions. Both this and HAWQ measure a layer alone and add the layers
// up (the solver's objective), which misses how errors of several narrow layers compound.

import * as tf from '@tensorflow/tfjs';
import type { WeightClip } from '../../import/quantize/weights.js';
import { CONVS, SITES, WEIGHTED, forward, type FoldedResNet, type Mode, type ResNetFakeQuant, type SiteScales } from './resnet.js';
import { activationFakeQuant, weightFakeQuant } from './tf-ops.js';
import { EVAL_BATCH, type DataTensors } from './training.js';

export interface Sensitivities {
  /** Per weighted layer (WEIGHTED's names), per width: Ω. */
  weights: Record<string, Record<number, number>>;
  /** Per activation site (SITES order), per width. */
  acts: Record<number, number>[];
}

/** The float model's log-probabilities on `data`, in batches (what every Ω compares with). */
export function referenceLogProbs(m: FoldedResNet, mode: Mode, data: DataTensors): tf.Tensor2D[] {
  const out: tf.Tensor2D[] = [];
  for (let s = 0; s < data.labels.length; s += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, data.labels.length - s);
    out.push(tf.tidy(() => tf.logSoftmax(forward(m, tf.slice(data.x, s, size), mode).logits)));
  }
  return out;
}

/** Mean over the images of KL(reference ‖ the model under fq). */
export async function divergence(m: FoldedResNet, mode: Mode, data: DataTensors, reference: tf.Tensor2D[], fq: ResNetFakeQuant): Promise<number> {
  let sum = 0;
  for (const [i, ref] of reference.entries()) {
    const s = i * EVAL_BATCH;
    const kl = tf.tidy(() => {
      const logq = tf.logSoftmax(forward(m, tf.slice(data.x, s, ref.shape[0]), { ...mode, fq }).logits);
      return tf.sum(tf.mul(tf.exp(ref), tf.sub(ref, logq)));
    });
    sum += (await kl.data())[0]!;
    kl.dispose();
  }
  return sum / data.labels.length;
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
  clip: WeightClip = 'max',
): Promise<Sensitivities> {
  const reference = referenceLogProbs(m, mode, data);
  const residual = new Set(CONVS.filter((c) => c.residual).map((c) => c.name));
  const weights: Sensitivities['weights'] = {};
  for (const name of WEIGHTED) {
    weights[name] = {};
    for (const b of candidates) {
      const fq = only(new Map([[name, weightFakeQuant(b, residual.has(name), clip)]]), new Map());
      weights[name][b] = await divergence(m, mode, data, reference, fq);
    }
  }
  const acts: Sensitivities['acts'] = SITES.map(() => ({}));
  for (const [i, site] of acts.entries()) {
    for (const b of candidates) {
      const fq = only(new Map(), new Map([[i, activationFakeQuant(b, scales(b)[i]!.output)]]));
      site[b] = await divergence(m, mode, data, reference, fq);
    }
  }
  tf.dispose(reference);
  return { weights, acts };
}
