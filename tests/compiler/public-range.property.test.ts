// publicRange (compiler/types.ts): the interval both parties of a two-party run read instead of
// the range analysis' exact one. It must contain the exact interval, stay in the type's range,
// be idempotent (the client re-derives it from what it receives), and depend on each end only
// through its sign, bit length and next bit.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { publicRange, typeRange } from "../../compiler/types.js";

const sigBits = (v: bigint): number => {
  let a = v < 0n ? -v : v;
  while (a > 0n && (a & 1n) === 0n) a >>= 1n;
  return a === 0n ? 0 : a.toString(2).length;
};

const typed = fc.record({ bits: fc.integer({ min: 2, max: 64 }), signed: fc.boolean() }).chain((t) => {
  const [lo, hi] = typeRange(t);
  return fc.tuple(fc.constant(t), fc.bigInt({ min: lo, max: hi }), fc.bigInt({ min: lo, max: hi }))
    .map(([t, a, b]) => ({ t, r: a <= b ? { lo: a, hi: b } : { lo: b, hi: a } }));
});

describe("publicRange", () => {
  it("contains the exact interval, stays in the type, is idempotent, and keeps two significant bits per end", () => {
    fc.assert(fc.property(typed, ({ t, r }) => {
      const p = publicRange(r, t);
      const [tlo, thi] = typeRange(t);
      expect(p.lo <= r.lo && r.hi <= p.hi).toBe(true);
      expect(tlo <= p.lo && p.hi <= thi).toBe(true);
      expect(publicRange(p, t)).toEqual(p);
      expect(sigBits(p.lo)).toBeLessThanOrEqual(2);
      expect(sigBits(p.hi >= 0n ? p.hi + 1n : p.hi)).toBeLessThanOrEqual(2);
      // the sign of each end survives (a non-negative value stays non-negative)
      expect(p.lo >= 0n).toBe(r.lo >= 0n);
    }), { numRuns: 2000 });
  });

  it("two intervals whose ends agree in sign, bit length and the next bit have the same public interval", () => {
    fc.assert(fc.property(fc.integer({ min: 3, max: 40 }), fc.bigInt({ min: 0n, max: (1n << 38n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 38n) - 1n }), (k, a, b) => {
      // two upper ends h1 + 1, h2 + 1 in (2^k + 2^(k−1), 2^(k+1)): same bit length and same next bit
      const base = (1n << BigInt(k)) + (1n << BigInt(k - 1));
      const span = 1n << BigInt(k - 1);
      const t = { bits: 64, signed: true };
      const p1 = publicRange({ lo: -1n, hi: base + (a % (span - 1n))  }, t);
      const p2 = publicRange({ lo: -1n, hi: base + (b % (span - 1n))  }, t);
      expect(p1).toEqual(p2);
      expect(p1.hi).toBe((1n << BigInt(k + 1)) - 1n);
    }), { numRuns: 500 });
  });

  it("examples", () => {
    const i32 = { bits: 32, signed: true };
    expect(publicRange({ lo: -33108987n, hi: 35106063n }, i32)).toEqual({ lo: -(1n << 25n), hi: (3n << 24n) - 1n });
    expect(publicRange({ lo: 0n, hi: 246094n }, i32)).toEqual({ lo: 0n, hi: (1n << 18n) - 1n });
    expect(publicRange({ lo: 5n, hi: 5n }, i32)).toEqual({ lo: 4n, hi: 5n });
    expect(publicRange({ lo: -5n, hi: -5n }, i32)).toEqual({ lo: -6n, hi: -4n });
    expect(publicRange({ lo: -100n, hi: 100n }, { bits: 8, signed: true })).toEqual({ lo: -128n, hi: 127n });
  });
});
