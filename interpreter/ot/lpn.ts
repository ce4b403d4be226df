// Ferret's d-local LPN code (ferret.ts, step 2): out_j ^= ⊕_{i∈S_j} base_i for n 16-byte rows,
// and, at the receiver, bits_j ^= ⊕_{i∈S_j} choices_i. S_j is d indices below k drawn from the
// iteration's public seed: AES-CTR words u (aes.ts Prg), index ⌊u·k / 2^32⌋. It is the bulk of
// a silent-OT refill's work (about a quarter of both parties' CPU in ResNet-20 under OT, as
// profiled), so it runs as a small WebAssembly function with 128-bit SIMD when this Node has
// WebAssembly SIMD, and as plain TypeScript otherwise; both compute the same bits
// (tests/ot/lpn.test.ts). The function is assembled below from its opcodes (no toolchain here
// makes WebAssembly): one loop over rows, an inner loop over the d indices, each a 64-bit
// product for the index, a 16-byte load and an XOR.
import { Prg } from "./aes.js";

/** Non-zeros per row of the LPN code (emp-ot's LPN_D). */
export const LPN_D = 10;
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

/** The part of the WebAssembly JavaScript API used here (the ES2022 library declares none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Simd {
  mem: WasmMemory;
  /** code(out, base, raw, rows, k, bits, choices): byte addresses in `mem`; bits = 0 for the sender. */
  code: (out: number, base: number, raw: number, rows: number, k: number, bits: number, choices: number) => void;
}

let instance: Simd | null | undefined;

/** The WebAssembly version, or null where this Node cannot compile it. */
export function simd(): Simd | null {
  if (instance !== undefined) return instance;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) throw new Error("no WebAssembly");
    const m = new api.Instance(new api.Module(moduleBytes()));
    instance = { mem: m.exports.mem as WasmMemory, code: m.exports.code as Simd["code"] };
  } catch {
    instance = null;
  }
  return instance;
}

function encodeSimd(w: Simd, seed: Uint8Array, k: number, out: Int32Array, base: Int32Array, n: number, bits?: Uint8Array, choices?: Uint8Array): void {
  // Layout: base | choices | out | bits | raw, each at a 16-byte boundary.
  const at = (x: number) => Math.ceil(x / 16) * 16;
  const pBase = 0;
  const pChoices = at(pBase + 16 * k);
  const pOut = at(pChoices + (choices ? k : 0));
  const pBits = at(pOut + 16 * n);
  const pRaw = at(pBits + (bits ? n : 0));
  const end = pRaw + 4 * LPN_D * ROWS;
  const pages = Math.ceil(end / 65536) - w.mem.buffer.byteLength / 65536;
  if (pages > 0) w.mem.grow(pages);
  const heap = new Uint8Array(w.mem.buffer);
  const bytes = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  heap.set(bytes(base).subarray(0, 16 * k), pBase);
  if (choices) heap.set(choices.subarray(0, k), pChoices);
  heap.set(bytes(out).subarray(0, 16 * n), pOut);
  if (bits) heap.set(bits.subarray(0, n), pBits);
  const prg = new Prg(seed);
  for (let j0 = 0; j0 < n; j0 += ROWS) {
    const c = Math.min(ROWS, n - j0);
    heap.set(bytes(prg.next(4 * LPN_D * c)), pRaw);
    w.code(pOut + 16 * j0, pBase, pRaw, c, k, bits ? pBits + j0 : 0, pChoices);
  }
  bytes(out).set(heap.subarray(pOut, pOut + 16 * n));
  if (bits) bits.set(heap.subarray(pBits, pBits + n));
}

// ---------------------------------------------------------------------------------------
// The module, opcode by opcode (WebAssembly core spec 2.0, §5 binary format; SIMD: 0xFD prefix).

const uleb = (v: number): number[] => {
  const o: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    o.push(b);
  } while (v !== 0);
  return o;
};
/** A constant below 64, whose signed LEB128 (what i32.const and i64.const take) is its unsigned one. */
const small = (v: number): number[] => {
  if (v < 0 || v >= 64) throw new Error(`internal: constant ${v} is not below 64`);
  return uleb(v);
};
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f, I64 = 0x7e, V128 = 0x7b;
const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)], brIf: (d: number) => [0x0d, ...uleb(d)],
  get: (l: number) => [0x20, ...uleb(l)], set: (l: number) => [0x21, ...uleb(l)],
  i32: (v: number) => [0x41, ...small(v)],
  i64: (v: number) => [0x42, ...small(v)],
  i32Load: [0x28, 2, 0], i32Load8u: [0x2d, 0, 0], i32Store8: [0x3a, 0, 0],
  i32Add: [0x6a], i32Shl: [0x74], i32Xor: [0x73], i32GeU: [0x4f],
  i64ExtendI32u: [0xad], i64Mul: [0x7e], i64ShrU: [0x88], i32WrapI64: [0xa7],
  v128Load: [0xfd, 0x00, 4, 0], v128Store: [0xfd, 0x0b, 4, 0], v128Xor: [0xfd, 0x51],
};

function moduleBytes(): Uint8Array {
  // Parameters 0–6: out, base, raw, rows, k, bits, choices; locals 7 r, 8 d, 9 idx, 10 b (i32), 11 kk (i64), 12 acc (v128).
  const [OUT, BASE, RAW, ROWS_, K, BITS, CHOICES, R, D, IDX, B, KK, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const rowAddr = [...op.get(OUT), ...op.get(R), ...op.i32(4), ...op.i32Shl, ...op.i32Add];
  const body = [
    ...vec([[4, I32], [1, I64], [1, V128]].map(([c, t]) => [...uleb(c!), t!])),
    ...op.get(K), ...op.i64ExtendI32u, ...op.set(KK),
    ...op.block, ...op.loop,
    ...op.get(R), ...op.get(ROWS_), ...op.i32GeU, ...op.brIf(1),
    ...rowAddr, ...op.v128Load, ...op.set(ACC),
    ...op.get(BITS), ...op.if, ...op.get(BITS), ...op.get(R), ...op.i32Add, ...op.i32Load8u, ...op.set(B), ...op.end,
    ...op.i32(0), ...op.set(D),
    ...op.block, ...op.loop,
    ...op.get(D), ...op.i32(LPN_D), ...op.i32GeU, ...op.brIf(1),
    // idx = (u · k) >> 32, u the next word of the stream
    ...op.get(RAW), ...op.i32Load, ...op.i64ExtendI32u, ...op.get(KK), ...op.i64Mul, ...op.i64(32), ...op.i64ShrU, ...op.i32WrapI64, ...op.set(IDX),
    ...op.get(ACC), ...op.get(BASE), ...op.get(IDX), ...op.i32(4), ...op.i32Shl, ...op.i32Add, ...op.v128Load, ...op.v128Xor, ...op.set(ACC),
    ...op.get(BITS), ...op.if, ...op.get(B), ...op.get(CHOICES), ...op.get(IDX), ...op.i32Add, ...op.i32Load8u, ...op.i32Xor, ...op.set(B), ...op.end,
    ...op.get(RAW), ...op.i32(4), ...op.i32Add, ...op.set(RAW),
    ...op.get(D), ...op.i32(1), ...op.i32Add, ...op.set(D),
    ...op.br(0),
    ...op.end, ...op.end,
    ...rowAddr, ...op.get(ACC), ...op.v128Store,
    ...op.get(BITS), ...op.if, ...op.get(BITS), ...op.get(R), ...op.i32Add, ...op.get(B), ...op.i32Store8, ...op.end,
    ...op.get(R), ...op.i32(1), ...op.i32Add, ...op.set(R),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.end,
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 7 }, () => [I32])), ...vec([])]])), // type: (7 × i32) → ()
    ...section(3, vec([uleb(0)])), // function 0 has type 0
    ...section(5, vec([[0x00, ...uleb(1)]])), // memory: at least one page, no maximum
    ...section(7, vec([[...str("mem"), 0x02, ...uleb(0)], [...str("code"), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return Uint8Array.from(bytes);
}
