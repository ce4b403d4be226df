// Local ring arithmetic on shares (interpreter/twopc/ring.ts): the double paths agree with
// BigInt arithmetic mod 2^N, in signed canonical form, at every width they serve; the wire
// packing agrees with a BigInt reference.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mulScalar, packRing, unpackRing } from "../../interpreter/twopc/ring.js";

describe("mulScalar", () => {
  it("x·c mod 2^N for N ≤ 52 and any integer constant (the 26-bit-halves path above 26 bits)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 52 }),
        fc.array(fc.bigInt({ min: -(1n << 51n), max: (1n << 51n) - 1n }), { minLength: 1, maxLength: 30 }),
        fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
        (N, raw, c) => {
          const vals = raw.map((v) => BigInt.asIntN(N, v));
          const a = { shape: [vals.length], bits: N, signed: true, data: Float64Array.from(vals, Number) };
          const out = mulScalar(a, c);
          expect(out.data).toBeInstanceOf(Float64Array);
          vals.forEach((v, i) => {
            expect(Object.is(out.data[i], -0)).toBe(false);
            expect(BigInt(out.data[i] as number)).toBe(BigInt.asIntN(N, v * c));
          });
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("packRing / unpackRing", () => {
  it("n·N bits LSB first, as a BigInt reference packs them, and back, at every width", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { maxLength: 40, size: "max" }),
        (N, raw) => {
          const vals = raw.map((v) => BigInt.asIntN(N, v));
          const wide = N > 52;
          const a = { shape: [vals.length], bits: N, signed: true, data: wide ? BigInt64Array.from(vals) : Float64Array.from(vals, Number) };
          let acc = 0n;
          vals.forEach((v, i) => (acc |= BigInt.asUintN(N, v) << BigInt(i * N)));
          const want = Uint8Array.from({ length: Math.ceil((vals.length * N) / 8) }, (_, j) => Number((acc >> BigInt(8 * j)) & 0xffn));
          const bytes = packRing(a);
          expect(bytes).toEqual(want);
          const back = unpackRing(bytes, N, [vals.length]);
          expect(Array.from(back.data as ArrayLike<number | bigint>, (x) => BigInt(x))).toEqual(vals);
          if (!wide) back.data.forEach((x) => expect(Object.is(x, -0)).toBe(false));
        },
      ),
      { numRuns: 500 },
    );
  });
});
