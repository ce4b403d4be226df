// Post-training quantization to pq's integer semantics, an integer reference
// simulation of those semantics, and the emitters for .pq / params files.
//
// Semantics targeted (normative, see README.md):
//   - input x: u8, scale 1/255;
//   - weights: per-tensor symmetric, s_w = max|w| / (2^(b-1) - 1), q_w = round(w / s_w);
//   - accumulator = sum q_x*q_w + q_b at scale s_x*s_w, q_b = round(b / (s_x*s_w)) in i32;
//   - hidden activations: y = clamp(round(acc * s_acc / s_a), 0, 2^A - 1) at scale s_a,
//     with the rounding done by a fixed-point multiplier (see `requantizer`);
//   - avgpool(x, 2) is the 2x2 window SUM at scale s_x / 4;
//   - output: argmax of the last accumulator, ties to the smallest index.
// All integer arithmetic below stays far below 2^53, so JS numbers are exact.

import { requantConstants, requantValue } from '../../compiler/ops.js';
import { paramsJson as writeParams } from '../../import/plan.js';
import { quantizeBias, quantizeWeights } from '../../import/quantize/weights.js';
import type { Sample } from './dataset.js';
import {
  INPUT_SHAPE,
  isWeighted,
  outputsOf,
  weightShape,
  type ConvLayer,
  type LinearLayer,
  type Net,
  type WeightedLayer,
} from './nets.js';

export interface Setting {
  id: 'w8a8' | 'w4a4';
  weightBits: number;
  actBits: number;
}

export const W8A8: Setting = { id: 'w8a8', weightBits: 8, actBits: 8 };
export const W4A4: Setting = { id: 'w4a4', weightBits: 4, actBits: 4 };

export const INPUT_SCALE = 1 / 255;

/** Float parameters in pq layout (conv [out, in, kh, kw], linear [out, in]), keyed by layer name. */
export type FloatParams = Map<string, { w: Float32Array; b: Float32Array }>;

export interface QTensor {
  shape: number[];
  scale: number;
  data: Int32Array;
}

export interface Requant {
  mult: number;
  shift: number;
  max: number;
}

interface QWeighted<S extends WeightedLayer> {
  op: S['op'];
  spec: S;
  w: QTensor;
  b: QTensor;
  /** null for the logits layer, which is not requantized. */
  requant: Requant | null;
}

type QConv = QWeighted<ConvLayer>;
type QLinear = QWeighted<LinearLayer>;
type QLayer = QConv | QLinear | { op: 'avgpool' } | { op: 'flatten' };

export interface QuantNet {
  net: Net;
  setting: Setting;
  layers: QLayer[];
  /** Scales a1, a2, ... of the hidden activations, in order. */
  actScales: number[];
}

const I32_MAX = 2 ** 31 - 1;

/**
 * The fixed-point form of the ratio r = s_in / s_out that pq itself uses for `as` (compiler/ops.ts
 * `requantConstants`: a 16-bit multiplier M and a shift), with the saturation bound.
 */
export function requantizer(ratio: number, bits: number): Requant {
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new Error(`bad requantization ratio ${ratio}`);
  return { ...requantConstants({ kind: 'real', value: ratio }, { kind: 'real', value: 1 }), max: 2 ** bits - 1 };
}

export function requantize(acc: number, rq: Requant): number {
  const y = Number(requantValue(BigInt(acc), rq.mult, rq.shift));
  return Math.min(Math.max(y, 0), rq.max);
}

/**
 * Quantizes `params` for `setting`. `actMax[i]` is the calibrated float range
 * of the i-th hidden activation; its scale is actMax[i] / (2^A - 1).
 */
export function quantizeNet(net: Net, params: FloatParams, actMax: number[], setting: Setting): QuantNet {
  const weightedCount = net.layers.filter(isWeighted).length;
  const qmaxA = 2 ** setting.actBits - 1;
  const layers: QLayer[] = [];
  const actScales: number[] = [];
  let inScale = INPUT_SCALE;
  let seen = 0;
  for (const spec of net.layers) {
    if (!isWeighted(spec)) {
      if (spec.op === 'avgpool') inScale /= 4;
      layers.push({ op: spec.op });
      continue;
    }
    seen++;
    const p = params.get(spec.name);
    if (p === undefined) throw new Error(`missing parameters for ${spec.name}`);
    const qw = quantizeWeights(p.w, outputsOf(spec), setting.weightBits, false);
    const wScale = qw.scales[0]!;
    const accScale = inScale * wScale;
    const b = quantizeBias(p.b, [accScale], spec.name);
    const w: QTensor = { shape: weightShape(spec), scale: wScale, data: qw.data };
    let requant: Requant | null = null;
    if (seen < weightedCount) {
      const calibrated = actMax[actScales.length];
      if (calibrated === undefined || !(calibrated > 0)) throw new Error(`${spec.name}: no calibrated activation range`);
      const actScale = calibrated / qmaxA;
      requant = requantizer(accScale / actScale, setting.actBits);
      actScales.push(actScale);
      inScale = actScale;
    }
    const bias: QTensor = { shape: [outputsOf(spec)], scale: accScale, data: b };
    layers.push(spec.op === 'conv' ? { op: 'conv', spec, w, b: bias, requant } : { op: 'linear', spec, w, b: bias, requant });
  }
  return { net, setting, layers, actScales };
}

/** [channels, height, width] of an activation before flattening. */
type Chw = [number, number, number];

function finish(acc: number, requant: Requant | null): number {
  // pq accumulates in i32 (the bias type); these networks stay far inside it.
  if (Math.abs(acc) > I32_MAX) throw new Error(`accumulator ${acc} overflows i32`);
  return requant === null ? acc : requantize(acc, requant);
}

function conv(x: Float64Array, [, h, wd]: Chw, l: QConv): { y: Float64Array; shape: Chw } {
  const { inChannels: ci, outChannels: co, kernel: k, pad } = l.spec;
  const oh = h + 2 * pad - k + 1;
  const ow = wd + 2 * pad - k + 1;
  const y = new Float64Array(co * oh * ow);
  const w = l.w.data;
  for (let o = 0; o < co; o++) {
    for (let r = 0; r < oh; r++) {
      for (let c = 0; c < ow; c++) {
        let acc = l.b.data[o]!;
        for (let i = 0; i < ci; i++) {
          for (let kr = 0; kr < k; kr++) {
            const xr = r + kr - pad;
            if (xr < 0 || xr >= h) continue;
            for (let kc = 0; kc < k; kc++) {
              const xc = c + kc - pad;
              if (xc < 0 || xc >= wd) continue;
              acc += x[(i * h + xr) * wd + xc]! * w[((o * ci + i) * k + kr) * k + kc]!;
            }
          }
        }
        y[(o * oh + r) * ow + c] = finish(acc, l.requant);
      }
    }
  }
  return { y, shape: [co, oh, ow] };
}

function avgpool(x: Float64Array, [ch, h, w]: Chw): { y: Float64Array; shape: Chw } {
  const oh = h / 2;
  const ow = w / 2;
  const y = new Float64Array(ch * oh * ow);
  for (let c = 0; c < ch; c++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        const base = (c * h + 2 * r) * w + 2 * q;
        y[(c * oh + r) * ow + q] = x[base]! + x[base + 1]! + x[base + w]! + x[base + w + 1]!;
      }
    }
  }
  return { y, shape: [ch, oh, ow] };
}

function linear(x: Float64Array, l: QLinear): Float64Array {
  const { inFeatures: n, outFeatures: m } = l.spec;
  if (x.length !== n) throw new Error(`${l.spec.name}: expected ${n} inputs, got ${x.length}`);
  const y = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    let acc = l.b.data[o]!;
    for (let i = 0; i < n; i++) acc += x[i]! * l.w.data[o * n + i]!;
    y[o] = finish(acc, l.requant);
  }
  return y;
}

function argmax(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Integer inference of one image (pixel bytes), returning the predicted class. */
export function predict(q: QuantNet, pixels: Uint8Array): number {
  let x: Float64Array = Float64Array.from(pixels);
  let shape: Chw = [...INPUT_SHAPE];
  for (const l of q.layers) {
    switch (l.op) {
      case 'flatten':
        break; // x is already stored row-major over [C, H, W]
      case 'avgpool':
        ({ y: x, shape } = avgpool(x, shape));
        break;
      case 'conv':
        ({ y: x, shape } = conv(x, shape, l));
        break;
      case 'linear':
        x = linear(x, l);
        break;
    }
  }
  return argmax(x);
}

export function accuracy(q: QuantNet, samples: Sample[]): number {
  let correct = 0;
  for (const s of samples) if (predict(q, s.pixels) === s.label) correct++;
  return correct / samples.length;
}

export function fileStem(q: QuantNet): string {
  return `${q.net.id}_${q.setting.id}`;
}

/** The params file: every integer tensor with its scale, plus the activation scales. */
export function paramsJson(q: QuantNet): string {
  const tensors: [string, { shape: number[]; scale: number; data: ArrayLike<number> }][] = [];
  for (const l of q.layers) {
    if (l.op !== 'conv' && l.op !== 'linear') continue;
    tensors.push([`${l.spec.name}_w`, l.w], [`${l.spec.name}_b`, l.b]);
  }
  return writeParams(tensors, Object.fromEntries(q.actScales.map((s, i) => [`a${i + 1}`, s])));
}

/** The .pq model source; `dataset` names the data it was trained on in the header comment. */
export function pqSource(q: QuantNet, dataset: string): string {
  const { net, setting } = q;
  const params: string[] = [];
  const body: string[] = [];
  let expr = 'x';
  let act = 0;
  for (const l of q.layers) {
    if (l.op === 'flatten') {
      expr = `flatten(${expr})`;
    } else if (l.op === 'avgpool') {
      body.push(`let p${act} = avgpool(${expr}, 2)`);
      expr = `p${act}`;
    } else {
      const spec = l.spec;
      const n = spec.name;
      params.push(`param ${n}_w: i${setting.weightBits}[${l.w.shape.join(', ')}]`, `param ${n}_b: i32[${l.b.shape.join(', ')}]`);
      const call =
        spec.op === 'conv'
          ? `conv2d(${expr}, ${n}_w, ${n}_b${spec.pad > 0 ? `, pad = ${spec.pad}` : ''})`
          : `linear(${expr}, ${n}_w, ${n}_b)`;
      if (l.requant === null) {
        body.push(`output argmax(${call}) to client`);
      } else {
        act++;
        const v = `${spec.op === 'conv' ? 'c' : 'h'}${act}`;
        body.push(`let ${v} = relu(${call}) as u${setting.actBits} scale a${act}`);
        expr = v;
      }
    }
  }
  return [
    `// ${dataset} ${net.title}, ${setting.id.toUpperCase()} — generated by examples/mnist/train.ts; see README.md`,
    `model ${net.id} {`,
    `  input x: client u8[${INPUT_SHAPE.join(', ')}] scale ${INPUT_SCALE}`,
    `  params "${fileStem(q)}.params.json"`,
    ...params.map((s) => `  ${s}`),
    ...body.map((s) => `  ${s}`),
    '}',
    '',
  ].join('\n');
}
