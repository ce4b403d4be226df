// Ferret's d-local LPN code (ferret.ts, step 2): out_j ^= ⊕_{i∈S_j} base_i for n 16-byte rows,
// and, at the receiver, bits_j ^= ⊕_{i∈S_j} choices_i. S_j is d indices below k drawn from the
// iteration's public seed: AES-CTR words u (aes.ts Prg), index ⌊u·k / 2^32⌋. It is the bulk of
// a refill's work (a profile of ResNet-20 under OT put 10 of both parties' 56 s of CPU in it
// when it was TypeScript), so it runs as simd.ts's WebAssembly kernel where this Node has
// WebAssembly SIMD, and as the TypeScript below otherwise; both compute the same bits
// (tests/ot/simd.test.ts).
import { Prg } from "./aes.js";
import { LPN_D, simd, type Simd } from "./simd.js";

export { LPN_D };

/** Rows coded per PRG call: 4096 rows, 160 KiB of index words. */
const ROWS = 4096;

/**
 * The code applied in place to `out` (4 words per row) from `base` (4 words per index) and, with
 * `bits` and `choices`, to the receiver's choice bits (one per byte). Exact for k < 2^21.
 */
export function lpnEncode(seed: Uint8Array, k: number, out: Int32Array, base: Int32Array, n: number, bits?: Uint8Array, choices?: Uint8Array): void {
  const w = simd();
  if (w) encodeSimd(w, seed, k, out, base, n, bits, choices);
  else encodeJs(seed, k, out, base, n, bits, choices);
}

/** The TypeScript version (the reference; what runs without WebAssembly SIMD). */
export function encodeJs(seed: Uint8Array, k: number, out: Int32Array, base: Int32Array, n: number, bits?: Uint8Array, choices?: Uint8Array): void {
  const prg = new Prg(seed);
  const scale = k / 4294967296;
  for (let j0 = 0; j0 < n; j0 += ROWS) {
    const c = Math.min(ROWS, n - j0);
    const raw = prg.next(4 * LPN_D * c);
    for (let r = 0, p = 0; r < c; r++) {
      const o = 4 * (j0 + r);
      let w0 = out[o]!, w1 = out[o + 1]!, w2 = out[o + 2]!, w3 = out[o + 3]!;
      let b = bits ? bits[j0 + r]! : 0;
      for (let d = 0; d < LPN_D; d++, p++) {
        const i = Math.floor((raw[p]! >>> 0) * scale);
        const x = 4 * i;
        w0 ^= base[x]!; w1 ^= base[x + 1]!; w2 ^= base[x + 2]!; w3 ^= base[x + 3]!;
        if (choices) b ^= choices[i]!;
      }
      out[o] = w0; out[o + 1] = w1; out[o + 2] = w2; out[o + 3] = w3;
      if (bits) bits[j0 + r] = b;
    }
  }
}

function encodeSimd(w: Simd, seed: Uint8Array, k: number, out: Int32Array, base: Int32Array, n: number, bits?: Uint8Array, choices?: Uint8Array): void {
  // Layout: base | choices | out | bits | raw, each at a 16-byte boundary.
  const at = (x: number) => Math.ceil(x / 16) * 16;
  const pBase = 0;
  const pChoices = at(pBase + 16 * k);
  const pOut = at(pChoices + (choices ? k : 0));
  const pBits = at(pOut + 16 * n);
  const pRaw = at(pBits + (bits ? n : 0));
  const heap = new Uint8Array(w.heap(pRaw + 4 * LPN_D * ROWS));
  const bytes = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  heap.set(bytes(base).subarray(0, 16 * k), pBase);
  if (choices) heap.set(choices.subarray(0, k), pChoices);
  heap.set(bytes(out).subarray(0, 16 * n), pOut);
  if (bits) heap.set(bits.subarray(0, n), pBits);
  const prg = new Prg(seed);
  for (let j0 = 0; j0 < n; j0 += ROWS) {
    const c = Math.min(ROWS, n - j0);
    heap.set(bytes(prg.next(4 * LPN_D * c)), pRaw);
    w.lpn(pOut + 16 * j0, pBase, pRaw, c, k, bits ? pBits + j0 : 0, pChoices);
  }
  bytes(out).set(heap.subarray(pOut, pOut + 16 * n));
  if (bits) bits.set(heap.subarray(pBits, pBits + n));
}
