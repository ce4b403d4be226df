// Layers: conv2d, linear, batchnorm, pools, argmax (docs/LANGUAGE.md "Layers").
import { ceilLog2, getBig, isWide, magBits, numData, toBigints, type Elem, type Tensor } from "../tensor.js";
import { buildBig, buildNum, exactInDoubles, numFrom, poolWindows, sameShape, type Windows } from "./common.js";

export interface ConvAttrs {
  stride: number;
  pad: number;
  groups: number;
}

interface ConvGeometry {
  C: number;
  H: number;
  W: number;
  O: number;
  Cg: number;
  Og: number;
  kh: number;
  kw: number;
  OH: number;
  OW: number;
}

function convGeometry(x: Tensor, w: Tensor, b: Tensor | undefined, a: ConvAttrs): ConvGeometry {
  const { stride, pad, groups } = a;
  if (x.shape.length !== 3 || w.shape.length !== 4) {
    throw new Error(`conv2d: x [${x.shape.join(", ")}] must be [C,H,W] and w [${w.shape.join(", ")}] [O,C/groups,kh,kw]`);
  }
  if (!(Number.isInteger(stride) && stride >= 1 && Number.isInteger(pad) && pad >= 0 && Number.isInteger(groups) && groups >= 1)) {
    throw new Error(`conv2d: bad stride=${stride} pad=${pad} groups=${groups}`);
  }
  const [C, H, W] = x.shape as [number, number, number];
  const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
  if (C % groups !== 0 || O % groups !== 0 || Cg !== C / groups) {
    throw new Error(`conv2d: ${C} input / ${O} output channels, weight depth ${Cg}, groups ${groups} do not agree`);
  }
  if (b !== undefined && !sameShape(b.shape, [O])) throw new Error(`conv2d: bias shape [${b.shape.join(", ")}] is not [${O}]`);
  const OH = Math.floor((H + 2 * pad - kh) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - kw) / stride) + 1;
  if (OH < 1 || OW < 1) throw new Error(`conv2d: ${kh}×${kw} kernel larger than padded ${H}×${W} input`);
  return { C, H, W, O, Cg, Og: O / groups, kh, kw, OH, OW };
}

/**
 * y[o,i,j] = Σ_{c,u,v} x[g·Cg + c, i·s + u − p, j·s + v − p]·w[o,c,u,v] + b[o].
 * Double path bound: each product has |x·w| ≤ 2^(mag x + mag w), the bias |b| ≤ 2^(mag b),
 * and there are fan-in + 1 terms, so every partial sum (any subset of the terms, in any
 * order) is an integer of magnitude ≤ 2^(max(mag x + mag w, mag b) + ⌈log2(fan-in + 1)⌉);
 * when that is ≤ 2^53 no addition or product rounds. (With 8-bit operands and fan-in 576
 * this is 2^25.)
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | undefined, a: ConvAttrs, out: Elem): Tensor {
  const geo = convGeometry(x, w, b, a);
  const terms = geo.Cg * geo.kh * geo.kw + (b ? 1 : 0);
  const log2Bound = Math.max(magBits(x) + magBits(w), b ? magBits(b) : 0) + ceilLog2(terms);
  const shape = [geo.O, geo.OH, geo.OW];
  if (exactInDoubles(log2Bound, x, w, ...(b ? [b] : []))) {
    const acc = convDoubles(numData(x), numData(w), b && numData(b), geo, a);
    return numFrom(out, shape, acc);
  }
  return buildBig(out, shape, convBigints(toBigints(x), toBigints(w), b && toBigints(b), geo, a));
}

/** The input in a zero-bordered [C, H+2p, W+2p] buffer of the given kind. */
function padded<T extends Float64Array | Int32Array>(x: Float64Array, geo: ConvGeometry, p: number, buf: (n: number) => T): T {
  const { C, H, W } = geo;
  const Hp = H + 2 * p;
  const Wp = W + 2 * p;
  const xp = buf(C * Hp * Wp);
  for (let c = 0; c < C; c++)
    for (let r = 0; r < H; r++) xp.set(x.subarray((c * H + r) * W, (c * H + r + 1) * W), (c * Hp + r + p) * Wp + p);
  return xp;
}

/**
 * The output channels from o0 that one pass over the input takes: at most four (lanes), never
 * crossing into the next group; their weights' offsets, an absent lane reusing lane 0's (its
 * accumulator is never read).
 */
function laneBlock(o0: number, Og: number, K: number): { g: number; n: number; wb: [number, number, number, number] } {
  const g = Math.floor(o0 / Og);
  const n = Math.min(4, (g + 1) * Og - o0);
  const wb0 = o0 * K;
  return { g, n, wb: [wb0, n > 1 ? wb0 + K : wb0, n > 2 ? wb0 + 2 * K : wb0, n > 3 ? wb0 + 3 * K : wb0] };
}

/**
 * The double path. The input is copied once into a zero-bordered [C, H+2p, W+2p] buffer, so
 * padding needs no bounds tests. Output pixel (i, j) accumulates at t = i·Wp + j of a "span"
 * of length (OH−1)·Wp + OW: its tap (c, u, v) reads xp[(c·Hp + u)·Wp + v + s·t], one
 * contiguous (or strided) run per tap, and the columns j ≥ OW of the span are scratch.
 * Four output channels of a group share each pass over x (lanes), and taps along a kernel
 * row go three at a time, which cuts the accumulator traffic per multiply-add. Reordering
 * the sums is exact under the bound.
 */
function convDoubles(x: Float64Array, w: Float64Array, b: Float64Array | undefined, geo: ConvGeometry, a: ConvAttrs): Float64Array {
  const { H, W, O, Cg, Og, kh, kw, OH, OW } = geo;
  const { stride: s, pad: p } = a;
  const Hp = H + 2 * p;
  const Wp = W + 2 * p;
  const xp = padded(x, geo, p, (n) => new Float64Array(n));
  const L = (OH - 1) * Wp + OW;
  const K = Cg * kh * kw;
  const plane = OH * OW;
  const out = new Float64Array(O * plane);
  const a0 = new Float64Array(L);
  const a1 = new Float64Array(L);
  const a2 = new Float64Array(L);
  const a3 = new Float64Array(L);
  const lanes = [a0, a1, a2, a3];
  for (let o0 = 0; o0 < O; ) {
    const { g, n, wb: [wb0, wb1, wb2, wb3] } = laneBlock(o0, Og, K);
    for (let l = 0; l < 4; l++) lanes[l]!.fill(l < n && b ? b[o0 + l]! : 0);
    for (let c = 0; c < Cg; c++) {
      const xc = (g * Cg + c) * Hp * Wp;
      for (let u = 0; u < kh; u++) {
        const row = xc + u * Wp;
        const k = (c * kh + u) * kw;
        let v = 0;
        for (; v + 3 <= kw; v += 3) {
          const kv = k + v;
          const w00 = w[wb0 + kv]!, w01 = w[wb0 + kv + 1]!, w02 = w[wb0 + kv + 2]!;
          const w10 = w[wb1 + kv]!, w11 = w[wb1 + kv + 1]!, w12 = w[wb1 + kv + 2]!;
          const w20 = w[wb2 + kv]!, w21 = w[wb2 + kv + 1]!, w22 = w[wb2 + kv + 2]!;
          const w30 = w[wb3 + kv]!, w31 = w[wb3 + kv + 1]!, w32 = w[wb3 + kv + 2]!;
          for (let t = 0, q = row + v; t < L; t++, q += s) {
            const x0 = xp[q]!, x1 = xp[q + 1]!, x2 = xp[q + 2]!;
            a0[t] += w00 * x0 + w01 * x1 + w02 * x2;
            a1[t] += w10 * x0 + w11 * x1 + w12 * x2;
            a2[t] += w20 * x0 + w21 * x1 + w22 * x2;
            a3[t] += w30 * x0 + w31 * x1 + w32 * x2;
          }
        }
        for (; v < kw; v++) {
          const kv = k + v;
          const v0 = w[wb0 + kv]!, v1 = w[wb1 + kv]!, v2 = w[wb2 + kv]!, v3 = w[wb3 + kv]!;
          for (let t = 0, q = row + v; t < L; t++, q += s) {
            const xv = xp[q]!;
            a0[t] += v0 * xv;
            a1[t] += v1 * xv;
            a2[t] += v2 * xv;
            a3[t] += v3 * xv;
          }
        }
      }
    }
    for (let l = 0; l < n; l++) {
      const lane = lanes[l]!;
      const base = (o0 + l) * plane;
      for (let i = 0; i < OH; i++) out.set(lane.subarray(i * Wp, i * Wp + OW), base + i * OW);
    }
    o0 += n;
  }
  return out;
}

/**
 * conv2d without bias modulo 2^out.bits, out.bits ≤ 32, for operands whose values are
 * integers of magnitude below 2^31 (shares of rings up to 32 bits): int32 arithmetic
 * (Math.imul, | 0) is exact mod 2^32 whatever the fan-in, and 2^N divides 2^32. One pass
 * where the double path would need the operands cut into limbs (twopc/ring.ts bilinearMod).
 * Layout as convDoubles (a zero-bordered input, one span per output channel, four lanes).
 */
export function conv2dMod32(x: Tensor, w: Tensor, a: ConvAttrs, out: Elem): Tensor {
  if (out.bits > 32 || !out.signed || isWide(x.bits) || isWide(w.bits)) throw new Error(`conv2dMod32: needs narrow operands and a signed result of at most 32 bits, got ${out.signed ? "i" : "u"}${out.bits}`);
  const geo = convGeometry(x, w, undefined, a);
  const { H, W, O, Cg, Og, kh, kw, OH, OW } = geo;
  const { stride: s, pad: p } = a;
  const Hp = H + 2 * p;
  const Wp = W + 2 * p;
  const xp = padded(numData(x), geo, p, (n) => new Int32Array(n));
  const wi = Int32Array.from(numData(w));
  const L = (OH - 1) * Wp + OW;
  const K = Cg * kh * kw;
  const plane = OH * OW;
  const sh = 32 - out.bits;
  const data = new Float64Array(O * plane);
  const lanes = [new Int32Array(L), new Int32Array(L), new Int32Array(L), new Int32Array(L)] as const;
  const [a0, a1, a2, a3] = lanes;
  for (let o0 = 0; o0 < O; ) {
    const { g, n, wb: [wb0, wb1, wb2, wb3] } = laneBlock(o0, Og, K);
    for (const lane of lanes) lane.fill(0);
    for (let c = 0; c < Cg; c++) {
      const xc = (g * Cg + c) * Hp * Wp;
      for (let u = 0; u < kh; u++) {
        for (let v = 0; v < kw; v++) {
          const kv = (c * kh + u) * kw + v;
          const v0 = wi[wb0 + kv]!, v1 = wi[wb1 + kv]!, v2 = wi[wb2 + kv]!, v3 = wi[wb3 + kv]!;
          for (let t = 0, q = xc + u * Wp + v; t < L; t++, q += s) {
            const xv = xp[q]!;
            a0[t] = (a0[t]! + Math.imul(v0, xv)) | 0;
            a1[t] = (a1[t]! + Math.imul(v1, xv)) | 0;
            a2[t] = (a2[t]! + Math.imul(v2, xv)) | 0;
            a3[t] = (a3[t]! + Math.imul(v3, xv)) | 0;
          }
        }
      }
    }
    for (let l = 0; l < n; l++) {
      const lane = lanes[l]!;
      const base = (o0 + l) * plane;
      for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) data[base + i * OW + j] = (lane[i * Wp + j]! << sh) >> sh;
    }
    o0 += n;
  }
  return { shape: [O, OH, OW], bits: out.bits, signed: out.signed, data };
}

function convBigints(x: bigint[], w: bigint[], b: bigint[] | undefined, geo: ConvGeometry, a: ConvAttrs): (q: number) => bigint {
  const { H, W, Cg, Og, kh, kw, OH, OW } = geo;
  const { stride: s, pad: p } = a;
  return (q) => {
    const o = Math.floor(q / (OH * OW));
    const i = Math.floor(q / OW) % OH;
    const j = q % OW;
    const cBase = Math.floor(o / Og) * Cg;
    let acc = b ? b[o]! : 0n;
    for (let c = 0; c < Cg; c++)
      for (let u = 0; u < kh; u++) {
        const r = i * s + u - p;
        if (r < 0 || r >= H) continue;
        for (let v = 0; v < kw; v++) {
          const col = j * s + v - p;
          if (col < 0 || col >= W) continue;
          acc += x[((cBase + c) * H + r) * W + col]! * w[((o * Cg + c) * kh + u) * kw + v]!;
        }
      }
    return acc;
  };
}

/** y[o] = Σ_k w[o,k]·x[k] + b[o]; the double path has the same bound as conv2d with fan-in K. */
export function linear(x: Tensor, w: Tensor, b: Tensor | undefined, out: Elem): Tensor {
  if (x.shape.length !== 1 || w.shape.length !== 2 || w.shape[1] !== x.shape[0]) {
    throw new Error(`linear: x [${x.shape.join(", ")}] must be [K] and w [${w.shape.join(", ")}] [O,K]`);
  }
  const [O, K] = w.shape as [number, number];
  if (b !== undefined && !sameShape(b.shape, [O])) throw new Error(`linear: bias shape [${b.shape.join(", ")}] is not [${O}]`);
  const log2Bound = Math.max(magBits(x) + magBits(w), b ? magBits(b) : 0) + ceilLog2(K + (b ? 1 : 0));
  if (exactInDoubles(log2Bound, x, w, ...(b ? [b] : []))) {
    const xd = numData(x);
    const wd = numData(w);
    const bd = b && numData(b);
    return buildNum(out, [O], (o) => {
      let acc = bd ? bd[o]! : 0;
      for (let k = 0, r = o * K; k < K; k++) acc += wd[r + k]! * xd[k]!;
      return acc;
    });
  }
  const xb = toBigints(x);
  const wb = toBigints(w);
  const bb = b && toBigints(b);
  return buildBig(out, [O], (o) => {
    let acc = bb ? bb[o]! : 0n;
    for (let k = 0; k < K; k++) acc += wb[o * K + k]! * xb[k]!;
    return acc;
  });
}

/**
 * y[c,…] = x[c,…]·m[c] modulo 2^out.bits, out.bits ≤ 32, for operands of magnitude below 2^31
 * (shares of rings up to 32 bits): Math.imul is exact mod 2^32 (as conv2dMod32).
 */
export function scaleMod32(x: Tensor, m: Tensor, out: Elem): Tensor {
  const C = x.shape[0];
  if (out.bits > 32 || !out.signed || isWide(x.bits) || isWide(m.bits) || C === undefined || !sameShape(m.shape, [C])) {
    throw new Error(`scaleMod32: needs narrow operands, m of shape [C] and a signed result of at most 32 bits, got ${out.signed ? "i" : "u"}${out.bits}`);
  }
  const xd = numData(x);
  const md = numData(m);
  const per = xd.length / C;
  const sh = 32 - out.bits;
  const data = new Float64Array(xd.length);
  for (let c = 0; c < C; c++) {
    const mc = md[c]! | 0;
    for (let i = c * per; i < (c + 1) * per; i++) data[i] = (Math.imul(xd[i]! | 0, mc) << sh) >> sh;
  }
  return { shape: [...x.shape], bits: out.bits, signed: true, data };
}

/** y[c,…] = x[c,…]·m[c] + a[c]: two terms, so the bound is max(mag x + mag m, mag a) + 1. */
export function batchnorm(x: Tensor, m: Tensor, a: Tensor, out: Elem): Tensor {
  const C = x.shape[0];
  if (C === undefined || !sameShape(m.shape, [C]) || !sameShape(a.shape, [C])) {
    throw new Error(`batchnorm: x [${x.shape.join(", ")}] needs m and a of shape [C], got [${m.shape.join(", ")}], [${a.shape.join(", ")}]`);
  }
  const per = x.data.length / C;
  if (exactInDoubles(Math.max(magBits(x) + magBits(m), magBits(a)) + 1, x, m, a)) {
    const xd = numData(x);
    const md = numData(m);
    const ad = numData(a);
    return buildNum(out, x.shape, (i) => {
      const c = Math.floor(i / per);
      return xd[i]! * md[c]! + ad[c]!;
    });
  }
  return buildBig(out, x.shape, (i) => {
    const c = Math.floor(i / per);
    return getBig(x, i) * getBig(m, c) + getBig(a, c);
  });
}

/** Σ over each window: |sum| ≤ window size · 2^(mag x). */
export function sumWindows(x: Tensor, win: Windows, out: Elem): Tensor {
  const { base, offsets } = win;
  const nt = offsets.length;
  if (exactInDoubles(magBits(x) + ceilLog2(nt), x)) {
    const xd = numData(x);
    return buildNum(out, win.outShape, (q) => {
      let acc = 0;
      for (let t = 0, b = base[q]!; t < nt; t++) acc += xd[b + offsets[t]!]!;
      return acc;
    });
  }
  return buildBig(out, win.outShape, (q) => {
    let acc = 0n;
    for (let t = 0, b = base[q]!; t < nt; t++) acc += getBig(x, b + offsets[t]!);
    return acc;
  });
}

export function avgpool(x: Tensor, k: number, stride: number, out: Elem): Tensor {
  return sumWindows(x, poolWindows(x.shape, k, stride), out);
}

/** [C,H,W] → [C]: one H×W window per channel. */
export function gavgpool(x: Tensor, out: Elem): Tensor {
  if (x.shape.length !== 3) throw new Error(`gavgpool needs [C,H,W], got [${x.shape.join(", ")}]`);
  const [C, H, W] = x.shape as [number, number, number];
  const base = Int32Array.from({ length: C }, (_, c) => c * H * W);
  const offsets = Int32Array.from({ length: H * W }, (_, i) => i);
  return sumWindows(x, { outShape: [C], base, offsets }, out);
}

/** Window maximum; comparisons only, so the double form is exact for every narrow type. */
export function maxpool(x: Tensor, k: number, stride: number): Tensor {
  const { outShape, base, offsets } = poolWindows(x.shape, k, stride);
  const nt = offsets.length;
  if (!isWide(x.bits)) {
    const xd = numData(x);
    return buildNum(x, outShape, (q) => {
      let best = -Infinity;
      for (let t = 0, b = base[q]!; t < nt; t++) best = Math.max(best, xd[b + offsets[t]!]!);
      return best;
    });
  }
  return buildBig(x, outShape, (q) => {
    let best = getBig(x, base[q]!);
    for (let t = 1; t < nt; t++) {
      const v = getBig(x, base[q]! + offsets[t]!);
      if (v > best) best = v;
    }
    return best;
  });
}

/** Row-major index of the first maximum; result u_B, B = max(1, ⌈log2 numel⌉). */
export function argmax(x: Tensor): Tensor {
  const n = x.data.length;
  if (n === 0) throw new Error("argmax of an empty tensor");
  let best = 0;
  if (!isWide(x.bits)) {
    const xd = numData(x);
    for (let i = 1; i < n; i++) if (xd[i]! > xd[best]!) best = i;
  } else {
    let bv = getBig(x, 0);
    for (let i = 1; i < n; i++) {
      const v = getBig(x, i);
      if (v > bv) {
        bv = v;
        best = i;
      }
    }
  }
  return buildNum({ bits: Math.max(1, ceilLog2(n)), signed: false }, [], () => best);
}
