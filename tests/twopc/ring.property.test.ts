// Local ring arithmetic on shares (interpreter/twopc/ring.ts): the double paths agree with
// BigInt arithmetic mod 2^N, in signed canonical form, at every width they serve; the wire
// packing agrees with a BigInt reference.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { add, drawBytes, mulElem, mulScalar, packRing, ringFromBytes, sub, unpackRing, type Share } from "../../interpreter/twopc/ring.js";
import { numWrapper } from "../../interpreter/plain/tensor.js";
import { numFrom } from "../../interpreter/plain/kernels/common.js";

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

describe("add, sub, mulElem and numWrapper", () => {
  const share = (N: number, vals: bigint[]): Share =>
    N > 52 ? { shape: [vals.length], bits: N, signed: true, data: BigInt64Array.from(vals) } : { shape: [vals.length], bits: N, signed: true, data: Float64Array.from(vals, Number) };
  const read = (s: Share) => Array.from(s.data as ArrayLike<number | bigint>, (x) => BigInt(x));
  it("agree with BigInt mod 2^N, in signed canonical form, at every width", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.tuple(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })), { maxLength: 30, size: "max" }),
        (N, raw) => {
          const x = raw.map(([v]) => BigInt.asIntN(N, v));
          const y = raw.map(([, v]) => BigInt.asIntN(N, v));
          const [a, b] = [share(N, x), share(N, y)];
          expect(read(add(a, b))).toEqual(x.map((v, i) => BigInt.asIntN(N, v + y[i]!)));
          expect(read(sub(a, b))).toEqual(x.map((v, i) => BigInt.asIntN(N, v - y[i]!)));
          expect(read(mulElem(a, b))).toEqual(x.map((v, i) => BigInt.asIntN(N, v * y[i]!)));
          if (N <= 52) for (const f of [add, sub, mulElem]) f(a, b).data.forEach((v) => expect(Object.is(v, -0)).toBe(false));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("numFrom reduces an array of integer doubles below 2^53 as numWrapper does, in place", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 52 }), fc.boolean(), fc.array(fc.bigInt({ min: -(1n << 53n), max: 1n << 53n }), { maxLength: 20, size: "max" }), (N, signed, vs) => {
        const values = Float64Array.from(vs, Number);
        const t = numFrom({ bits: N, signed }, [vs.length], values);
        expect(t.data).toBe(values);
        vs.forEach((v, i) => {
          expect(Object.is(t.data[i], -0)).toBe(false);
          expect(BigInt(t.data[i] as number)).toBe(signed ? BigInt.asIntN(N, v) : BigInt.asUintN(N, v));
        });
      }),
      { numRuns: 500 },
    );
  });

  it("numWrapper reduces any integer double below 2^53 into the signed or unsigned range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 52 }), fc.boolean(), fc.bigInt({ min: -(1n << 53n), max: 1n << 53n }), (N, signed, v) => {
        const got = numWrapper({ bits: N, signed })(Number(v));
        expect(Object.is(got, -0)).toBe(false);
        expect(BigInt(got)).toBe(signed ? BigInt.asIntN(N, v) : BigInt.asUintN(N, v));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("ringFromBytes", () => {
  it("element i is the low N bits of its drawBytes(N) little-endian bytes, in signed form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 20 }), fc.uint8Array({ minLength: 160, maxLength: 160 }), (N, n, raw) => {
        const per = drawBytes(N);
        const t = ringFromBytes(raw.subarray(0, per * n), N, [n]);
        for (let i = 0; i < n; i++) {
          let v = 0n;
          for (let j = per - 1; j >= 0; j--) v = (v << 8n) | BigInt(raw[per * i + j]!);
          expect(BigInt(t.data[i]!)).toBe(BigInt.asIntN(N, v));
        }
        if (n > 0) expect(() => ringFromBytes(raw.subarray(0, per * n - 1), N, [n])).toThrow(/bytes/);
      }),
      { numRuns: 300 },
    );
  });
});
