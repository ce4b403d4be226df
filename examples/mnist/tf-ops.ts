// TensorFlow.js building blocks for train.ts that the stock library does not
// provide on the backend we train with (see README.md, "Training").

import * as tf from '@tensorflow/tfjs';
import { weightScale, type WeightClip } from '../../import/quantize/weights.js';

/**
 * Stride-1 'valid' 2-D convolution, x [B, H, W, Ci] * w [k, k, Ci, Co].
 *
 * The wasm backend has no Conv2DBackpropFilter kernel (and the pure-JS CPU
 * backend's is a naive loop, seconds per batch), so the gradients are written
 * with forward convolutions, which wasm runs through XNNPACK:
 *   dW[i,j,ci,co] = sum_{b,p,q} x[b,p+i,q+j,ci] dy[b,p,q,co]
 *     = conv(x viewed as [Ci, H, W, B], dy viewed as a [oh, ow, B, Co] filter);
 *   dX = 'full' convolution of dy with w rotated by 180 degrees and its
 *     channel axes swapped = conv(pad(dy, k - 1), rot180(w)^T).
 */
export const conv2dValid = tf.customGrad((...args) => {
  const [x, w, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.conv2d(x, w, 1, 'valid'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      const k = ws.shape[0];
      const dw = tf.transpose(
        tf.conv2d(tf.transpose(xs, [3, 1, 2, 0]), tf.transpose(dy4, [1, 2, 0, 3]), 1, 'valid'),
        [1, 2, 0, 3],
      );
      const rotated = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]);
      const dx = tf.conv2d(
        tf.pad(dy4, [
          [0, 0],
          [k - 1, k - 1],
          [k - 1, k - 1],
          [0, 0],
        ]),
        rotated,
        1,
        'valid',
      );
      return [dx, dw];
    },
  };
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/**
 * Fake quantization of a weight tensor to `bits`-bit symmetric integers with
 * the per-tensor scale pq uses (max|w| / (2^(bits-1) - 1)); with `pow2`, that
 * scale rounded up to a power of two (what a residual add needs, resnet.ts).
 * With `clip = 'mse'`, the scale of least squared error instead (weightScale,
 * the same function the export uses), the codes clamped to ±(2^(bits-1) - 1).
 * The gradient is passed straight through (STE): the scale is treated as a constant.
 */
export function weightFakeQuant(bits: number, pow2 = false, clip: WeightClip = 'max'): (w: tf.Tensor) => tf.Tensor {
  const qmax = 2 ** (bits - 1) - 1;
  return tf.customGrad((...args) => {
    const w = args[0] as tf.Tensor;
    if (clip === 'mse') {
      const s = weightScale(w.dataSync(), bits, pow2, clip);
      return { value: tf.mul(tf.clipByValue(tf.round(tf.div(w, s)), -qmax, qmax), s), gradFunc: (dy: tf.Tensor) => dy };
    }
    const real = tf.div(tf.max(tf.abs(w)), qmax);
    const scale = pow2 ? tf.pow(2, tf.ceil(tf.div(tf.log(real), Math.LN2))) : real;
    return { value: tf.mul(tf.round(tf.div(w, scale)), scale), gradFunc: (dy: tf.Tensor) => dy };
  }) as (w: tf.Tensor) => tf.Tensor;
}

/**
 * Fake quantization of a post-ReLU activation to `bits`-bit unsigned integers
 * at the fixed scale `scale` (= calibrated max / (2^bits - 1)). STE: the
 * gradient passes where the value is inside the representable range and is
 * zero where it was clipped.
 */
export function activationFakeQuant(bits: number, scale: number): (y: tf.Tensor) => tf.Tensor {
  const top = scale * (2 ** bits - 1);
  return tf.customGrad((...args) => {
    const [y, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([y]);
    return {
      value: tf.mul(tf.round(tf.div(tf.clipByValue(y, 0, top), scale)), scale),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(tf.lessEqual(saved[0]!, top), 'float32')),
    };
  }) as (y: tf.Tensor) => tf.Tensor;
}

/**
 * The same for a signed activation (x² + x and its input, resnet.ts): `bits`-bit two's
 * complement at `scale`, so the range is [-2^(bits-1), 2^(bits-1) - 1] · scale. STE as above.
 */
export function signedActivationFakeQuant(bits: number, scale: number): (y: tf.Tensor) => tf.Tensor {
  const lo = -scale * 2 ** (bits - 1);
  const hi = scale * (2 ** (bits - 1) - 1);
  return tf.customGrad((...args) => {
    const [y, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([y]);
    return {
      value: tf.mul(tf.round(tf.div(tf.clipByValue(y, lo, hi), scale)), scale),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.cast(tf.logicalAnd(tf.greaterEqual(saved[0]!, lo), tf.lessEqual(saved[0]!, hi)), 'float32')),
    };
  }) as (y: tf.Tensor) => tf.Tensor;
}
