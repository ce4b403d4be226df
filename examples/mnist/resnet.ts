// A small residual network for the 28×28 examples (../resnet/README.md), with ReLU or with
// Flash's x² + x (Roh et al., arXiv 2401.16732) as its activation: the architecture, the
// TensorFlow.js model (batch norm while training, folded into the convolutions for
// quantization-aware fine-tuning and export), the quantization to pq's integer semantics and
// the .pq / params emitters. resnet-train.ts drives it; train.ts is the entry point.
//
// Scales. pq adds two accumulators only when their scales differ by a power of two, and
// `sqplus` needs a power-of-two input scale (docs/LANGUAGE.md, PQ2014). So every activation
// scale is a power of two (the calibrated range's, rounded to the nearest one in the log
// domain), and so is the weight scale of each convolution that feeds a residual add (the
// second conv of a block and its 1×1 shortcut: max|w| / (2^(W-1) - 1) rounded up). The other
// layers keep pq's per-tensor scale max|w| / (2^(W-1) - 1); their accumulators are
// requantized by a multiplier. Activations are the type of the `as`:
//   ReLU:   relu(acc) as uA scale 2^f
//   x² + x: sqplus(acc as iA scale 2^e) as iA scale 2^f  (signed: x² + x ≥ -1/4)
//
// x² + x with a small quadratic coefficient. A first run trained the float model with x² + x
// itself and diverged as α reached 1 (MNIST training loss 0.46 → 3.32 within an epoch: seven
// stacked squares are a polynomial of degree 128). The float model therefore uses
// g(z) = a·z² + z with a = SQPLUS_A = 1/8, which is x² + x up to scaling: g(z) = h(a·z) / a
// with h(u) = u² + u, what pq's sqplus computes. Folding (foldBatchNorm) turns it into h
// exactly: with every activation stored as a·(its value), multiplying the stem's weights and
// every bias (convs and classifier) by a makes each pre-activation a·z, so each sqplus computes
// h(a·z) = a·g(z), and the logits come out multiplied by a > 0, which leaves the argmax alone.
// Calibration, fine-tuning and export all run on that folded model.

import * as tf from '@tensorflow/tfjs';
import { paramsJson as writeParams } from '../../import/plan.js';
import { quantizeBias, weightScale, weightsAt, type WeightClip } from '../../import/quantize/weights.js';
import { INPUT_SHAPE } from './nets.js';
import { INPUT_SCALE } from './quantize.js';
import { activationFakeQuant, conv2dValid, signedActivationFakeQuant, weightFakeQuant } from './tf-ops.js';
import { prng } from './training.js';

export type Activation = 'relu' | 'sqplus';

export interface ConvSpec {
  name: string;
  cin: number;
  cout: number;
  k: 1 | 3;
  stride: 1 | 2;
  pad: 0 | 1;
  /** It feeds a residual add, so its weight scale is a power of two. */
  residual: boolean;
}

/** A basic block (He et al. 2016, Fig. 2): a 1×1 projection shortcut when it changes width or resolution. */
interface BlockSpec {
  name: string;
  cin: number;
  cout: number;
  stride: 1 | 2;
}

/**
 * ResNet-8 for 28×28×1: a 3×3 stem (8 channels, 28×28), two projection blocks that halve
 * the resolution and double the width (16 channels at 14×14, 32 at 7×7), one identity block
 * (32 at 7×7), global average pooling, a 10-way linear layer.
 */
export const STEM: ConvSpec = { name: 'stem', cin: 1, cout: 8, k: 3, stride: 1, pad: 1, residual: false };
export const BLOCKS: BlockSpec[] = [
  { name: 'b1', cin: 8, cout: 16, stride: 2 },
  { name: 'b2', cin: 16, cout: 32, stride: 2 },
  { name: 'b3', cin: 32, cout: 32, stride: 1 },
];
const CLASSES = 10;
/** The feature map entering the global average pool: 28 / 2 / 2. */
const FINAL_SIZE = 7;

const hasProjection = (b: BlockSpec): boolean => b.stride !== 1 || b.cin !== b.cout;

/** A block's convolutions: conv1 (3×3, carries the stride), conv2 (3×3), and the shortcut when it has one. */
function blockConvs(b: BlockSpec): { conv1: ConvSpec; conv2: ConvSpec; sc?: ConvSpec } {
  return {
    conv1: { name: `${b.name}_conv1`, cin: b.cin, cout: b.cout, k: 3, stride: b.stride, pad: 1, residual: false },
    conv2: { name: `${b.name}_conv2`, cin: b.cout, cout: b.cout, k: 3, stride: 1, pad: 1, residual: true },
    ...(hasProjection(b) ? { sc: { name: `${b.name}_sc`, cin: b.cin, cout: b.cout, k: 1, stride: b.stride, pad: 0, residual: true } } : {}),
  };
}

export const CONVS: ConvSpec[] = [STEM, ...BLOCKS.flatMap((b) => Object.values(blockConvs(b)) as ConvSpec[])];
const FC_IN = BLOCKS.at(-1)!.cout;

/** Activation sites in forward order: the stem, then each block's middle and output. */
export const SITES: string[] = [STEM.name, ...BLOCKS.flatMap((b) => [`${b.name}_a`, b.name])];

/** The layers with weights, in forward order: the convolutions, then the classifier. */
export const WEIGHTED: string[] = [...CONVS.map((c) => c.name), 'fc'];

/**
 * Bit widths per layer: of each weighted layer's weights (keyed by WEIGHTED's names) and of each
 * activation site's values (SITES order). A uniform setting gives every layer the same two.
 */
export interface Widths {
  weights: Record<string, number>;
  acts: number[];
}

export const uniformWidths = (weightBits: number, actBits: number): Widths => ({
  weights: Object.fromEntries(WEIGHTED.map((n) => [n, weightBits])),
  acts: SITES.map(() => actBits),
});

/** Which activation sites a block's layers read and write, for the cost model (mixed.ts). */
export interface BlockSites {
  name: string;
  /** Index into SITES of the block's input, its middle activation and its output. */
  input: number;
  mid: number;
  output: number;
  /** Its weighted layers: conv1, conv2 and the projection when it has one. */
  convs: string[];
}

export const BLOCK_SITES: BlockSites[] = BLOCKS.map((b, i) => ({
  name: b.name,
  input: 2 * i,
  mid: 2 * i + 1,
  output: 2 * i + 2,
  convs: Object.values(blockConvs(b)).map((c) => (c as ConvSpec).name),
}));

// ---------------------------------------------------------------------------------------
// TensorFlow.js model (NHWC; conv w [k, k, in, out], fc w [in, out])

interface BnConv {
  w: tf.Variable;
  gamma: tf.Variable;
  beta: tf.Variable;
  /** Running statistics (not trained): what the folded model uses. */
  mean: tf.Variable;
  variance: tf.Variable;
}

interface Dense {
  w: tf.Variable;
  b: tf.Variable;
}

/** The float model with batch norm after every convolution (no conv bias). */
export interface BnResNet {
  kind: 'bn';
  convs: Map<string, BnConv>;
  fc: Dense;
}

/** Batch norm folded into the convolutions: w·γ/σ, β − γ·μ/σ. What is quantized and exported. */
export interface FoldedResNet {
  kind: 'folded';
  convs: Map<string, Dense>;
  fc: Dense;
}

/** The quadratic coefficient of the float model's x² + x (see the header): a power of two. */
export const SQPLUS_A = 1 / 8;
const BN_EPSILON = 1e-3;
const BN_MOMENTUM = 0.9;

function heUniform(shape: number[], fanIn: number, random: () => number): tf.Variable {
  const limit = Math.sqrt(6 / fanIn);
  return tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * random() - 1) * limit), shape));
}

/** He-uniform weights from a seeded PRNG, γ = 1, β = 0, zero fc bias. */
export function createResNet(seed: number): BnResNet {
  const random = prng(seed);
  const convs = new Map<string, BnConv>();
  for (const c of CONVS) {
    convs.set(c.name, {
      w: heUniform([c.k, c.k, c.cin, c.cout], c.k * c.k * c.cin, random),
      gamma: tf.variable(tf.ones([c.cout])),
      beta: tf.variable(tf.zeros([c.cout])),
      mean: tf.variable(tf.zeros([c.cout]), false),
      variance: tf.variable(tf.ones([c.cout]), false),
    });
  }
  return { kind: 'bn', convs, fc: { w: heUniform([FC_IN, CLASSES], FC_IN, random), b: tf.variable(tf.zeros([CLASSES])) } };
}

export function cloneResNet(m: BnResNet): BnResNet {
  const copy = (v: tf.Variable) => tf.variable(v.clone(), v.trainable);
  const convs = new Map<string, BnConv>();
  for (const [name, c] of m.convs) {
    convs.set(name, { w: copy(c.w), gamma: copy(c.gamma), beta: copy(c.beta), mean: copy(c.mean), variance: copy(c.variance) });
  }
  return { kind: 'bn', convs, fc: { w: copy(m.fc.w), b: copy(m.fc.b) } };
}

/** Batch norm folded into the convolutions; for x² + x also SQPLUS_A moved into the weights (see the header). */
export function foldBatchNorm(m: BnResNet, act: Activation): FoldedResNet {
  const a = act === 'sqplus' ? SQPLUS_A : 1;
  const convs = new Map<string, Dense>();
  for (const [name, c] of m.convs) {
    const [w, b] = tf.tidy(() => {
      const factor = tf.div(c.gamma, tf.sqrt(tf.add(c.variance, BN_EPSILON)));
      const w = tf.mul(c.w, factor);
      return [name === STEM.name ? tf.mul(w, a) : w, tf.mul(tf.sub(c.beta, tf.mul(factor, c.mean)), a)];
    });
    convs.set(name, { w: tf.variable(w!), b: tf.variable(b!) });
  }
  return { kind: 'folded', convs, fc: { w: tf.variable(m.fc.w.clone()), b: tf.variable(tf.mul(m.fc.b, a)) } };
}

export function trainableVars(m: BnResNet | FoldedResNet): tf.Variable[] {
  const convs = [...m.convs.values()].flatMap((c) => ('gamma' in c ? [c.w, c.gamma, c.beta] : [c.w, c.b]));
  return [...convs, m.fc.w, m.fc.b];
}

/** Keeps every second row and column (rows 0, 2, …): a stride-2 result from a stride-1 one. */
function subsample(z: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = z.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`subsample: odd size ${h}×${w}`);
  // [b·h/2, row parity, w/2, (column parity, c)]: a 4-D slice, which the wasm backend runs natively (6-D is slow).
  const grid = tf.reshape(z, [b * (h / 2), 2, w / 2, 2 * c]);
  return tf.reshape(tf.slice(grid, [0, 0, 0, 0], [b * (h / 2), 1, w / 2, c]), [b, h / 2, w / 2, c]);
}

/**
 * pq's conv2d(x, w, stride, pad) on NHWC tensors. A stride-2 conv is the stride-1 one
 * subsampled (conv2dValid carries the wasm-friendly gradient; pq's output size
 * ⌊(H + 2p − k)/2⌋ + 1 is half the stride-1 size for the even sizes here); a 1×1 one
 * subsamples its input first.
 */
function conv(spec: ConvSpec, x: tf.Tensor4D, w: tf.Tensor): tf.Tensor4D {
  if (spec.k === 1) return conv2dValid(spec.stride === 2 ? subsample(x) : x, w as tf.Tensor4D);
  const p = spec.pad;
  const padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
  const y = conv2dValid(padded, w as tf.Tensor4D);
  return spec.stride === 2 ? subsample(y) : y;
}

/** How a forward pass treats the activations and the weights. */
export interface Mode {
  act: Activation;
  /** x² + x models: the share of x² + x in (1 − α)·ReLU(x) + α·(x² + x) (Flash's gradual replacement; a·x² + x before folding). */
  alpha: number;
  /** Batch norm on batch statistics, updating the running ones (training of a BnResNet). */
  training: boolean;
  fq?: ResNetFakeQuant;
}

export interface ResNetFakeQuant {
  weights: Map<string, (w: tf.Tensor) => tf.Tensor>;
  /** Per site: the quantization of the x² + x input (sqplus models only) and of the activation. */
  inputs: ((y: tf.Tensor) => tf.Tensor)[];
  outputs: ((y: tf.Tensor) => tf.Tensor)[];
}

export interface Forward {
  logits: tf.Tensor2D;
  /** Per site, |pre-activation| and |activation| (before fake quantization): what calibration reads. */
  probes: tf.Tensor[][];
}

export function forward(m: BnResNet | FoldedResNet, x: tf.Tensor4D, mode: Mode): Forward {
  const probes: tf.Tensor[][] = [];
  const convBn = (spec: ConvSpec, h: tf.Tensor4D): tf.Tensor4D => {
    if (m.kind === 'folded') {
      const v = m.convs.get(spec.name)!;
      const w = mode.fq ? mode.fq.weights.get(spec.name)!(v.w) : v.w;
      return tf.add(conv(spec, h, w), v.b);
    }
    const v = m.convs.get(spec.name)!;
    const z = conv(spec, h, v.w);
    let mean: tf.Tensor = v.mean;
    let variance: tf.Tensor = v.variance;
    if (mode.training) {
      ({ mean, variance } = tf.moments(z, [0, 1, 2]));
      v.mean.assign(tf.add(tf.mul(v.mean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
      v.variance.assign(tf.add(tf.mul(v.variance, BN_MOMENTUM), tf.mul(variance, 1 - BN_MOMENTUM)));
    }
    return tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), v.gamma), v.beta);
  };
  const activate = (pre: tf.Tensor4D): tf.Tensor4D => {
    const site = probes.length;
    const fq = mode.fq;
    let y: tf.Tensor;
    if (mode.act === 'relu') {
      y = tf.relu(pre);
    } else {
      const q = fq ? fq.inputs[site]!(pre) : pre;
      const square = tf.add(m.kind === 'bn' ? tf.mul(tf.square(q), SQPLUS_A) : tf.square(q), q);
      y = mode.alpha >= 1 ? square : tf.add(tf.mul(tf.relu(q), 1 - mode.alpha), tf.mul(square, mode.alpha));
    }
    probes.push([tf.abs(pre), tf.abs(y)]);
    return (fq ? fq.outputs[site]!(y) : y) as tf.Tensor4D;
  };
  let h = activate(convBn(STEM, x));
  for (const b of BLOCKS) {
    const { conv1, conv2, sc } = blockConvs(b);
    const mid = activate(convBn(conv1, h));
    h = activate(tf.add(convBn(conv2, mid), sc ? convBn(sc, h) : h));
  }
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  const fcW = mode.fq ? mode.fq.weights.get('fc')!(m.fc.w) : m.fc.w;
  return { logits: tf.add(tf.matMul(pooled, fcW as tf.Tensor2D), m.fc.b), probes };
}

// ---------------------------------------------------------------------------------------
// Quantization

/** Per site, the power-of-two scales: of the x² + x input (sqplus only) and of the activation. */
export interface SiteScales {
  input?: number;
  output: number;
}

const nearestPow2 = (v: number): number => 2 ** Math.round(Math.log2(v));

/**
 * Activation scales from calibrated ranges (`ranges[site] = [|pre| range, |activation| range]`):
 * the range over the largest code of the activation's type, rounded to a power of two.
 */
export function siteScales(act: Activation, ranges: number[][], actBits: number[]): SiteScales[] {
  return ranges.map(([pre, post], i) => {
    const unsignedMax = 2 ** actBits[i]! - 1;
    const signedMax = 2 ** (actBits[i]! - 1) - 1;
    return act === 'relu' ? { output: nearestPow2(post! / unsignedMax) } : { input: nearestPow2(pre! / signedMax), output: nearestPow2(post! / signedMax) };
  });
}

export function fakeQuant(act: Activation, scales: SiteScales[], widths: Widths, clip: WeightClip = 'max'): ResNetFakeQuant {
  const weights = new Map<string, (w: tf.Tensor) => tf.Tensor>();
  for (const c of CONVS) weights.set(c.name, weightFakeQuant(widths.weights[c.name]!, c.residual, clip));
  weights.set('fc', weightFakeQuant(widths.weights.fc!, false, clip));
  const a = widths.acts;
  return {
    weights,
    inputs: scales.map((s, i) => signedActivationFakeQuant(a[i]!, s.input ?? 1)),
    outputs: scales.map((s, i) => (act === 'relu' ? activationFakeQuant(a[i]!, s.output) : signedActivationFakeQuant(a[i]!, s.output))),
  };
}

interface QTensor {
  shape: number[];
  scale: number;
  data: Int32Array;
}

export interface QuantResNet {
  act: Activation;
  widths: Widths;
  /** Names the widths in the .pq header comment (W8A8, W4A4, "mixed precision …"). */
  label: string;
  /** conv/fc weights and biases in pq layout ([out, in, kh, kw], [out, in]), keyed `NAME_w` / `NAME_b`. */
  tensors: Map<string, QTensor>;
  sites: SiteScales[];
}

/**
 * The folded model's float parameters in pq layout, quantized at `widths` and the given site
 * scales, weight scales by `clip` (as fakeQuant's). `memo` keeps each layer's weights per width
 * across calls with the same model and clip (a cost table quantizes it at thousands of configurations).
 */
export async function quantizeResNet(m: FoldedResNet, act: Activation, sites: SiteScales[], widths: Widths, label: string, clip: WeightClip = 'max', memo?: Map<string, { scale: number; data: Int32Array; bias: Float32Array }>): Promise<QuantResNet> {
  const tensors = new Map<string, QTensor>();
  const add = async (name: string, shape: number[], w: tf.Tensor, b: tf.Tensor, inScale: number, pow2: boolean) => {
    const bits = widths.weights[name]!;
    const key = `${name}:${bits}`;
    let q = memo?.get(key);
    if (!q) {
      const pqW = shape.length === 4 ? tf.transpose(w, [3, 2, 0, 1]) : tf.transpose(w);
      const floats = (await pqW.data()) as Float32Array;
      pqW.dispose();
      const scale = weightScale(floats, bits, pow2, clip);
      q = { scale, data: weightsAt(floats, bits, scale), bias: (await b.data()) as Float32Array };
      memo?.set(key, q);
    }
    const { scale, data } = q;
    const accScale = inScale * scale;
    tensors.set(`${name}_w`, { shape, scale, data });
    tensors.set(`${name}_b`, { shape: [shape[0]!], scale: accScale, data: quantizeBias(q.bias, [accScale], name) });
  };
  const addConv = (spec: ConvSpec, inScale: number) => {
    const v = m.convs.get(spec.name)!;
    return add(spec.name, [spec.cout, spec.cin, spec.k, spec.k], v.w, v.b, inScale, spec.residual);
  };
  await addConv(STEM, INPUT_SCALE);
  let site = 0;
  let inScale = sites[site++]!.output;
  for (const b of BLOCKS) {
    const { conv1, conv2, sc } = blockConvs(b);
    await addConv(conv1, inScale);
    await addConv(conv2, sites[site++]!.output);
    if (sc) await addConv(sc, inScale);
    inScale = sites[site++]!.output;
  }
  await add('fc', [CLASSES, FC_IN], m.fc.w, m.fc.b, inScale / (FINAL_SIZE * FINAL_SIZE), false);
  return { act, widths, label, tensors, sites };
}

export function resnetParamsJson(q: QuantResNet): string {
  return writeParams(q.tensors, {});
}

const pow2Literal = (s: number): string => `2^${Math.log2(s)}`;

/** The .pq source; `stem` names the params file, `title` the data in the header comment. */
export function resnetPqSource(q: QuantResNet, stem: string, title: string, generator = 'examples/mnist/train.ts'): string {
  const { act, widths } = q;
  const activation = (acc: string, site: number): string => {
    const s = q.sites[site]!;
    const a = widths.acts[site]!;
    return act === 'relu'
      ? `relu(${acc}) as u${a} scale ${pow2Literal(s.output)}`
      : `sqplus(${acc} as i${a} scale ${pow2Literal(s.input!)}) as i${a} scale ${pow2Literal(s.output)}`;
  };
  const convCall = (spec: ConvSpec, x: string): string => {
    const attrs = [spec.stride !== 1 ? `stride = ${spec.stride}` : '', spec.pad !== 0 ? `pad = ${spec.pad}` : ''].filter((s) => s !== '');
    return `conv2d(${[x, `${spec.name}_w`, `${spec.name}_b`, ...attrs].join(', ')})`;
  };
  const params = [...q.tensors].map(([name, t]) => `param ${name}: i${name.endsWith('_b') ? 32 : widths.weights[name.slice(0, -2)]!}[${t.shape.join(', ')}]`);
  const body: string[] = [];
  let site = 0;
  body.push(`let ${STEM.name} = ${activation(convCall(STEM, 'x'), site++)}`);
  let h = STEM.name;
  for (const b of BLOCKS) {
    const { conv1, conv2, sc } = blockConvs(b);
    body.push(`let ${b.name}_a = ${activation(convCall(conv1, h), site++)}`);
    const shortcut = sc ? convCall(sc, h) : h;
    body.push(`let ${b.name} = ${activation(`add(${convCall(conv2, `${b.name}_a`)}, ${shortcut})`, site++)}`);
    h = b.name;
  }
  body.push(`output argmax(linear(gavgpool(${h}), fc_w, fc_b)) to client`);
  const activationName = act === 'relu' ? 'ReLU' : 'x² + x (sqplus)';
  return [
    `// ${title} ResNet-8, ${activationName}, ${q.label} — generated by ${generator}; see README.md`,
    'model resnet8 {',
    `  input x: client u8[${INPUT_SHAPE.join(', ')}] scale ${INPUT_SCALE}`,
    `  params "${stem}.params.json"`,
    ...params.map((s) => `  ${s}`),
    ...body.map((s) => `  ${s}`),
    '}',
    '',
  ].join('\n');
}
