// Additive shares in Z_{2^N}. A party's share is a plaintext Tensor of type iN (signed
// canonical form), so the exact local kernels of the plaintext backend (conv2d, linear,
// sums, linmap, …) apply to shares unchanged: computing the exact integer and reducing it
// mod 2^N is a ring homomorphism, whatever representative each share uses. Narrow rings
// live in Float64Array, wide ones (N > 52) in BigInt64Array — typed arrays throughout.
import { convert } from "../plain/kernels/common.js";
import { bytesToWords, LITTLE_ENDIAN, wordsToBytes } from "./bits.js";
import { DOUBLE_EXACT_LOG2, ceilLog2, isWide, numWrapper, numelOf, zeros, type Tensor } from "../plain/tensor.js";

export type Share = Tensor;

/** The same values as elements of Z_{2^bits} in signed canonical form (a local reduction or reinterpretation). */
export function inRing(t: Tensor, bits: number, shape: number[] = t.shape): Share {
  return convert(t, { bits, signed: true }, shape);
}

export function zeroShare(bits: number, shape: number[]): Share {
  return zeros(shape, bits, true);
}

type NumOp = (a: number, b: number) => number;
type BigOp = (a: bigint, b: bigint) => bigint;

function zip(a: Share, b: Share, num: NumOp, big: BigOp): Share {
  if (a.bits !== b.bits || a.data.length !== b.data.length) throw new Error(`ring op on Z_2^${a.bits}×${a.data.length} and Z_2^${b.bits}×${b.data.length}`);
  const out = zeros(a.shape, a.bits, true);
  if (out.data instanceof Float64Array) {
    const wrap = numWrapper(out);
    const x = a.data as Float64Array;
    const y = b.data as Float64Array;
    const o = out.data;
    for (let i = 0; i < o.length; i++) o[i] = wrap(num(x[i]!, y[i]!));
  } else {
    const x = a.data as BigInt64Array;
    const y = b.data as BigInt64Array;
    const o = out.data;
    for (let i = 0; i < o.length; i++) o[i] = BigInt.asIntN(a.bits, big(x[i]!, y[i]!));
  }
  return out;
}

/** a + sign·b: for narrow rings one loop, reducing by at most one period (shares are in signed canonical form). */
function addSub(a: Share, b: Share, sign: 1 | -1): Share {
  if (isWide(a.bits) || a.bits !== b.bits || a.data.length !== b.data.length) {
    return sign === 1 ? zip(a, b, (x, y) => x + y, (x, y) => x + y) : zip(a, b, (x, y) => x - y, (x, y) => x - y);
  }
  const out = zeros(a.shape, a.bits, true);
  const m = 2 ** a.bits;
  const half = m / 2;
  const wrap = numWrapper(out);
  const x = a.data as Float64Array;
  const y = b.data as Float64Array;
  const o = out.data as Float64Array;
  for (let i = 0; i < o.length; i++) {
    let v = x[i]! + sign * y[i]!;
    if (v >= half) v -= m;
    else if (v < -half) v += m;
    o[i] = v >= -half && v < half ? v + 0 : wrap(v);
  }
  return out;
}

export const add = (a: Share, b: Share): Share => addSub(a, b, 1);
export const sub = (a: Share, b: Share): Share => addSub(a, b, -1);

/**
 * Element-wise product in the ring. Up to N = 32 Math.imul gives the product mod 2^32
 * exactly (it reads its operands mod 2^32), and 2^N divides 2^32; wider rings by BigInt.
 */
export function mulElem(a: Share, b: Share): Share {
  if (a.bits <= 32 && a.bits === b.bits && a.data.length === b.data.length) {
    // Math.imul: the product mod 2^32 of two int32s (signed canonical N ≤ 32 bits are), reduced to N bits
    const out = zeros(a.shape, a.bits, true);
    const m = 2 ** a.bits;
    const half = m / 2;
    const mask = a.bits === 32 ? 0xffffffff : m - 1;
    const x = a.data as Float64Array;
    const y = b.data as Float64Array;
    const o = out.data as Float64Array;
    for (let i = 0; i < o.length; i++) {
      const u = (Math.imul(x[i]!, y[i]!) & mask) >>> 0;
      o[i] = u >= half ? u - m : u;
    }
    return out;
  }
  return zip(a, b, (x, y) => Number(BigInt.asIntN(a.bits, BigInt(x) * BigInt(y))), (x, y) => x * y);
}

/** Multiply every element by one public integer. */
export function mulScalar(a: Share, c: bigint): Share {
  const out = zeros(a.shape, a.bits, true);
  if (out.data instanceof Float64Array && a.bits <= 26 && c >= -(1n << 26n) && c < 1n << 26n) {
    const wrap = numWrapper(out);
    const k = Number(c);
    const x = a.data as Float64Array;
    for (let i = 0; i < x.length; i++) out.data[i] = wrap(x[i]! * k);
    return out;
  }
  if (out.data instanceof Float64Array && a.bits > 26) {
    // Up to 52 bits, in 26-bit halves: with x = xh·2^26 + xl and c = ch·2^26 + cl (both
    // reduced mod 2^N), x·c ≡ xl·cl + 2^26·(xh·cl + xl·ch) (mod 2^N), as 2^52 ≡ 0; every
    // product is below 2^52, so each step is an exact double.
    const N = a.bits;
    const top = 2 ** N;
    const H = 2 ** 26;
    const cu = Number(BigInt.asUintN(N, c));
    const ch = Math.floor(cu / H);
    const cl = cu - ch * H;
    const midTop = 2 ** (N - 26);
    const half = top / 2;
    const x = a.data as Float64Array;
    const o = out.data;
    for (let i = 0; i < x.length; i++) {
      const xu = x[i]! < 0 ? x[i]! + top : x[i]!;
      const xh = Math.floor(xu / H);
      const xl = xu - xh * H;
      let mid = xh * cl + xl * ch;
      mid -= Math.floor(mid / midTop) * midTop;
      let v = xl * cl + mid * H;
      v -= Math.floor(v / top) * top;
      o[i] = v >= half ? v - top : v + 0;
    }
    return out;
  }
  for (let i = 0; i < out.data.length; i++) setBig(out, i, BigInt.asIntN(a.bits, getRing(a, i) * c));
  return out;
}

/** Element i as a bigint in signed canonical form. */
export function getRing(a: Share, i: number): bigint {
  const d = a.data;
  return d instanceof Float64Array ? BigInt(d[i]!) : d[i]!;
}

/** Store a bigint already in signed canonical form. */
export function setBig(a: Share, i: number, v: bigint): void {
  if (a.data instanceof Float64Array) a.data[i] = Number(v);
  else a.data[i] = v;
}

/** A public constant as the share of one party (the other holds zeros). */
export function constShare(bits: number, shape: number[], values: (i: number) => bigint): Share {
  const out = zeroShare(bits, shape);
  for (let i = 0; i < out.data.length; i++) setBig(out, i, BigInt.asIntN(bits, values(i)));
  return out;
}

// ---------------------------------------------------------------- wire encoding

/** Several byte strings as one (one message of a round). */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, q) => n + q.length, 0));
  let o = 0;
  for (const q of parts) {
    out.set(q, o);
    o += q.length;
  }
  return out;
}

/** OR the k ≤ 32 low bits of v (an integer below 2^k) into bit `pos` of a zeroed word array (one spare word at the end). */
function putBits(w: Uint32Array, pos: number, v: number, k: number): void {
  const i = pos >>> 5;
  const s = pos & 31;
  w[i]! |= v << s;
  if (s + k > 32) w[i + 1]! |= v >>> (32 - s);
}

/** The k ≤ 32 bits at bit `pos` of a word array (one spare word at the end), unsigned. */
function getBits(w: Uint32Array, pos: number, k: number): number {
  const i = pos >>> 5;
  const s = pos & 31;
  let v = w[i]! >>> s;
  if (s + k > 32) v |= w[i + 1]! << (32 - s);
  return k === 32 ? v >>> 0 : (v & ((1 << k) - 1)) >>> 0;
}

/** Pack the low `bits` bits of every element, densely (n·bits bits, rounded up to bytes). */
export function packRing(a: Share): Uint8Array {
  const n = a.data.length;
  const bits = a.bits;
  const len = Math.ceil((n * bits) / 8);
  if (!isWide(bits)) {
    // the unsigned reading u < 2^bits ≤ 2^52 in one or two 32-bit pieces (>>> 0 is u mod 2^32)
    const d = a.data as Float64Array;
    const m = 2 ** bits;
    const w = new Uint32Array(((len + 3) >>> 2) + 1);
    if (bits <= 32) {
      // ToInt32 reads an integer mod 2^32, so `| 0` then the mask is its low `bits` bits.
      const mask = bits === 32 ? -1 : (1 << bits) - 1;
      let wi = 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const v = (d[i]! | 0) & mask;
        w[wi]! |= v << s;
        if (s + bits > 32) w[wi + 1]! |= v >>> (32 - s);
        s += bits;
        if (s >= 32) {
          s -= 32;
          wi++;
        }
      }
      return wordsToBytes(w, len);
    }
    let pos = 0;
    for (let i = 0; i < n; i++, pos += bits) {
      const u = d[i]! < 0 ? d[i]! + m : d[i]!;
      if (bits <= 32) putBits(w, pos, u >>> 0, bits);
      else {
        const lo = u >>> 0;
        putBits(w, pos, lo, 32);
        putBits(w, pos + 32, (u - lo) / 4294967296, bits - 32);
      }
    }
    return wordsToBytes(w, len);
  }
  const out = new Uint8Array(len);
  let acc = 0n;
  let accBits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    acc |= BigInt.asUintN(bits, getRing(a, i)) << BigInt(accBits);
    accBits += bits;
    while (accBits >= 8) {
      out[o++] = Number(acc & 0xffn);
      acc >>= 8n;
      accBits -= 8;
    }
  }
  if (accBits > 0) out[o] = Number(acc & 0xffn);
  return out;
}

export function unpackRing(bytes: Uint8Array, bits: number, shape: number[]): Share {
  const n = numelOf(shape);
  if (bytes.length !== Math.ceil((n * bits) / 8)) throw new Error(`expected ${Math.ceil((n * bits) / 8)} bytes for ${n} × ${bits} bits, got ${bytes.length}`);
  const out = zeroShare(bits, shape);
  if (out.data instanceof Float64Array) {
    const m = 2 ** bits;
    const half = m / 2;
    const o = out.data;
    const w = bytesToWords(bytes, 1);
    if (bits <= 32) {
      // The element's `bits` bits, then the shift pair reads them in signed form.
      const sh = 32 - bits;
      let wi = 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        let v = w[wi]! >>> s;
        if (s + bits > 32) v |= w[wi + 1]! << (32 - s);
        o[i] = (v << sh) >> sh;
        s += bits;
        if (s >= 32) {
          s -= 32;
          wi++;
        }
      }
      return out;
    }
    let pos = 0;
    for (let i = 0; i < n; i++) {
      let u: number;
      if (bits <= 32) u = getBits(w, pos, bits);
      else u = getBits(w, pos, 32) + getBits(w, pos + 32, bits - 32) * 4294967296;
      pos += bits;
      o[i] = u >= half ? u - m : u;
    }
    return out;
  }
  let acc = 0n;
  let accBits = 0;
  let p = 0;
  for (let i = 0; i < n; i++) {
    while (accBits < bits) {
      acc |= BigInt(bytes[p++]!) << BigInt(accBits);
      accBits += 8;
    }
    setBig(out, i, BigInt.asIntN(bits, acc));
    acc >>= BigInt(bits);
    accBits -= bits;
  }
  return out;
}

/** Bits (one per byte, 0/1) packed eight to a byte. */
export function packBits(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(b.length / 8));
  for (let i = 0; i < b.length; i++) out[i >> 3]! |= (b[i]! & 1) << (i & 7);
  return out;
}

export function unpackBits(bytes: Uint8Array, n: number): Uint8Array {
  if (bytes.length !== Math.ceil(n / 8)) throw new Error(`expected ${Math.ceil(n / 8)} bytes for ${n} bits, got ${bytes.length}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3]! >> (i & 7)) & 1;
  return out;
}

/** Bytes of a byte stream that ringFromBytes reads per element of Z_2^bits: 4 up to 32 bits, else 8. */
export const drawBytes = (bits: number): number => (bits <= 32 ? 4 : 8);

/** Uniform ring elements from a byte stream (drawBytes(bits) bytes per element). */
export function ringFromBytes(bytes: Uint8Array, bits: number, shape: number[]): Share {
  const n = numelOf(shape);
  const per = drawBytes(bits);
  if (bytes.length < per * n) throw new Error(`ringFromBytes: ${bytes.length} bytes for ${n} elements of ${per}`);
  const out = zeroShare(bits, shape);
  if (out.data instanceof Float64Array) {
    // the low `bits` of the element's one or two little-endian 32-bit words, in signed form
    // Read in place when aligned (a cipher's output is), else from a copy.
    const words = LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, (per * n) / 4) : bytesToWords(bytes.subarray(0, per * n));
    const m = 2 ** bits;
    const half = m / 2;
    const loMask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
    const hiMask = bits > 32 ? 2 ** (bits - 32) - 1 : 0;
    const o = out.data;
    for (let i = 0; i < n; i++) {
      const u = hiMask ? (words[2 * i]! >>> 0) + (words[2 * i + 1]! & hiMask) * 4294967296 : (words[i]! & loMask) >>> 0;
      o[i] = u >= half ? u - m : u;
    }
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out.data[i] = BigInt.asIntN(bits, view.getBigUint64(8 * i, true));
  }
  return out;
}

// ---------------------------------------------------------------- bits

/** A `u1` value's share in Z_2 as XOR-share bits (0/1 per byte): Z_2 addition is XOR. */
export function bitsOfShare(s: Share): Uint8Array {
  const out = new Uint8Array(s.data.length);
  const d = s.data;
  if (d instanceof Float64Array) for (let i = 0; i < out.length; i++) out[i] = d[i] === 0 ? 0 : 1;
  else for (let i = 0; i < out.length; i++) out[i] = getRing(s, i) === 0n ? 0 : 1;
  return out;
}

/** XOR-share bits as a share of a `u1` value (signed canonical form of Z_2: 0 and −1). */
export function shareOfBits(b: Uint8Array, shape: number[]): Share {
  const out = zeroShare(1, shape);
  const d = out.data as Float64Array;
  for (let i = 0; i < b.length; i++) d[i] = b[i] ? -1 : 0;
  return out;
}

// ---------------------------------------------------------------- bilinear maps mod 2^N

/**
 * The least m with |v| < 2^m for every element (shares in signed canonical form); 64 for wide
 * rings. With `limit`, once some |v| ≥ 2^limit the scan stops and the answer is only known to
 * exceed limit (what the caller asks).
 */
function magnitudeBits(a: Share, limit = 64): number {
  if (isWide(a.bits)) return 64;
  const d = a.data as Float64Array;
  // once an element reaches 2^limit the answer is at least limit + 1: stop there
  const cap = 2 ** Math.min(limit, 64);
  let max = 0;
  for (let i = 0; i < d.length && max < cap; i++) {
    const v = d[i]! < 0 ? -d[i]! : d[i]!;
    if (v > max) max = v;
  }
  let m = 0;
  while (2 ** m <= max) m++;
  return m;
}

/** The same values typed as signed (m + 1)-bit integers (they fit). */
function asSigned(a: Share, m: number): Tensor {
  return { shape: a.shape, bits: m + 1, signed: true, data: a.data };
}

/** The unsigned N-bit reading of a share split into 16-bit limbs (least significant first), each a u16 tensor. */
function limbs(a: Share, count: number): Tensor[] {
  const out: Tensor[] = [];
  for (let k = 0; k < count; k++) out.push(zeros(a.shape, 16, false));
  if (a.data instanceof Float64Array) {
    // Narrow rings: the unsigned reading is an exact double below 2^52, cut into 32-bit words.
    // (>>> 0 is u mod 2^32; u < 2^52)
    const m = 2 ** a.bits;
    const d = a.data;
    const o = out.map((t) => t.data as Float64Array);
    for (let i = 0; i < d.length; i++) {
      const u = d[i]! < 0 ? d[i]! + m : d[i]!;
      const lo = u >>> 0;
      const hi = (u - lo) / 4294967296;
      for (let k = 0; k < count; k++) o[k]![i] = ((k < 2 ? lo : hi) >>> (16 * (k & 1))) & 0xffff;
    }
    return out;
  }
  for (let i = 0; i < a.data.length; i++) {
    let u = BigInt.asUintN(a.bits, getRing(a, i));
    for (let k = 0; k < count; k++) {
      (out[k]!.data as Float64Array)[i] = Number(u & 0xffffn);
      u >>= 16n;
    }
  }
  return out;
}

/** A bilinear kernel (a, b) ↦ f(a, b) in the ring `out`. */
export type Bilinear = (a: Tensor, b: Tensor, out: { bits: number; signed: boolean }) => Tensor;

/**
 * f(A, B) mod 2^N for a bilinear f given as an exact plaintext kernel (and optionally as one
 * exact mod 2^32, `mod32`, for rings up to 32 bits). Masked operands are
 * uniform over the whole ring, so their products overflow doubles; splitting both into
 * 16-bit limbs keeps every kernel call on its exact double path (16 + 16 + log₂ fan-in
 * ≤ 53 bits) and f(A, B) = Σ_{i+j < ⌈N/16⌉} 2^(16(i+j))·f(A_i, B_j) mod 2^N.
 */
export function bilinearMod(f: Bilinear, A: Share, B: Share, bits: number, fanIn: number, mod32?: Bilinear): Share {
  const n = Math.ceil(bits / 16);
  const out = { bits, signed: true };
  if (n === 1) return f(A, B, out);
  // Operands whose values are small enough (a server's weights, say) go in one call, typed by
  // their actual magnitude, so the kernel's exact double path takes them.
  const room = DOUBLE_EXACT_LOG2 - ceilLog2(Math.max(1, fanIn));
  const magA = magnitudeBits(A, room);
  const magB = magA < room ? magnitudeBits(B, room - magA) : 64;
  if (magA + magB <= room) return f(asSigned(A, magA), asSigned(B, magB), out);
  // Up to 32 bits, a kernel computing mod 2^32 in int32 arithmetic takes them in one call too.
  if (mod32 && bits <= 32) return mod32(A, B, out);
  const al = limbs(A, n);
  const bl = limbs(B, n);
  let acc: Share | undefined;
  for (let i = 0; i < n; i++) {
    for (let j = 0; i + j < n; j++) {
      const term = mulScalar(f(al[i]!, bl[j]!, out), 1n << BigInt(16 * (i + j)));
      acc = acc ? add(acc, term) : term;
    }
  }
  return acc!;
}
