// The two AES-based primitives of the OT extension, both over node:crypto (AES-NI).
// No wire cost.
// - `Prg`: AES-128-CTR keyed by one base-OT seed, a stream that continues across calls
//   (IKNP 2003 §3 expands each base-OT seed with a PRG; CTR mode is the standard choice).
// - `tccr`: the tweakable correlation-robust hash of Guo–Katz–Wang–Yu, S&P 2020, §7.4:
//   H(i, x) = π(π(x) ⊕ i) ⊕ π(x), π = AES-128 under a fixed public key (ideal permutation).
//   The tweak i is the OT's index in its direction's session, so no two hashed values share a
//   tweak; this is what makes the hash safe with many OTs per Δ (GKWY20 §7.2, multi-instance).
// Calls to node:crypto cost ≈1 µs each and allocate their output, so both primitives work on
// whole chunks (up to 4096 blocks = 64 KiB per `update()`, the fastest size in the spike).
import { createCipheriv, type Cipher } from "node:crypto";
import { words } from "./wire.js";

/** The fixed public AES key of π (any constant works; these are the first 16 bytes of π's digits). */
const FIXED_KEY = Uint8Array.from([0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3, 0x08, 0xd3, 0x13, 0x19, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x44]);

/** Blocks per `update()` call: 64 KiB. */
const BATCH = 4096;

let fixedKeyCipher: Cipher | undefined;

/** π over whole blocks, 16-byte blocks, src.length a multiple of 16: AES_K(src) as int32 words (node:crypto's fresh output, viewed when aligned). */
function permute(src: Uint8Array): Int32Array {
  if (!fixedKeyCipher) {
    fixedKeyCipher = createCipheriv("aes-128-ecb", FIXED_KEY, null);
    fixedKeyCipher.setAutoPadding(false);
  }
  const out = fixedKeyCipher.update(src);
  if (out.byteOffset % 4 === 0) return new Int32Array(out.buffer, out.byteOffset, out.length >>> 2);
  const copy = new Int32Array(out.length >>> 2);
  new Uint8Array(copy.buffer).set(out);
  return copy;
}

// Int32 views throughout: V8 keeps int32 loads and XORs in registers, where uint32 values
// above 2^31 would be converted to doubles.
let scratchP = new Int32Array(4 * BATCH);
let scratchA = new Int32Array(4 * BATCH);

/**
 * out[4(j·subs + s) .. +3] ← H(tweak_{j,s}, x_j ⊕ mask) for rows j < n and blocks s < subs,
 * where x_j = x[4j .. 4j+3] and the tweak block is (first + j as a 64-bit integer, sub + s,
 * `domain`). Block numbers s serve an OT that needs more than 128 hashed bits; `domain`
 * separates the two directions of a session. π(x_j ⊕ mask) is computed once per row and
 * shared by its blocks, so a row of `subs` blocks costs subs + 1 AES calls, not 2·subs.
 */
export function tccr(x: Uint32Array, n: number, first: number, domain: number, out: Uint32Array, mask?: Uint32Array, sub = 0, subs = 1): void {
  const xi = new Int32Array(x.buffer, x.byteOffset, 4 * n);
  const oi = new Int32Array(out.buffer, out.byteOffset, 4 * n * subs);
  const m0 = mask ? mask[0]! | 0 : 0;
  const m1 = mask ? mask[1]! | 0 : 0;
  const m2 = mask ? mask[2]! | 0 : 0;
  const m3 = mask ? mask[3]! | 0 : 0;
  // Rows per chunk: as many as keep the chunk's blocks within BATCH (at least one row).
  const rows = Math.max(1, Math.floor(BATCH / subs));
  if (scratchA.length < 4 * rows * subs) scratchA = new Int32Array(4 * rows * subs);
  if (scratchP.length < 4 * rows) scratchP = new Int32Array(4 * rows);
  const x0 = scratchP;
  const a = scratchA;
  const pBytes = new Uint8Array(x0.buffer);
  const aBytes = new Uint8Array(a.buffer);
  for (let j0 = 0; j0 < n; j0 += rows) {
    const c = Math.min(rows, n - j0);
    const s0 = 4 * j0;
    if (mask) {
      for (let k = 0; k < 4 * c; k += 4) {
        x0[k] = xi[s0 + k]! ^ m0;
        x0[k + 1] = xi[s0 + k + 1]! ^ m1;
        x0[k + 2] = xi[s0 + k + 2]! ^ m2;
        x0[k + 3] = xi[s0 + k + 3]! ^ m3;
      }
    }
    // π(x), read straight from the rows when there is no mask.
    const p = permute(mask ? pBytes.subarray(0, 16 * c) : new Uint8Array(xi.buffer, xi.byteOffset + 4 * s0, 16 * c));
    const base = first + j0;
    let hi = Math.floor(base / 4294967296);
    let lo = base - hi * 4294967296;
    for (let r = 0, k = 0; r < c; r++) {
      const q = 4 * r;
      const w0 = p[q]! ^ lo;
      const w1 = p[q + 1]! ^ hi;
      const w2 = p[q + 2]!;
      const w3 = p[q + 3]! ^ domain;
      for (let t = 0; t < subs; t++, k += 4) {
        a[k] = w0;
        a[k + 1] = w1;
        a[k + 2] = w2 ^ (sub + t);
        a[k + 3] = w3;
      }
      if (++lo === 4294967296) {
        lo = 0;
        hi++;
      }
    }
    const blocks = c * subs;
    const e = permute(aBytes.subarray(0, 16 * blocks)); // π(π(x) ⊕ i)
    const o0 = s0 * subs;
    for (let r = 0, k = 0; r < c; r++) {
      const q = 4 * r;
      const p0 = p[q]!;
      const p1 = p[q + 1]!;
      const p2 = p[q + 2]!;
      const p3 = p[q + 3]!;
      for (let t = 0; t < subs; t++, k += 4) {
        oi[o0 + k] = e[k]! ^ p0;
        oi[o0 + k + 1] = e[k + 1]! ^ p1;
        oi[o0 + k + 2] = e[k + 2]! ^ p2;
        oi[o0 + k + 3] = e[k + 3]! ^ p3;
      }
    }
  }
}

/** A pseudorandom stream: AES-128-CTR under a 16-byte seed, continuing across calls. */
export class Prg {
  private readonly cipher: Cipher;
  private static zeros = new Uint8Array(0);

  constructor(seed: Uint8Array) {
    this.cipher = createCipheriv("aes-128-ctr", seed, new Uint8Array(16));
  }

  /** The next `bytes` bytes of the stream (`bytes` a multiple of 4) as (int32) words. */
  next(bytes: number): Int32Array {
    if (Prg.zeros.length < bytes) Prg.zeros = new Uint8Array(Math.max(bytes, 65536));
    const out = this.cipher.update(Prg.zeros.subarray(0, bytes));
    if (out.byteOffset % 4 === 0) return new Int32Array(out.buffer, out.byteOffset, bytes >>> 2);
    const copy = new Int32Array(bytes >>> 2);
    new Uint8Array(copy.buffer).set(out);
    return copy;
  }
}

/** H(first + j, row_j ⊕ mask) for the n 16-byte rows of an extension batch, as 4 words per row. */
export function hashRows(rows: Uint8Array, n: number, first: number, domain: number, mask?: Uint8Array, sub = 0): Uint32Array {
  const out = new Uint32Array(4 * n);
  tccr(words(rows), n, first, domain, out, mask ? words(mask) : undefined, sub);
  return out;
}
