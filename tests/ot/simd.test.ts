// Silent OT's WebAssembly SIMD kernels (interpreter/ot/simd.ts) against their TypeScript
// versions: Ferret's LPN code (lpn.ts) for the sender (rows) and the receiver (rows and choice
// bits), at sizes that end mid-block, with every index below k; and the GGM levels (ferret.ts
// ggmLevels), with the receiver's edits between levels.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeJs, lpnEncode } from "../../interpreter/ot/lpn.js";
import { simd } from "../../interpreter/ot/simd.js";
import { ggmLevels } from "../../interpreter/ot/ferret.js";

const words = (n: number) => new Int32Array(new Uint8Array(randomBytes(4 * n)).buffer);
const bitsOf = (n: number) => Uint8Array.from(randomBytes(n), (b) => b & 1);

describe("LPN code", () => {
  it("this Node runs the WebAssembly SIMD version", () => {
    expect(simd()).not.toBeNull();
  });

  it("WebAssembly and TypeScript agree on every row and choice bit (random sizes, seeds and rows)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 1, max: 3000 }), fc.boolean(), (n, k, receiver) => {
        const seed = new Uint8Array(randomBytes(16));
        const base = words(4 * k);
        const out = words(4 * n);
        const choices = receiver ? bitsOf(k) : undefined;
        const bits = receiver ? bitsOf(n) : undefined;
        const a = out.slice();
        const aBits = bits?.slice();
        encodeJs(seed, k, a, base, n, aBits, choices);
        const b = out.slice();
        const bBits = bits?.slice();
        lpnEncode(seed, k, b, base, n, bBits, choices);
        expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
        if (bits) expect(Buffer.compare(Buffer.from(aBits!), Buffer.from(bBits!))).toBe(0);
        // Something was coded: with k = 1 every row is XORed with base row 0 ten times (cancels), so only from k ≥ 2.
        if (k >= 2 && n >= 16) expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(out.buffer))).not.toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it("a row's code reads base rows below k only (k's last row changed: rows that read it change, none else reads past it)", () => {
    const n = 5000, k = 777;
    const seed = new Uint8Array(randomBytes(16));
    const base = words(4 * (k + 1));
    const out = words(4 * n);
    const a = out.slice();
    lpnEncode(seed, k, a, base, n);
    base.fill(0x5a5a5a5a, 4 * k); // the row past k
    const b = out.slice();
    lpnEncode(seed, k, b, base, n);
    expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
  });

  it("GGM levels: the WebAssembly kernel makes the TypeScript levels, sums and leaves, the receiver's edits between levels included", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), (t, h, edit) => {
        const roots = words(4 * t);
        const a = ggmLevels(roots.slice(), t, h, false);
        const b = ggmLevels(roots.slice(), t, h, true);
        for (let l = 0; l < h; l++) {
          const x = a.expand();
          const y = b.expand();
          expect(Buffer.compare(Buffer.from(x.sums.buffer, x.sums.byteOffset, x.sums.byteLength), Buffer.from(y.sums.buffer, y.sums.byteOffset, y.sums.byteLength))).toBe(0);
          expect(Buffer.compare(Buffer.from(x.next.buffer, x.next.byteOffset, x.next.byteLength), Buffer.from(y.next.buffer, y.next.byteOffset, y.next.byteLength))).toBe(0);
          if (edit) {
            // As ferretRecv does: a node zeroed, another overwritten, in both.
            const node = (7 * l + 3) % (x.next.length / 4);
            for (const v of [x.next, y.next]) {
              v.fill(0, 4 * node, 4 * node + 4);
              v[(4 * node + 5) % v.length] = 0x12345678;
            }
          }
        }
        const la = a.leaves();
        const lb = b.leaves();
        expect(la.length).toBe(4 * t * 2 ** h);
        expect(Buffer.compare(Buffer.from(la.buffer, la.byteOffset, la.byteLength), Buffer.from(lb.buffer, lb.byteOffset, lb.byteLength))).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});
