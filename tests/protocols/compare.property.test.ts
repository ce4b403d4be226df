// Comparison-based protocols: share → protocol → reconstruct equals the op of LANGUAGE.md,
// computed here with BigInt from the definition, for random widths 1..64, both readings,
// edge values and ties; and tournaments (maxpool, argmax) batch each level into one round trip.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { defaultProvider, runBoth } from "../../interpreter/twopc/local.js";
import { totals } from "../../interpreter/twopc/meter.js";
import type { Party } from "../../interpreter/twopc/party.js";
import type { Share } from "../../interpreter/twopc/ring.js";
import { tensorFromBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import { drelu } from "../../interpreter/protocols/drelu.js";
import { select, selectMany } from "../../interpreter/protocols/select.js";
import { lessThan } from "../../interpreter/protocols/lessThan.js";
import { clamp } from "../../interpreter/protocols/clamp.js";
import { maxpool } from "../../interpreter/protocols/maxpool.js";
import { argmax } from "../../interpreter/protocols/argmax.js";
import { wrapBit } from "../../interpreter/protocols/wrap.js";
import { join, poolsFilled, split, xorJoin } from "./harness.js";

const runs = { numRuns: 40 };

const range = (bits: number, signed: boolean): [bigint, bigint] =>
  signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];

/** A value of the type, often an edge: min, max, 0, ±1, min + 1, max − 1. */
function valueArb(bits: number, signed: boolean): fc.Arbitrary<bigint> {
  const [lo, hi] = range(bits, signed);
  const edges = [lo, hi, 0n, 1n, -1n, lo + 1n, hi - 1n].filter((v) => v >= lo && v <= hi);
  return fc.oneof(fc.bigInt({ min: lo, max: hi }), fc.constantFrom(...edges));
}

const vec = (bits: number, signed: boolean, n: number) => fc.array(valueArb(bits, signed), { minLength: n, maxLength: n });
const typeArb = (minBits = 1, maxBits = 64) => fc.record({ bits: fc.integer({ min: minBits, max: maxBits }), signed: fc.boolean() });
const bitsArb = (n: number) => fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n });
const tensor = (bits: number, signed: boolean, vals: bigint[], shape = [vals.length]): Tensor => tensorFromBigints(shape, bits, signed, vals);
const unsignedOf = (v: bigint, bits: number) => BigInt.asUintN(bits, v);

/** Run a protocol on shares of the given plaintexts; f gets this party's shares in order. */
async function onShares<T>(ts: Tensor[], f: (p: Party, xs: Share[]) => Promise<T>) {
  const halves = ts.map(split);
  return runBoth((p) => f(p, halves.map((h) => h[0])), (p) => f(p, halves.map((h) => h[1])));
}

/** Two random XOR shares of each bit. */
function xorSplit(b: number[]): [Uint8Array, Uint8Array] {
  const r = randomBytes(b.length);
  const b1 = Uint8Array.from(r, (v) => v & 1);
  return [Uint8Array.from(b, (v, i) => v ^ b1[i]!), b1];
}

describe("comparison protocols reproduce LANGUAGE.md", () => {
  it("drelu is 1 − msb(x): [x ≥ 0] in the two's-complement reading of the N bits", async () => {
    await fc.assert(fc.asyncProperty(typeArb().chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 1, max: 12 }).chain((n) => vec(t.bits, t.signed, n)))), async ([{ bits, signed }, xs]) => {
      const r = await onShares([tensor(bits, signed, xs)], (p, [x]) => drelu(p, x!));
      expect(xorJoin(r.client, r.server)).toEqual(xs.map((v) => 1 - Number(unsignedOf(v, bits) >> BigInt(bits - 1))));
    }), runs);
  });

  it("select is b ? x : y, with an element-wise or a scalar condition", async () => {
    const arb = typeArb().chain((t) => fc.integer({ min: 1, max: 10 }).chain((n) => fc.tuple(fc.constant(t), vec(t.bits, t.signed, n), vec(t.bits, t.signed, n), fc.boolean().chain((scalar) => bitsArb(scalar ? 1 : n)))));
    await fc.assert(fc.asyncProperty(arb, async ([{ bits, signed }, xs, ys, b]) => {
      const [b0, b1] = xorSplit(b);
      const halves = [split(tensor(bits, signed, xs)), split(tensor(bits, signed, ys))];
      const r = await runBoth((p) => select(p, b0, halves[0]![0], halves[1]![0]), (p) => select(p, b1, halves[0]![1], halves[1]![1]));
      expect(join(r.client, r.server, signed)).toEqual(xs.map((x, i) => (b[b.length === 1 ? 0 : i] ? x : ys[i]!)));
    }), runs);
  });

  it("selectMany moves pairs in different rings under one condition, y broadcast", async () => {
    const arb = fc.tuple(typeArb(), typeArb(), fc.integer({ min: 1, max: 8 })).chain(([s, t, n]) => fc.tuple(fc.constant(s), fc.constant(t), vec(s.bits, s.signed, n), vec(s.bits, s.signed, n), vec(t.bits, t.signed, n), valueArb(t.bits, t.signed), bitsArb(n)));
    await fc.assert(fc.asyncProperty(arb, async ([s, t, xs, ys, us, v, b]) => {
      const [b0, b1] = xorSplit(b);
      const h = [split(tensor(s.bits, s.signed, xs)), split(tensor(s.bits, s.signed, ys)), split(tensor(t.bits, t.signed, us)), split(tensor(t.bits, t.signed, [v]))];
      const run = (k: 0 | 1, bk: Uint8Array) => (p: Party) => selectMany(p, bk, [[h[0]![k], h[1]![k]], [h[2]![k], h[3]![k]]]);
      const r = await runBoth(run(0, b0), run(1, b1));
      expect(join(r.client[0]!, r.server[0]!, s.signed)).toEqual(xs.map((x, i) => (b[i] ? x : ys[i]!)));
      expect(join(r.client[1]!, r.server[1]!, t.signed)).toEqual(us.map((u, i) => (b[i] ? u : v)));
    }), runs);
  });

  it("wrap(x, y) is the carry out of the unsigned N-bit addition", async () => {
    await fc.assert(fc.asyncProperty(typeArb().chain((t) => fc.integer({ min: 1, max: 10 }).chain((n) => fc.tuple(fc.constant(t), vec(t.bits, t.signed, n), vec(t.bits, t.signed, n)))), async ([{ bits, signed }, xs, ys]) => {
      const r = await onShares([tensor(bits, signed, xs), tensor(bits, signed, ys)], (p, [x, y]) => wrapBit(p, x!, y!));
      expect(xorJoin(r.client, r.server)).toEqual(xs.map((x, i) => (unsignedOf(x, bits) + unsignedOf(ys[i]!, bits) >= 1n << BigInt(bits) ? 1 : 0)));
    }), runs);
  });

  it("lessThan is [x < y] under the reading, exact at every width including equal values", async () => {
    const arb = typeArb().chain((t) => fc.integer({ min: 1, max: 10 }).chain((n) => fc.tuple(fc.constant(t), vec(t.bits, t.signed, n), vec(t.bits, t.signed, n), bitsArb(n))));
    await fc.assert(fc.asyncProperty(arb, async ([{ bits, signed }, xs, ys0, same]) => {
      const ys = ys0.map((y, i) => (same[i] ? xs[i]! : y)); // ties
      const r = await onShares([tensor(bits, signed, xs), tensor(bits, signed, ys)], (p, [x, y]) => lessThan(p, x!, y!, signed));
      expect(xorJoin(r.client, r.server)).toEqual(xs.map((x, i) => (x < ys[i]! ? 1 : 0)));
    }), { numRuns: 60 });
  });

  it("clamp is min(max(x, lo), hi) for public bounds of the type", async () => {
    const arb = typeArb().chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 1, max: 10 }).chain((n) => vec(t.bits, t.signed, n)), valueArb(t.bits, t.signed), valueArb(t.bits, t.signed), fc.boolean()));
    await fc.assert(fc.asyncProperty(arb, async ([{ bits, signed }, xs, a, b, ordered]) => {
      const [lo, hi] = ordered && a > b ? [b, a] : [a, b];
      const r = await onShares([tensor(bits, signed, xs)], (p, [x]) => clamp(p, x!, signed, lo, hi));
      expect(join(r.client, r.server, signed)).toEqual(xs.map((v) => { const m = v > lo ? v : lo; return m < hi ? m : hi; }));
    }), { numRuns: 60 });
  });

  it("maxpool is the window maximum (no padding, partial windows dropped)", async () => {
    const geo = fc.record({ k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 2 }), dh: fc.integer({ min: 0, max: 3 }), dw: fc.integer({ min: 0, max: 3 }) });
    const arb = fc.tuple(typeArb(), geo).chain(([t, g]) => fc.tuple(fc.constant(t), fc.constant(g), vec(t.bits, t.signed, g.C * (g.k + g.dh) * (g.k + g.dw))));
    await fc.assert(fc.asyncProperty(arb, async ([{ bits, signed }, { k, stride, C, dh, dw }, xs]) => {
      const [H, W] = [k + dh, k + dw];
      const r = await onShares([tensor(bits, signed, xs, [C, H, W])], (p, [x]) => maxpool(p, x!, signed, k, stride));
      const [OH, OW] = [Math.floor((H - k) / stride) + 1, Math.floor((W - k) / stride) + 1];
      const want: bigint[] = [];
      for (let c = 0; c < C; c++)
        for (let i = 0; i < OH; i++)
          for (let j = 0; j < OW; j++) {
            let m = xs[(c * H + i * stride) * W + j * stride]!;
            for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) { const e = xs[(c * H + i * stride + u) * W + j * stride + v]!; if (e > m) m = e; }
            want.push(m);
          }
      expect(r.client.shape).toEqual([C, OH, OW]);
      expect(join(r.client, r.server, signed)).toEqual(want);
    }), runs);
  });

  it("argmax is the row-major index of the first maximum", async () => {
    // Few distinct values force ties; the full range exercises the comparison.
    const vals = (bits: number, signed: boolean, n: number) => fc.oneof(vec(bits, signed, n), fc.array(fc.constantFrom(...range(bits, signed), 0n), { minLength: n, maxLength: n }));
    const arb = fc.tuple(typeArb(), fc.integer({ min: 1, max: 20 })).chain(([t, n]) => fc.tuple(fc.constant(t), vals(t.bits, t.signed, n)));
    await fc.assert(fc.asyncProperty(arb, async ([{ bits, signed }, xs]) => {
      const outBits = Math.max(1, Math.ceil(Math.log2(xs.length)));
      const r = await onShares([tensor(bits, signed, xs)], (p, [x]) => argmax(p, x!, signed, outBits));
      const first = xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);
      expect(r.client.shape).toEqual([]);
      expect(join(r.client, r.server, false)).toEqual([BigInt(first)]);
    }), runs);
  });
});

describe("tournaments batch every level", () => {
  const rounds = (p: Party) => totals(p.meter.report(), "online").rounds;
  const ceilLog2 = (n: number) => Math.ceil(Math.log2(n));
  // Per level: the comparison tree on m bits and the select. With a dealer's correlations the
  // tree has a leaf per bit (1 + ⌈log₂ m⌉ rounds) and select takes 1 round. Under OT the
  // leaves are 4-bit digits and how the flights of the OTs, the openings and the select
  // overlap differs between the parties; the forecast prices them exactly
  // (tests/cost/ot.property.test.ts), and here only the batching is checked: every level
  // costs what one level alone does.
  // (he runs the OT kernels for all but the server-weight products.)
  const ot = defaultProvider().kind === "ot" || defaultProvider().kind === "he";
  const select = ot ? 2 : 1;
  const compare = (m: number) => 1 + ceilLog2(ot ? Math.ceil(m / 4) : m);

  it("argmax over 64 elements of i8 takes log₂64 times the rounds of one level (of 2 elements)", async () => {
    const xs = Array.from({ length: 64 }, (_, i) => BigInt(((i * 37) % 256) - 128));
    // Under OT the silent-OT pools are filled first, so no refill falls inside a level.
    const r = await onShares([tensor(8, true, xs)], async (p, [x]) => (await poolsFilled(p), argmax(p, x!, true, 6)));
    const top = xs.reduce((a, b) => (b > a ? b : a));
    expect(join(r.client, r.server, false)).toEqual([BigInt(xs.indexOf(top))]);
    const one = await onShares([tensor(8, true, xs.slice(0, 2))], async (p, [x]) => (await poolsFilled(p), argmax(p, x!, true, 6)));
    r.parties.forEach((p, i) => expect(rounds(p)).toBe(ceilLog2(64) * rounds(one.parties[i]!)));
    // with a dealer: compare(8) + select per level, 30 in all
    if (!ot) for (const p of r.parties) expect(rounds(p)).toBe(ceilLog2(64) * (compare(8) + select));
  });

  it("maxpool rounds depend on k² only, not on the number of windows", async () => {
    const run = async (C: number, H: number) => {
      const xs = Array.from({ length: C * H * H }, (_, i) => BigInt((i * 7919) % 1000) - 500n);
      const r = await onShares([tensor(16, true, xs, [C, H, H])], async (p, [x]) => (await poolsFilled(p), maxpool(p, x!, true, 3, 1)));
      return r.parties.map(rounds);
    };
    const small = await run(1, 3);
    const large = await run(4, 10);
    expect(large).toEqual(small);
    if (!ot) for (const n of small) expect(n).toBe(ceilLog2(9) * (compare(16) + select));
  });
});
