import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transposeBits, transposeNaive } from "../../interpreter/ot/transpose.js";

function randomWords(n: number): Int32Array {
  return new Int32Array(new Uint8Array(randomBytes(4 * n)).buffer);
}

describe("transposeBits", () => {
  it("equals the bit-by-bit transpose for random matrices of 32..128 rows and 1..9 words", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), (R, W) => {
        const rows = 32 * R;
        const src = randomWords(rows * W);
        const fast = new Int32Array(32 * W * R);
        const slow = new Int32Array(32 * W * R);
        transposeBits(src, rows, W, fast);
        transposeNaive(src, rows, W, slow);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 40 },
    );
  });

  it("moves a single set bit (row r, column c) to (row c, column r)", () => {
    const rows = 128;
    const W = 3;
    for (const [r, c] of [[0, 0], [5, 70], [127, 95], [64, 31], [31, 32]] as const) {
      const src = new Int32Array(rows * W);
      src[r * W + (c >>> 5)] = 1 << (c & 31);
      const dst = new Int32Array(32 * W * 4);
      transposeBits(src, rows, W, dst);
      const set = [...dst.entries()].filter(([, v]) => v !== 0);
      expect(set).toEqual([[c * 4 + (r >>> 5), 1 << (r & 31)]]);
    }
  });
});
