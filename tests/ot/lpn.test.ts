// The LPN code of Ferret's iteration (interpreter/ot/lpn.ts): the WebAssembly SIMD version
// computes exactly the bits of the TypeScript one, for the sender (rows) and the receiver (rows
// and choice bits), at sizes that end mid-block, and the index stays below k.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeJs, lpnEncode, simd } from "../../interpreter/ot/lpn.js";

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
});
