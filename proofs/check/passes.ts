// Soundness of the rewrite identities the compiler's passes rely on (proofs/passes/*.md).
// Each check is either an exhaustive enumeration (every value at small widths), or
// fast-check sampling at full widths (stated as sampled, with its run count); a failure is
// reported with its inputs, the expected value and the one the rewrite gives.
import { F2, F4, type WinogradTile } from "../../compiler/passes/winograd-matrices.js";
import fc from "fast-check";
import { conv2d, batchnorm, avgpool } from "../../interpreter/plain/kernels/layers.js";
import { addSub } from "../../interpreter/plain/kernels/arith.js";
import { tensorFromBigints, toBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import { requantConstants } from "../../compiler/ops.js";
import { divScale, msbOffset, oddInverse, type Scale } from "../../compiler/types.js";
import { LAMBDA } from "../../compiler/cost/wire.js";
import { productCost, sirnnCost } from "../../compiler/passes/orientation.js";
import type { Outcome } from "./engine.js";
import * as S from "./spec.js";

const fail = (cases: number, what: string, inputs: string, expected: string, got: string): Outcome => ({
  cases,
  failure: `COUNTEREXAMPLE (${what})\n  inputs:   ${inputs}\n  expected: ${expected}\n  got:      ${got}`,
});

/** fast-check with a fixed seed; a failure's shrunk counterexample is reported. */
function sampled<T>(arb: fc.Arbitrary<T>, runs: number, prop: (t: T) => string | undefined, what: string): Outcome {
  let detail = "";
  const r = fc.check(
    fc.property(arb, (t) => {
      const d = prop(t);
      if (d !== undefined) detail = d;
      return d === undefined;
    }),
    { numRuns: runs, seed: 20261122 },
  );
  if (r.failed) {
    const ce = r.counterexample ? JSON.stringify(r.counterexample, (_, v) => (typeof v === "bigint" ? v.toString() : v)) : "?";
    return { cases: r.numRuns, failure: `COUNTEREXAMPLE (${what}, fast-check seed 20261122, shrunk)\n  inputs: ${ce}\n  ${prop(r.counterexample![0])?.replace(/\n/g, "\n  ") ?? detail}` };
  }
  return { cases: runs };
}

// ================================================================== Winograd

type Mat = number[][];
const T = (m: Mat): Mat => m[0]!.map((_, j) => m.map((r) => r[j]!));
function mm(a: Mat, b: Mat): Mat {
  return a.map((r) => b[0]!.map((_, j) => r.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}
function mmBig(a: bigint[][], b: bigint[][]): bigint[][] {
  return a.map((r) => b[0]!.map((_, j) => r.reduce((s, v, k) => s + v * b[k]![j]!, 0n)));
}
const big = (m: Mat): bigint[][] => m.map((r) => r.map(BigInt));

export interface Winograd {
  name: string;
  m: number; // output tile m×m
  r: number; // filter r×r
  BT: Mat; // (m+r−1) × (m+r−1)
  G: Mat; // integer G' = λ·G, (m+r−1) × r
  AT: Mat; // m × (m+r−1)
  /** λ² : the integer transforms give λ²·Y */
  scale: number;
}

/**
 * The pass's own tables (compiler/passes/winograd-matrices.ts), so these checks verify the
 * matrices the Winograd pass uses: integer G' = K1·diag(1/D)·Gn, and the product is K1²·Y.
 */
function fromPass(name: string, t: WinogradTile): Winograd {
  const G = t.Gn.map((row, i) => row.map((v) => {
    const scaled = (v * t.K1) / t.D[i]!;
    if (!Number.isInteger(scaled)) throw new Error(`${name}: K1/D is not an integer in row ${i}`);
    return scaled;
  }));
  return { name, m: t.m, r: 3, BT: t.BT, G, AT: t.AT, scale: t.K1 * t.K1 };
}

/** F(2×2, 3×3) (Lavin & Gray 2016, §4.1), G scaled by 2: the product is 4·Y. */
export const F2x2_3x3: Winograd = fromPass("F(2x2,3x3)", F2);

/** F(4×4, 3×3) (Lavin & Gray 2016, §4.2), G scaled by 24: the product is 576·Y. */
export const F4x4_3x3: Winograd = fromPass("F(4x4,3x3)", F4);

/** Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, exact (numbers: small inputs). */
export function winogradTile(w: Winograd, d: Mat, g: Mat): Mat {
  const U = mm(mm(w.G, g), T(w.G));
  const V = mm(mm(w.BT, d), T(w.BT));
  const M = U.map((r, i) => r.map((u, j) => u * V[i]![j]!));
  return mm(mm(w.AT, M), T(w.AT));
}

export function winogradTileBig(w: Winograd, d: bigint[][], g: bigint[][]): bigint[][] {
  const G = big(w.G);
  const BT = big(w.BT);
  const AT = big(w.AT);
  const U = mmBig(mmBig(G, g), T(G as unknown as Mat) as unknown as bigint[][]);
  const V = mmBig(mmBig(BT, d), T(BT as unknown as Mat) as unknown as bigint[][]);
  const M = U.map((r, i) => r.map((u, j) => u * V[i]![j]!));
  return mmBig(mmBig(AT, M), T(AT as unknown as Mat) as unknown as bigint[][]);
}

/** The direct valid correlation of an (m+r−1)² tile with an r² filter: m² outputs (conv2d's definition). */
export function directTile(m: number, r: number, d: Mat, g: Mat): Mat {
  const out: Mat = [];
  for (let i = 0; i < m; i++) {
    out.push([]);
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let u = 0; u < r; u++) for (let v = 0; v < r; v++) s += d[i + u]![j + v]! * g[u]![v]!;
      out[i]!.push(s);
    }
  }
  return out;
}

function directTileBig(m: number, r: number, d: bigint[][], g: bigint[][]): bigint[][] {
  const out: bigint[][] = [];
  for (let i = 0; i < m; i++) {
    out.push([]);
    for (let j = 0; j < m; j++) {
      let s = 0n;
      for (let u = 0; u < r; u++) for (let v = 0; v < r; v++) s += d[i + u]![j + v]! * g[u]![v]!;
      out[i]!.push(s);
    }
  }
  return out;
}

const unit = (rows: number, cols: number, k: number): Mat =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i * cols + j === k ? 1 : 0)));

/**
 * The identity on every pair of basis tiles (e_p, e_q): both sides are bilinear in (d, g),
 * so equality on the basis is equality for all integer tiles (and, the transforms being
 * integer, in every ring Z_2^N).
 */
export function winogradBasis(w: Winograd): Outcome {
  const t = w.m + w.r - 1;
  let cases = 0;
  for (let p = 0; p < t * t; p++) {
    for (let q = 0; q < w.r * w.r; q++) {
      const d = unit(t, t, p);
      const g = unit(w.r, w.r, q);
      const got = winogradTile(w, d, g);
      const want = directTile(w.m, w.r, d, g).map((r) => r.map((v) => v * w.scale));
      cases++;
      if (JSON.stringify(got) !== JSON.stringify(want)) return fail(cases, `${w.name} on basis tiles`, `d = e_${p}, g = e_${q}`, JSON.stringify(want), JSON.stringify(got));
    }
  }
  return { cases };
}

/**
 * Every tile d with entries in {0, 1} (the first `dBits` entries in row-major order free, the
 * rest 0; dBits = t² is every such tile) against every filter g with entries in {0, 1} —
 * 2^dBits × 2^(r²) pairs — with the transforms precomputed per d and per g.
 */
export function winogradBinaryTiles(w: Winograd, dBits = (w.m + w.r - 1) ** 2): Outcome {
  const t = w.m + w.r - 1;
  const nd = 1 << dBits;
  const ng = 1 << (w.r * w.r);
  const tile = (bits: number, rows: number, cols: number): Mat =>
    Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (bits >> (i * cols + j)) & 1));
  const r2 = w.r * w.r;
  const t2 = t * t;
  const mo = w.m;
  const o2 = mo * mo;
  // U_g = G'gG'ᵀ flattened, and g flattened, for every filter
  const U = new Int32Array(ng * t2);
  const gf = new Int32Array(ng * r2);
  for (let k = 0; k < ng; k++) {
    U.set(mm(mm(w.G, tile(k, w.r, w.r)), T(w.G)).flat(), k * t2);
    gf.set(tile(k, w.r, w.r).flat(), k * r2);
  }
  // per tile d: Wd[(i,j), (a,b)] = Aᵀ[i][a]·Aᵀ[j][b]·V[a][b], and the direct windows
  const Wd = new Int32Array(o2 * t2);
  const win = new Int32Array(o2 * r2);
  let cases = 0;
  for (let di = 0; di < nd; di++) {
    const d = tile(di, t, t);
    const V = mm(mm(w.BT, d), T(w.BT));
    for (let i = 0; i < mo; i++) for (let j = 0; j < mo; j++) {
      for (let a = 0; a < t; a++) for (let b = 0; b < t; b++) Wd[(i * mo + j) * t2 + a * t + b] = w.AT[i]![a]! * w.AT[j]![b]! * V[a]![b]!;
      for (let u = 0; u < w.r; u++) for (let v = 0; v < w.r; v++) win[(i * mo + j) * r2 + u * w.r + v] = d[i + u]![j + v]!;
    }
    for (let gi = 0; gi < ng; gi++) {
      const uo = gi * t2;
      const go = gi * r2;
      for (let ij = 0; ij < o2; ij++) {
        let y = 0;
        const wo = ij * t2;
        for (let k = 0; k < t2; k++) y += Wd[wo + k]! * U[uo + k]!;
        let sd = 0;
        const so = ij * r2;
        for (let k = 0; k < r2; k++) sd += win[so + k]! * gf[go + k]!;
        if (y !== w.scale * sd) {
          const i = Math.floor(ij / mo);
          return fail(cases + 1, `${w.name} on {0,1} tiles`, `d = ${JSON.stringify(d)}, g = ${JSON.stringify(tile(gi, w.r, w.r))}`, `${w.scale}·Y[${i}][${ij % mo}] = ${w.scale * sd}`, `${y}`);
        }
      }
      cases++;
    }
  }
  return { cases };
}

/** o^(−1) mod 2^N for odd o (Newton: each step doubles the correct low bits). */
function inverseOdd(o: bigint, N: number): bigint {
  let y = 1n;
  for (let i = 0; i < 7; i++) y = BigInt.asUintN(N, y * (2n - o * y));
  return y;
}

/**
 * Full widths, sampled: random ring width N ∈ [2, 64] and random tiles of N-bit values.
 * (1) The integer identity Aᵀ[(G'gG'ᵀ) ⊙ (BᵀdB)]A = λ²·(d ⋆ g) holds exactly (BigInt).
 * (2) The ring form the rewrite uses: with λ² = 2^e·o (o odd), the Winograd product computed
 * in Z_2^(N+e) (overflow allowed), shifted right by e and multiplied by o^(−1) mod 2^N,
 * equals the direct convolution reduced mod 2^N. (For F(2×2,3×3): e = 2, o = 1 — two extra
 * accumulator bits and an exact shift; for F(4×4,3×3): e = 6, o = 9.)
 */
export function winogradRing(w: Winograd, runs: number): Outcome {
  const t = w.m + w.r - 1;
  let e = 0;
  let o = BigInt(w.scale);
  while (o % 2n === 0n) {
    o /= 2n;
    e++;
  }
  const arb = fc.integer({ min: 2, max: 64 }).chain((N) =>
    fc.tuple(
      fc.constant(N),
      fc.array(fc.bigInt({ min: -(1n << BigInt(N - 1)), max: (1n << BigInt(N - 1)) - 1n }), { minLength: t * t, maxLength: t * t }),
      fc.array(fc.bigInt({ min: -(1n << BigInt(N - 1)), max: (1n << BigInt(N - 1)) - 1n }), { minLength: w.r * w.r, maxLength: w.r * w.r }),
    ),
  );
  const lam = BigInt(w.scale);
  return sampled(arb, runs, ([N, df, gf]) => {
    const d = Array.from({ length: t }, (_, i) => df.slice(i * t, i * t + t));
    const g = Array.from({ length: w.r }, (_, i) => gf.slice(i * w.r, i * w.r + w.r));
    const exact = winogradTileBig(w, d, g);
    const direct = directTileBig(w.m, w.r, d, g);
    const inv = inverseOdd(o, N);
    for (let i = 0; i < w.m; i++) {
      for (let j = 0; j < w.m; j++) {
        if (exact[i]![j]! !== lam * direct[i]![j]!) return `integer identity fails at (${i},${j}): ${exact[i]![j]} vs ${lam}·${direct[i]![j]}`;
        const wide = BigInt.asIntN(N + e, exact[i]![j]!);
        const back = BigInt.asIntN(N, (wide >> BigInt(e)) * inv);
        const want = BigInt.asIntN(N, direct[i]![j]!);
        if (back !== want) return `ring form at N=${N}, (${i},${j}): ${back} vs ${want}`;
      }
    }
    return undefined;
  }, w.name);
}

// ================================================================== extension folding

const zx = (u: bigint, _from: number, to: number): bigint => BigInt.asUintN(to, u);
const sx = (u: bigint, from: number, to: number): bigint => BigInt.asUintN(to, BigInt.asIntN(from, u));
type Ext = { name: "zext" | "sext"; f: (u: bigint, from: number, to: number) => bigint };
const EXTS: Ext[] = [{ name: "zext", f: zx }, { name: "sext", f: sx }];

/**
 * The fold of e2_K ∘ e1_M (x of N bits, N ≤ M ≤ K) into one extension, as a pass may apply
 * it; `undefined` when no single extension of x equals it for every x.
 *   zext∘zext = zext;  sext∘sext = sext;  sext_K∘zext_M = zext_K (M > N), sext_K (M = N);
 *   zext_K∘sext_M = zext_K (M = N), sext_K (M = K), otherwise no fold.
 */
export function foldExt(outer: "zext" | "sext", inner: "zext" | "sext", N: number, M: number, K: number): "zext" | "sext" | undefined {
  if (outer === inner) return inner;
  if (outer === "sext") return M > N ? "zext" : "sext";
  if (M === N) return "zext";
  if (M === K) return "sext";
  return undefined;
}

/** ext∘ext folding: every N ≤ M ≤ K ≤ maxBits, both extensions each, every x ∈ Z_2^N. */
export function extExt(maxBits: number): Outcome {
  let cases = 0;
  for (let N = 1; N <= maxBits; N++) {
    for (let M = N; M <= maxBits; M++) {
      for (let K = M; K <= maxBits; K++) {
        for (const e1 of EXTS) {
          for (const e2 of EXTS) {
            const fold = foldExt(e2.name, e1.name, N, M, K);
            let witness: bigint | undefined;
            for (let u = 0n; u < 1n << BigInt(N); u++) {
              const got = e2.f(e1.f(u, N, M), M, K);
              cases++;
              if (fold !== undefined) {
                const want = (fold === "zext" ? zx : sx)(u, N, K);
                if (got !== want) return fail(cases, `${e2.name}_${K}∘${e1.name}_${M} folded to ${fold}_${K}`, `N=${N} M=${M} K=${K} x=${u}`, `${want}`, `${got}`);
              } else if (witness === undefined && got !== zx(u, N, K) && got !== sx(u, N, K)) witness = u;
            }
            // a rule that declines to fold must be right to: some x defeats both single extensions
            // (one x for zext, maybe another for sext)
            if (fold === undefined) {
              let zBad = false;
              let sBad = false;
              for (let u = 0n; u < 1n << BigInt(N); u++) {
                const got = e2.f(e1.f(u, N, M), M, K);
                if (got !== zx(u, N, K)) zBad = true;
                if (got !== sx(u, N, K)) sBad = true;
              }
              if (!zBad || !sBad) return fail(cases, `${e2.name}∘${e1.name} declared unfoldable`, `N=${N} M=${M} K=${K}`, "no single extension equal", zBad ? "sext equals it" : "zext equals it");
            }
          }
        }
      }
    }
  }
  return { cases };
}

/**
 * trunc∘ext and truncreduce∘ext folding, every N ≤ M ≤ maxBits, s, x ∈ Z_2^N (values as bit
 * patterns; the shift is arithmetic after sext, logical after zext — the signedness the
 * extension gives):
 *   trunc_s(e_M(x)) = e_M(trunc_s(x))                    (0 ≤ s < N: shift in the narrow ring)
 *   truncreduce_s(e_M(x)) = e_(M−s)(truncreduce_s(x))    (s < N)
 *   truncreduce_s(e_M(x)) = 0 (zext) or −msb(x) (sext)   (N ≤ s < M)
 */
export function truncExt(maxBits: number): Outcome {
  let cases = 0;
  for (let N = 1; N <= maxBits; N++) {
    for (let M = N; M <= maxBits; M++) {
      for (const e of EXTS) {
        const signed = e.name === "sext";
        const read = (u: bigint, bits: number) => (signed ? BigInt.asIntN(bits, u) : BigInt.asUintN(bits, u));
        for (let s = 0; s < M; s++) {
          for (let u = 0n; u < 1n << BigInt(N); u++) {
            const wide = e.f(u, N, M);
            const v = read(wide, M);
            cases++;
            if (s < N) {
              // trunc in the wide ring vs in the narrow ring then extend
              const a = BigInt.asUintN(M, v >> BigInt(s));
              const narrow = BigInt.asUintN(N, read(u, N) >> BigInt(s));
              const b = e.f(narrow, N, M);
              if (a !== b) return fail(cases, `trunc_${s}∘${e.name}_${M} = ${e.name}_${M}∘trunc_${s}`, `N=${N} x=${u}`, `${b}`, `${a}`);
              if (N - s >= 1) {
                const c = BigInt.asUintN(M - s, v >> BigInt(s));
                const narrowR = BigInt.asUintN(N - s, read(u, N) >> BigInt(s));
                const d = e.f(narrowR, N - s, M - s);
                if (c !== d) return fail(cases, `truncreduce_${s}∘${e.name}_${M} = ${e.name}_${M - s}∘truncreduce_${s}`, `N=${N} x=${u}`, `${d}`, `${c}`);
              }
            } else {
              const c = BigInt.asUintN(M - s, v >> BigInt(s));
              const want = signed ? BigInt.asUintN(M - s, -BigInt(S.msb(u, N))) : 0n;
              if (c !== want) return fail(cases, `truncreduce_${s}∘${e.name}_${M} (s ≥ N) = ${signed ? "−msb(x)" : "0"}`, `N=${N} M=${M} x=${u}`, `${want}`, `${c}`);
            }
          }
        }
      }
    }
  }
  return { cases };
}

/** The same two statements at full widths, sampled. */
export function extFoldsWide(runs: number): Outcome {
  const arb = fc
    .tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(), fc.boolean())
    .map(([N, a, b, s, x, o, i]) => {
      const M = Math.min(64, N + a);
      const K = Math.min(64, M + b);
      return { N, M, K, s: s % M, u: BigInt.asUintN(N, x), outer: o ? "sext" : "zext", inner: i ? "sext" : "zext" } as const;
    });
  return sampled(arb, runs, ({ N, M, K, s, u, outer, inner }) => {
    const f = (n: string) => (n === "zext" ? zx : sx);
    const fold = foldExt(outer, inner, N, M, K);
    const got = f(outer)(f(inner)(u, N, M), M, K);
    if (fold !== undefined && got !== f(fold)(u, N, K)) return `${outer}∘${inner} fold: ${got} vs ${f(fold)(u, N, K)}`;
    const signed = inner === "sext";
    const read = (w: bigint, bits: number) => (signed ? BigInt.asIntN(bits, w) : BigInt.asUintN(bits, w));
    const v = read(f(inner)(u, N, M), M);
    if (s < N) {
      const c = BigInt.asUintN(M - s, v >> BigInt(s));
      const d = f(inner)(BigInt.asUintN(N - s, read(u, N) >> BigInt(s)), N - s, M - s);
      if (N - s >= 1 && c !== d) return `truncreduce fold: ${c} vs ${d}`;
    }
    return undefined;
  }, "extension folds at full widths");
}

// ================================================================== requant∘requant

/** ⌊(x·M + 2^(s−1)) / 2^s⌋ (s > 0) or x·M·2^(−s), unclamped. */
export const requantRaw = (x: bigint, M: bigint, s: number): bigint => (s > 0 ? (x * M + (1n << BigInt(s - 1))) >> BigInt(s) : (x * M) << BigInt(-s));

const TYPES: { bits: number; signed: boolean }[] = [
  { bits: 2, signed: true }, { bits: 3, signed: true }, { bits: 3, signed: false }, { bits: 4, signed: true }, { bits: 4, signed: false }, { bits: 6, signed: true },
];

/**
 * RR1: an exact first requant (s1 ≤ 0, so y1 = clamp_T1(x·K1), K1 = M1·2^(−s1)) followed by
 * any requant (M2, s2, T2) equals the single requant (K1·M2, s2, T2) of x, provided the first
 * clamp cannot bind on the interval of x (x·K1 ∈ T1), or it binds only where the second
 * clamp saturates anyway: f2(T1.lo) ≤ T2.lo and f2(T1.hi) ≥ T2.hi (f2 the unclamped second
 * map, non-decreasing since M2 > 0). Exhaustive over every x of the input type (i/u, N ≤ 6),
 * M1 ∈ 1..4, s1 ∈ {0, −1, −2}, M2 ∈ 1..5, s2 ∈ −1..4, T1, T2 among six small types; the
 * combinations meeting a proviso are checked (those that do not are skipped, and for one of
 * them a witness shows the proviso is needed).
 */
export function requantRequant(full = true): Outcome {
  let cases = 0;
  let witnessNeeded = false;
  for (const X of full ? [{ bits: 4, signed: true }, { bits: 4, signed: false }, { bits: 6, signed: true }] : [{ bits: 4, signed: true }]) {
    const [xlo, xhi] = S.range(X.bits, X.signed);
    for (let M1 = 1n; M1 <= 4n; M1++) {
      for (const s1 of [0, -1, -2]) {
        const K1 = M1 << BigInt(-s1);
        for (let M2 = 1n; M2 <= 5n; M2++) {
          for (let s2 = -1; s2 <= 4; s2++) {
            for (const T1 of TYPES) {
              const [l1, h1] = S.range(T1.bits, T1.signed);
              const noBind = xlo * K1 >= l1 && xhi * K1 <= h1;
              for (const T2 of TYPES) {
                const [l2, h2] = S.range(T2.bits, T2.signed);
                const saturates = requantRaw(l1, M2, s2) <= l2 && requantRaw(h1, M2, s2) >= h2;
                const ok = noBind || saturates;
                for (let x = xlo; x <= xhi; x++) {
                  const two = S.requant(S.requant(x, M1, s1, T1.bits, T1.signed), M2, s2, T2.bits, T2.signed);
                  const one = S.requant(x, K1 * M2, s2, T2.bits, T2.signed);
                  if (ok) {
                    cases++;
                    if (two !== one) return fail(cases, "RR1 requant∘requant (exact first) = one requant", `x=${x} (${X.signed ? "i" : "u"}${X.bits}), M1=${M1}, s1=${s1}, T1=${T1.signed ? "i" : "u"}${T1.bits}, M2=${M2}, s2=${s2}, T2=${T2.signed ? "i" : "u"}${T2.bits}`, `${two}`, `${one}`);
                  } else if (two !== one) witnessNeeded = true;
                }
              }
            }
          }
        }
      }
    }
  }
  if (!witnessNeeded) return { cases, failure: "RR1: the proviso was never needed — the statement is weaker than it could be (no witness found)" };
  return { cases };
}

/** RR2: ⌊⌊x / 2^a⌋ / 2^b⌋ = ⌊x / 2^(a+b)⌋ (trunc∘trunc), every x ∈ [−2^(N−1), 2^N), N ≤ maxBits, a, b < N. */
export function truncTrunc(maxBits: number): Outcome {
  let cases = 0;
  const N = maxBits;
  for (let x = -(1n << BigInt(N - 1)); x < 1n << BigInt(N); x++) {
    for (let a = 0; a < N; a++) {
      for (let b = 0; a + b <= N; b++) {
        cases++;
        const two = (x >> BigInt(a)) >> BigInt(b);
        const one = x >> BigInt(a + b);
        if (two !== one) return fail(cases, "RR2 trunc∘trunc", `x=${x} a=${a} b=${b}`, `${one}`, `${two}`);
      }
    }
  }
  return { cases };
}

/**
 * RR3 (a refutation the passes must respect): two rounding requants (s1, s2 > 0, M = 1) are
 * NOT one rounding requant by s1 + s2 — double rounding. Passes iff a witness is found; the
 * smallest (by |x|, then s1, s2) is reported in the table.
 */
export function doubleRounding(): Outcome & { witness?: string } {
  let cases = 0;
  for (let m = 0n; m < 64n; m++) {
    for (const x of m === 0n ? [0n] : [m, -m]) {
      for (let a = 1; a <= 3; a++) {
        for (let b = 1; b <= 3; b++) {
          cases++;
          const two = requantRaw(requantRaw(x, 1n, a), 1n, b);
          const one = requantRaw(x, 1n, a + b);
          if (two !== one) return { cases, witness: `x=${x}, s1=${a}, s2=${b}: twice ${two}, once ${one}` };
        }
      }
    }
  }
  return { cases, failure: "no witness of double rounding found: the refutation is wrong" };
}

// ================================================================== batch-norm folding

/** (b, m, a) ∈ {−2, 0, 3} × {−2, 1, 3} × {−1, 0, 2}. */
export const BMA: (readonly [bigint, bigint, bigint])[] = [-2n, 0n, 3n].flatMap((b) => [-2n, 1n, 3n].flatMap((m) => [-1n, 0n, 2n].map((a) => [b, m, a] as const)));

const T_ = (shape: number[], bits: number, v: readonly bigint[]): Tensor => tensorFromBigints(shape, bits, true, v);
const W32 = { bits: 32, signed: true };

/**
 * BN1: batchnorm(conv2d(x, w, b), m, a) = conv2d(x, w·m, b·m + a), per output channel o
 * (w·m scales w[o, …] by m[o]), with the plaintext kernels, exactly (wide accumulators).
 * Exhaustive: C = 1, O = 1, x ∈ {−1,0,1}^(2×2), w ∈ {−1,0,1}^(1×1×2×2) (kernel 2×2, stride 1,
 * no padding) and (b, m, a) ∈ {−2, 0, 3} × {−2, 1, 3} × {−1, 0, 2}.
 */
export function bnFoldExhaustive(bma: readonly (readonly [bigint, bigint, bigint])[] = BMA): Outcome {
  let cases = 0;
  const trits = (k: number, n: number) => Array.from({ length: n }, (_, i) => BigInt((Math.floor(k / 3 ** i) % 3) - 1));
  for (let xi = 0; xi < 81; xi++) {
    const x = T_([1, 2, 2], 4, trits(xi, 4));
    for (let wi = 0; wi < 81; wi++) {
      const wv = trits(wi, 4);
      for (const [b, m, a] of bma) {
        {
          {
            cases++;
            const attrs = { stride: 1, pad: 0, groups: 1 };
            const lhs = toBigints(batchnorm(conv2d(x, T_([1, 1, 2, 2], 4, wv), T_([1], 4, [b]), attrs, W32), T_([1], 4, [m]), T_([1], 4, [a]), W32));
            const rhs = toBigints(conv2d(x, T_([1, 1, 2, 2], 8, wv.map((v) => v * m)), T_([1], 8, [b * m + a]), attrs, W32));
            if (lhs.join() !== rhs.join()) return fail(cases, "BN1 batch-norm folding", `x=${toBigints(x)}, w=${wv}, b=${b}, m=${m}, a=${a}`, `${lhs}`, `${rhs}`);
          }
        }
      }
    }
  }
  return { cases };
}

/**
 * BN1 at full shapes and widths, sampled: random C, O, groups, kernel, stride, padding,
 * 8-bit x and w, 16-bit m, a, b; both sides in a 48-bit accumulator (no wrap); and BN2, the
 * ring form: computing both sides mod 2^N (N ∈ 4..20, wrap allowed) still agrees, because
 * reduction mod 2^N is a ring homomorphism and both sides are the same polynomial.
 */
export function bnFoldSampled(runs: number): Outcome {
  const arb = fc
    .record({ g: fc.integer({ min: 1, max: 2 }), cpg: fc.integer({ min: 1, max: 2 }), opg: fc.integer({ min: 1, max: 2 }), k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }), H: fc.integer({ min: 3, max: 5 }), N: fc.integer({ min: 4, max: 20 }), seed: fc.integer() })
    .map((r) => {
      let s = r.seed >>> 0;
      const rnd = (lo: number, hi: number) => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return BigInt(lo + (s % (hi - lo + 1)));
      };
      const C = r.g * r.cpg;
      const O = r.g * r.opg;
      return {
        ...r, C, O,
        x: Array.from({ length: C * r.H * r.H }, () => rnd(-128, 127)),
        w: Array.from({ length: O * r.cpg * r.k * r.k }, () => rnd(-128, 127)),
        b: Array.from({ length: O }, () => rnd(-30000, 30000)),
        m: Array.from({ length: O }, () => rnd(-30000, 30000)),
        a: Array.from({ length: O }, () => rnd(-30000, 30000)),
      };
    });
  return sampled(arb, runs, (r) => {
    const attrs = { stride: r.stride, pad: r.pad, groups: r.g };
    const per = r.cpg * r.k * r.k;
    const wm = r.w.map((v, i) => v * r.m[Math.floor(i / per)]!);
    const bm = r.b.map((v, o) => v * r.m[o]! + r.a[o]!);
    for (const out of [{ bits: 48, signed: true }, { bits: r.N, signed: true }]) {
      const x = T_([r.C, r.H, r.H], 8, r.x);
      const lhs = toBigints(batchnorm(conv2d(x, T_([r.O, r.cpg, r.k, r.k], 8, r.w), T_([r.O], 16, r.b), attrs, out), T_([r.O], 16, r.m), T_([r.O], 16, r.a), out));
      const rhs = toBigints(conv2d(x, T_([r.O, r.cpg, r.k, r.k], 24, wm), T_([r.O], 33, bm), attrs, out));
      if (lhs.join() !== rhs.join()) return `${out.bits}-bit: ${lhs.slice(0, 4)}… vs ${rhs.slice(0, 4)}…`;
    }
    return undefined;
  }, "batch-norm folding");
}

// ================================================================== average pooling

/**
 * AP1: avgpool(x, k, stride) = conv2d(x, 1_[C,1,k,k], groups = C, stride) (the window sum is
 * a depthwise convolution with an all-ones kernel), plaintext kernels, exhaustive over
 * x ∈ {−1,0,1}^(1×3×3) and (k, stride) ∈ {1,2,3} × {1,2,3}, and over 2 channels with
 * x ∈ {−1,1}^(2×2×3).
 */
export function avgpoolAsConv(full = true): Outcome {
  let cases = 0;
  const check = (x: Tensor, k: number, stride: number): Outcome | undefined => {
    const C = x.shape[0]!;
    if (k > x.shape[1]! || k > x.shape[2]!) return undefined;
    cases++;
    const lhs = toBigints(avgpool(x, k, stride, W32));
    const rhs = toBigints(conv2d(x, T_([C, 1, k, k], 2, new Array<bigint>(C * k * k).fill(1n)), undefined, { stride, pad: 0, groups: C }, W32));
    if (lhs.join() !== rhs.join()) return fail(cases, "AP1 avgpool as depthwise conv", `x=${toBigints(x)} shape=${x.shape} k=${k} stride=${stride}`, `${lhs}`, `${rhs}`);
    return undefined;
  };
  const base = full ? 3 : 2;
  for (let xi = 0; xi < base ** 9; xi++) {
    const v = Array.from({ length: 9 }, (_, i) => BigInt(full ? (Math.floor(xi / 3 ** i) % 3) - 1 : (xi >> i) & 1 ? 1 : -1));
    for (let k = 1; k <= 3; k++) for (let s = 1; s <= 3; s++) {
      const f = check(T_([1, 3, 3], 4, v), k, s);
      if (f) return f;
    }
  }
  for (let xi = 0; full && xi < 1 << 12; xi++) {
    const v = Array.from({ length: 12 }, (_, i) => ((xi >> i) & 1 ? 1n : -1n));
    for (let k = 1; k <= 2; k++) for (let s = 1; s <= 2; s++) {
      const f = check(T_([2, 2, 3], 4, v), k, s);
      if (f) return f;
    }
  }
  return { cases };
}

/**
 * AP2: folding a power-of-two divisor k² into the requantization: the constants the compiler
 * derives for scale(x)/k² are those for scale(x) with the shift raised by log₂ k², so the
 * integer result is the same as requantizing the sum at the finer shift — no rounding is
 * introduced. Over a grid of input scales (2^e for e ∈ −12..0 and 40 decimal scales in
 * [10^−4, 1)), target scales (2^−4, 2^−8, 0.05, 0.0123) and k ∈ {2, 4, 8}.
 */
export function avgpoolDivisor(): Outcome {
  let cases = 0;
  const from: Scale[] = [];
  for (let e = -12; e <= 0; e++) from.push({ kind: "pow2", exp: e });
  for (let i = 0; i < 40; i++) from.push({ kind: "real", value: 1e-4 * 1.25 ** i });
  const to: Scale[] = [{ kind: "pow2", exp: -4 }, { kind: "pow2", exp: -8 }, { kind: "real", value: 0.05 }, { kind: "real", value: 0.0123 }];
  for (const f of from) {
    for (const t of to) {
      for (const k of [2, 4, 8]) {
        cases++;
        const base = requantConstants(f, t);
        const folded = requantConstants(divScale(f, k * k), t);
        const lg = Math.log2(k * k);
        if (folded.mult !== base.mult || folded.shift !== base.shift + lg) {
          return fail(cases, "AP2 divisor folded into the shift", `scale ${JSON.stringify(f)} → ${JSON.stringify(t)}, k=${k}`, `mult ${base.mult}, shift ${base.shift + lg}`, `mult ${folded.mult}, shift ${folded.shift}`);
        }
      }
    }
  }
  return { cases };
}

// ================================================================== residual add

/**
 * RA1: add(x, y) with scales 2^ex ≥ 2^ey (x coarser, d = ex − ey) computed as (x << d) + y at
 * scale 2^ey — the plaintext kernel `addSub` with shifts (d, 0) — represents the real sum
 * x·2^ex + y·2^ey exactly, and fits the signed width max(Nx + d, Ny) + 1 (for signed
 * operands; +1 more never needed): every x ∈ iNx, y ∈ iNy, Nx, Ny ≤ 5, d ≤ 3, both signs.
 * RA2 (refutation): aligning the other way — shifting the finer operand right by d — is not
 * exact (witness).
 */
export function residualAdd(): Outcome & { witness?: string } {
  let cases = 0;
  let witness: string | undefined;
  for (let Nx = 1; Nx <= 5; Nx++) {
    for (let Ny = 1; Ny <= 5; Ny++) {
      for (let d = 0; d <= 3; d++) {
        const W = Math.max(Nx + d, Ny) + 1;
        const [xl, xh] = S.range(Nx, true);
        const [yl, yh] = S.range(Ny, true);
        const xs: bigint[] = [];
        const ys: bigint[] = [];
        for (let x = xl; x <= xh; x++) for (let y = yl; y <= yh; y++) {
          xs.push(x);
          ys.push(y);
        }
        for (const sign of [1, -1] as const) {
          const got = toBigints(addSub(T_([xs.length], Nx, xs), T_([ys.length], Ny, ys), d, 0, sign, { bits: W, signed: true }));
          for (let i = 0; i < xs.length; i++) {
            cases++;
            // real values in units of 2^ey: x·2^d ± y
            const exact = (xs[i]! << BigInt(d)) + BigInt(sign) * ys[i]!;
            if (got[i] !== exact) return fail(cases, "RA1 residual add aligned by a left shift", `x=${xs[i]} (i${Nx}, scale 2^${d}·s) ${sign > 0 ? "+" : "−"} y=${ys[i]} (i${Ny}, scale s), width ${W}`, `${exact}`, `${got[i]}`);
            if (witness === undefined && d > 0) {
              const wrong = ((xs[i]! << BigInt(d)) + BigInt(sign) * ((ys[i]! >> BigInt(d)) << BigInt(d)));
              if (wrong !== exact) witness = `x=${xs[i]}, y=${ys[i]}, d=${d}: right-shifting y gives ${wrong}·s, exact ${exact}·s`;
            }
          }
        }
      }
    }
  }
  if (witness === undefined) return { cases, failure: "RA2: no witness that right-aligning is inexact" };
  return { cases, witness };
}

// ================================================================== ReLU then extend

/**
 * RE1: for every x ∈ iN (N ≤ maxBits) and N ≤ M ≤ maxBits + 2: relu(x) is non-negative, so
 *   zext_M(relu(x)) = sext_M(relu(x)) = relu(sext_M(x)),
 * i.e. the extension after a ReLU may use the known-MSB protocol (and zext and sext agree).
 * RE2, the known-MSB carry lemma that protocol uses: for every N ≤ maxBits and every sharing
 * (u0, u1) ∈ Z_2^N × Z_2^N of a value u = u0 + u1 mod 2^N < 2^(N−1):
 *   [u0 + u1 ≥ 2^N] = msb(u0) ∨ msb(u1).
 * RE3 (refutation): relu does not commute with zext of a signed value (witness x = −1).
 */
export function reluExtend(maxBits: number): Outcome & { witness?: string } {
  let cases = 0;
  for (let N = 1; N <= maxBits; N++) {
    const [lo, hi] = S.range(N, true);
    for (let M = N; M <= maxBits + 2; M++) {
      for (let x = lo; x <= hi; x++) {
        cases++;
        const r = BigInt.asUintN(N, S.relu(x));
        const a = zx(r, N, M);
        const b = sx(r, N, M);
        const c = BigInt.asUintN(M, S.relu(BigInt.asIntN(M, sx(BigInt.asUintN(N, x), N, M))));
        if (a !== b || b !== c) return fail(cases, "RE1 zext(relu x) = sext(relu x) = relu(sext x)", `N=${N} M=${M} x=${x}`, `${c}`, `zext ${a}, sext ${b}`);
      }
    }
    for (let u0 = 0n; u0 < 1n << BigInt(N); u0++) {
      for (let u1 = 0n; u1 < 1n << BigInt(N); u1++) {
        const u = BigInt.asUintN(N, u0 + u1);
        if (u >= 1n << BigInt(N - 1)) continue;
        cases++;
        const carry = u0 + u1 >= 1n << BigInt(N) ? 1 : 0;
        const or = S.msb(u0, N) | S.msb(u1, N);
        if (carry !== or) return fail(cases, "RE2 known-MSB carry", `N=${N} u0=${u0} u1=${u1}`, `${carry}`, `${or}`);
      }
    }
  }
  const N = 4;
  const x = -1n;
  const viaZext = BigInt.asUintN(N + 2, S.relu(zx(BigInt.asUintN(N, x), N, N + 2)));
  const direct = zx(BigInt.asUintN(N, S.relu(x)), N, N + 2);
  if (viaZext === direct) return { cases, failure: "RE3: relu∘zext = zext∘relu at x = −1?" };
  return { cases, witness: `x=−1 (i4): relu(zext_6 x) = ${viaZext}, zext_6(relu x) = ${direct}` };
}

// ================================================================== requant and ReLU (fuse-requant-relu)

/** The multipliers of the small grids: small odd and even values, powers of two, and compiler-sized ones (2^15 ≤ M ≤ 2^16). */
export const RQ_MULTS: bigint[] = [1n, 2n, 3n, 4n, 5n, 7n, 8n, 9n, 16n, 32768n, 46341n, 65535n, 65536n];

/**
 * W1: for x ≥ 0, M ≥ 1 and any s, requant(x, M, s, to = uA) = requant(x, M, s, to = i(A+1)),
 * and the common value lies in [0, 2^A) (so i(A+1) may be marked nonneg). Exhaustive: every
 * x ∈ [0, 2^maxN − 1] (which contains every non-negative interval of iN and uN, N ≤ maxN),
 * every M ∈ RQ_MULTS, s ∈ −2..6, A ∈ 1..6. W1' (refutation): the hypothesis x ≥ 0 is needed
 * (witness x = −1, M = 1, s = 0: 0 in uA, −1 in i(A+1)).
 */
export function requantReluW1(maxN: number, mults: readonly bigint[] = RQ_MULTS): Outcome & { witness?: string } {
  let cases = 0;
  for (let A = 1; A <= 6; A++) {
    for (const M of mults) {
      for (let s = -2; s <= 6; s++) {
        for (let x = 0n; x < 1n << BigInt(maxN); x++) {
          cases++;
          const u = S.requant(x, M, s, A, false);
          const i = S.requant(x, M, s, A + 1, true);
          if (u !== i || u < 0n || u >= 1n << BigInt(A)) return fail(cases, "W1 requant to uA = requant to i(A+1) on x ≥ 0, value in [0, 2^A)", `x=${x} M=${M} s=${s} A=${A}`, `${u} (u${A})`, `${i} (i${A + 1})`);
        }
      }
    }
  }
  const u = S.requant(-1n, 1n, 0, 3, false);
  const i = S.requant(-1n, 1n, 0, 4, true);
  if (u === i) return { cases, failure: "W1': the hypothesis x ≥ 0 was not needed at x = −1?" };
  return { cases, witness: `x=−1, M=1, s=0, A=3: u3 gives ${u}, i4 gives ${i}` };
}

/**
 * W2: for every x ∈ iN (N ≤ maxN), M ≥ 1 (RQ_MULTS), s ∈ −2..6, A ∈ 1..6:
 * requant(relu(x), M, s, to = uA) = requant(x, M, s, to = uA).
 * W2' (refutation): the target must be unsigned (witness x = −4, M = 1, s = 0, to = i3: −4 vs 0).
 */
export function requantReluW2(maxN: number, mults: readonly bigint[] = RQ_MULTS): Outcome & { witness?: string } {
  let cases = 0;
  for (let N = 1; N <= maxN; N++) {
    const [lo, hi] = S.range(N, true);
    for (let A = 1; A <= 6; A++) {
      for (const M of mults) {
        for (let s = -2; s <= 6; s++) {
          for (let x = lo; x <= hi; x++) {
            cases++;
            const a = S.requant(S.relu(x), M, s, A, false);
            const b = S.requant(x, M, s, A, false);
            if (a !== b) return fail(cases, "W2 requant(relu x, uA) = requant(x, uA)", `x=${x} (i${N}) M=${M} s=${s} A=${A}`, `${a}`, `${b}`);
          }
        }
      }
    }
  }
  const a = S.requant(S.relu(-4n), 1n, 0, 3, true);
  const b = S.requant(-4n, 1n, 0, 3, true);
  if (a === b) return { cases, failure: "W2': the unsigned target was not needed at x = −4?" };
  return { cases, witness: `x=−4, M=1, s=0, to i3: requant(relu x) = ${a}, requant(x) = ${b}` };
}

/** W1 and W2 at full widths, sampled: x of up to 64 bits, M ∈ [1, 2^16], s ∈ −8..40, A ∈ 1..63. */
export function requantReluWide(runs: number): Outcome {
  const arb = fc.tuple(fc.integer({ min: 1, max: 64 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 1n, max: 1n << 16n }), fc.integer({ min: -8, max: 40 }), fc.integer({ min: 1, max: 63 }));
  return sampled(arb, runs, ([N, raw, M, s, A]) => {
    const x = BigInt.asIntN(N, raw);
    const xn = x < 0n ? -x - 1n : x; // a non-negative value of iN
    const u = S.requant(xn, M, s, A, false);
    const i = S.requant(xn, M, s, A + 1, true);
    if (u !== i) return `W1 at x=${xn} M=${M} s=${s} A=${A}: u${A} ${u}, i${A + 1} ${i}`;
    const a = S.requant(S.relu(x), M, s, A, false);
    const b = S.requant(x, M, s, A, false);
    if (a !== b) return `W2 at x=${x} M=${M} s=${s} A=${A}: ${a} vs ${b}`;
    return undefined;
  }, "requant/ReLU rewrites at full widths");
}

// ================================================================== placement

/**
 * The identities pass `placement` relies on, exhaustive at small widths:
 * PL1 (explicit extension): for every N ≤ maxN, W ∈ N..maxW, signedness, nonneg flag and
 *   x ∈ Z_2^N (with MSB 0 when nonneg): the backend's lift — x read by its own signedness,
 *   represented in W bits — equals E(x) with E = zext if nonneg or unsigned, sext if signed;
 *   the W-bit result read with x's signedness is x's value; and lifting the W-bit E(x) to W
 *   bits again is the identity.
 * PL2 (narrowing and widening an accumulator, P2/P3): for every n ≤ maxN, W ∈ n..maxW and
 *   v ∈ i(n): v computed in Z_2^n and sign-extended to W is v computed in Z_2^W, and every
 *   consumer ring Z_2^K, K ≤ W, reduces both to v mod 2^K.
 * PL3 (reduction is a ring homomorphism): for every W ≤ maxH, N ≤ W and a, b ∈ Z_2^W:
 *   (a + b mod 2^W) mod 2^N = (a mod 2^N + b mod 2^N) mod 2^N, likewise −a and a·b.
 * PL4 (refutation, why P2 refuses a zext use): zext of a narrowed negative accumulator
 *   depends on the width (witness v = −1: zext_8 from i4 is 15, from i6 63).
 */
export function placementLift(maxN: number, maxW: number, maxH: number): Outcome & { witness?: string } {
  let cases = 0;
  for (let N = 1; N <= maxN; N++) {
    for (let W = N; W <= maxW; W++) {
      for (const signed of [true, false]) {
        for (const nonneg of [false, true]) {
          const top = nonneg ? 1n << BigInt(N - 1) : 1n << BigInt(N);
          for (let x = 0n; x < top; x++) {
            cases++;
            const value = S.wrapTo(x, N, signed);
            const lifted = BigInt.asUintN(W, value); // the backend: x's reading, in W bits
            const e = nonneg || !signed ? zx(x, N, W) : sx(x, N, W);
            const spec = BigInt.asUintN(W, nonneg || !signed ? S.zext(x, N, W, signed) : S.sext(x, N, W, signed));
            if (e !== lifted || spec !== lifted || S.wrapTo(e, W, signed) !== value || BigInt.asUintN(W, S.wrapTo(e, W, signed)) !== e) {
              return fail(cases, "PL1 explicit extension = the backend's lift", `N=${N} W=${W} ${signed ? "signed" : "unsigned"}${nonneg ? " nonneg" : ""} x=${x}`, `${lifted}`, `${e} (spec ${spec})`);
            }
          }
        }
      }
    }
  }
  for (let n = 1; n <= maxN; n++) {
    const [lo, hi] = S.range(n, true);
    for (let W = n; W <= maxW; W++) {
      for (let v = lo; v <= hi; v++) {
        const narrow = BigInt.asUintN(n, v);
        const wide = BigInt.asUintN(W, v);
        cases++;
        if (sx(narrow, n, W) !== wide || BigInt.asIntN(W, wide) !== v) return fail(cases, "PL2 an accumulator that fits n bits is the same integer in Z_2^W", `n=${n} W=${W} v=${v}`, `${wide}`, `${sx(narrow, n, W)}`);
        for (let K = 1; K <= W; K++) {
          cases++;
          if (BigInt.asUintN(K, wide) !== BigInt.asUintN(K, v) || BigInt.asUintN(K, sx(narrow, n, W)) !== BigInt.asUintN(K, v)) return fail(cases, "PL2 reduction to the consumer's ring", `n=${n} W=${W} K=${K} v=${v}`, `${BigInt.asUintN(K, v)}`, `${BigInt.asUintN(K, wide)}`);
        }
      }
    }
  }
  for (let W = 1; W <= maxH; W++) {
    const mW = (1 << W) - 1;
    for (let N = 1; N <= W; N++) {
      const mN = (1 << N) - 1;
      for (let a = 0; a <= mW; a++) {
        for (let b = 0; b <= mW; b++) {
          cases++;
          const sum = (((a + b) & mW) & mN) === (((a & mN) + (b & mN)) & mN);
          const prod = ((Math.imul(a, b) & mW) & mN) === (Math.imul(a & mN, b & mN) & mN);
          const neg = ((-a & mW) & mN) === (-(a & mN) & mN);
          if (!sum || !prod || !neg) return fail(cases, "PL3 reduction Z_2^W → Z_2^N is a ring homomorphism", `W=${W} N=${N} a=${a} b=${b}`, "sum, product and negation commute with reduction", `${sum ? "" : "sum "}${prod ? "" : "product "}${neg ? "" : "negation"}`);
        }
      }
    }
  }
  const z4 = zx(BigInt.asUintN(4, -1n), 4, 8);
  const z6 = zx(BigInt.asUintN(6, -1n), 6, 8);
  if (z4 === z6) return { cases, failure: "PL4: zext of −1 does not depend on the width?" };
  return { cases, witness: `v=−1: zext_8 from i4 = ${z4}, from i6 = ${z6}` };
}

// ================================================================== orientation

/**
 * OR1 (both orientations compute the same product): for every W ∈ Z_2^N^(r×k), X ∈ Z_2^N^(k×c)
 * (N = 2, r, k, c ≤ 2), W·X = (Xᵀ·Wᵀ)ᵀ in Z_2^N — the receiver choice changes who holds which
 * operand, not the product. OR2 (the cost function): for m ≤ ℓ ≤ 64,
 * m·ℓ − m(m−1)/2 = Σ_{i<m} (ℓ − i) (bit i of the receiver's share needs an ℓ − i bit message),
 * and `productCost` prices the activations orientation as the transposed product
 * sirnnCost(cols, inner, rows, mX, ℓ) and the weights one as sirnnCost(rows, inner, cols, mW, ℓ).
 */
export function orientationSame(): Outcome {
  let cases = 0;
  const N = 2;
  const q = 1 << N;
  for (const [r, k, c] of [[1, 1, 1], [1, 2, 1], [2, 1, 2], [2, 2, 1], [1, 2, 2], [2, 2, 2]] as const) {
    const nw = r * k;
    const nx = k * c;
    const total = q ** (nw + nx);
    for (let code = 0; code < total; code++) {
      const digits = Array.from({ length: nw + nx }, (_, i) => Math.floor(code / q ** i) % q);
      const Wm = Array.from({ length: r }, (_, i) => digits.slice(i * k, i * k + k));
      const Xm = Array.from({ length: k }, (_, i) => digits.slice(nw + i * c, nw + i * c + c));
      cases++;
      const direct = mm(Wm, Xm).map((row) => row.map((v) => v & (q - 1)));
      const swapped = T(mm(T(Xm), T(Wm))).map((row) => row.map((v) => v & (q - 1)));
      if (JSON.stringify(direct) !== JSON.stringify(swapped)) return fail(cases, "OR1 W·X = (Xᵀ·Wᵀ)ᵀ", `W=${JSON.stringify(Wm)} X=${JSON.stringify(Xm)}`, JSON.stringify(direct), JSON.stringify(swapped));
    }
  }
  for (let l = 1; l <= 64; l++) {
    for (let m = 1; m <= l; m++) {
      cases++;
      let sum = 0;
      for (let i = 0; i < m; i++) sum += l - i;
      if (m * l - (m * (m - 1)) / 2 !== sum) return fail(cases, "OR2 per-element message bits", `m=${m} l=${l}`, `${sum}`, `${m * l - (m * (m - 1)) / 2}`);
      const want = 3 * 5 * (m * LAMBDA + 7 * sum);
      if (sirnnCost(3, 5, 7, m, l) !== want) return fail(cases, "OR2 sirnnCost", `d=3×5·5×7 m=${m} l=${l}`, `${want}`, `${sirnnCost(3, 5, 7, m, l)}`);
    }
  }
  for (const [rows, inner, cols, times, mW, mX, l] of [[16, 72, 196, 1, 2, 8, 32], [10, 400, 1, 1, 8, 8, 24], [4, 9, 64, 8, 4, 6, 20], [64, 576, 64, 1, 8, 8, 40]] as const) {
    cases++;
    const c = productCost(rows, inner, cols, times, mW, mX, l);
    if (c.weights !== times * sirnnCost(rows, inner, cols, mW, l) || c.activations !== times * sirnnCost(cols, inner, rows, mX, l)
      || c.elements.weights !== times * rows * inner || c.elements.activations !== times * cols * inner) {
      return fail(cases, "OR2 productCost orientations", `${rows}×${inner}·${inner}×${cols} ×${times}, mW=${mW} mX=${mX} l=${l}`, "the transposed product for the activations", JSON.stringify(c));
    }
  }
  return { cases };
}

/**
 * Headroom (proofs/passes/headroom.md). H1: for every interval [lo, hi] of values of iN / uN
 * that spans less than half the ring, msbOffset gives c with x + c ∈ [0, 2^(N−1)) for every
 * x in it, and (x + c mod 2^N) − c ≡ x (mod 2^M) for every M ≥ N — the known-MSB extension
 * after the offset yields x. H2: msbOffset is undefined exactly when the span is half the
 * ring or more, and a value of N bits always has a defined offset in N + 1 bits (the pass's
 * one spare bit suffices).
 */
export function headroomOffset(maxBits: number): Outcome {
  let cases = 0;
  for (let N = 1; N <= maxBits; N++) {
    const half = 1n << BigInt(N - 1);
    for (const signed of [true, false]) {
      const [dlo, dhi] = signed ? [-half, half - 1n] : [0n, 2n * half - 1n];
      for (let lo = dlo; lo <= dhi; lo++) {
        for (let hi = lo; hi <= dhi; hi++) {
          cases++;
          const c = msbOffset({ lo, hi }, N);
          if ((c === undefined) !== (hi - lo >= half)) return fail(cases, "H2: msbOffset is defined iff hi − lo < 2^(N−1)", `N=${N} [${lo}, ${hi}]`, `${hi - lo < half}`, `${c !== undefined}`);
          if (msbOffset({ lo, hi }, N + 1) === undefined) return fail(cases, "H2: one more bit always gives an offset", `N=${N} [${lo}, ${hi}]`, "defined", "undefined");
          if (c === undefined) continue;
          for (let x = lo; x <= hi; x++) {
            const u = BigInt.asUintN(N, x + c);
            if (u >= half) return fail(cases, "H1: x + c has MSB 0", `N=${N} [${lo}, ${hi}] x=${x}`, `< ${half}`, `${u}`);
            for (let M = N; M <= N + 3; M++) {
              if (BigInt.asUintN(M, u - c) !== BigInt.asUintN(M, x)) return fail(cases, "H1: (x + c mod 2^N) − c = x in Z_2^M", `N=${N} M=${M} [${lo}, ${hi}] x=${x}`, `${BigInt.asUintN(M, x)}`, `${BigInt.asUintN(M, u - c)}`);
            }
          }
        }
      }
    }
  }
  return { cases };
}

/**
 * divexact (proofs/passes/winograd.md, W4). D1: oddInverse(q, N)·q ≡ 1 (mod 2^N) for odd q.
 * D2: for every x = q·y in iN and every sharing (x0, x − x0), the local step
 * x0·q⁻¹ + x1·q⁻¹ ≡ y (mod 2^N), and the plaintext rule x / q = y.
 */
export function divexactLocal(maxBits: number): Outcome {
  let cases = 0;
  for (const q of [1n, 3n, 5n, 7n, 9n, 576n / 64n, 25n]) {
    for (let N = 1; N <= 64; N++) {
      cases++;
      const inv = oddInverse(q, N);
      if (BigInt.asUintN(N, inv * q) !== 1n % (1n << BigInt(N))) return fail(cases, "D1: q·q⁻¹ ≡ 1 (mod 2^N)", `q=${q} N=${N}`, "1", `${BigInt.asUintN(N, inv * q)}`);
    }
    for (let N = 1; N <= maxBits; N++) {
      const inv = oddInverse(q, N);
      const half = 1n << BigInt(N - 1);
      for (let y = -half; y < half; y++) {
        const x = q * y;
        if (x < -half || x >= half) continue;
        for (let x0 = 0n; x0 < 2n * half; x0++) {
          cases++;
          const x1 = BigInt.asUintN(N, x - x0);
          const got = BigInt.asUintN(N, x0 * inv + x1 * inv);
          if (got !== BigInt.asUintN(N, y)) return fail(cases, "D2: x0·q⁻¹ + x1·q⁻¹ ≡ x/q (mod 2^N)", `q=${q} N=${N} x=${x} x0=${x0}`, `${BigInt.asUintN(N, y)}`, `${got}`);
        }
      }
    }
  }
  return { cases };
}
