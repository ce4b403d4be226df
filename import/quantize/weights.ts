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
 * How a weight tensor's symmetric scale is chosen: `max` maps its largest magnitude to the top
 * code (nothing is clipped; at 2 bits every weight below max/2 becomes 0); `mse` takes the
 * scale of least squared error ‖w − s·clamp(round(w/s))‖², clipping the outliers, as
 * low-bit quantizers do (e.g. Banner et al., NeurIPS 2019, §3; Choukroun et al., ICCVW 2019).
 */
export type WeightClip = 'max' | 'mse';

/** Candidate clipping ratios of max|w| searched by `mse` (1 first, so ties keep max). */
const CLIP_STEPS = 100;

/**
 * The symmetric b-bit scale of `w` under `clip`; with `pow2` a power of two (max: the one at or
 * above max|w| / (2^(b−1) − 1); mse: the best of the eight at or below it).
 */
export function weightScale(w: ArrayLike<number>, bits: number, pow2: boolean, clip: WeightClip): number {
  // Magnitudes in ascending order: the result does not depend on the layout of w (training
  // and export hold the same weights in different orders), and the sums add small terms first.
  const a = Float64Array.from({ length: w.length }, (_, i) => Math.abs(w[i]!)).sort();
  const max = a.length > 0 ? a[a.length - 1]! : 0;
  const top = symmetricScale(max, bits);
  const first = pow2 ? 2 ** Math.ceil(Math.log2(top)) : top;
  if (clip === 'max' || max === 0) return first;
  const qmax = 2 ** (bits - 1) - 1;
  // Prefix sums of a and a²: the weights with one code k form a run of the sorted magnitudes,
  // whose squared error Σ(a − s·k)² = Σa² − 2sk·Σa + s²k²·count takes O(1); a run's end is
  // found by bisection on the codes themselves, so every weight gets the code weightsAt gives it.
  // O(qmax·log n) per candidate instead of O(n): the fine-tuning calls this at every step.
  const n = a.length;
  const s1 = new Float64Array(n + 1);
  const s2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    s1[i + 1] = s1[i]! + a[i]!;
    s2[i + 1] = s2[i]! + a[i]! * a[i]!;
  }
  const error = (s: number) => {
    const code = (i: number) => Math.min(qmax, Math.round(a[i]! / s));
    let e = 0;
    let lo = 0;
    for (let k = 0; lo < n; k++) {
      // The first index whose code exceeds k (codes are non-decreasing along a).
      let hi = lo;
      let top = n;
      while (hi < top) {
        const mid = (hi + top) >>> 1;
        if (code(mid) > k) top = mid;
        else hi = mid + 1;
      }
      e += s2[hi]! - s2[lo]! - 2 * s * k * (s1[hi]! - s1[lo]!) + s * s * k * k * (hi - lo);
      lo = hi;
    }
    return e;
  };
  const candidates = pow2 ? Array.from({ length: 8 }, (_, k) => first / 2 ** k) : Array.from({ length: CLIP_STEPS }, (_, k) => top * (1 - k / CLIP_STEPS));
  let best = first;
  let least = Infinity;
  for (const s of candidates) {
    const e = error(s);
    if (e < least) [best, least] = [s, e];
  }
  return best;
}

/** Symmetric b-bit codes of `w` at `scale`, clamped to ±(2^(b−1) − 1). */
export function weightsAt(w: ArrayLike<number>, bits: number, scale: number): Int32Array {
  const qmax = 2 ** (bits - 1) - 1;
  return Int32Array.from({ length: w.length }, (_, i) => Math.max(-qmax, Math.min(qmax, Math.round(w[i]! / scale))));
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
