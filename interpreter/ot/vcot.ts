// Vector correlated OT over Z_{2^ℓ}: instance j carries a correlation vector Δ_j of L values
// (one choice bit for all of them); the sender gets a uniform vector x_j, the receiver with
// choice c_j gets x_j + c_j·Δ_j mod 2^ℓ, element-wise. This is the OT that SiRNN's matrix
// products use (Rathee et al., S&P 2021, §5: one OT per receiver bit, a whole row of the
// other operand as its message), on pooled COT rows with the pads expanded by the TCCR hash
// (Guo–Katz–Wang–Yu, S&P 2020, §7.4): pad block s of OT j is H((j, s), row_j), so one OT
// yields as many pseudorandom bits as its message needs.
// Wire per instance: 1 bit receiver → sender (silent.ts) and L·ℓ bits sender → receiver
// (densely packed): `vcotBytes(n, L, ℓ)`. L = 1 is the COT of cot.ts with more hashing.
import { tccr } from "./aes.js";
import type { ReceiverRows, SenderRows } from "./iknp.js";
import { vcotBytes } from "../../compiler/cost/ot-sizes.js";
import { checkVec, type Vec } from "./vec.js";
import { checkLength, misuse, packBits, unpackBits, words } from "./wire.js";

export { vcotBytes };

function check(where: string, L: number, ell: number): void {
  if (!Number.isInteger(ell) || ell < 1 || ell > 64) misuse(where, `ring width ${ell} is outside 1..64`);
  if (!Number.isInteger(L) || L < 1) misuse(where, `vector length ${L} is not a positive integer`);
}

/** Values per 128-bit hash block: four 32-bit words, or two 64-bit pairs above 32 bits. */
const perBlock = (ell: number): number => (ell <= 32 ? 4 : 2);

// Work buffers of one call (never returned, never kept by a caller), reused across calls up
// to 2^24 words each so that a layer's batches do not allocate and collect tens of MiB apiece.
const SCRATCH_WORDS = 1 << 24;
const scratch: Int32Array[] = [];

function work(slot: number, words32: number): Int32Array {
  const have = scratch[slot];
  if (have && have.length >= words32) return have.subarray(0, words32);
  const fresh = new Int32Array(words32);
  if (words32 <= SCRATCH_WORDS) scratch[slot] = fresh;
  return fresh;
}

/**
 * The hashed words of n rows (q_j ⊕ mask): `subs` blocks per row, block s of row j being
 * H((first + j, s), row_j ⊕ mask); into `into` when given (4·subs·n words), else a new array.
 */
function hashed(rows: Uint8Array, n: number, first: number, domain: number, subs: number, mask?: Uint8Array, into?: Int32Array): Uint32Array {
  const h = into ? new Uint32Array(into.buffer, into.byteOffset, 4 * subs * n) : new Uint32Array(4 * subs * n);
  tccr(words(rows), n, first, domain, h, mask ? words(mask) : undefined, 0, subs);
  return h;
}

const subsOf = (L: number, ell: number): number => Math.ceil(L / perBlock(ell));

/**
 * The pads of n rows from their hashed words, for ℓ > 32 (ℓ ≤ 32 is read straight off the
 * words by vcotSend/vcotRecv): L values of ℓ bits per row, row-major, as a Vec. Row j's
 * blocks are words 4·subs·j …; value v of the row is the word pair 2v, 2v + 1 of them.
 */
function padsOf(h: Uint32Array, n: number, L: number, ell: number): Vec {
  const subs = subsOf(L, ell);
  const W = 4 * subs;
  if (ell <= 52) {
    const out = new Float64Array(n * L);
    const hi = 2 ** (ell - 32) - 1;
    for (let j = 0; j < n; j++) {
      const o = j * L;
      const w = j * W;
      for (let v = 0; v < L; v++) out[o + v] = h[w + 2 * v]! + ((h[w + 2 * v + 1]! & hi) >>> 0) * 4294967296;
    }
    return out;
  }
  const out = new BigUint64Array(n * L);
  const wide = new BigUint64Array(h.buffer, h.byteOffset, h.length >>> 1);
  for (let j = 0; j < n; j++) for (let v = 0; v < L; v++) out[j * L + v] = BigInt.asUintN(ell, wide[j * 2 * subs + v]!);
  return out;
}

/** The corrections of ℓ > 32 bits, packed (ℓ ≤ 32: vcotSend packs its words directly). */
function pack(d: Vec, ell: number): Uint8Array {
  if (d instanceof Float64Array) {
    const h = new Uint32Array(2 * d.length);
    for (let i = 0; i < d.length; i++) {
      h[2 * i] = d[i]! % 4294967296;
      h[2 * i + 1] = Math.floor(d[i]! / 4294967296);
    }
    return packBits(h, [32, ell - 32]);
  }
  return packBits(new Uint32Array(d.buffer, d.byteOffset, 2 * d.length), [32, ell - 32]);
}

/** The corrections of ℓ > 32 bits, unpacked (ℓ ≤ 32: vcotRecv unpacks into words directly). */
function unpack(msg: Uint8Array, count: number, ell: number): Vec {
  const h = unpackBits(msg, 2 * count, [32, ell - 32]);
  if (ell > 52) return new BigUint64Array(h.buffer, 0, count);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = h[2 * i]! + h[2 * i + 1]! * 4294967296;
  return out;
}

/**
 * Where an output of ℓ ≤ 32 bits goes instead of a new vector: `into[i] += scale·out[i]`
 * (doubles; the caller keeps the sums below 2^53, so they are exact).
 */
export interface VcotAccumulate {
  readonly into: Float64Array;
  readonly scale: number;
}

/**
 * The sender: Δ holds n·L values (instance-major), taken mod 2^ℓ. For ℓ ≤ 52 they may be any
 * integers of magnitude below 2^52 (the caller need not reduce them). Returns x and the
 * corrections d = x + Δ − r1 mod 2^ℓ (r1 the pads under q ⊕ Δ_IKNP); with `acc` (ℓ ≤ 32),
 * x is added into acc.into, scaled, and not returned.
 */
export function vcotSend(rows: SenderRows, L: number, ell: number, delta: Vec, acc?: VcotAccumulate): { x: Vec | null; msg: Uint8Array } {
  check("vcotSend", L, ell);
  const { n } = rows;
  checkVec("vcotSend", delta, n * L, ell);
  const subs = subsOf(L, ell);
  if (acc && (ell > 32 || acc.into.length !== n * L)) misuse("vcotSend", `accumulating ${acc.into.length} values of ${ell} bits, expected ${n * L} of at most 32`);
  if (ell <= 32) {
    // One pass over the hashed words: x (as doubles, the caller's, or added into acc) and d,
    // packed as it is made (packBits' layout, one width). |a + Δ − b| < 2^53 is exact, and
    // `& mask` takes it mod 2^32, then mod 2^ℓ.
    const D = delta as Float64Array;
    const a0 = work(0, 4 * subs * n);
    const a1 = work(1, 4 * subs * n);
    hashed(rows.q, n, rows.first, rows.domain, subs, undefined, a0);
    hashed(rows.q, n, rows.first, rows.domain, subs, rows.delta, a1);
    const W = 4 * subs;
    const mask = ell === 32 ? -1 : 2 ** ell - 1;
    const x = acc ? acc.into : new Float64Array(n * L);
    const adding = acc !== undefined;
    const f = acc ? acc.scale : 0;
    const bytes = vcotBytes(n, L, ell).toReceiver;
    const packed = new Int32Array(Math.ceil(bytes / 4) + 1);
    let word = 0;
    let used = 0;
    let k = 0;
    for (let j = 0; j < n; j++) {
      const o = j * L;
      const w = j * W;
      for (let v = 0; v < L; v++) {
        const a = a0[w + v]! & mask;
        if (adding) x[o + v] += f * (a >>> 0);
        else x[o + v] = a >>> 0;
        const d = (a + D[o + v]! - (a1[w + v]! & mask)) & mask;
        word |= d << used;
        used += ell;
        if (used >= 32) {
          packed[k++] = word;
          used -= 32;
          word = used > 0 ? d >>> (ell - used) : 0;
        }
      }
    }
    packed[k] = word;
    return { x: acc ? null : x, msg: new Uint8Array(packed.buffer, 0, bytes) };
  }
  const x = padsOf(hashed(rows.q, n, rows.first, rows.domain, subs), n, L, ell);
  const r1 = padsOf(hashed(rows.q, n, rows.first, rows.domain, subs, rows.delta), n, L, ell);
  if (x instanceof Float64Array) {
    const D = delta as Float64Array;
    const R = r1 as Float64Array;
    // d = x + Δ − r1 mod 2^ℓ; |x + Δ − r1| < 2^53, and 1/2^ℓ is exact, so the floor is too.
    const top = 2 ** ell;
    const inv = 1 / top;
    for (let i = 0; i < R.length; i++) {
      const v = x[i]! + D[i]! - R[i]!;
      R[i] = v - Math.floor(v * inv) * top;
    }
    return { x, msg: pack(R, ell) };
  }
  const D = delta as BigUint64Array;
  const R = r1 as BigUint64Array;
  for (let i = 0; i < R.length; i++) R[i] = BigInt.asUintN(ell, x[i]! + D[i]! - R[i]!);
  return { x, msg: pack(R, ell) };
}

/** The receiver's hashed rows, made before the corrections arrive; `vcotRecv` takes them ready-made. */
export interface VcotReady {
  readonly hashed: Uint32Array;
}

export function vcotPads(rows: ReceiverRows, L: number, ell: number): VcotReady {
  check("vcotPads", L, ell);
  return { hashed: hashed(rows.t, rows.n, rows.first, rows.domain, subsOf(L, ell)) };
}

/**
 * The receiver: x_j + c_j·Δ_j for each instance, n·L values; `ready` from `vcotPads` when the
 * caller made it early; with `acc` (ℓ ≤ 32) they are added into acc.into, scaled, and not returned.
 */
export function vcotRecv(rows: ReceiverRows, L: number, ell: number, msg: Uint8Array, party = "ot", ready?: VcotReady, acc?: VcotAccumulate): Vec | null {
  check("vcotRecv", L, ell);
  const { n, choices } = rows;
  if (acc && (ell > 32 || acc.into.length !== n * L)) misuse("vcotRecv", `accumulating ${acc.into.length} values of ${ell} bits, expected ${n * L} of at most 32`);
  checkLength({ party, where: "vector correlated OT" }, msg, vcotBytes(n, L, ell).toReceiver, `the corrections for ${n} OTs of ${L}×${ell} bits`);
  const subs = subsOf(L, ell);
  const h = ready?.hashed ?? hashed(rows.t, n, rows.first, rows.domain, subs);
  if (h.length !== 4 * subs * n) misuse("vcotRecv", `${h.length} hashed words, expected ${4 * subs * n}`);
  if (ell <= 32) {
    // One pass: y = (pad + c·d) mod 2^ℓ from the hashed words, the corrections unpacked in
    // place (packBits' layout, one width) and only for the instances that chose 1.
    const a = new Int32Array(h.buffer, h.byteOffset, h.length);
    const src = words(msg);
    const W = 4 * subs;
    const mask = ell === 32 ? -1 : 2 ** ell - 1;
    const y = acc ? acc.into : new Float64Array(n * L);
    const adding = acc !== undefined;
    const f = acc ? acc.scale : 0;
    for (let j = 0; j < n; j++) {
      const o = j * L;
      const w = j * W;
      if (choices[j]) {
        const bit = o * ell;
        let used = bit % 32;
        let k = (bit - used) / 32;
        for (let v = 0; v < L; v++) {
          let d = src[k]! >>> used;
          used += ell;
          if (used >= 32) {
            k++;
            used -= 32;
            if (used > 0) d |= src[k]! << (ell - used);
          }
          const r = ((a[w + v]! + d) & mask) >>> 0;
          if (adding) y[o + v] += f * r;
          else y[o + v] = r;
        }
      } else if (adding) for (let v = 0; v < L; v++) y[o + v] += f * ((a[w + v]! & mask) >>> 0);
      else for (let v = 0; v < L; v++) y[o + v] = (a[w + v]! & mask) >>> 0;
    }
    return adding ? null : y;
  }
  const y = padsOf(h, n, L, ell);
  const d = unpack(msg, n * L, ell);
  if (y instanceof Float64Array) {
    const D = d as Float64Array;
    const top = 2 ** ell;
    for (let j = 0; j < n; j++) {
      if (!choices[j]) continue;
      for (let i = j * L; i < (j + 1) * L; i++) {
        const v = y[i]! + D[i]!;
        y[i] = v >= top ? v - top : v;
      }
    }
    return y;
  }
  const D = d as BigUint64Array;
  for (let j = 0; j < n; j++) if (choices[j]) for (let i = j * L; i < (j + 1) * L; i++) y[i] = BigInt.asUintN(ell, y[i]! + D[i]!);
  return y;
}
