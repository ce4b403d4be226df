// The geometry and interval rule of `winoconv`, a convolution given by its Winograd-domain
// filters (docs/LANGUAGE.md; the `winograd-quant` pass produces it). For a tile F(m×m, 3×3) with
// α = m + 2 and filters u[j, o, i] (j = a·α + c a tile position), public power-of-two
// factors 2^k[j][o] and an offset per output channel:
//   y[o, tile, y₀, x₀] = Σ_(a,c) Aᵀ[y₀][a]·Aᵀ[x₀][c] · 2^k[ac][o] · Σ_i u[ac, o, i]·V[ac, i, tile] + offset[o]
//   V[ac, i, tile] = Σ_(u,v) Bᵀ[a][u]·Bᵀ[c][v]·d[i, tile·m + (u, v) − pad]   (0 outside the input)
// Every map is an integer-linear map, so it can be computed in Z_2^N for any N that holds y:
// reduction mod 2^N commutes with them. That is the point of the op: the products run in
// the result's ring, not in the ring the transforms' intermediate intervals would need.
// The interval is exact per output pixel of the tile: y is a dot product of d's window with
// the effective kernel E[o, y₀, x₀, i, u, v] (the sum above with d factored out), whose
// positive and negative parts bound it (as conv2d's rule does with its weights).
import type { Interval, Known } from "./ir.js";
import { F2, F4, type WinogradTile } from "./passes/winograd-matrices.js";

export function tileOf(m: number): WinogradTile | undefined {
  return m === 2 ? F2 : m === 4 ? F4 : undefined;
}

export interface WinoGeometry {
  t: WinogradTile;
  C: number;
  H: number;
  W: number;
  O: number;
  pad: number;
  Ho: number;
  Wo: number;
  /** Tiles along H and W. */
  th: number;
  tw: number;
}

export function winoGeometry(t: WinogradTile, xShape: readonly number[], O: number, pad: number): WinoGeometry {
  const [C, H, W] = xShape as [number, number, number];
  const Ho = H + 2 * pad - 2;
  const Wo = W + 2 * pad - 2;
  return { t, C, H, W, O, pad, Ho, Wo, th: Math.ceil(Ho / t.m), tw: Math.ceil(Wo / t.m) };
}

/** Tiling, zero padding and Bᵀ along one axis of length n: rows (a, t) for one position a. */
export function inputRows(t: WinogradTile, n: number, tiles: number, pad: number, a: number): number[][] {
  const rows: number[][] = [];
  for (let ti = 0; ti < tiles; ti++) {
    const row = new Array<number>(n).fill(0);
    for (let h = 0; h < n; h++) {
      const u = h + pad - ti * t.m;
      if (u >= 0 && u < t.alpha) row[h] = t.BT[a]![u]!;
    }
    rows.push(row);
  }
  return rows;
}

/** Rows a·tiles … a·tiles + tiles − 1 of an axis of length α·tiles. */
export function selectRows(t: WinogradTile, tiles: number, a: number): number[][] {
  const rows: number[][] = [];
  for (let ti = 0; ti < tiles; ti++) {
    const row = new Array<number>(t.alpha * tiles).fill(0);
    row[a * tiles + ti] = 1;
    rows.push(row);
  }
  return rows;
}

/** Output transform of position a along one axis, placing tile ti's m outputs at pixels ti·m … (cropped to n). */
export function outputRows(at: number[][], t: WinogradTile, n: number, tiles: number, a: number): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y < n; y++) {
    const row = new Array<number>(tiles).fill(0);
    row[Math.floor(y / t.m)] = at[y % t.m]![a]!;
    rows.push(row);
  }
  return rows;
}

/** Per tile pixel (y₀, x₀) and position j = a·α + c, the window entries (u, v) with Aᵀ[y₀][a]·Aᵀ[x₀][c]·Bᵀ[a][u]·Bᵀ[c][v] ≠ 0. */
interface Spread {
  j: number;
  uv: Int32Array;
  coef: Float64Array;
}

const spreads = new Map<WinogradTile, Spread[][]>();

function spreadOf(t: WinogradTile): Spread[][] {
  let s = spreads.get(t);
  if (s) return s;
  s = [];
  for (let y0 = 0; y0 < t.m; y0++) {
    for (let x0 = 0; x0 < t.m; x0++) {
      const list: Spread[] = [];
      for (let pa = 0; pa < t.alpha; pa++) {
        for (let pc = 0; pc < t.alpha; pc++) {
          const c0 = t.AT[y0]![pa]! * t.AT[x0]![pc]!;
          if (c0 === 0) continue;
          const uv: number[] = [];
          const coef: number[] = [];
          for (let u = 0; u < t.alpha; u++) {
            for (let v = 0; v < t.alpha; v++) {
              const c = c0 * t.BT[pa]![u]! * t.BT[pc]![v]!;
              if (c !== 0) [uv[uv.length], coef[coef.length]] = [u * t.alpha + v, c];
            }
          }
          list.push({ j: pa * t.alpha + pc, uv: Int32Array.from(uv), coef: Float64Array.from(coef) });
        }
      }
      s.push(list);
    }
  }
  spreads.set(t, s);
  return s;
}

/**
 * The effective kernel of output pixel (y₀, x₀) of a tile for output channel o, as
 * E[i·α² + u·α + v] (doubles: callers check the magnitudes stay exact).
 */
export function effectiveKernel(t: WinogradTile, u: Known, k: readonly (readonly number[])[], O: number, C: number, o: number, y0: number, x0: number): Float64Array {
  const a2 = t.alpha * t.alpha;
  const E = new Float64Array(C * a2);
  for (const { j, uv, coef } of spreadOf(t)[y0 * t.m + x0]!) {
    const f = 2 ** k[j]![o]!;
    const base = (j * O + o) * C;
    for (let i = 0; i < C; i++) {
      const w = u.num(base + i) * f;
      if (w === 0) continue;
      const row = i * a2;
      for (let e = 0; e < uv.length; e++) E[row + uv[e]!]! += w * coef[e]!;
    }
  }
  return E;
}

/** Per output channel and tile pixel, the sums of the effective kernel's positive and negative entries. */
export interface KernelParts {
  pos: Float64Array;
  neg: Float64Array;
}

// Passes rebuild graphs many times and each rebuild re-types every node: the parts depend only
// on the filters' data and the exponents, so they are kept per data array.
const partsCache = new WeakMap<object, Map<string, KernelParts>>();

const partsKey = (t: WinogradTile, k: readonly (readonly number[])[]): string => `${t.m}|${k.map((r) => r.join(",")).join(";")}`;

function remember(data: Float64Array, key: string, parts: KernelParts): void {
  const m = partsCache.get(data) ?? new Map<string, KernelParts>();
  m.set(key, parts);
  partsCache.set(data, m);
}

/** Per tile, the largest Σ|coef| any one entry of an effective kernel takes from its terms (factors 1). */
const termSums = new Map<WinogradTile, number>();

function termSumOf(t: WinogradTile): number {
  let s = termSums.get(t);
  if (s !== undefined) return s;
  s = 0;
  for (const list of spreadOf(t)) {
    const sums = new Float64Array(t.alpha * t.alpha);
    for (const { uv, coef } of list) for (let q = 0; q < uv.length; q++) sums[uv[q]!]! += Math.abs(coef[q]!);
    for (const v of sums) s = Math.max(s, v);
  }
  termSums.set(t, s);
  return s;
}

/**
 * Remember the kernel parts of filters u that are K·g in the Winograd domain with k = 0: the
 * exact filters of a 3×3 kernel g [O, C, 3, 3] (passes/winograd.ts, K = K1²), whose effective
 * kernel is K·g placed in the window at (y₀, x₀) (W1 in proofs/passes/winograd.md). Its parts
 * are then, at every pixel, the sums of K·g's positive and negative entries: O·C·9 steps
 * instead of kernelParts' O·C·m²·(its terms). They are the doubles kernelParts would compute:
 * every term and partial sum of an entry of E is an integer below maxAbs(u)·termSumOf(t) <
 * 2^53 (checked; else nothing is remembered), so the entries are exactly K·g's, and pos and neg
 * meet the nonzero ones in the same order (input channel, then window row and column).
 */
export function rememberExactKernel(t: WinogradTile, u: Float64Array, g: Float64Array, K: number, O: number, C: number): void {
  let uMax = 0;
  for (let i = 0; i < u.length; i++) uMax = Math.max(uMax, Math.abs(u[i]!));
  if (uMax * termSumOf(t) >= 2 ** 53) return;
  const px = t.m * t.m;
  const parts: KernelParts = { pos: new Float64Array(O * px), neg: new Float64Array(O * px) };
  for (let o = 0; o < O; o++) {
    let pos = 0;
    let neg = 0;
    for (let i = o * C * 9; i < (o + 1) * C * 9; i++) {
      const v = K * g[i]!;
      if (v > 0) pos += v;
      else neg += v;
    }
    parts.pos.fill(pos, o * px, (o + 1) * px);
    parts.neg.fill(neg, o * px, (o + 1) * px);
  }
  remember(u, partsKey(t, Array.from({ length: t.alpha * t.alpha }, () => new Array<number>(O).fill(0))), parts);
}

export function kernelParts(t: WinogradTile, u: Known, k: readonly (readonly number[])[], O: number, C: number): KernelParts {
  const key = partsKey(t, k);
  const byData = u.f64 ? partsCache.get(u.f64) : undefined;
  const hit = byData?.get(key);
  if (hit) return hit;
  const a2 = t.alpha * t.alpha;
  const px = t.m * t.m;
  const data = u.f64 ?? Float64Array.from({ length: a2 * O * C }, (_, i) => u.num(i));
  const parts: KernelParts = { pos: new Float64Array(O * px), neg: new Float64Array(O * px) };
  // effectiveKernel's arithmetic, one input channel at a time: each entry of E takes the same
  // terms in the same order (the spread's), and pos and neg add the entries in E's order, so
  // the sums are the same doubles (the errors of winograd-quant.ts are not integers) without
  // a C·α² array per output channel and pixel.
  const e = new Float64Array(a2);
  for (let o = 0; o < O; o++) {
    for (let p = 0; p < px; p++) {
      const list = spreadOf(t)[p]!;
      const base = list.map(({ j }) => (j * O + o) * C);
      const f = list.map(({ j }) => 2 ** k[j]![o]!);
      let pos = 0;
      let neg = 0;
      for (let i = 0; i < C; i++) {
        e.fill(0);
        for (let s = 0; s < list.length; s++) {
          const w = data[base[s]! + i]! * f[s]!;
          if (w === 0) continue;
          const { uv, coef } = list[s]!;
          for (let q = 0; q < uv.length; q++) e[uv[q]!]! += w * coef[q]!;
        }
        for (let q = 0; q < a2; q++) {
          const v = e[q]!;
          if (v > 0) pos += v;
          else neg += v;
        }
      }
      parts.pos[o * px + p] = pos;
      parts.neg[o * px + p] = neg;
    }
  }
  if (u.f64) remember(u.f64, key, parts);
  return parts;
}

/**
 * y's interval: per output channel and tile pixel, the positive and negative parts of the
 * effective kernel against x's interval with 0 (the tile reads zero padding), plus the
 * offset. Undefined when the kernel's magnitudes are beyond exact doubles.
 */
export function winoRange(t: WinogradTile, u: Known, k: readonly (readonly number[])[], O: number, C: number, x: Interval, offset: Known | undefined): Interval | undefined {
  const lo = x.lo < 0n ? x.lo : 0n;
  const hi = x.hi > 0n ? x.hi : 0n;
  const { pos, neg } = kernelParts(t, u, k, O, C);
  const px = t.m * t.m;
  let range: Interval | undefined;
  for (let i = 0; i < pos.length; i++) {
    if (pos[i]! >= 2 ** 53 || -neg[i]! >= 2 ** 53) return undefined;
    const off = offset ? offset.at(Math.floor(i / px)) : 0n;
    const p = BigInt(pos[i]!);
    const n = BigInt(neg[i]!);
    const r = { lo: p * lo + n * hi + off, hi: p * hi + n * lo + off };
    range = range ? { lo: r.lo < range.lo ? r.lo : range.lo, hi: r.hi > range.hi ? r.hi : range.hi } : r;
  }
  return range!;
}
