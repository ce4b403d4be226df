// The Winograd minimal-filtering matrices F(m, 3) of Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks" (arXiv 1509.09308), §4.1 (F(2,3)) and §4.2 (F(4,3)),
// written from the paper's definitions: for a tile d of α = m + 2 inputs and a filter g of
// 3 taps, the m outputs of the correlation y[i] = Σ_k d[i+k]·g[k] are
//   y = Aᵀ [(G g) ⊙ (Bᵀ d)],   and in two dimensions   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A.
// Bᵀ and Aᵀ are integer; G has fractions. pq is exact, so G is kept as an integer numerator
// Gn with one denominator per row (G = diag(1/D)·Gn), and the pass scales the filter
// transform to integers: U'' = (K1/D_a)(K1/D_b)·(Gn g Gnᵀ)[a,b] with K1 = lcm(D), which is
// K1²·U. The result is then exactly K1²·Y, an integer identity (no rounding anywhere).
//
// F(2,3) (points 0, 1, −1, ∞): D = (1, 2, 2, 1), K1 = 2, so the factor is 4 = 2²: an exact
// division by a power of two brings Y back. F(4,3) (points 0, ±1, ±2, ∞): D = (4, 6, 6,
// 24, 24, 1), K1 = 24, factor 576 = 2⁶·3². The factor 3 is unavoidable for five finite
// interpolation points over Z (some difference of two points is odd and > 1, e.g.
// 2 − (−1) = 3), so an exact integer F(4,3) needs a division by 9.

export interface WinogradTile {
  /** Output tile size m: F(m×m, 3×3). */
  m: 2 | 4;
  /** Input tile size α = m + r − 1 (r = 3). */
  alpha: number;
  /** Input transform Bᵀ, α×α, integer. */
  BT: number[][];
  /** Output transform Aᵀ, m×α, integer. */
  AT: number[][];
  /** Filter transform numerators Gn, α×3: G = diag(1/D)·Gn. */
  Gn: number[][];
  /** Row denominators D of G. */
  D: number[];
  /** lcm(D): the 1-D scale factor; the 2-D result comes out multiplied by K1². */
  K1: number;
}

export const F2: WinogradTile = {
  m: 2,
  alpha: 4,
  BT: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  AT: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
  Gn: [
    [1, 0, 0],
    [1, 1, 1],
    [1, -1, 1],
    [0, 0, 1],
  ],
  D: [1, 2, 2, 1],
  K1: 2,
};

export const F4: WinogradTile = {
  m: 4,
  alpha: 6,
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
  Gn: [
    [1, 0, 0],
    [-1, -1, -1],
    [-1, 1, -1],
    [1, 2, 4],
    [1, -2, 4],
    [0, 0, 1],
  ],
  D: [4, 6, 6, 24, 24, 1],
  K1: 24,
};

export const TILES: readonly WinogradTile[] = [F2, F4];

/** The 2-D factor K1² by which the integer computation overshoots Y. */
export function outputFactor(t: WinogradTile): number {
  return t.K1 * t.K1;
}

/** Aᵀ with column a scaled by K1/D_a: the output transform that absorbs G's denominators. */
export function scaledAT(t: WinogradTile): number[][] {
  return t.AT.map((row) => row.map((v, a) => (v * t.K1) / t.D[a]!));
}

/**
 * The integer transformed filter of one 3×3 kernel at tile position (a, b):
 * Σ_{u,v} Gn[a][u]·g[u][v]·Gn[b][v] — that is D_a·D_b·U[a,b] with U = G g Gᵀ.
 * `g(u, v)` reads the kernel.
 */
export function filterAt(t: WinogradTile, a: number, b: number, g: (u: number, v: number) => bigint): bigint {
  let s = 0n;
  for (let u = 0; u < 3; u++) {
    const ga = t.Gn[a]![u]!;
    if (ga === 0) continue;
    for (let v = 0; v < 3; v++) {
      const gb = t.Gn[b]![v]!;
      if (gb !== 0) s += BigInt(ga * gb) * g(u, v);
    }
  }
  return s;
}

/**
 * The 1-D identity K1·y = Aᵀ·diag(K1/D)·[(Gn g) ⊙ (Bᵀ d)] on integers (tests check it
 * against the direct correlation y[i] = Σ_k d[i+k]·g[k]).
 */
export function winograd1d(t: WinogradTile, d: readonly bigint[], g: readonly bigint[]): bigint[] {
  const at = scaledAT(t);
  const prod: bigint[] = [];
  for (let a = 0; a < t.alpha; a++) {
    let u = 0n;
    for (let k = 0; k < 3; k++) u += BigInt(t.Gn[a]![k]!) * g[k]!;
    let v = 0n;
    for (let k = 0; k < t.alpha; k++) v += BigInt(t.BT[a]![k]!) * d[k]!;
    prod.push(u * v);
  }
  return at.map((row) => row.reduce((s, c, a) => s + BigInt(c) * prod[a]!, 0n));
}
