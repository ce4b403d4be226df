import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bitsAt, packBits, unpackBits, words } from "../../interpreter/ot/wire.js";

describe("dense bit packing", () => {
  it("unpackBits(packBits(v, widths)) = v, with ⌈Σ widths / 8⌉ bytes, for random width patterns", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 32 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 300 }), (widths, n) => {
        const raw = new Uint32Array(new Uint8Array(randomBytes(4 * n)).buffer);
        const v = raw.map((x, j) => {
          const w = widths[j % widths.length]!;
          return w === 32 ? x : x % 2 ** w;
        });
        const packed = packBits(v, widths);
        const bits = v.reduce((t, _, j) => t + widths[j % widths.length]!, 0);
        expect(packed.length).toBe(Math.ceil(bits / 8));
        expect(unpackBits(packed, n, widths)).toEqual(v);
        let off = 0;
        for (let j = 0; j < n; j++) {
          const w = widths[j % widths.length]!;
          expect(bitsAt(words(packed), off, w)).toBe(v[j]);
          off += w;
        }
      }),
      { numRuns: 100 },
    );
  });

  it("is LSB-first: 3-bit values 1, 2, 7 pack to 0b111_010_001", () => {
    expect([...packBits(Uint32Array.of(1, 2, 7), [3])]).toEqual([0b11010001, 0b1]);
  });
});
