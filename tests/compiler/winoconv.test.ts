// winoconv's kernel parts (compiler/winoconv.ts), the sums its interval is made of, against
// the definition: the positive and negative entries of effectiveKernel, added in its order.
// kernelParts computes them one input channel at a time, and the exact filters of the
// winograd pass have theirs remembered from the 3×3 kernel: both must be the same doubles.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Graph, Node, ParamData } from "../../compiler/ir.js";
import { knownFromData } from "../../compiler/ops.js";
import { exactFilters } from "../../compiler/passes/winograd.js";
import { F2, F4, type WinogradTile } from "../../compiler/passes/winograd-matrices.js";
import { effectiveKernel, kernelParts, type KernelParts } from "../../compiler/winoconv.js";

/** The parts as the definition gives them: every entry of every effective kernel, in order. */
function reference(t: WinogradTile, u: Float64Array, k: number[][], O: number, C: number): KernelParts {
  const px = t.m * t.m;
  const parts: KernelParts = { pos: new Float64Array(O * px), neg: new Float64Array(O * px) };
  const known = knownFromData([t.alpha * t.alpha, O, C], true, u);
  for (let o = 0; o < O; o++) {
    for (let p = 0; p < px; p++) {
      let pos = 0;
      let neg = 0;
      for (const e of effectiveKernel(t, known, k, O, C, o, Math.floor(p / t.m), p % t.m)) {
        if (e > 0) pos += e;
        else neg += e;
      }
      parts.pos[o * px + p] = pos;
      parts.neg[o * px + p] = neg;
    }
  }
  return parts;
}

/** A graph holding one 3×3 conv2d with server weights w [O, C, 3, 3]: what exactFilters reads. */
function convGraph(w: Float64Array, O: number, C: number): { g: Graph; n: Node } {
  const type = (shape: number[]) => ({ bits: 52, signed: true, shape, vis: "server" as const, scale: { kind: "pow2" as const, exp: 0 }, nonneg: false });
  const x: Node = { id: 0, op: "input", type: { ...type([C, 6, 6]), vis: "client" }, inputs: [], attrs: { name: "x" }, origin: { path: "t/x" } };
  const wn: Node = { id: 1, op: "param", type: type([O, C, 3, 3]), inputs: [], attrs: { name: "w" }, origin: { path: "t/w" } };
  const n: Node = { id: 2, op: "conv2d", type: { ...type([O, 6, 6]), vis: "shared" }, inputs: [0, 1], attrs: { pad: 1 }, origin: { path: "t/conv" } };
  const data: ParamData = { shape: [O, C, 3, 3], bits: 52, signed: true, data: w };
  return { g: { name: "t", nodes: [x, wn, n], params: new Map([["w", data]]), outputs: [{ node: 2, to: "client" }] }, n };
}

const dims = fc.record({ O: fc.integer({ min: 1, max: 4 }), C: fc.integer({ min: 1, max: 4 }), tile: fc.constantFrom(F2, F4) });

describe("winoconv kernel parts", () => {
  it("kernelParts equals the sums of effectiveKernel's entries, for any filters and exponents (integers or not)", () => {
    fc.assert(
      fc.property(dims, fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), ({ O, C, tile: t }, integer, seed) => {
        let s = seed;
        const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
        const a2 = t.alpha * t.alpha;
        const u = Float64Array.from({ length: a2 * O * C }, () => (integer ? Math.round((next() - 0.5) * 512) : (next() - 0.5) * 3.7));
        const k = Array.from({ length: a2 }, () => Array.from({ length: O }, () => Math.floor(next() * 4)));
        const got = kernelParts(t, knownFromData([a2, O, C], true, u), k, O, C);
        const want = reference(t, u, k, O, C);
        expect(Array.from(got.pos)).toEqual(Array.from(want.pos));
        expect(Array.from(got.neg)).toEqual(Array.from(want.neg));
      }),
      { numRuns: 60 },
    );
  });

  it("the exact filters' remembered parts are the doubles kernelParts computes from the filters", () => {
    fc.assert(
      fc.property(dims, fc.constantFrom(2 ** 7, 2 ** 20, 2 ** 34), fc.integer({ min: 0, max: 2 ** 31 - 1 }), ({ O, C, tile: t }, span, seed) => {
        let s = seed;
        const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
        const w = Float64Array.from({ length: O * C * 9 }, () => Math.round((next() - 0.5) * span));
        const { g, n } = convGraph(w, O, C);
        const f = exactFilters(g, n, t);
        // (2^34: the filters are exact doubles, but the remembered parts' condition fails at F(4×4,3×3).)
        expect(f.u).toBeInstanceOf(Float64Array);
        const u = f.u as Float64Array;
        const shape = [t.alpha * t.alpha, O, C];
        // f.u's parts were remembered when it was made (unless beyond the exact range);
        // a copy of it is a new array, so its parts are computed.
        const remembered = kernelParts(t, knownFromData(shape, true, u), f.k, O, C);
        const computed = kernelParts(t, knownFromData(shape, true, Float64Array.from(u)), f.k, O, C);
        expect(Array.from(remembered.pos)).toEqual(Array.from(computed.pos));
        expect(Array.from(remembered.neg)).toEqual(Array.from(computed.neg));
        expect(Array.from(computed.pos)).toEqual(Array.from(reference(t, u, f.k, O, C).pos));
      }),
      { numRuns: 60 },
    );
  });
});
