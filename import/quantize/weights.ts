// Post-training quantization of weights and calibrated ranges, shared by `pq quantize` /
// `pq import --calibrate` (import/quantize/float.ts) and the MNIST examples' generator
// (examples/mnist/quantize.ts, train.ts): symmetric b-bit weights, per tensor or per output
// channel; biases at the accumulator's scale in i32; percentiles of calibration values.

const I32_MAX = 2 ** 31 - 1;

/** The symmetric b-bit scale of values whose largest magnitude is maxAbs: maxAbs / (2^(b−1) − 1) (1 for all-zero values). */
export function symmetricScale(maxAbs: number, bits: number): number {
  return maxAbs > 0 ? maxAbs / (2 ** (bits - 1) - 1) : 1;
}

/**
 * Symmetric b-bit quantization q = round(w / s) of weights laid out with the output channel
 * first (conv [O, C, kh, kw], linear [O, K]): one scale for the tensor, or one per channel.
 */
export function quantizeWeights(w: ArrayLike<number>, outChannels: number, bits: number, perChannel: boolean): { data: Int32Array; scales: number[] } {
  const per = w.length / outChannels;
  const maxAbs = (from: number, to: number) => {
    let m = 0;
    for (let i = from; i < to; i++) m = Math.max(m, Math.abs(w[i]!));
    return m;
  };
  const scales = perChannel
    ? Array.from({ length: outChannels }, (_, o) => symmetricScale(maxAbs(o * per, (o + 1) * per), bits))
    : [symmetricScale(maxAbs(0, w.length), bits)];
  const data = Int32Array.from({ length: w.length }, (_, i) => Math.round(w[i]! / scales[perChannel ? Math.floor(i / per) : 0]!));
  return { data, scales };
}

/** Bias b at the accumulator's scale (per output channel or one), as i32; `where` names the layer in the error. */
export function quantizeBias(b: ArrayLike<number>, accScales: readonly number[], where: string): Int32Array {
  return Int32Array.from({ length: b.length }, (_, i) => {
    const s = accScales[accScales.length === 1 ? 0 : i]!;
    const q = Math.round(b[i]! / s);
    if (Math.abs(q) > I32_MAX) throw new RangeError(`${where}: bias ${b[i]} does not fit i32 at scale ${s}`);
    return q;
  });
}

/** The p-th percentile (nearest rank, 0 < p ≤ 100) of `sorted`, ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
