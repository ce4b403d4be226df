// Trains resnet.ts's ResNet-8 on one dataset with ReLU and with x² + x, fine-tunes both with
// quantization-aware training at W8A8 and W4A4, and writes the eight models into
// examples/resnet/ (../resnet/README.md): `npx tsx examples/mnist/train.ts DATASET resnet`.
//
//   1. ReLU, float, from a seeded initialization (batch norm on batch statistics);
//   2. x² + x, float, starting from the ReLU model: act = (1 − α)·ReLU(x) + α·(x²/8 + x) with α
//      going linearly from 0 to 1 over the first `rampFraction` of its batches, then pure x² + x
//      (Flash's gradual replacement, Roh et al., arXiv 2401.16732; x²/8 + x is x² + x up to
//      scaling, folded away before quantization: resnet.ts's header);
//   3. for each: batch norm folded into the convolutions, activation ranges calibrated, and
//      per bit width a copy fine-tuned with fake quantization (straight-through) at the fixed
//      power-of-two activation scales, then quantized and written.
// Every step's gradients are clipped to a global norm (x² + x grows quadratically).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Sample } from './dataset.js';
import { W4A4, W8A8, type Setting } from './quantize.js';
import {
  SITES,
  cloneResNet,
  createResNet,
  fakeQuant,
  foldBatchNorm,
  forward,
  quantizeResNet,
  resnetParamsJson,
  resnetPqSource,
  siteScales,
  trainableVars,
  uniformWidths,
  type Activation,
  type BnResNet,
  type FoldedResNet,
  type Mode,
} from './resnet.js';
import { accuracyOf, calibrate, fit, toTensors, type DataTensors, type Phase, type Trainable } from './training.js';

/** A training stage: its phases, over the training images whose index is a multiple of `every`. */
interface Stage {
  every: number;
  phases: Phase[];
}

export interface ResNetPlan {
  relu: Stage;
  sqplus: Stage;
  /** The share of the x² + x stage's batches over which α goes from 0 to 1. */
  rampFraction: number;
  qat: Stage;
  /** Calibration reads the first this many training images. */
  calibrationImages: number;
  seeds: { init: number; relu: number; sqplus: number; qat: Record<Activation, Record<Setting['id'], number>> };
}

export interface ResNetExample {
  id: string;
  title: string;
  /** Where the models go (examples/resnet). */
  outDir: string;
  maxShift: number;
  plan: ResNetPlan;
  /** Calibration percentile per bit width (train.ts's, the same as the MLP's and LeNet's). */
  percentiles: Record<Setting['id'], number>;
}

const CLIP_NORM = 5;
const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;

/** What training.ts's `fit` trains: the model's variables under a mode (fake quantization included), gradients clipped. */
export function trainable(m: BnResNet | FoldedResNet, mode: (progress: number) => Mode): Trainable {
  return {
    vars: trainableVars(m),
    loss: (x, y, progress) => tf.losses.softmaxCrossEntropy(y, forward(m, x, mode(progress)).logits) as tf.Scalar,
    clipNorm: CLIP_NORM,
  };
}

async function runStage(ex: ResNetExample, t: Trainable, train: Sample[], stage: Stage, seed: number): Promise<number> {
  const start = performance.now();
  await fit(t, train.filter((_, i) => i % stage.every === 0), stage.phases, seed, ex.maxShift);
  return (performance.now() - start) / 1000;
}

const evalMode = (act: Activation): Mode => ({ act, alpha: 1, training: false });

export async function trainResNets(ex: ResNetExample, train: Sample[], test: Sample[]): Promise<void> {
  const { plan } = ex;
  const testData: DataTensors = toTensors(test);
  const calibrationImages = toTensors(train.slice(0, plan.calibrationImages)).x;
  const floats: Partial<Record<Activation, number>> = {};
  const lines: string[] = [];

  console.log(`\nResNet-8, ReLU: training (Adam, batch 64, every ${plan.relu.every} of the training images, shifts up to ${ex.maxShift}px)`);
  const relu = createResNet(plan.seeds.init);
  const reluSeconds = await runStage(ex, trainable(relu, () => ({ act: 'relu', alpha: 0, training: true })), train, plan.relu, plan.seeds.relu);
  floats.relu = await accuracyOf((x) => forward(relu, x, evalMode('relu')).logits, testData);
  console.log(`ResNet-8, ReLU: float test accuracy ${pct(floats.relu)} (${reluSeconds.toFixed(0)}s)`);

  console.log(`\nResNet-8, x² + x: from the ReLU model, α 0 → 1 over the first ${100 * plan.rampFraction}% of the batches`);
  const sq = cloneResNet(relu);
  const ramp = (progress: number): Mode => ({ act: 'sqplus', alpha: Math.min(1, progress / plan.rampFraction), training: true });
  const sqSeconds = await runStage(ex, trainable(sq, ramp), train, plan.sqplus, plan.seeds.sqplus);
  floats.sqplus = await accuracyOf((x) => forward(sq, x, evalMode('sqplus')).logits, testData);
  console.log(`ResNet-8, x² + x: float test accuracy ${pct(floats.sqplus)} (${sqSeconds.toFixed(0)}s)`);

  for (const [act, model] of [['relu', relu], ['sqplus', sq]] as const) {
    const folded = foldBatchNorm(model, act);
    const foldedAcc = await accuracyOf((x) => forward(folded, x, evalMode(act)).logits, testData);
    console.log(`ResNet-8 ${act}: folded float model ${pct(foldedAcc)} (batch norm model ${pct(floats[act]!)})`);
    const probe = (x: tf.Tensor4D) => forward(folded, x, evalMode(act)).probes.flat();
    const ranges = await calibrate(probe, calibrationImages, [ex.percentiles.w8a8, ex.percentiles.w4a4]);
    for (const [setting, range] of [[W8A8, ranges[0]!], [W4A4, ranges[1]!]] as const) {
      const perSite = SITES.map((_, i) => [range[2 * i]!, range[2 * i + 1]!]);
      const widths = uniformWidths(setting.weightBits, setting.actBits);
      const scales = siteScales(act, perSite, widths.acts);
      const fq = fakeQuant(act, scales, widths);
      const mode: Mode = { ...evalMode(act), fq };
      const ptq = await accuracyOf((x) => forward(folded, x, mode).logits, testData);
      const qat: FoldedResNet = foldBatchNorm(model, act);
      console.log(`ResNet-8 ${act} ${setting.id}: fake-quant before fine-tuning ${pct(ptq)}; fine-tuning`);
      const seconds = await runStage(ex, trainable(qat, () => mode), train, plan.qat, plan.seeds.qat[act][setting.id]);
      const acc = await accuracyOf((x) => forward(qat, x, mode).logits, testData);
      const stem = `${ex.id}_${act}_${setting.id}`;
      const q = await quantizeResNet(qat, act, scales, widths, setting.id.toUpperCase());
      writeFileSync(join(ex.outDir, `${stem}.pq`), resnetPqSource(q, stem, ex.title));
      writeFileSync(join(ex.outDir, `${stem}.params.json`), resnetParamsJson(q));
      const line = `${stem}: float ${pct(floats[act]!)}, fake-quant ${pct(ptq)} before / ${pct(acc)} after fine-tuning (${seconds.toFixed(0)}s)`;
      console.log(line);
      lines.push(line);
    }
  }

  const file = join(ex.outDir, 'float-accuracy.json');
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first dataset written
  }
  all[ex.id] = { split: 'test', images: test.length, ...floats };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`\n${ex.title} ResNet-8, test accuracy (${test.length} images; fake-quant = the tfjs model, pq eval gives the integer one):`);
  for (const line of lines) console.log(`  ${line}`);
}
