// Conversions between rings: share → protocol → reconstruct equals the plaintext meaning of
// zext, sext, trunc, truncreduce and `as` (requant), computed here with BigInt straight from
// docs/LANGUAGE.md, for random widths, signedness, known-MSB facts, shifts and share pairs
// (including pairs whose sum wraps).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { runBoth } from "../../interpreter/twopc/local.js";
import { totals } from "../../interpreter/twopc/meter.js";
import { inRing, ringFromBytes, setBig, sub, type Share } from "../../interpreter/twopc/ring.js";
import type { Party } from "../../interpreter/twopc/party.js";
import { tensorFromBigints } from "../../interpreter/plain/tensor.js";
import { randomBytes } from "node:crypto";
import { lift } from "../../interpreter/protocols/lift.js";
import { extend, sext, zext } from "../../interpreter/protocols/extend.js";
import { trunc, truncReduce } from "../../interpreter/protocols/trunc.js";
import { requant } from "../../interpreter/protocols/requant.js";
import { join, poolsFilled } from "./harness.js";

const runs = { numRuns: 60 };

// ---------------------------------------------------------------- generators

interface Case {
  bits: number;
  signed: boolean;
  nonneg: boolean;
  values: bigint[];
  /** The server's share per element: random, or chosen so the shares' sum wraps (or not). */
  masks: (bigint | undefined)[];
}

const typeLo = (bits: number, signed: boolean) => (signed ? -(1n << BigInt(bits - 1)) : 0n);
const typeHi = (bits: number, signed: boolean) => (signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n);

/** Values of a `bits`-wide type (below 2^(bits−1) and ≥ 0 when nonneg), edges included; `cap` narrows their magnitude. */
function valueArb(bits: number, signed: boolean, nonneg: boolean, extra: bigint[] = [], cap = 64): fc.Arbitrary<bigint> {
  const b = Math.min(bits, cap);
  let lo = typeLo(b, signed);
  let hi = typeHi(b, signed);
  if (nonneg) {
    lo = 0n;
    hi = (1n << BigInt(Math.min(bits - 1, cap))) - 1n;
  }
  const edges = [lo, hi, 0n, -1n, 1n, lo + 1n, hi - 1n, ...extra].filter((v) => v >= lo && v <= hi);
  return fc.oneof(fc.bigInt({ min: lo, max: hi }), fc.constantFrom(...edges));
}

/** Server shares that make u0 + u1 wrap or not for most values: 0, −1, ±2^(N−1), 1. */
function maskArb(bits: number): fc.Arbitrary<bigint | undefined> {
  const h = 1n << BigInt(bits - 1);
  return fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(0n, -1n, h, h - 1n, 1n) });
}

function caseArb(opts: { minBits?: number; extra?: (bits: number) => bigint[] } = {}): fc.Arbitrary<Case> {
  return fc
    .record({ bits: fc.integer({ min: opts.minBits ?? 1, max: 64 }), signed: fc.boolean(), nonneg: fc.boolean(), n: fc.integer({ min: 1, max: 10 }) })
    .chain(({ bits, signed, nonneg, n }) =>
      fc.record({
        bits: fc.constant(bits),
        signed: fc.constant(signed),
        nonneg: fc.constant(nonneg),
        values: fc.array(valueArb(bits, signed, nonneg, opts.extra?.(bits)), { minLength: n, maxLength: n }),
        masks: fc.array(maskArb(bits), { minLength: n, maxLength: n }),
      }),
    );
}

/** Additive shares of the case's values in Z_2^bits, with the chosen server shares. */
function share(c: Case): [Share, Share] {
  const x = inRing(tensorFromBigints([c.values.length], c.bits, c.signed, c.values), c.bits);
  const r = ringFromBytes(randomBytes(8 * c.values.length), c.bits, [c.values.length]);
  c.masks.forEach((m, i) => {
    if (m !== undefined) setBig(r, i, BigInt.asIntN(c.bits, m));
  });
  return [sub(x, r), r];
}

async function run(c: Case, f: (p: Party, x: Share) => Promise<Share>): Promise<{ out: bigint[]; parties: [Party, Party] }> {
  const [x0, x1] = share(c);
  const r = await runBoth((p) => f(p, x0), (p) => f(p, x1));
  return { out: join(r.client, r.server, false), parties: r.parties };
}

/** The value of a case's element as read by the op (unsigned or two's complement). */
const read = (v: bigint, bits: number, signed: boolean) => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));

// ---------------------------------------------------------------- extension

describe("extension reproduces zext / sext", () => {
  it("lift keeps the value (zero-extends unsigned, sign-extends signed)", async () => {
    await fc.assert(fc.asyncProperty(caseArb().chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: c.bits, max: 64 }))), async ([c, to]) => {
      const { out } = await run(c, (p, x) => lift(p, x, c.signed, to));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(to, v)));
    }), runs);
  });

  it("zext / sext read x's bits as the op says, whatever x's signedness; nonneg uses the known-MSB protocol", async () => {
    await fc.assert(fc.asyncProperty(caseArb().chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: c.bits, max: 64 }), fc.boolean())), async ([c, to, useSext]) => {
      const { out } = await run(c, (p, x) => (useSext ? sext(p, x, c.nonneg, to) : zext(p, x, c.nonneg, to)));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(to, read(v, c.bits, useSext))));
    }), runs);
  });

  it("extend with signed/nonneg matches the plaintext reading", async () => {
    await fc.assert(fc.asyncProperty(caseArb().chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: c.bits, max: 64 }))), async ([c, to]) => {
      const { out } = await run(c, (p, x) => extend(p, x, c.signed, c.nonneg, to));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(to, v)));
    }), runs);
  });

  it("known-MSB extension sends fewer bytes than the general one", async () => {
    for (const [from, to] of [[8, 16], [16, 32], [32, 64]] as const) {
      const c: Case = { bits: from, signed: true, nonneg: true, values: Array.from({ length: 64 }, (_, i) => BigInt(i)), masks: new Array(64).fill(undefined) };
      // (the silent-OT pools filled first under OT: the rounds compared are the extensions' alone)
      const known = await run(c, async (p, x) => (await poolsFilled(p), extend(p, x, true, true, to)));
      const general = await run(c, async (p, x) => (await poolsFilled(p), extend(p, x, true, false, to)));
      expect(known.out).toEqual(general.out);
      for (const i of [0, 1] as const) {
        const k = totals(known.parties[i].meter.report(), "online");
        const g = totals(general.parties[i].meter.report(), "online");
        expect(k.sent).toBeLessThan(g.sent);
        expect(k.rounds).toBeLessThan(g.rounds);
      }
    }
  });
});

// ---------------------------------------------------------------- truncation

/** Values whose low s bits are all ones, and the type's extremes around them. */
const lowOnes = (bits: number): bigint[] => Array.from({ length: Math.min(bits, 8) }, (_, k) => (1n << BigInt(k + 1)) - 1n);

const truncCase = caseArb({ minBits: 2, extra: lowOnes }).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.bits - 1 })));

describe("truncation is exact", () => {
  it("trunc equals ⌊x / 2^s⌋ in the same width (arithmetic for iN, logical for uN)", async () => {
    await fc.assert(fc.asyncProperty(truncCase, async ([c, s]) => {
      const { out } = await run(c, (p, x) => trunc(p, x, s, c.signed, c.nonneg));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(c.bits, v >> BigInt(s))));
    }), runs);
  });

  it("truncReduce equals ⌊x / 2^s⌋ in N − s bits", async () => {
    await fc.assert(fc.asyncProperty(truncCase, async ([c, s]) => {
      const { out } = await run(c, (p, x) => truncReduce(p, x, s, c.signed, c.nonneg));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(c.bits - s, v >> BigInt(s))));
    }), runs);
  });

  it("truncReduce of multiples of 2^s (exact = 1) equals x / 2^s in N − s bits and sends nothing", async () => {
    // The case's values with their low s bits cleared (multiples of 2^s), shares wrapping or not.
    const exactCase = truncCase.map(([c, s]) => {
      const top = typeLo(c.bits, c.signed);
      const values = c.values.map((v) => {
        const m = (v >> BigInt(s)) << BigInt(s);
        return m < top ? m + (1n << BigInt(s)) : m;
      });
      return [{ ...c, values, nonneg: c.nonneg && values.every((v) => v >= 0n) }, s] as const;
    });
    await fc.assert(fc.asyncProperty(exactCase, async ([c, s]) => {
      const { out, parties } = await run(c, (p, x) => truncReduce(p, x, s, c.signed, c.nonneg, true));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(c.bits - s, v >> BigInt(s))));
      for (const i of [0, 1] as const) expect(totals(parties[i].meter.report(), "online").sent).toBe(0);
    }), runs);
  });

  it("rejects shifts outside 1..N−1", async () => {
    const c: Case = { bits: 8, signed: true, nonneg: false, values: [1n], masks: [undefined] };
    await expect(run(c, (p, x) => trunc(p, x, 8, true, false))).rejects.toThrow(/shift 8/);
    await expect(run(c, (p, x) => truncReduce(p, x, 0, true, false))).rejects.toThrow(/shift 0/);
  });
});

// ---------------------------------------------------------------- requantization

/** LANGUAGE.md's `as`: s > 0: clamp(⌊(x·M + 2^(s−1)) / 2^s⌋); s ≤ 0: clamp(x·M·2^(−s)). */
function requantRef(x: bigint, M: number, s: number, to: { bits: number; signed: boolean }): bigint {
  const m = BigInt(M);
  const y = s > 0 ? (x * m + (1n << BigInt(s - 1))) >> BigInt(s) : x * m * (1n << BigInt(-s));
  const lo = typeLo(to.bits, to.signed);
  const hi = typeHi(to.bits, to.signed);
  return y < lo ? lo : y > hi ? hi : y;
}

interface RequantCase {
  c: Case;
  M: number;
  s: number;
  to: { bits: number; signed: boolean };
  tight: boolean;
}

// Magnitudes up to 2^36 with M < 2^16 and s ≥ −8 stay within the 64-bit budget
// (36 + 16 + 8 bits, a sign bit and one bit of clamp headroom).
const CAP = 36;

const requantArb: fc.Arbitrary<RequantCase> = fc
  .record({ bits: fc.integer({ min: 1, max: 64 }), signed: fc.boolean(), nonneg: fc.boolean(), n: fc.integer({ min: 1, max: 8 }) })
  .chain(({ bits, signed, nonneg, n }) =>
    fc.record({
      c: fc.record({
        bits: fc.constant(bits),
        signed: fc.constant(signed),
        nonneg: fc.constant(nonneg),
        values: fc.array(valueArb(bits, signed, nonneg, [], CAP), { minLength: n, maxLength: n }),
        masks: fc.array(maskArb(bits), { minLength: n, maxLength: n }),
      }),
      M: fc.oneof(fc.integer({ min: 1, max: 2 ** 16 - 1 }), fc.constantFrom(1, 2 ** 15, 2 ** 16 - 1)),
      s: fc.integer({ min: -8, max: 40 }),
      to: fc.record({ bits: fc.integer({ min: 1, max: 64 }), signed: fc.boolean() }),
      tight: fc.boolean(),
    }),
  );

/** A sound interval for the values: their own [min, max], or the capped type range they were drawn from. */
function intervalOf(r: RequantCase): { lo: bigint; hi: bigint } {
  const { c } = r;
  if (r.tight) return { lo: c.values.reduce((a, b) => (b < a ? b : a)), hi: c.values.reduce((a, b) => (b > a ? b : a)) };
  const b = Math.min(c.bits, CAP);
  return c.nonneg ? { lo: 0n, hi: (1n << BigInt(Math.min(c.bits - 1, CAP))) - 1n } : { lo: typeLo(b, c.signed), hi: typeHi(b, c.signed) };
}

describe("requantization matches LANGUAGE.md bit for bit", () => {
  it("x as T: round half up, saturate, any widths and shifts", async () => {
    await fc.assert(fc.asyncProperty(requantArb, async (r) => {
      const { c, M, s, to } = r;
      const { out } = await run(c, (p, x) => requant(p, x, c.signed, c.nonneg, M, s, to, intervalOf(r)));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(to.bits, requantRef(v, M, s, to))));
    }), { numRuns: 120 });
  });

  it("edge cases: saturation at both ends, exact ties, widening, wide accumulators", async () => {
    const cases: [Case, number, number, { bits: number; signed: boolean }][] = [
      // i32 accumulator → i8, both clamps bind; ties at ±0.5
      [{ bits: 32, signed: true, nonneg: false, values: [-(1n << 31n), (1n << 31n) - 1n, 0n, -1n, 1n, -3n, 3n, 255n, -256n], masks: Array(9).fill(undefined) }, 1, 1, { bits: 8, signed: true }],
      // nonneg → u8: the lower clamp is free
      [{ bits: 16, signed: true, nonneg: true, values: [0n, 1n, 32767n, 511n, 512n], masks: [0n, -1n, 1n << 15n, undefined, undefined] }, 40000, 16, { bits: 8, signed: false }],
      // negative shift: widening i8 → i64
      [{ bits: 8, signed: true, nonneg: false, values: [-128n, 127n, 0n, -1n], masks: [-1n, 0n, 1n << 7n, undefined] }, 65535, -8, { bits: 64, signed: true }],
      // u64 input with a small interval, to u1
      [{ bits: 64, signed: false, nonneg: false, values: [0n, 1n, 2n, 3n], masks: [-1n, 1n << 63n, undefined, 0n] }, 1, 1, { bits: 1, signed: false }],
    ];
    for (const [c, M, s, to] of cases) {
      const lo = c.values.reduce((a, b) => (b < a ? b : a));
      const hi = c.values.reduce((a, b) => (b > a ? b : a));
      const { out } = await run(c, (p, x) => requant(p, x, c.signed, c.nonneg, M, s, to, { lo, hi }));
      expect(out).toEqual(c.values.map((v) => BigInt.asUintN(to.bits, requantRef(v, M, s, to))));
    }
  });

  it("an interval wholly beyond a bound gives that bound without communication", async () => {
    const c: Case = { bits: 16, signed: true, nonneg: false, values: [1000n, 2000n], masks: [undefined, -1n] };
    const { out, parties } = await run(c, (p, x) => requant(p, x, true, false, 1, 0, { bits: 8, signed: true }, { lo: 1000n, hi: 2000n }));
    expect(out).toEqual([127n, 127n]);
    expect(totals(parties[0].meter.report(), "online").sent).toBe(0);
  });

  it("a product wider than 64 bits: x is clamped first where y saturates, exactly", async () => {
    const edge = (b: number, sg: boolean) => [typeLo(b, sg), typeHi(b, sg), 0n, -1n, 1n, 1n << 40n, -(1n << 40n), 123456789n].filter((v) => v >= typeLo(b, sg) && v <= typeHi(b, sg));
    const grid: [number, boolean, number, number, { bits: number; signed: boolean }][] = [
      [64, true, 3, 1, { bits: 8, signed: true }],
      [64, true, 40000, 30, { bits: 16, signed: true }],
      [64, false, 65535, 20, { bits: 8, signed: false }],
      [49, true, 50000, 16, { bits: 32, signed: true }],
      [64, true, 1, -10, { bits: 12, signed: false }],
    ];
    for (const [bits, signed, M, sh, to] of grid) {
      const values = edge(bits, signed);
      const c: Case = { bits, signed, nonneg: false, values, masks: values.map(() => undefined) };
      const { out } = await run(c, (p, x) => requant(p, x, signed, false, M, sh, to, { lo: typeLo(bits, signed), hi: typeHi(bits, signed) }));
      expect(out).toEqual(values.map((v) => BigInt.asUintN(to.bits, requantRef(v, M, sh, to))));
    }
  });

  it("refuses a ring wider than 64 bits even after the pre-clamp (the compiler rejects it first, PQ3004)", async () => {
    const c: Case = { bits: 64, signed: true, nonneg: false, values: [1n], masks: [undefined] };
    await expect(run(c, (p, x) => requant(p, x, true, false, 1, -80, { bits: 8, signed: true }, { lo: typeLo(64, true), hi: typeHi(64, true) }))).rejects.toThrow(/64/);
  });
});
