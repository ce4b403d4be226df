// A second, deliberately naive implementation of the integer semantics (nested loops over
// bigint[], no fast paths), compared exactly with runPlain on random shapes, widths 1–64,
// signedness and values. Random widths land on both sides of every double-path bound, so
// this is what shows the fast paths are exact.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Attrs, Op } from "../../compiler/ir.js";
import type { Scale } from "../../compiler/types.js";
import { tensorFromBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import { pow2, runOp, ty, type ElemT } from "./graph.js";

// ---- the naive reference -------------------------------------------------------------

const lo = (e: ElemT): bigint => (e.signed ? -(1n << BigInt(e.bits - 1)) : 0n);
const hi = (e: ElemT): bigint => (e.signed ? (1n << BigInt(e.bits - 1)) - 1n : (1n << BigInt(e.bits)) - 1n);

/** v mod 2^N, read with the type's signedness, by repeated ±2^N (no asIntN). */
function reduce(v: bigint, e: ElemT): bigint {
  const m = 1n << BigInt(e.bits);
  let r = v % m;
  if (r < 0n) r += m;
  if (r > hi(e)) r -= m;
  return r;
}

function floorDiv(a: bigint, d: bigint): bigint {
  const q = a / d; // truncates toward zero
  return q * d !== a && a < 0n ? q - 1n : q;
}

const pow = (k: number): bigint => 2n ** BigInt(k);

interface T {
  e: ElemT;
  shape: number[];
  v: bigint[];
}

function naiveConv(x: T, w: T, b: T | undefined, stride: number, pad: number, groups: number, out: ElemT): bigint[] {
  const [, H, W] = x.shape as [number, number, number];
  const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + 2 * pad - kh) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - kw) / stride) + 1;
  const res: bigint[] = [];
  for (let o = 0; o < O; o++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        const g = Math.floor(o / (O / groups));
        let acc = b ? b.v[o]! : 0n;
        for (let c = 0; c < Cg; c++)
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++) {
              const r = i * stride + u - pad;
              const q = j * stride + v - pad;
              const xv = r >= 0 && r < H && q >= 0 && q < W ? x.v[((g * Cg + c) * H + r) * W + q]! : 0n;
              acc += xv * w.v[((o * Cg + c) * kh + u) * kw + v]!;
            }
        res.push(reduce(acc, out));
      }
  return res;
}

function naivePool(x: T, k: number, stride: number, kind: "sum" | "max", out: ElemT): bigint[] {
  const [C, H, W] = x.shape as [number, number, number];
  const res: bigint[] = [];
  for (let c = 0; c < C; c++)
    for (let i = 0; i * stride + k <= H; i++)
      for (let j = 0; j * stride + k <= W; j++) {
        const win: bigint[] = [];
        for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) win.push(x.v[(c * H + i * stride + u) * W + j * stride + v]!);
        const r = kind === "sum" ? win.reduce((a, b) => a + b, 0n) : win.reduce((a, b) => (b > a ? b : a));
        res.push(reduce(r, out));
      }
  return res;
}

// ---- generators ----------------------------------------------------------------------

const widthArb = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(1, 8, 16, 26, 27, 33, 52, 53, 64));
const elemArb: fc.Arbitrary<ElemT> = fc.record({ bits: widthArb, signed: fc.boolean() });

function valuesArb(e: ElemT, n: number): fc.Arbitrary<bigint[]> {
  const one = fc.oneof(
    { arbitrary: fc.bigInt({ min: lo(e), max: hi(e) }), weight: 3 },
    { arbitrary: fc.constantFrom(lo(e), hi(e), 0n, reduce(-1n, e)), weight: 1 },
  );
  return fc.array(one, { minLength: n, maxLength: n });
}

function tensorArb(shape: number[], e: ElemT | fc.Arbitrary<ElemT> = elemArb): fc.Arbitrary<T> {
  const n = shape.reduce((a, b) => a * b, 1);
  return (e instanceof fc.Arbitrary ? e : fc.constant(e)).chain((el) => valuesArb(el, n).map((v) => ({ e: el, shape, v })));
}

const toTensor = (t: T): Tensor => tensorFromBigints(t.shape, t.e.bits, t.e.signed, t.v);
const run = (op: Op, xs: (T | { t: T; scale: Scale })[], out: ElemT, shape: number[], attrs: Attrs = {}): bigint[] =>
  runOp(
    op,
    xs.map((x) => ("t" in x ? { t: toTensor(x.t), scale: x.scale } : toTensor(x))),
    ty(out, shape),
    attrs,
  );

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
const RUNS = { numRuns: 150 };

// ---- properties ----------------------------------------------------------------------

describe("runPlain equals the naive reference", () => {
  it("conv2d (stride, pad, groups, optional bias)", () => {
    const geo = fc
      .record({
        groups: fc.integer({ min: 1, max: 3 }),
        cg: fc.integer({ min: 1, max: 3 }),
        og: fc.integer({ min: 1, max: 6 }),
        kh: fc.integer({ min: 1, max: 4 }),
        kw: fc.integer({ min: 1, max: 4 }),
        H: fc.integer({ min: 1, max: 7 }),
        W: fc.integer({ min: 1, max: 7 }),
        stride: fc.integer({ min: 1, max: 3 }),
        pad: fc.integer({ min: 0, max: 2 }),
        bias: fc.boolean(),
        out: elemArb,
      })
      .filter((g) => g.H + 2 * g.pad >= g.kh && g.W + 2 * g.pad >= g.kw);
    const cases = geo.chain((g) =>
      fc.record({
        g: fc.constant(g),
        x: tensorArb([g.groups * g.cg, g.H, g.W]),
        w: tensorArb([g.groups * g.og, g.cg, g.kh, g.kw]),
        b: tensorArb([g.groups * g.og]),
      }),
    );
    fc.assert(
      fc.property(cases, ({ g, x, w, b }) => {
        const bias = g.bias ? b : undefined;
        const want = naiveConv(x, w, bias, g.stride, g.pad, g.groups, g.out);
        const OH = Math.floor((g.H + 2 * g.pad - g.kh) / g.stride) + 1;
        const OW = Math.floor((g.W + 2 * g.pad - g.kw) / g.stride) + 1;
        const attrs = { stride: g.stride, pad: g.pad, groups: g.groups };
        expect(run("conv2d", bias ? [x, w, bias] : [x, w], g.out, [g.groups * g.og, OH, OW], attrs)).toEqual(want);
      }),
      RUNS,
    );
  });

  it("conv2d with realistic widths takes the double path at larger sizes", () => {
    const cases = fc
      .record({ C: fc.integer({ min: 1, max: 9 }), O: fc.integer({ min: 1, max: 9 }), H: fc.integer({ min: 3, max: 12 }), pad: fc.integer({ min: 0, max: 1 }) })
      .chain((g) =>
        fc.record({
          g: fc.constant(g),
          x: tensorArb([g.C, g.H, g.H], { bits: 8, signed: false }),
          w: tensorArb([g.O, g.C, 3, 3], { bits: 8, signed: true }),
          b: tensorArb([g.O], { bits: 20, signed: true }),
        }),
      );
    const out = { bits: 24, signed: true };
    fc.assert(
      fc.property(cases, ({ g, x, w, b }) => {
        const OH = g.H + 2 * g.pad - 2;
        expect(run("conv2d", [x, w, b], out, [g.O, OH, OH], { pad: g.pad })).toEqual(naiveConv(x, w, b, 1, g.pad, 1, out));
      }),
      { numRuns: 40 },
    );
  });

  it("linear", () => {
    const cases = fc
      .record({ K: fc.integer({ min: 1, max: 8 }), O: fc.integer({ min: 1, max: 5 }), bias: fc.boolean(), out: elemArb })
      .chain((g) => fc.record({ g: fc.constant(g), x: tensorArb([g.K]), w: tensorArb([g.O, g.K]), b: tensorArb([g.O]) }));
    fc.assert(
      fc.property(cases, ({ g, x, w, b }) => {
        const want: bigint[] = [];
        for (let o = 0; o < g.O; o++) {
          let acc = g.bias ? b.v[o]! : 0n;
          for (let k = 0; k < g.K; k++) acc += w.v[o * g.K + k]! * x.v[k]!;
          want.push(reduce(acc, g.out));
        }
        expect(run("linear", g.bias ? [x, w, b] : [x, w], g.out, [g.O])).toEqual(want);
      }),
      RUNS,
    );
  });

  it("avgpool and maxpool", () => {
    const cases = fc
      .record({ C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 7 }), stride: fc.integer({ min: 1, max: 3 }), out: elemArb })
      .chain((g) => fc.record({ g: fc.constant(g), k: fc.integer({ min: 1, max: Math.min(g.H, g.W) }), x: tensorArb([g.C, g.H, g.W]) }));
    fc.assert(
      fc.property(cases, ({ g, k, x }) => {
        const shape = [g.C, Math.floor((g.H - k) / g.stride) + 1, Math.floor((g.W - k) / g.stride) + 1];
        const attrs = { k, stride: g.stride };
        expect(run("avgpool", [x], g.out, shape, attrs)).toEqual(naivePool(x, k, g.stride, "sum", g.out));
        expect(run("maxpool", [x], x.e, shape, attrs)).toEqual(naivePool(x, k, g.stride, "max", x.e));
      }),
      RUNS,
    );
  });

  it("requant", () => {
    const cases = fc.record({
      // x·M just above 2^53 is where a loose double-path bound would round
      x: shapeArb.chain((s) => tensorArb(s, fc.oneof(elemArb, fc.record({ bits: fc.integer({ min: 30, max: 52 }), signed: fc.boolean() })))),
      mult: fc.oneof(fc.constant(1n), fc.bigInt({ min: 1n << 15n, max: (1n << 16n) - 1n })),
      // small shifts keep the low bits of x·M significant
      shift: fc.oneof(fc.integer({ min: -10, max: 70 }), fc.integer({ min: 0, max: 3 })),
      out: fc.oneof(elemArb, fc.constant({ bits: 64, signed: true })), // wide enough not to saturate
    });
    fc.assert(
      fc.property(cases, ({ x, mult, shift, out }) => {
        const want = x.v.map((q) => {
          const y = shift > 0 ? floorDiv(q * mult + pow(shift - 1), pow(shift)) : q * mult * pow(-shift);
          return y < lo(out) ? lo(out) : y > hi(out) ? hi(out) : y;
        });
        expect(run("requant", [x], out, x.shape, { mult, shift })).toEqual(want);
      }),
      RUNS,
    );
  });

  it("add and sub with scale alignment", () => {
    const cases = shapeArb.chain((s) =>
      fc.record({ x: tensorArb(s), y: tensorArb(s), ex: fc.integer({ min: -8, max: 8 }), ey: fc.integer({ min: -8, max: 8 }), out: elemArb }),
    );
    fc.assert(
      fc.property(cases, ({ x, y, ex, ey, out }) => {
        const d = ex - ey;
        const xs = { t: x, scale: pow2(ex) };
        const ys = { t: y, scale: pow2(ey) };
        const al = (a: bigint, k: number): bigint => a * pow(Math.max(k, 0));
        expect(run("add", [xs, ys], out, x.shape)).toEqual(x.v.map((a, i) => reduce(al(a, d) + al(y.v[i]!, -d), out)));
        expect(run("sub", [xs, ys], out, x.shape)).toEqual(x.v.map((a, i) => reduce(al(a, d) - al(y.v[i]!, -d), out)));
      }),
      RUNS,
    );
  });

  it("mul", () => {
    const cases = shapeArb.chain((s) => fc.record({ x: tensorArb(s), y: tensorArb(s), out: elemArb }));
    fc.assert(
      fc.property(cases, ({ x, y, out }) => {
        expect(run("mul", [x, y], out, x.shape)).toEqual(x.v.map((a, i) => reduce(a * y.v[i]!, out)));
      }),
      RUNS,
    );
  });

  it("mulc by a scalar or per channel", () => {
    const cArb = fc.oneof(fc.bigInt({ min: -(1n << 20n), max: 1n << 20n }), fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }));
    const cases = shapeArb.chain((s) =>
      fc.record({ x: tensorArb(s), perChannel: fc.boolean(), cs: fc.array(cArb, { minLength: s[0]!, maxLength: s[0]! }), out: elemArb }),
    );
    fc.assert(
      fc.property(cases, ({ x, perChannel, cs, out }) => {
        const per = x.v.length / x.shape[0]!;
        const c = (i: number): bigint => (perChannel ? cs[Math.floor(i / per)]! : cs[0]!);
        const attrs = { c: perChannel ? cs : cs[0]! };
        expect(run("mulc", [x], out, x.shape, attrs)).toEqual(x.v.map((a, i) => reduce(a * c(i), out)));
      }),
      RUNS,
    );
  });

  it("linmap along an axis", () => {
    const cases = shapeArb.chain((s) =>
      fc.integer({ min: 0, max: s.length - 1 }).chain((axis) =>
        fc.record({
          x: tensorArb(s),
          axis: fc.constant(axis),
          m: fc.array(fc.array(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), { minLength: s[axis]!, maxLength: s[axis]! }), { minLength: 1, maxLength: 4 }),
          out: elemArb,
        }),
      ),
    );
    fc.assert(
      fc.property(cases, ({ x, axis, m, out }) => {
        const K = x.shape[axis]!;
        const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
        const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
        const want: bigint[] = [];
        for (let a = 0; a < outer; a++)
          for (let j = 0; j < m.length; j++)
            for (let b = 0; b < inner; b++) {
              let acc = 0n;
              for (let k = 0; k < K; k++) acc += BigInt(m[j]![k]!) * x.v[(a * K + k) * inner + b]!;
              want.push(reduce(acc, out));
            }
        const shape = x.shape.map((d, i) => (i === axis ? m.length : d));
        expect(run("linmap", [x], out, shape, { m, axis })).toEqual(want);
      }),
      RUNS,
    );
  });

  it("trunc and truncreduce", () => {
    const cases = shapeArb.chain((s) => tensorArb(s).chain((x) => fc.record({ x: fc.constant(x), by: fc.integer({ min: 0, max: x.e.bits - 1 }) })));
    fc.assert(
      fc.property(cases, ({ x, by }) => {
        const fl = x.v.map((a) => floorDiv(a, pow(by)));
        expect(run("trunc", [x], x.e, x.shape, { by })).toEqual(fl.map((v) => reduce(v, x.e)));
        const small = { bits: x.e.bits - by, signed: x.e.signed };
        if (small.bits >= 1) expect(run("truncreduce", [x], small, x.shape, { by })).toEqual(fl.map((v) => reduce(v, small)));
      }),
      RUNS,
    );
  });

  it("zext and sext", () => {
    const cases = shapeArb.chain((s) =>
      tensorArb(s).chain((x) => fc.record({ x: fc.constant(x), bits: fc.integer({ min: x.e.bits, max: 64 }), signed: fc.boolean() })),
    );
    fc.assert(
      fc.property(cases, ({ x, bits, signed }) => {
        const out = { bits, signed };
        const N = x.e.bits;
        const asU = (a: bigint): bigint => (a < 0n ? a + pow(N) : a);
        const asS = (a: bigint): bigint => (a >= pow(N - 1) ? a - pow(N) : a);
        expect(run("zext", [x], out, x.shape)).toEqual(x.v.map((a) => reduce(asU(a), out)));
        expect(run("sext", [x], out, x.shape)).toEqual(x.v.map((a) => reduce(asS(a), out)));
      }),
      RUNS,
    );
  });
});
