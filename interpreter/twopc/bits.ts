// Bit-sliced boolean vectors: n bits packed 32 lanes to a word, bit i in word i >>> 5 at
// position i & 31 (LSB first). XOR and AND of XOR-shared bits are then one word operation per
// 32 elements. Bits past n in the last word are always zero: every function here keeps them so,
// and `fromWire` clears whatever a peer put there. The wire form of n bits is ⌈n/8⌉ bytes,
// bit i in byte i >> 3 at position i & 7: the layout of ring.ts's packBits, so a vector's
// bytes on the wire are the same whether it was packed from bits or kept packed.

/** A packed vector of bits (its length is kept by the caller). */
export type Bits = Uint32Array;

export const wordsFor = (n: number): number => (n + 31) >>> 5;

/** n zero bits. */
export function zeroBits(n: number): Bits {
  return new Uint32Array(wordsFor(n));
}

/** The low `k` bits set (k = 0..32). */
const lowMask = (k: number): number => (k >= 32 ? 0xffffffff : (1 << k) - 1) >>> 0;

/** Clear the bits past n in the last word (the invariant). */
export function clearTail(v: Bits, n: number): Bits {
  const r = n & 31;
  if (r !== 0 && v.length > n >>> 5) v[n >>> 5]! &= lowMask(r);
  return v;
}

/** Bits given one per byte (0/1; only bit 0 of each byte is read), packed. */
export function packWords(b: Uint8Array): Bits {
  const out = zeroBits(b.length);
  for (let i = 0; i < b.length; i++) out[i >>> 5]! |= (b[i]! & 1) << (i & 31);
  return out;
}

/** The first n bits, one per byte. */
export function unpackWords(v: Bits, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (v[i >>> 5]! >>> (i & 31)) & 1;
  return out;
}

/** Bit i of v. */
export const bitAt = (v: Bits, i: number): number => (v[i >>> 5]! >>> (i & 31)) & 1;

/**
 * dst's bits [dOff, dOff + len) := src's bits [sOff, sOff + len). A word of dst at a time;
 * dst's other bits are kept. src and dst may be the same vector if the ranges do not overlap.
 */
export function copyBits(dst: Bits, dOff: number, src: Bits, sOff: number, len: number): void {
  if (((dOff | sOff) & 31) === 0) {
    // aligned: whole words, then the partial last one
    const whole = len >>> 5;
    const d = dOff >>> 5;
    const s = sOff >>> 5;
    if (src === dst) dst.copyWithin(d, s, s + whole);
    else dst.set(src.subarray(s, s + whole), d);
    const r = len & 31;
    if (r !== 0) {
      const m = lowMask(r);
      dst[d + whole] = (dst[d + whole]! & ~m) | (src[s + whole]! & m);
    }
    return;
  }
  let i = 0;
  while (i < len) {
    const d = dOff + i;
    const s = sOff + i;
    const db = d & 31;
    const take = Math.min(32 - db, len - i);
    const sw = s >>> 5;
    const sb = s & 31;
    let v = src[sw]! >>> sb;
    if (sb + take > 32) v |= src[sw + 1]! << (32 - sb);
    const m = lowMask(take);
    dst[d >>> 5] = (dst[d >>> 5]! & ~(m << db)) | ((v & m) << db);
    i += take;
  }
}

/** src's bits [off, off + len) as a vector of their own (in `out`, zeroed words, when given: scratch.ts). */
export function sliceBits(src: Bits, off: number, len: number, out: Bits = zeroBits(len)): Bits {
  copyBits(out, 0, src, off, len);
  return out;
}

/** The vectors' bits one after another: parts[i] contributes its first lens[i] bits (in `out`, zeroed, when given). */
export function concatBits(parts: readonly Bits[], lens: readonly number[], out?: Bits): Bits {
  const total = lens.reduce((a, b) => a + b, 0);
  out ??= zeroBits(total);
  let off = 0;
  parts.forEach((v, i) => {
    copyBits(out, off, v, 0, lens[i]!);
    off += lens[i]!;
  });
  return out;
}

/** Blocks of g bits: bits [g, n) := bit (i mod g), i.e. block 0 repeated over n bits. */
export function tileBits(v: Bits, g: number, n: number): void {
  for (let at = g; at < n; at += g) copyBits(v, at, v, 0, Math.min(g, n - at));
}

/**
 * Transpose a 32×32 bit matrix in place: afterwards bit e of a[i] is what bit i of a[e] was
 * (rows are words, bits LSB first). Five rounds swapping the off-diagonal blocks of size
 * 16, 8, 4, 2, 1 (the recursive block transposition; Warren, Hacker's Delight, §7-3).
 */
export function transpose32(a: Uint32Array): void {
  let m = 0x0000ffff;
  for (let j = 16; j !== 0; j >>>= 1, m = (m ^ (m << j)) >>> 0) {
    // rows k with bit j of k clear, paired with k + j: k's high j-bit halves ↔ (k + j)'s low halves
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((a[k]! >>> j) ^ a[k + j]!) & m;
      a[k]! ^= t << j;
      a[k + j]! ^= t;
    }
  }
}

/** a ⊕ b, word by word, over out's words (a fresh vector of a's length, a scratch vector, or a itself). */
export function xorBits(a: Bits, b: Bits, out: Bits = new Uint32Array(a.length)): Bits {
  for (let w = 0; w < out.length; w++) out[w] = a[w]! ^ b[w]!;
  return out;
}

/** ¬a on n bits. */
export function notBits(a: Bits, n: number): Bits {
  const out = new Uint32Array(a.length);
  for (let w = 0; w < a.length; w++) out[w] = ~a[w]!;
  return clearTail(out, n);
}

/** Whether words are stored least significant byte first, so a word array's bytes are the wire form. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The first `len` bytes of a word array, least significant byte of each word first: on a
 * little-endian machine a view of v's memory, no copy (the callers pass words that are theirs
 * alone and send or copy the bytes at once: packRing, bitsToWire).
 */
export function wordsToBytes(v: Uint32Array, len: number): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(v.buffer, v.byteOffset, len);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = v[i >>> 2]! >>> (8 * (i & 3));
  return out;
}

/** Bytes as words (least significant byte first), with `extra` zero words after them. */
export function bytesToWords(bytes: Uint8Array, extra = 0): Uint32Array {
  const out = new Uint32Array(((bytes.length + 3) >>> 2) + extra);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < bytes.length; i++) out[i >>> 2]! |= bytes[i]! << (8 * (i & 3));
  return out;
}

/** The wire form of n bits: ⌈n/8⌉ bytes, packBits' layout. */
export function bitsToWire(v: Bits, n: number): Uint8Array {
  return wordsToBytes(v, (n + 7) >>> 3);
}

/** n bits from their wire form; the bits past n (a peer may set them) are cleared. */
export function bitsFromWire(bytes: Uint8Array, n: number): Bits {
  if (bytes.length !== (n + 7) >>> 3) throw new Error(`expected ${(n + 7) >>> 3} bytes for ${n} bits, got ${bytes.length}`);
  return clearTail(bytesToWords(bytes), n);
}

/**
 * n uniformly random bits from a byte stream of at least ⌈n/8⌉ bytes. A stream of whole words
 * (4·⌈n/32⌉ bytes), aligned, is read in place: its words become the vector (the caller's stream
 * is its own to give).
 */
export function bitsFromStream(bytes: Uint8Array, n: number): Bits {
  const words = wordsFor(n);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 && bytes.length >= 4 * words) return clearTail(new Uint32Array(bytes.buffer, bytes.byteOffset, words), n);
  return bitsFromWire(bytes.subarray(0, (n + 7) >>> 3), n);
}
