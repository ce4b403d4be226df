// share → protocol → reconstruct equals the plaintext operation, for random widths and values.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { runBoth } from "../../interpreter/twopc/local.js";
import { mul } from "../../interpreter/protocols/mul.js";
import { and } from "../../interpreter/protocols/and.js";
import { millionaire } from "../../interpreter/protocols/millionaire.js";
import { msb } from "../../interpreter/protocols/msb.js";
import { b2a } from "../../interpreter/protocols/b2a.js";
import { open, reveal } from "../../interpreter/protocols/open.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { constShare } from "../../interpreter/twopc/ring.js";
import { join, split, tensorArb, xorJoin } from "./harness.js";

const runs = { numRuns: 40 };

describe("core protocols reproduce plaintext", () => {
  it("open and reveal reconstruct x", async () => {
    await fc.assert(fc.asyncProperty(tensorArb(), async (t) => {
      const [x0, x1] = split(t);
      const r = await runBoth((p) => open(p, x0), (p) => open(p, x1));
      expect(toBigints(r.client).map((v) => (t.signed ? v : BigInt.asUintN(t.bits, v)))).toEqual(toBigints(t));
      const v = await runBoth((p) => reveal(p, x0), (p) => reveal(p, x1));
      expect(v.server).toBeUndefined();
      expect(toBigints(v.client!).map((e) => (t.signed ? e : BigInt.asUintN(t.bits, e)))).toEqual(toBigints(t));
    }), runs);
  });

  it("mul equals the product mod 2^N", async () => {
    await fc.assert(fc.asyncProperty(tensorArb().chain((a) => fc.tuple(fc.constant(a), tensorArb({ minBits: a.bits, maxBits: a.bits, maxLen: a.data.length }).filter((b) => b.data.length === a.data.length))), async ([a, b]) => {
      const [a0, a1] = split(a);
      const [b0, b1] = split({ ...b, signed: a.signed });
      const r = await runBoth((p) => mul(p, a0, b0), (p) => mul(p, a1, b1));
      const want = toBigints(a).map((v, i) => BigInt.asIntN(a.bits, v * toBigints(b)[i]!));
      expect(join(r.client, r.server, true)).toEqual(want);
    }), runs);
  });

  it("and equals x ∧ y", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })), { minLength: 1, maxLength: 30 }), async (rows) => {
      const x0 = Uint8Array.from(rows.map((r) => r[0]));
      const x1 = Uint8Array.from(rows.map((r) => r[1]));
      const y0 = Uint8Array.from(rows.map((r) => r[2]));
      const y1 = Uint8Array.from(rows.map((r) => r[3]));
      const r = await runBoth((p) => and(p, x0, y0), (p) => and(p, x1, y1));
      expect(xorJoin(r.client, r.server)).toEqual(rows.map((q) => (q[0] ^ q[1]) & (q[2] ^ q[3])));
    }), runs);
  });

  // Up to 100 pairs: the kernels hold bits 32 to a word (bit-sliced), so vectors span words.
  it("millionaire gives [u > v]", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 64 }).chain((m) => fc.tuple(fc.constant(m), fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << BigInt(m)) - 1n }), fc.bigInt({ min: 0n, max: (1n << BigInt(m)) - 1n })), { minLength: 1, maxLength: 100, size: "max" }))), async ([m, pairs]) => {
      const enc = (vs: bigint[]) => (m <= 52 ? Float64Array.from(vs.map(Number)) : BigUint64Array.from(vs));
      const r = await runBoth((p) => millionaire(p, enc(pairs.map((q) => q[0])), m), (p) => millionaire(p, enc(pairs.map((q) => q[1])), m));
      expect(xorJoin(r.client, r.server)).toEqual(pairs.map(([u, v]) => (u > v ? 1 : 0)));
    }), runs);
  });

  it("millionaire with shared low bits gives [u > v] in every block", async () => {
    // k blocks of g pairs; block j ≥ 1 keeps block 0's low `low` bits on both sides, with its own high bits.
    const arb = fc.integer({ min: 1, max: 40 }).chain((m) => fc.record({
      m: fc.constant(m),
      k: fc.integer({ min: 1, max: 3 }),
      low: fc.integer({ min: 0, max: m }),
      rows: fc.array(fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << BigInt(m)) - 1n }), fc.bigInt({ min: 0n, max: (1n << BigInt(m)) - 1n })), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 45, size: "max" }),
    }));
    await fc.assert(fc.asyncProperty(arb, async ({ m, k, low, rows }) => {
      const mask = (1n << BigInt(low)) - 1n;
      const pairs: [bigint, bigint][] = [];
      for (let j = 0; j < k; j++) {
        for (const row of rows) {
          const [u, v] = row[j]!;
          pairs.push(j === 0 ? [u, v] : [(u & ~mask) | (row[0]![0] & mask), (v & ~mask) | (row[0]![1] & mask)]);
        }
      }
      const enc = (vs: bigint[]) => Float64Array.from(vs.map(Number));
      const share = { k, low };
      const r = await runBoth((p) => millionaire(p, enc(pairs.map((q) => q[0])), m, share), (p) => millionaire(p, enc(pairs.map((q) => q[1])), m, share));
      expect(xorJoin(r.client, r.server)).toEqual(pairs.map(([u, v]) => (u > v ? 1 : 0)));
    }), runs);
  });

  it("msb of y − a and y − b sharing their low bits (a ≡ b mod 2^t) equals the top bits", async () => {
    await fc.assert(fc.asyncProperty(tensorArb({ minBits: 2 }), fc.bigInt({ min: -64n, max: 64n }), fc.integer({ min: 0, max: 6 }), fc.bigInt({ min: -4n, max: 4n }), async (t, a, tz, q) => {
      const N = t.bits;
      const b = a + (q << BigInt(tz));
      const ys = toBigints(t);
      const diffs = [...ys.map((y) => BigInt.asIntN(N, y - a)), ...ys.map((y) => BigInt.asIntN(N, y - b))];
      // The client's share is y0 − c, the server's y1: shares of y − c that agree below bit tz.
      const [y0, y1] = split(t);
      const withConst = (c: bigint) => toBigints(y0).map((v) => BigInt.asIntN(N, v - c));
      const c0 = [...withConst(a), ...withConst(b)];
      const c1 = [...toBigints(y1), ...toBigints(y1)];
      const share0 = constShare(N, [c0.length], (i) => c0[i]!);
      const share1 = constShare(N, [c1.length], (i) => c1[i]!);
      const low = Math.min(tz, N - 1);
      const share = low > 0 ? { k: 2, low } : undefined;
      const r = await runBoth((p) => msb(p, share0, share), (p) => msb(p, share1, share));
      expect(xorJoin(r.client, r.server)).toEqual(diffs.map((v) => Number(BigInt.asUintN(N, v) >> BigInt(N - 1))));
    }), runs);
  });

  it("msb of shared x equals the top bit of its N-bit representation", async () => {
    await fc.assert(fc.asyncProperty(tensorArb(), async (t) => {
      const [x0, x1] = split(t);
      const r = await runBoth((p) => msb(p, x0), (p) => msb(p, x1));
      expect(xorJoin(r.client, r.server)).toEqual(toBigints(t).map((v) => Number(BigInt.asUintN(t.bits, v) >> BigInt(t.bits - 1))));
    }), runs);
  });

  it("b2a turns XOR-shared bits into additive shares of 0/1", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })), { minLength: 1, maxLength: 20 }), async (bits, rows) => {
      const b0 = Uint8Array.from(rows.map((q) => q[0]));
      const b1 = Uint8Array.from(rows.map((q) => q[1]));
      const r = await runBoth((p) => b2a(p, b0, bits, [rows.length]), (p) => b2a(p, b1, bits, [rows.length]));
      expect(join(r.client, r.server, false)).toEqual(rows.map((q) => BigInt(q[0] ^ q[1])));
    }), runs);
  });
});

