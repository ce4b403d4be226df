// A thin adapter over node-seal 6.0.3 (SEAL 4.1, BFV), the one place pq touches the WASM
// library. Pinned: 7.x does not load on Node 20. What it guarantees:
//   - SEAL is loaded once per process; a context is made once per parameter set (it holds no
//     secret, so both parties of an in-process run share it);
//   - every SEAL object a protocol makes is registered in an `Arena` that deletes them all
//     (the WASM heap never shrinks: a leak is a crash a few thousand ciphertexts later);
//   - every SEAL exception (an untyped WASM error) becomes the coded diagnostic PQ5014, naming
//     the party and what it was doing — never a WASM abort;
//   - parameters are checked for 128-bit security by SEAL's table (the HE standard's,
//     CoeffModulus.MaxBitCount) before a context is used: an insecure set is PQ5014 too.
// Plaintexts are built from coefficient vectors through SEAL's own serialization (6.x has no
// coefficient setter; ../shared research: 88-byte prefix + N·u64, `loadArray`), and read back
// the same way; ciphertexts are crafted (the flooding ciphertext) through theirs (113-byte
// prefix, c0 over all primes, then c1). Proof of what the parameters guarantee:
// proofs/he-linear.md §1.
import SEALraw from "node-seal";
import type { SEALLibrary } from "node-seal/implementation/seal.js";
import type { CipherText } from "node-seal/implementation/cipher-text.js";
import type { PlainText } from "node-seal/implementation/plain-text.js";
import type { Context } from "node-seal/implementation/context.js";
import { diag, PqError } from "../../grammar/diagnostics.js";
import { randomFillSync } from "node:crypto";
import { CT_PREFIX, HE_MODULI, HE_PARAMS, type HeParams } from "../../compiler/cost/he-sizes.js";

export type { CipherText, PlainText, Context, SEALLibrary };

const loadSeal = SEALraw as unknown as () => Promise<SEALLibrary>;
let library: Promise<SEALLibrary> | undefined;

/** The SEAL library, loaded once per process. */
export function seal(): Promise<SEALLibrary> {
  library ??= loadSeal();
  return library;
}

export type { HeParams };
export { HE_PARAMS };

/** A SEAL failure as the coded diagnostic PQ5014. */
export function sealError(lib: SEALLibrary | undefined, party: string, what: string, e: unknown): PqError {
  if (e instanceof PqError) return e;
  let detail: string;
  try {
    detail = lib ? lib.Exception.safe(e as never).message : String(e);
  } catch {
    detail = String(e);
  }
  return new PqError(diag("PQ5014", { party, what, detail }));
}

/** Run one SEAL call, turning its exception into PQ5014. */
export function guard<T>(lib: SEALLibrary, party: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw sealError(lib, party, what, e);
  }
}

/** Deletes every SEAL object registered in it (`add`), once, at `close`. */
export class Arena {
  private readonly objects: { delete(): void }[] = [];

  add<T extends { delete(): void }>(o: T): T {
    this.objects.push(o);
    return o;
  }

  close(): void {
    for (const o of this.objects.splice(0).reverse()) o.delete();
  }
}

/** The parameters' context and the facts the protocols need, one per process and parameter set. */
export interface HeContext {
  readonly lib: SEALLibrary;
  readonly ctx: Context;
  readonly params: HeParams;
  /** The plaintext prime. */
  readonly t: number;
  /** The data primes (the top level; the lowest level keeps the first). */
  readonly q: readonly bigint[];
}

const contexts = new Map<string, Promise<HeContext>>();
const key = (p: HeParams): string => JSON.stringify([p.degree, p.coeffBits, p.plainBits]);

/** The context of `params`, checked for 128-bit security; PQ5014 if SEAL refuses them. */
export function heContext(params: HeParams, party: string): Promise<HeContext> {
  const k = key(params);
  let c = contexts.get(k);
  if (!c) {
    c = makeContext(params, party);
    contexts.set(k, c);
    c.catch(() => contexts.delete(k));
  }
  return c;
}

async function makeContext(params: HeParams, party: string): Promise<HeContext> {
  const lib = await seal();
  const what = "checking the encryption parameters";
  const max = lib.CoeffModulus.MaxBitCount(params.degree, lib.SecurityLevel.tc128);
  const total = params.coeffBits.reduce((a, b) => a + b, 0);
  if (total > max) throw new PqError(diag("PQ5014", { party, what, detail: `a ${total}-bit coefficient modulus at degree ${params.degree} is below 128-bit security (at most ${max} bits)` }));
  return guard(lib, party, what, () => {
    const arena = new Arena();
    try {
      const parms = arena.add(lib.EncryptionParameters(lib.SchemeType.bfv));
      parms.setPolyModulusDegree(params.degree);
      parms.setCoeffModulus(lib.CoeffModulus.Create(params.degree, Int32Array.from(params.coeffBits)));
      parms.setPlainModulus(lib.PlainModulus.Batching(params.degree, params.plainBits));
      const ctx = lib.Context(parms, true, lib.SecurityLevel.tc128);
      if (!ctx.parametersSet()) {
        ctx.delete();
        throw new PqError(diag("PQ5014", { party, what, detail: "SEAL refuses them at 128-bit security" }));
      }
      // (Every getter returns a fresh wrapper of a C++ object: each goes to the arena.)
      const t = Number(arena.add(parms.plainModulus).value);
      const q = [...(arena.add(arena.add(ctx.firstContextData).parms).coeffModulus as unknown as BigUint64Array)];
      // The forecast prices HE_PARAMS with the primes it records (compiler/cost/he-sizes.ts): they must be SEAL's.
      if (key(params) === key(HE_MODULI.params) && (t !== HE_MODULI.t || q.join() !== HE_MODULI.q.join())) {
        throw new Error(`internal: SEAL made the primes t = ${t}, q = ${q.join(", ")} for pq's parameters, compiler/cost/he-sizes.ts records others`);
      }
      return { lib, ctx, params, t, q };
    } finally {
      arena.close();
    }
  });
}

// SEAL 4.1 serialization with compression `none`: a 16-byte header (magic 0xA15E, version
// 4.1, compression, total size) then the object. A plaintext: parms_id (32 bytes, zero for
// a plaintext in coefficient form), coeff_count (u64), scale (f64), a DynArray (its own
// 16-byte header, count u64) and the coefficients (u64 each), from byte 88.
const PT_DATA = 88;

function header(view: DataView, bytes: Uint8Array, at: number, size: number): void {
  view.setUint16(at, 0xa15e, true);
  bytes[at + 2] = 0x10; // header size
  bytes[at + 3] = 4; // version 4.1
  bytes[at + 4] = 1;
  bytes[at + 5] = 0; // compression: none
  view.setBigUint64(at + 8, BigInt(size), true);
}

/** A reusable serialized plaintext of N coefficients: fill `coeffs`, then `load`. */
export class PlainBuilder {
  private readonly bytes: Uint8Array;
  private readonly words: Uint32Array;

  constructor(private readonly he: HeContext) {
    const N = he.params.degree;
    this.bytes = new Uint8Array(PT_DATA + 8 * N);
    const view = new DataView(this.bytes.buffer);
    header(view, this.bytes, 0, this.bytes.length);
    view.setBigUint64(48, BigInt(N), true);
    view.setFloat64(56, 1.0, true);
    header(view, this.bytes, 64, 24 + 8 * N);
    view.setBigUint64(80, BigInt(N), true);
    this.words = new Uint32Array(this.bytes.buffer, PT_DATA, 2 * N);
  }

  /** Load coefficients (integers in [0, t), t < 2^53) into `pt`. */
  load(pt: PlainText, coeffs: Float64Array): void {
    const w = this.words;
    w.fill(0);
    for (let i = 0; i < coeffs.length; i++) {
      const v = coeffs[i]!;
      w[2 * i] = v % 4294967296;
      w[2 * i + 1] = Math.floor(v / 4294967296);
    }
    pt.loadArray(this.he.ctx, this.bytes);
  }
}

/** A plaintext's N coefficients (zero past its stored count), as doubles (t < 2^53). */
export function readPlain(he: HeContext, pt: PlainText): Float64Array {
  const N = he.params.degree;
  const b = pt.saveArray(he.lib.ComprModeType.none);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = Number(view.getBigUint64(80, true));
  const out = new Float64Array(N);
  for (let i = 0; i < Math.min(count, N); i++) out[i] = view.getUint32(PT_DATA + 8 * i, true) + view.getUint32(PT_DATA + 8 * i + 4, true) * 4294967296;
  return out;
}

// A ciphertext (compression none): header, parms_id (32), is_ntt (u8), size (u64), N (u64),
// L (u64), scale (f64), correction (u64), a DynArray header (16) and count (u64): the data
// from byte 113 (not 8-aligned), c0 over the L primes, then c1.

/** Random words a flood of N coefficients takes (`maskFloodWords`): four 30-bit limbs each. */
export const FLOOD_WORDS_PER_COEFF = 4;
const LIMB = 2 ** 30;

/**
 * Add the plaintext `mask` (N integers in [0, t)) and the flooding noise F to `ct` in place (a
 * size-2 ciphertext at the top data level, coefficient form): c0 gains Δ·mask + F with
 * Δ = ⌊q/t⌋ (BFV's encoding without SEAL's rounding correction, which moves the noise by less
 * than t) and F uniform in [−2^f, 2^f − 1] per coefficient from node:crypto — as adding an
 * encryption of the mask with noise F would, without making one (proofs/he-linear.md §2, §4).
 */
export function addMaskAndFlood(he: HeContext, ct: CipherText, mask: Float64Array, f: number): void {
  const N = he.params.degree;
  const b = ct.saveArray(he.lib.ComprModeType.none).slice();
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const L = Number(view.getBigUint64(65, true));
  if (L !== he.q.length || b.length !== CT_PREFIX + 16 * L * N) throw new Error(`internal: a ciphertext to flood of ${L} primes and ${b.length} bytes`);
  maskFloodWords(view, CT_PREFIX, N, he.q, he.t, mask, f, randomFillSync(new Uint32Array(FLOOD_WORDS_PER_COEFF * N)));
  ct.loadArray(he.ctx, b);
}

/** The 30-bit limbs (hi, lo) of a residue below 2^60. */
const limbs = (v: bigint): [number, number] => [Number(v >> 30n), Number(v & BigInt(LIMB - 1))];

/**
 * The arithmetic of addMaskAndFlood, in doubles (every intermediate below 2^53), for primes
 * q_j = 2^60 − c_j with c_j < 2^18 (SEAL's 60-bit primes for N = 8192 are; checked) and
 * t < 2^45: the L·N residues at `view[at …]` (little-endian u64, prime-major) become
 * (c0 + Δ_j·m_i + F_i) mod q_j, with Δ_j = ⌊Π q / t⌋ mod q_j, m_i = mask[i] < t, and
 * F_i = U_i − 2^f where U_i = Σ_k u_k·2^(30k) takes the low bits of `rand`'s words
 * 4i … 4i + 3, f + 1 bits in all (f + 1 ≤ 120), so U_i is uniform in [0, 2^(f+1)).
 * Congruences used: 2^60 ≡ c_j, and a product split so no partial exceeds 2^53.
 */
export function maskFloodWords(view: DataView, at: number, N: number, q: readonly bigint[], t: number, mask: Float64Array, f: number, rand: Uint32Array): void {
  if (!Number.isInteger(f) || f < 0 || f + 1 > 4 * 30) throw new Error(`internal: a flood of 2^${f}`);
  if (rand.length < FLOOD_WORDS_PER_COEFF * N || mask.length < N) throw new Error("internal: too few random words or mask values for the flood");
  if (!(Number.isSafeInteger(t) && t > 1 && t < 2 ** 45)) throw new Error(`internal: a plaintext modulus ${t}`);
  // Each limb's width: 30 bits until f + 1 are used.
  const masks = [0, 1, 2, 3].map((k) => 2 ** Math.max(0, Math.min(30, f + 1 - 30 * k)) - 1);
  const Q = q.reduce((a, b) => a * b, 1n);
  const delta = Q / BigInt(t);
  for (let j = 0; j < q.length; j++) {
    const qj = q[j]!;
    const c = Number((1n << 60n) - qj);
    if (!(c > 0 && c < 2 ** 18)) throw new Error(`internal: the prime ${qj} is not 2^60 − c with c < 2^18`);
    const [qHi, qLo] = limbs(qj);
    // −2^f mod q_j, added as q_j − (2^f mod q_j) ∈ (0, q_j].
    const [nHi, nLo] = limbs(qj - ((1n << BigInt(f)) % qj));
    const [d1, d0] = limbs(delta % qj);
    for (let i = 0; i < N; i++) {
      let lo = nLo;
      let hi = nHi;
      // U = a1·2^90 + a0·2^60 + u1·2^30 + u0 ≡ u1·2^30 + u0 + a0·c + a1·c·2^30, and with
      // a1·c = p1·2^30 + p0: a1·c·2^30 = p1·2^60 + p0·2^30 ≡ p1·c + p0·2^30.
      const w = FLOOD_WORDS_PER_COEFF * i;
      const a0c = (rand[w + 2]! & masks[2]!) * c;
      const a1c = (rand[w + 3]! & masks[3]!) * c;
      const p1 = Math.floor(a1c / LIMB);
      lo += (rand[w]! & masks[0]!) + a0c + p1 * c;
      hi += (rand[w + 1]! & masks[1]!) + (a1c - p1 * LIMB);
      // Δ·m with Δ = d1·2^30 + d0 and m = m2·2^30 + m1·2^15 + m0 (15-bit limbs):
      // d0·m0 + d0·m1·2^15 + (d0·m2 + d1·m0)·2^30 + d1·m1·2^45 + d1·m2·2^60.
      const m = mask[i]!;
      const m2 = Math.floor(m / LIMB);
      const m1 = Math.floor((m - m2 * LIMB) / 32768);
      const m0 = m - m2 * LIMB - m1 * 32768;
      lo += d0 * m0;
      const x = d0 * m1; // x·2^15 = ⌊x/2^15⌋·2^30 + (x mod 2^15)·2^15
      const xh = Math.floor(x / 32768);
      hi += xh + d0 * m2 + d1 * m0;
      lo += (x - xh * 32768) * 32768;
      const y = d1 * m1; // y·2^45 = ⌊y/2^15⌋·2^60 + (y mod 2^15)·2^45 ≡ ⌊y/2^15⌋·c + (y mod 2^15)·2^15·2^30
      const yh = Math.floor(y / 32768);
      lo += yh * c;
      hi += (y - yh * 32768) * 32768;
      const z = d1 * m2; // z·2^60 ≡ z·c = ⌊z/2^30⌋·c·2^30 + (z mod 2^30)·c
      const zh = Math.floor(z / LIMB);
      hi += zh * c;
      lo += (z - zh * LIMB) * c;
      // The coefficient c0 (< q_j).
      const o = at + 8 * (j * N + i);
      const w0 = view.getUint32(o, true);
      lo += w0 % LIMB;
      hi += Math.floor(w0 / LIMB) + view.getUint32(o + 4, true) * 4;
      // (hi, lo) → limbs below 2^30 each, folding 2^60 ≡ c, then below q_j.
      for (;;) {
        const carry = Math.floor(lo / LIMB);
        lo -= carry * LIMB;
        hi += carry;
        const top = Math.floor(hi / LIMB);
        if (top === 0) break;
        hi -= top * LIMB;
        lo += top * c;
      }
      if (hi > qHi || (hi === qHi && lo >= qLo)) {
        hi -= qHi;
        lo -= qLo;
        if (lo < 0) {
          lo += LIMB;
          hi -= 1;
        }
      }
      view.setUint32(o, lo + (hi % 4) * LIMB, true);
      view.setUint32(o + 4, Math.floor(hi / 4), true);
    }
  }
}

/**
 * The server's reply from `ct` (size 2, at the lowest level, one prime, coefficient form):
 * c1 whole, then c0 at the coefficients `coefs` only — what compiler/cost/he-sizes.ts
 * `reply(coefs.length)` counts — written into `out` from `at`.
 */
export function writeReply(he: HeContext, ct: CipherText, coefs: readonly number[], out: Uint8Array, at: number): void {
  const N = he.params.degree;
  const b = ct.saveArray(he.lib.ComprModeType.none);
  if (b.length !== CT_PREFIX + 16 * N) throw new Error(`internal: a reply ciphertext of ${b.length} bytes, not one prime`);
  out.set(b.subarray(CT_PREFIX + 8 * N, CT_PREFIX + 16 * N), at);
  let o = at + 8 * N;
  for (const c of coefs) {
    out.set(b.subarray(CT_PREFIX + 8 * c, CT_PREFIX + 8 * c + 8), o);
    o += 8;
  }
}

/**
 * The client's side of `writeReply`: a serialized ciphertext at the lowest level (its prefix
 * made once, from an encryption of zero switched down) refilled per reply, with c0 zero at
 * the coefficients the reply omits — they decrypt to values nobody reads. SEAL's load checks
 * every coefficient against the prime: a junk reply is PQ5014 at `guard`.
 */
export class ReplyReader {
  private readonly bytes: Uint8Array;

  constructor(private readonly he: HeContext, template: CipherText) {
    const N = he.params.degree;
    this.bytes = template.saveArray(he.lib.ComprModeType.none).slice();
    if (this.bytes.length !== CT_PREFIX + 16 * N) throw new Error(`internal: a lowest-level template of ${this.bytes.length} bytes`);
  }

  /** Load the reply at `reply[at …]` with useful coefficients `coefs` into `ct`. */
  load(ct: CipherText, reply: Uint8Array, at: number, coefs: readonly number[]): void {
    const N = this.he.params.degree;
    const b = this.bytes;
    b.fill(0, CT_PREFIX);
    b.set(reply.subarray(at, at + 8 * N), CT_PREFIX + 8 * N);
    let o = at + 8 * N;
    for (const c of coefs) {
      b.set(reply.subarray(o, o + 8), CT_PREFIX + 8 * c);
      o += 8;
    }
    ct.loadArray(this.he.ctx, b);
  }
}
