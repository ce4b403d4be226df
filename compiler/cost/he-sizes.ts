// The HE kernel's public facts (interpreter/protocols/linear-he.ts), one copy for the runtime
// and the forecast, as ot-sizes.ts is for the OT kernels: the encryption parameters and the
// primes SEAL makes from them, the serialized sizes of what crosses the wire, the tiling of a
// product into ciphertexts (Cheetah's coefficient encoding, Huang et al., USENIX Security
// 2022, §3), and the per-product choice between HE and the OT kernel. Everything here is a
// function of public data (shapes, types, the ring, the parameters), so both parties — and
// `pq cost` — compute the same numbers. Proof of the bounds: proofs/he-linear.md.
import { nChoose1Bytes, productBlocks, productPlan, vcotBytes, type ProductShape } from "./ot-sizes.js";

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

/** How a product is tiled into ciphertexts, and the bounds its correctness and privacy rest on. */
export interface HeTiling {
  O: number;
  Q: number;
  P: number;
  Ot: number;
  Qt: number;
  Pt: number;
  /** Tiles per block along o, q, p. */
  nO: number;
  nQ: number;
  nP: number;
  /** Ciphertexts the client uploads and the server returns. */
  inCts: number;
  outCts: number;
  /** Useful output coefficients over all replies (each output once: count·O·P). */
  outputs: number;
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

/**
 * The tiling of a product in Z_2^N with fewest ciphertexts, or why the HE kernel cannot run it
 * with these moduli (the kernel then runs the OT kernel: both parties decide alike).
 */
export function heTiling(
  dims: BlockDims, wElem: { bits: number; signed: boolean }, xElem: { bits: number; signed: boolean }, N: number, he: HeModuli,
): HeTiling | string {
  const { O, Q, P } = dims;
  const deg = he.params.degree;
  const wMax = maxAbs(wElem.bits, wElem.signed);
  const xMax = maxAbs(xElem.bits, xElem.signed);
  const bound = Q * wMax * xMax;
  const t = he.t;
  // t ≥ 8·bound: Z + bound ∈ [0, 2·bound] stays below t, and the wrap test needs t − M ≥ 3t/4 (M = 2·bound).
  if (8 * bound > t) return `|f(W, x0)| ≤ ${bound} needs a plaintext modulus ≥ 2^${Math.ceil(Math.log2(8 * bound))}, the parameters' is 2^${Math.log2(t).toFixed(1)}`;
  if (N > 32) return `a ${N}-bit ring (the wrap OT carries at most 32-bit messages)`;
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
  const nO = Math.ceil(O / Ot);
  const nQ = Math.ceil(Q / Qt);
  const nP = Math.ceil(P / Pt);
  // Noise of an output coefficient before flooding: Σ over the Q tiles of ŵ·(e + ε), ‖ŵ‖₁ summed ≤ Ot·Q·wMax, |e + ε| ≤ 19.5.
  const noise = Ot * Q * wMax * (FRESH_NOISE + 0.5);
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
  const nb = dims.count;
  return { O, Q, P, Ot, Qt, Pt, nO, nQ, nP, inCts: nb * nQ * nP, outCts: nb * nO * nP, outputs: nb * O * P, bound, flood, shift, theta, digits, wrapN };
}

/** Payload bytes of the HE kernel for a tiling: the uploads, the replies, the wrap OT (frame headers aside). */
export function heFlights(plan: HeTiling, N: number, params: HeParams): { up: number; reply: number; wrap: { toSender: number; toReceiver: number } } {
  const sizes = heBytes(params);
  return { up: plan.inCts * sizes.up, reply: plan.outCts * sizes.reply(0) + sizes.reply(plan.outputs) - sizes.reply(0), wrap: nChoose1Bytes(plan.outputs, plan.wrapN, N) };
}

/**
 * Does HE move fewer bytes than the OT kernel for this product? Both sides of the comparison
 * are exact payload counts from public data: the plan's ciphertexts and wrap OT, and the OT
 * kernel's vector-COT batches (productPlan), frame headers aside.
 */
export function heCheaper(plan: HeTiling, map: ProductShape, N: number, params: HeParams): boolean {
  const f = heFlights(plan, N, params);
  const he = f.up + f.reply + f.wrap.toSender + f.wrap.toReceiver;
  const ot = productPlan(map, N);
  let viaOt = 0;
  for (let k = 0; k < ot.m; k++) {
    const b = vcotBytes(ot.n, ot.L, N - k);
    viaOt += b.toSender + b.toReceiver;
  }
  return he < viaOt;
}

/** The HE kernel's tiling of a traced product under the parameters, if it runs by HE (`cheaper`: only where it moves fewer bytes). */
export function heProduct(map: ProductShape, N: number, he: HeModuli, products: "cheaper" | "all" = "cheaper"): HeTiling | undefined {
  const b = productBlocks(map);
  const plan = heTiling({ count: b.blocks, O: b.O, Q: b.Q, P: b.P }, map.wElem, map.xElem, N, he);
  if (typeof plan === "string") return undefined;
  return products === "all" || heCheaper(plan, map, N, he.params) ? plan : undefined;
}
