// Bit-sliced boolean vectors (interpreter/twopc/bits.ts) against bits kept one per byte, and
// the millionaire's bit planes against each value's bits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bitsFromWire, bitsToWire, concatBits, copyBits, notBits, packWords, sliceBits, tileBits, transpose32, unpackWords, wordsFor, xorBits,
} from "../../interpreter/twopc/bits.js";
import { packBits } from "../../interpreter/twopc/ring.js";
import { bitPlanesOf } from "../../interpreter/protocols/millionaire.js";

const bitArray = (max = 200) => fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: max, size: "max" }).map((a) => Uint8Array.from(a));

/** The bits past n in the last word are zero. */
function tailClear(v: Uint32Array, n: number): boolean {
  if (v.length !== wordsFor(n)) return false;
  return n % 32 === 0 || v.length === 0 || v[v.length - 1]! >>> (n % 32) === 0;
}

describe("bit-sliced vectors", () => {
  it("pack/unpack, the wire form (packBits' bytes), not and xor keep the bits and a clear tail", () => {
    fc.assert(
      fc.property(bitArray(), bitArray(), (a, b0) => {
        const n = a.length;
        const b = Uint8Array.from({ length: n }, (_, i) => b0[i] ?? 1);
        const A = packWords(a);
        const B = packWords(b);
        expect(tailClear(A, n)).toBe(true);
        expect(unpackWords(A, n)).toEqual(a);
        expect(bitsToWire(A, n)).toEqual(packBits(a));
        expect(unpackWords(bitsFromWire(packBits(a), n), n)).toEqual(a);
        const N = notBits(A, n);
        expect(tailClear(N, n)).toBe(true);
        expect(unpackWords(N, n)).toEqual(a.map((x) => 1 - x));
        expect(unpackWords(xorBits(A, B), n)).toEqual(a.map((x, i) => x ^ b[i]!));
      }),
      { numRuns: 300 },
    );
  });

  it("a peer's bits past n on the wire are cleared, and a wrong length is refused", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.uint8Array({ minLength: 13, maxLength: 13 }), (n, junk) => {
        const bytes = new Uint8Array((n + 7) >> 3);
        for (let i = 0; i < bytes.length; i++) bytes[i] = junk[i % 13]!;
        const v = bitsFromWire(bytes, n);
        expect(tailClear(v, n)).toBe(true);
        expect(unpackWords(v, n)).toEqual(Uint8Array.from({ length: n }, (_, i) => (bytes[i >> 3]! >> (i & 7)) & 1));
        expect(() => bitsFromWire(new Uint8Array(bytes.length + 1), n)).toThrow(/expected/);
      }),
      { numRuns: 200 },
    );
  });

  it("copyBits, sliceBits, concatBits and tileBits move exactly the bits they name", () => {
    fc.assert(
      fc.property(bitArray(300), bitArray(300), fc.nat(), fc.nat(), fc.nat(), (src, dst, s0, d0, l0) => {
        const sOff = src.length ? s0 % (src.length + 1) : 0;
        const dOff = dst.length ? d0 % (dst.length + 1) : 0;
        const len = Math.min(src.length - sOff, dst.length - dOff, l0 % 300);
        const D = packWords(dst);
        copyBits(D, dOff, packWords(src), sOff, len);
        const want = dst.slice();
        want.set(src.subarray(sOff, sOff + len), dOff);
        expect(unpackWords(D, dst.length)).toEqual(want);
        expect(tailClear(D, dst.length)).toBe(true);
        expect(unpackWords(sliceBits(packWords(src), sOff, len), len)).toEqual(src.subarray(sOff, sOff + len));
        const cat = concatBits([packWords(src), packWords(dst)], [sOff, dOff]);
        expect(unpackWords(cat, sOff + dOff)).toEqual(Uint8Array.from([...src.subarray(0, sOff), ...dst.subarray(0, dOff)]));
        expect(tailClear(cat, sOff + dOff)).toBe(true);
        // blocks of g bits: block 0 repeated
        const g = Math.max(1, len);
        const n = g * (1 + (l0 % 5));
        const T = packWords(Uint8Array.from({ length: n }, (_, i) => src[i % Math.max(1, src.length)] ?? 0));
        const block0 = unpackWords(T, g);
        tileBits(T, g, n);
        expect(unpackWords(T, n)).toEqual(Uint8Array.from({ length: n }, (_, i) => block0[i % g]!));
      }),
      { numRuns: 400 },
    );
  });

  it("transpose32: bit e of row i becomes bit i of row e", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 32, maxLength: 32 }), (rows) => {
        const a = Uint32Array.from(rows);
        transpose32(a);
        for (let i = 0; i < 32; i++) for (let e = 0; e < 32; e++) expect((a[i]! >>> e) & 1).toBe((rows[e]! >>> i) & 1);
      }),
      { numRuns: 100 },
    );
  });

  it("bitPlanesOf: bit e of plane i is bit i of value e, for doubles below 2^52 and 64-bit values", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 70, size: "max" }), (m, raw) => {
        const vals = raw.map((v) => BigInt.asUintN(m, v));
        const check = (planes: Uint32Array[]) => {
          expect(planes.length).toBe(m);
          for (let i = 0; i < m; i++) {
            expect(tailClear(planes[i]!, vals.length)).toBe(true);
            expect(unpackWords(planes[i]!, vals.length)).toEqual(Uint8Array.from(vals, (v) => Number((v >> BigInt(i)) & 1n)));
          }
        };
        check(bitPlanesOf(BigUint64Array.from(vals), m));
        if (m <= 52) check(bitPlanesOf(Float64Array.from(vals, Number), m));
      }),
      { numRuns: 300 },
    );
  });
});
