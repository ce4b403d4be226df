// Every LinearMap is the sum of its matrix blocks (matBlocks): evaluating the blocks gives
// applyMap's result exactly, for random conv2d (stride, padding, groups), linear, per-channel
// scaling and Winograd products. The OT-based products are written over the blocks. At 2..40
// bits with values up to 2^30 this takes applyMap's three ways (twopc/ring.ts bilinearMod):
// one double call, the int32 conv2d (conv2dMod32) and 16-bit limbs.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { applyMap, matBlocks, type LinearMap } from "../../interpreter/twopc/linear-map.js";
import { constShare, getRing, type Share } from "../../interpreter/twopc/ring.js";
import { tileOf, winoGeometry } from "../../compiler/winoconv.js";

function viaBlocks(map: LinearMap, W: Share, X: Share, bits: number): bigint[] {
  const y = new Array<bigint>(map.y.reduce((a, b) => a * b, 1)).fill(0n);
  for (const b of matBlocks(map)) {
    for (let o = 0; o < b.O; o++) {
      for (let p = 0; p < b.P; p++) {
        let acc = 0n;
        for (let q = 0; q < b.Q; q++) {
          const xi = b.x[q * b.P + p]!;
          if (xi >= 0) acc += getRing(W, b.w[o * b.Q + q]!) * getRing(X, xi);
        }
        const at = b.y[o * b.P + p]!;
        y[at] = BigInt.asIntN(bits, y[at]! + acc);
      }
    }
  }
  return y;
}

const rand = (bits: number, shape: number[], seed: number): Share => {
  let s = seed >>> 0;
  return constShare(bits, shape, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return BigInt(s % 2 ** Math.min(bits, 31)) - (1n << BigInt(Math.min(bits, 31) - 1));
  });
};

const plain = { wElem: { bits: 8, signed: true }, xElem: { bits: 8, signed: false }, receiver: 0 } as const;
const mapArb: fc.Arbitrary<LinearMap> = fc.oneof(
  fc.record({ g: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 2 }), og: fc.integer({ min: 1, max: 2 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 2 }), h: fc.integer({ min: 3, max: 6 }), w: fc.integer({ min: 3, max: 6 }) })
    .map(({ g, cg, og, k, s, pad, h, w }) => {
      const OH = Math.floor((h + 2 * pad - k) / s) + 1;
      const OW = Math.floor((w + 2 * pad - k) / s) + 1;
      return { op: "conv2d", stride: s, pad, groups: g, w: [g * og, cg, k, k], x: [g * cg, h, w], y: [g * og, OH, OW], ...plain } as LinearMap;
    }),
  fc.record({ o: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 1, max: 7 }) }).map(({ o, k }) => ({ op: "linear", w: [o, k], x: [k], y: [o], ...plain }) as LinearMap),
  fc.record({ c: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 3 }) }).map(({ c, h }) => ({ op: "scale", w: [c], x: [c, h, 2], y: [c, h, 2], ...plain }) as LinearMap),
  fc.record({ c: fc.integer({ min: 1, max: 3 }), o: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 3, max: 7 }), pad: fc.integer({ min: 0, max: 1 }) }).map(({ c, o, h, pad }) => {
    const geometry = winoGeometry(tileOf(2)!, [c, h, h], o, pad);
    const a2 = geometry.t.alpha ** 2;
    return { op: "winoconv", geometry, w: [a2, o, c], x: [a2, c, geometry.th, geometry.tw], y: [a2, o, geometry.th, geometry.tw], ...plain } as LinearMap;
  }),
);

describe("matBlocks", () => {
  it("the blocks of a map sum to applyMap, exactly in Z_2^N", () => {
    fc.assert(fc.property(mapArb, fc.integer({ min: 2, max: 40 }), fc.integer(), (map, bits, seed) => {
      const W = rand(bits, map.w, seed);
      const X = rand(bits, map.x, seed ^ 0x5bd1e995);
      const want = applyMap(map, W, X, bits);
      expect(viaBlocks(map, W, X, bits)).toEqual(Array.from({ length: want.data.length }, (_, i) => getRing(want, i)));
    }), { numRuns: 200 });
  });
});
