// The HE kernel's public facts (interpreter/protocols/linear-he.ts), one copy for the runtime
// and the forecast, as ot-sizes.ts is for the OT kernels: the encryption parameters and the
// primes SEAL makes from them, the serialized sizes of what crosses the wire, the tiling of a
// product into ciphertexts (Cheetah's coefficient encoding, Huang et al., USENIX Security
// 2022, §3), and the per-product choice between HE and the OT kernel. Everything here is a
// function of public data (shapes, types, the ring, the parameters), so both parties — and
// `pq cost` — compute the same numbers. Proof of the bounds: proofs/he-linear.md.
import { nChoose1Bytes, POOL_PER_COT, productBlocks, productPlan, productPlanes, vcotBytes, type OtBytes, type ProductShape } from "./ot-sizes.js";

/** The encryption parameters of pq's HE provider (what the handshake sends and checks). */
export interface HeParams {
  /** Polynomial degree N (number of coefficients). */
  readonly degree: number;
  /** Bit sizes of the coefficient primes, the last one the special (key-switching) prime. */
  readonly coeffBits: readonly number[];
  /** Bit size of the plaintext prime t (a batching prime: node-seal refuses any other). */
  readonly plainBits: number;
}

/**
 * N = 8192 with 218 bits of coefficient modulus, SEAL's (and the HE standard's) maximum for
 * 128-bit classical security at this degree; three 60-bit data primes (the last level keeps
 * one, to which replies are switched) and a 38-bit special prime; a 44-bit plaintext prime.
 * Why these sizes: proofs/he-linear.md §3 (t ≥ 8·bound, flooding ≥ 2^σ·N·noise, q_L ≥ 4t·N).
 */
export const HE_PARAMS: HeParams = { degree: 8192, coeffBits: [60, 60, 60, 38], plainBits: 44 };

/** The moduli a parameter set's context holds: the plaintext prime and the data primes (top level; the lowest keeps the first). */
export interface HeModuli {
  readonly params: HeParams;
  readonly t: number;
  readonly q: readonly bigint[];
}

/**
 * The primes SEAL 4.1 (node-seal 6.0.3) makes for HE_PARAMS — CoeffModulus.Create and
 * PlainModulus.Batching are deterministic — so the forecast needs no WASM; the adapter
 * (interpreter/he/seal.ts) checks its context against them.
 */
export const HE_MODULI: HeModuli = {
  params: HE_PARAMS,
  t: 17592186028033,
  q: [1152921504606683137n, 1152921504606748673n, 1152921504606830593n],
};

/** Statistical security parameter of the noise flooding and of nothing else (proofs/he-linear.md §4). */
export const SIGMA = 40;

/** SEAL's fresh noise: a normal of σ = 3.2 clipped at 6σ, so |e| ≤ 19 per coefficient. */
const FRESH_NOISE = 19;

/** The wrap OT is 1 out of at most 8 (the client's digit ⌊z0/2^s⌋ < 8, proofs/he-linear.md Lemma 3). */
const WRAP_MAX = 8;

/** SEAL's serialization (compression none) of a ciphertext: a 113-byte prefix, then its data. */
export const CT_PREFIX = 113;

/**
 * What crosses the wire, in bytes, under the parameters:
 *  - `up`: an upload, a seeded symmetric ciphertext at the top level (c0 over the L data primes);
 *  - `reply(k)`: a reply at the lowest level as the server sends it: c1 whole and c0 only at
 *    the k coefficients that carry outputs (8 bytes each) — the client decrypts with zeros
 *    elsewhere; the other coefficients of the message are never read (proofs/he-linear.md §5);
 *  - `pk`: the client's public key, seeded;
 *  - `confirm`: the SHA-256 each party sends of that key.
 */
export function heBytes(p: HeParams): { up: number; reply: (k: number) => number; pk: number; confirm: number } {
  const N = p.degree;
  const L = p.coeffBits.length - 1;
  return { up: 194 + 8 * N * L, reply: (k) => 8 * (N + k), pk: 194 + 8 * N * (L + 1), confirm: 32 };
}

/** A product's matrix blocks as twopc/linear-map.ts matBlocks cuts them: Y[o, p] = Σ_q W[o, q]·X̂[q, p], `count` of them. */
export interface BlockDims {
  count: number;
  O: number;
  Q: number;
  P: number;
}

/** The bounds a product's correctness and privacy rest on (proofs/he-linear.md §2–§4), whatever its encoding. */
export interface HeBounds {
  /** Public bound on |Z| = |f(W, u0)| for the client's operand u0 (its unsigned reading, or its input's range). */
  bound: number;
  /** Bits of the flooding noise: uniform in [−2^flood, 2^flood] per coefficient. */
  flood: number;
  /** The wrap bit's truncation shift s and threshold θ, and the client's digit range (proofs/he-linear.md §2). */
  shift: number;
  theta: number;
  digits: number;
  /** The wrap OT is 1 out of wrapN: the least power of two ≥ digits (4 when 2^s ≥ t/4, as for most products; else 8). */
  wrapN: number;
}

/** What every encoding has: its ciphertext counts and outputs (each output in exactly one reply). */
interface HeCounts {
  /** Ciphertexts the client uploads and the server returns. */
  inCts: number;
  outCts: number;
  /** Useful output coefficients over all replies. */
  outputs: number;
}

/**
 * Matrix blocks (Cheetah's coefficient encoding of Y[o, p] = Σ_q W[o, q]·X̂[q, p], every map):
 * tiles of Qt × Pt inputs and Ot outputs, nO × nQ × nP of them per block.
 */
export interface BlockTiling extends HeBounds, HeCounts {
  kind: "blocks";
  O: number;
  Q: number;
  P: number;
  Ot: number;
  Qt: number;
  Pt: number;
  nO: number;
  nQ: number;
  nP: number;
}

/** A conv2d's dimensions (groups = 1) as the conv encoding reads them. */
export interface ConvDims {
  C: number;
  H: number;
  W: number;
  O: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  OH: number;
  OW: number;
}

/**
 * A convolution (groups = 1) on its padded input, Cheetah's HomConv (Huang et al. 2022, §4.1;
 * the "padded convolution" Hyena builds on): Cn channels × Hn × Wn input positions per
 * ciphertext — each input element uploaded once, not kh·kw times as in its im2col blocks —
 * and Ot output channels per reply and spatial tile, Cn·Hn·Wn coefficients apart. The stride-1 output grid of the padded
 * input (H1 × W1) is cut into tiles of th × tw; a tile reads Hn = th + kh − 1 rows and
 * Wn = tw + kw − 1 columns; strided outputs are read at their stride-1 positions.
 */
export interface ConvTiling extends HeBounds, HeCounts, ConvDims {
  kind: "conv";
  th: number;
  tw: number;
  Hn: number;
  Wn: number;
  Cn: number;
  /** Output channels per reply, D = Cn·Hn·Wn coefficients apart. */
  Ot: number;
  nC: number;
  nO: number;
  nH: number;
  nW: number;
}

export type HeTiling = BlockTiling | ConvTiling;

/** Largest |value| of an element type. */
function maxAbs(bits: number, signed: boolean): number {
  return signed ? 2 ** (bits - 1) : 2 ** bits - 1;
}

/** Distinct tile counts of a length-L axis (each count k with its own tile size ⌈L/k⌉). */
function tileCounts(L: number): number[] {
  const out: number[] = [];
  let last = 0;
  for (let k = 1; k <= L; k++) {
    const size = Math.ceil(L / k);
    if (size !== last) out.push(Math.ceil(L / size));
    last = size;
  }
  return [...new Set(out)];
}

type Elem = { bits: number; signed: boolean };

/** |Z| ≤ Q·wMax·xMax must leave t ≥ 8·bound, and the ring must fit the wrap OT's messages. */
function boundOf(Q: number, wElem: Elem, xElem: Elem, N: number, he: HeModuli): number | string {
  const bound = Q * maxAbs(wElem.bits, wElem.signed) * maxAbs(xElem.bits, xElem.signed);
  const t = he.t;
  // t ≥ 8·bound: Z + bound ∈ [0, 2·bound] stays below t, and the wrap test needs t − M ≥ 3t/4 (M = 2·bound).
  if (8 * bound > t) return `|f(W, x0)| ≤ ${bound} needs a plaintext modulus ≥ 2^${Math.ceil(Math.log2(8 * bound))}, the parameters' is 2^${Math.log2(t).toFixed(1)}`;
  if (N > 32) return `a ${N}-bit ring (the wrap OT carries at most 32-bit messages)`;
  return bound;
}

/**
 * The flooding and wrap constants for a bound and a noise: `l1` bounds Σ‖ŵ‖₁ over the terms
 * of any output coefficient (proofs/he-linear.md Lemma 2), or why the modulus cannot carry it.
 */
function boundsOf(bound: number, l1: number, he: HeModuli): HeBounds | string {
  const deg = he.params.degree;
  const t = he.t;
  // Noise of an output coefficient before flooding that the weights can reach: Σ over the terms
  // of ŵ·(e + ε), |e + ε| ≤ 19.5, and the mask's encoding ⌊q/t⌋·m', off q·m'/t by less than t
  // (m' = z0 − Z mod t is tied to Z given the client's z0).
  const noise = l1 * (FRESH_NOISE + 0.5) + t;
  const flood = SIGMA + Math.ceil(Math.log2(deg)) + Math.ceil(Math.log2(noise + 1));
  const qTop = he.q.reduce((a, b) => a * Number(b), 1);
  const qLast = Number(he.q[0]!);
  // Correctness at the lowest level (proofs/he-linear.md §3): 2^(flood+1) ≤ q/(4t), (N+1)/2 + 2 ≤ q_L/(4t).
  if (2 ** (flood + 1) > qTop / (4 * t)) return `flooding noise of 2^${flood} does not fit the coefficient modulus`;
  if ((deg + 1) / 2 + 2 > qLast / (4 * t)) throw new Error("internal: the lowest level's prime is too small for the plaintext modulus");
  const M = 2 * bound;
  const shift = Math.floor(Math.log2((t - M) / 3));
  const theta = Math.floor(t / 2 ** shift) - 1;
  const digits = Math.floor((t - 1) / 2 ** shift) + 1;
  if (digits > WRAP_MAX) throw new Error(`internal: ${digits} wrap digits`);
  const wrapN = Math.max(2, 2 ** Math.ceil(Math.log2(digits)));
  return { bound, flood, shift, theta, digits, wrapN };
}

/**
 * The block tiling of a product in Z_2^N with fewest ciphertexts, or why the HE kernel cannot
 * run it with these moduli (the kernel then runs the OT kernel: both parties decide alike).
 */
export function heTiling(dims: BlockDims, wElem: Elem, xElem: Elem, N: number, he: HeModuli): BlockTiling | string {
  const { O, Q, P } = dims;
  const deg = he.params.degree;
  // One coefficient per block (an element-wise product, protocols/square.ts): a ciphertext each.
  if (O * Q * P === 1 && dims.count > 1) return "an element-wise product (each of its blocks a single coefficient)";
  const bound = boundOf(Q, wElem, xElem, N, he);
  if (typeof bound === "string") return bound;
  let best: { Ot: number; Qt: number; Pt: number; cts: number } | undefined;
  for (const nQ of tileCounts(Q)) {
    const Qt = Math.ceil(Q / nQ);
    for (const nP of tileCounts(P)) {
      const Pt = Math.ceil(P / nP);
      const S = Qt * Pt;
      if (S > deg) continue;
      const Ot = Math.min(O, Math.floor((deg - (Qt - 1) * Pt) / S));
      if (Ot < 1) continue;
      const cts = nQ * nP + Math.ceil(O / Ot) * nP;
      if (!best || cts < best.cts) best = { Ot, Qt, Pt, cts };
    }
  }
  if (!best) throw new Error(`internal: no tiling of ${O}×${Q}×${P} in ${deg} coefficients`);
  const { Ot, Qt, Pt } = best;
  // ‖ŵ‖₁ summed over the Q tiles ≤ Ot·Q·wMax.
  const b = boundsOf(bound, Ot * Q * maxAbs(wElem.bits, wElem.signed), he);
  if (typeof b === "string") return b;
  const nO = Math.ceil(O / Ot);
  const nQ = Math.ceil(Q / Qt);
  const nP = Math.ceil(P / Pt);
  const nb = dims.count;
  return { kind: "blocks", O, Q, P, Ot, Qt, Pt, nO, nQ, nP, inCts: nb * nQ * nP, outCts: nb * nO * nP, outputs: nb * O * P, ...b };
}

/** The conv dimensions of a product, when it is a conv2d with one group (else the blocks alone apply). */
export function convDims(map: ProductShape): ConvDims | undefined {
  if (map.op !== "conv2d" || map.groups !== 1) return undefined;
  const [C, H, W] = map.x as [number, number, number];
  const [O, , kh, kw] = map.w as [number, number, number, number];
  const [, OH, OW] = map.y as [number, number, number];
  return { C, H, W, O, kh, kw, stride: map.stride, pad: map.pad, OH, OW };
}

/** The conv encoding's tiling with fewest bytes on the wire, or why it cannot run. */
export function heConvTiling(d: ConvDims, wElem: Elem, xElem: Elem, N: number, he: HeModuli): ConvTiling | string {
  const deg = he.params.degree;
  const Q = d.C * d.kh * d.kw;
  const bound = boundOf(Q, wElem, xElem, N, he);
  if (typeof bound === "string") return bound;
  const wMax = maxAbs(wElem.bits, wElem.signed);
  // The stride-1 grid the strided outputs are read from: rows 0 … (OH − 1)·stride.
  const H1 = (d.OH - 1) * d.stride + 1;
  const W1 = (d.OW - 1) * d.stride + 1;
  const sizes = heBytes(he.params);
  const outputs = d.O * d.OH * d.OW;
  let best: (Omit<ConvTiling, keyof HeBounds | "kind" | keyof ConvDims> & { bytes: number; b: HeBounds }) | undefined;
  for (const nH of tileCounts(H1)) {
    const th = Math.ceil(H1 / nH);
    for (const nW of tileCounts(W1)) {
      const tw = Math.ceil(W1 / nW);
      const Hn = th + d.kh - 1;
      const Wn = tw + d.kw - 1;
      const HW = Hn * Wn;
      if (HW > deg) continue;
      // Cn channels per upload, Ot output channels per reply, Ot·Cn·HW ≤ N (Lemma 1'); the largest
      // Ot for each Cn, evened out over the output channels.
      for (const nC of tileCounts(d.C)) {
        const Cn = Math.ceil(d.C / nC);
        const most = Math.min(d.O, Math.floor(deg / (Cn * HW)));
        if (most < 1) continue;
        const nO = Math.ceil(d.O / most);
        const Ot = Math.ceil(d.O / nO);
        const inCts = nC * nH * nW;
        const outCts = nO * nH * nW;
        const bytes = inCts * sizes.up + outCts * sizes.reply(0) + 8 * outputs;
        if (best && bytes >= best.bytes) continue;
        // Every output coefficient's terms: Σ‖ŵ‖₁ ≤ Ot·C·kh·kw·wMax = Ot·Q·wMax over the channel blocks.
        const b = boundsOf(bound, Ot * Q * wMax, he);
        if (typeof b === "string") continue;
        best = { th, tw, Hn, Wn, Cn, Ot, nC, nO, nH, nW, inCts, outCts, outputs, bytes, b };
      }
    }
  }
  if (!best) {
    const b = boundsOf(bound, Q * wMax, he);
    return typeof b === "string" ? b : `no tile of a ${d.kh}×${d.kw} kernel fits ${deg} coefficients`;
  }
  const { bytes: _bytes, b, ...tiling } = best;
  return { kind: "conv", ...d, ...tiling, ...b };
}

/** Payload bytes of the HE kernel for a tiling: the uploads, the replies, the wrap OT (frame headers aside). */
export function heFlights(plan: HeTiling, N: number, params: HeParams): { up: number; reply: number; wrap: OtBytes } {
  const sizes = heBytes(params);
  return { up: plan.inCts * sizes.up, reply: plan.outCts * sizes.reply(0) + 8 * plan.outputs, wrap: nChoose1Bytes(plan.outputs, plan.wrapN, N) };
}

/**
 * Does HE move fewer bytes than the OT kernel for this product? Both sides of the comparison
 * are exact payload counts from public data: the plan's ciphertexts and wrap OT, and the OT
 * kernel's vector-COT batches (productPlan), frame headers aside.
 */
export function heCheaper(plan: HeTiling, map: ProductShape, N: number, params: HeParams): boolean {
  const he = heTotal(plan, N, params);
  // The OT kernel's bytes: per plane of a re-weighted W (productPlanes), as it would run, and the
  // pooled COTs' share of the session's refills (POOL_PER_COT each), as the HE path's wrap OTs.
  let viaOt = 0;
  for (const plane of productPlanes(map)) {
    const ot = productPlan(plane.map, N);
    for (let k = 0; k < ot.m; k++) {
      const b = vcotBytes(ot.n, ot.L, N - k);
      viaOt += b.toSender + b.toReceiver + POOL_PER_COT * b.ots;
    }
  }
  return he < viaOt;
}

/** Payload bytes of a tiling's HE flights, all told. */
function heTotal(plan: HeTiling, N: number, params: HeParams): number {
  const f = heFlights(plan, N, params);
  return f.up + f.reply + f.wrap.toSender + f.wrap.toReceiver + POOL_PER_COT * f.wrap.ots;
}

/**
 * The encoding a product runs in by HE: the one of its feasible tilings (blocks; for a conv2d
 * with one group also the conv encoding) that moves fewest bytes, or why none can run.
 */
export function heEncoding(map: ProductShape, N: number, he: HeModuli): HeTiling | string {
  const b = productBlocks(map);
  const blocks = heTiling({ count: b.blocks, O: b.O, Q: b.Q, P: b.P }, map.wElem, map.xElem, N, he);
  const d = convDims(map);
  const conv = d ? heConvTiling(d, map.wElem, map.xElem, N, he) : undefined;
  if (conv === undefined || typeof conv === "string") return blocks;
  if (typeof blocks === "string") return conv;
  return heTotal(conv, N, he.params) < heTotal(blocks, N, he.params) ? conv : blocks;
}

/** The HE kernel's tiling of a traced product under the parameters, if it runs by HE (`cheaper`: only where it moves fewer bytes than OT). */
export function heProduct(map: ProductShape, N: number, he: HeModuli, products: "cheaper" | "all" = "cheaper"): HeTiling | undefined {
  const plan = heEncoding(map, N, he);
  if (typeof plan === "string") return undefined;
  return products === "all" || heCheaper(plan, map, N, he.params) ? plan : undefined;
}
