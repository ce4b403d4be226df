// The WebAssembly SIMD kernels of silent OT: Ferret's LPN code (lpn.ts) and one GGM level of
// all trees (ferret.ts), the two loops a refill spends its time in. Each has a TypeScript
// version beside its caller, the reference and the fallback where this Node cannot compile
// WebAssembly SIMD; tests/ot/simd.test.ts holds them equal. No
// toolchain here makes WebAssembly, so the module is assembled below from its opcodes
// (WebAssembly core specification 2.0, §5, the binary format; SIMD instructions behind the 0xFD
// prefix). The kernels read and write one linear memory (`heap`), at byte addresses their
// callers lay out; a call is synchronous, so callers never overlap.

/** The part of the WebAssembly JavaScript API used here (the ES2022 library declares none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface Simd {
  /** The linear memory, at least `bytes` long (growing it invalidates views of the old one). */
  heap(bytes: number): ArrayBuffer;
  /**
   * The LPN code on `rows` 16-byte rows at `out`: row j ^= ⊕ of base rows ⌊u·k / 2^32⌋ for its
   * LPN_D words u at `raw` (4·LPN_D·rows bytes, row-major); with `bits` ≠ 0 also bits_j ^= ⊕ of
   * the bytes at `choices` at those indices.
   */
  lpn(out: number, base: number, raw: number, rows: number, k: number, bits: number, choices: number): void;
  /**
   * One GGM level of t trees of `per` nodes each (16 bytes a node, tree-major): with e0, e1 the
   * two fixed-key AES permutations of the level, node g's children 2g, 2g + 1 at `next` are
   * e0_g ⊕ s_g and e1_g ⊕ s_g; tree i's XOR of its left and of its right children at sums + 32i.
   */
  ggm(level: number, e0: number, e1: number, next: number, sums: number, t: number, per: number): void;
}

/** Non-zeros per row of the LPN code (emp-ot's LPN_D). */
export const LPN_D = 10;

let instance: Simd | null | undefined;

/** The kernels, or null where this Node cannot compile them. */
export function simd(): Simd | null {
  if (instance !== undefined) return instance;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) throw new Error("no WebAssembly");
    const m = new api.Instance(new api.Module(moduleBytes()));
    const mem = m.exports.mem as WasmMemory;
    instance = {
      heap: (bytes) => {
        const pages = Math.ceil(bytes / 65536) - mem.buffer.byteLength / 65536;
        if (pages > 0) mem.grow(pages);
        return mem.buffer;
      },
      lpn: m.exports.lpn as Simd["lpn"],
      ggm: m.exports.ggm as Simd["ggm"],
    };
  } catch {
    instance = null;
  }
  return instance;
}

// ---------------------------------------------------------------------------------------
// The assembler: just what the two kernels use.

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
  v128Zero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
};
/** `for (; local < limit; local++) body`, the counter starting where the caller set it. */
const forLoop = (local: number, limit: number[], body: number[]): number[] => [
  ...op.block, ...op.loop,
  ...op.get(local), ...limit, ...op.i32GeU, ...op.brIf(1),
  ...body,
  ...op.get(local), ...op.i32(1), ...op.i32Add, ...op.set(local),
  ...op.br(0),
  ...op.end, ...op.end,
];
/** The address base + index·2^shift (16-byte steps by default). */
const addr = (base: number, index: number, shift = 4): number[] => [...op.get(base), ...op.get(index), ...op.i32(shift), ...op.i32Shl, ...op.i32Add];
const locals = (groups: [number, number][]): number[] => vec(groups.map(([c, t]) => [...uleb(c), t]));

function lpnBody(): number[] {
  // Parameters 0–6: out, base, raw, rows, k, bits, choices; locals 7 r, 8 d, 9 idx, 10 b (i32), 11 kk (i64), 12 acc (v128).
  const [OUT, BASE, RAW, ROWS, K, BITS, CHOICES, R, D, IDX, B, KK, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const inner = [
    // idx = (u · k) >> 32, u the next word of the stream
    ...op.get(RAW), ...op.i32Load, ...op.i64ExtendI32u, ...op.get(KK), ...op.i64Mul, ...op.i64(32), ...op.i64ShrU, ...op.i32WrapI64, ...op.set(IDX),
    ...op.get(ACC), ...addr(BASE, IDX), ...op.v128Load, ...op.v128Xor, ...op.set(ACC),
    ...op.get(BITS), ...op.if, ...op.get(B), ...op.get(CHOICES), ...op.get(IDX), ...op.i32Add, ...op.i32Load8u, ...op.i32Xor, ...op.set(B), ...op.end,
    ...op.get(RAW), ...op.i32(4), ...op.i32Add, ...op.set(RAW),
  ];
  const row = [
    ...addr(OUT, R), ...op.v128Load, ...op.set(ACC),
    ...op.get(BITS), ...op.if, ...op.get(BITS), ...op.get(R), ...op.i32Add, ...op.i32Load8u, ...op.set(B), ...op.end,
    ...op.i32(0), ...op.set(D),
    ...forLoop(D, op.i32(LPN_D), inner),
    ...addr(OUT, R), ...op.get(ACC), ...op.v128Store,
    ...op.get(BITS), ...op.if, ...op.get(BITS), ...op.get(R), ...op.i32Add, ...op.get(B), ...op.i32Store8, ...op.end,
  ];
  return [
    ...locals([[4, I32], [1, I64], [1, V128]]),
    ...op.get(K), ...op.i64ExtendI32u, ...op.set(KK),
    ...forLoop(R, op.get(ROWS), row),
    ...op.end,
  ];
}

function ggmBody(): number[] {
  // Parameters 0–6: level, e0, e1, next, sums, t, per; locals 7 i, 8 x, 9 g (i32), 10 s, 11 l, 12 r, 13 accL, 14 accR (v128).
  const [LEVEL, E0, E1, NEXT, SUMS, T, PER, I, X, G, S, L, R, AL, AR] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const node = [
    ...addr(LEVEL, G), ...op.v128Load, ...op.set(S),
    ...addr(E0, G), ...op.v128Load, ...op.get(S), ...op.v128Xor, ...op.set(L),
    ...addr(E1, G), ...op.v128Load, ...op.get(S), ...op.v128Xor, ...op.set(R),
    ...addr(NEXT, G, 5), ...op.get(L), ...op.v128Store,
    ...addr(NEXT, G, 5), ...op.i32(16), ...op.i32Add, ...op.get(R), ...op.v128Store,
    ...op.get(AL), ...op.get(L), ...op.v128Xor, ...op.set(AL),
    ...op.get(AR), ...op.get(R), ...op.v128Xor, ...op.set(AR),
    ...op.get(G), ...op.i32(1), ...op.i32Add, ...op.set(G),
  ];
  const tree = [
    ...op.v128Zero, ...op.set(AL), ...op.v128Zero, ...op.set(AR),
    ...op.i32(0), ...op.set(X),
    ...forLoop(X, op.get(PER), node),
    ...addr(SUMS, I, 5), ...op.get(AL), ...op.v128Store,
    ...addr(SUMS, I, 5), ...op.i32(16), ...op.i32Add, ...op.get(AR), ...op.v128Store,
  ];
  return [
    ...locals([[3, I32], [5, V128]]),
    ...forLoop(I, op.get(T), tree),
    ...op.end,
  ];
}

function moduleBytes(): Uint8Array {
  const bodies = [lpnBody(), ggmBody()];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 7 }, () => [I32])), ...vec([])]])), // type 0: (7 × i32) → ()
    ...section(3, vec([uleb(0), uleb(0)])), // functions 0 and 1 have type 0
    ...section(5, vec([[0x00, ...uleb(1)]])), // memory: at least one page, no maximum
    ...section(7, vec([[...str("mem"), 0x02, ...uleb(0)], [...str("lpn"), 0x00, ...uleb(0)], [...str("ggm"), 0x00, ...uleb(1)]])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ];
  return Uint8Array.from(bytes);
}
