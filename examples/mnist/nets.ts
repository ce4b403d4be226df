// The two example networks, described once and shared by the float model
// (train.ts), the integer reference simulation and the .pq emitter
// (quantize.ts), so the three cannot drift apart.
//
// Convention: every weighted layer (conv / linear) except the last is followed
// by ReLU and, in the quantized model, by requantization to an unsigned
// activation; the last weighted layer produces the logits. Activations are laid
// out [C, H, W] as in pq; `flatten` is row-major over [C, H, W].

export interface ConvLayer {
  op: 'conv';
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  pad: number;
}

export interface LinearLayer {
  op: 'linear';
  name: string;
  inFeatures: number;
  outFeatures: number;
}

export type WeightedLayer = ConvLayer | LinearLayer;

/** avgpool is always 2x2 with stride 2. */
export type Layer = WeightedLayer | { op: 'avgpool' } | { op: 'flatten' };

export interface Net {
  id: 'mlp' | 'lenet';
  title: string;
  layers: Layer[];
}

/** pq input: one grayscale channel, 28x28. */
export const INPUT_SHAPE = [1, 28, 28] as const;

export const MLP: Net = {
  id: 'mlp',
  title: 'MLP',
  layers: [
    { op: 'flatten' },
    { op: 'linear', name: 'fc1', inFeatures: 784, outFeatures: 128 },
    { op: 'linear', name: 'fc2', inFeatures: 128, outFeatures: 64 },
    { op: 'linear', name: 'fc3', inFeatures: 64, outFeatures: 10 },
  ],
};

export const LENET: Net = {
  id: 'lenet',
  title: 'LeNet',
  layers: [
    { op: 'conv', name: 'conv1', inChannels: 1, outChannels: 6, kernel: 5, pad: 2 },
    { op: 'avgpool' },
    { op: 'conv', name: 'conv2', inChannels: 6, outChannels: 16, kernel: 5, pad: 0 },
    { op: 'avgpool' },
    { op: 'flatten' },
    { op: 'linear', name: 'fc1', inFeatures: 400, outFeatures: 120 },
    { op: 'linear', name: 'fc2', inFeatures: 120, outFeatures: 84 },
    { op: 'linear', name: 'fc3', inFeatures: 84, outFeatures: 10 },
  ],
};

export function isWeighted(layer: Layer): layer is WeightedLayer {
  return layer.op === 'conv' || layer.op === 'linear';
}

/** Weight shape in pq layout: conv [out, in, kh, kw], linear [out, in]. */
export function weightShape(layer: WeightedLayer): number[] {
  return layer.op === 'conv'
    ? [layer.outChannels, layer.inChannels, layer.kernel, layer.kernel]
    : [layer.outFeatures, layer.inFeatures];
}

export function outputsOf(layer: WeightedLayer): number {
  return layer.op === 'conv' ? layer.outChannels : layer.outFeatures;
}
