// 1-out-of-N OT for N ≤ 16 by Kolesnikov–Kumaresan (CRYPTO 2013, §4): the IKNP extension
// with λ = 256 columns (iknp.ts extendColumns) whose choice rows are codewords of a linear
// code of distance 128, as SCI's KKOT does (CrypTFlow2, Rathee et al., CCS 2020, §3.1).
// The code: the Walsh–Hadamard codeword of the 4-bit value v (bit y = ⟨v, y⟩ for y ∈ F_2^4,
// weight 8 for v ≠ 0) repeated 16 times; column i carries bit ⟨v, i mod 16⟩. The sender's row
// is q_j = t_j ⊕ C(v_j) ⊙ s, so for every value u, q_j ⊕ C(u) ⊙ s = t_j ⊕ C(u ⊕ v_j) ⊙ s.
// The hash of a 256-bit row: fixed-key-AES TCCR (GKWY20 §7.4, aes.ts) of a 128-bit fold
// L(x) = (G·x_0, …, G·x_15), x_b the b-th 16-bit block, G the 8 × 16 matrix over F_2 whose
// column y is (y, y^{−1}) in GF(2^4) = F_2[X]/(X^4 + X + 1) (0^{−1} = 0). For every nonzero
// codeword block h the eight columns of G on h's support are independent (`foldIsInjective`,
// checked by tests and `npm run proofs`), so L(C(w) ⊙ s) is uniform over F_2^128 for uniform s
// and every w ≠ 0: each pad the receiver did not choose is TCCR(j, known ⊕ uniform) — the
// case GKWY20's TCCR covers, with the N − 1 offsets pairwise differing by another uniform
// L(C(w') ⊙ s) (proofs/ot.md, "KK13"). This replaces SCI's per-hash AES-256 re-keying, which
// costs 1.4 µs per key in node (crypto spike), by TCCR under all 16 offsets in batched passes
// (aes.ts tccrWord0: the sender keeps word 0 of each pad, enough for k ≤ 32).
// Wire per instance: 256 bits receiver → sender (iknpMsgBytes(n, 256)), N·k bits sender →
// receiver: 288 bits for N = 16, k = 2, as SCI (the table trick of nchoose1.ts: 544).
import { tccr, tccrWord0 } from "./aes.js";
import { CHUNK, type ReceiverRows, type SenderRows } from "./iknp.js";
import { KK_LAMBDA } from "../../compiler/cost/ot-sizes.js";
import { bitsAt, checkLength, misuse, packBits, words } from "./wire.js";

/** Values a KK13 choice may take: the code is on 4-bit values. */
export const KK_VALUES = 16;

function gfMul(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 4; i++) if ((b >>> i) & 1) r ^= a << i;
  for (let i = 7; i >= 4; i--) if ((r >>> i) & 1) r ^= 0b10011 << (i - 4);
  return r;
}

/** Column y of G: y in the low nibble, y^{−1} = y^14 in the high one. */
const G = Uint8Array.from({ length: 16 }, (_, y) => {
  let inv = y === 0 ? 0 : 1;
  if (y !== 0) for (let e = 0; e < 14; e++) inv = gfMul(inv, y);
  return y | (inv << 4);
});

/** G·x for the 8 points y < 8 (low byte of a block) and y ≥ 8 (high byte). */
const FOLD_LO = new Uint8Array(256);
const FOLD_HI = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  for (let y = 0; y < 8; y++) {
    if ((b >>> y) & 1) {
      FOLD_LO[b]! ^= G[y]!;
      FOLD_HI[b]! ^= G[y + 8]!;
    }
  }
}

const parity = (x: number): number => {
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
};

/** The 16-bit Walsh–Hadamard codeword of v < 16: bit y = ⟨v, y⟩. */
export function whCodeword(v: number): number {
  let h = 0;
  for (let y = 0; y < 16; y++) h |= parity((v & y) & 15) << y;
  return h;
}

/** Rank over F_2 of byte-sized vectors. */
function rank8(vs: number[]): number {
  const rows = [...vs];
  let r = 0;
  for (let bit = 0; bit < 8 && r < rows.length; bit++) {
    const p = rows.findIndex((v, i) => i >= r && ((v >>> bit) & 1) === 1);
    if (p < 0) continue;
    [rows[r], rows[p]] = [rows[p]!, rows[r]!];
    for (let i = 0; i < rows.length; i++) if (i !== r && ((rows[i]! >>> bit) & 1)) rows[i]! ^= rows[r]!;
    r++;
  }
  return r;
}

/**
 * The fold's property the hash's security rests on: for every nonzero value w, the eight
 * columns of G on the support of w's codeword block are linearly independent, so
 * x ↦ G·(h_w ⊙ x) maps F_2^16 onto F_2^8 and L(C(w) ⊙ s) is uniform for uniform s.
 */
export function foldIsInjective(): boolean {
  for (let w = 1; w < 16; w++) {
    const h = whCodeword(w);
    const cols: number[] = [];
    for (let y = 0; y < 16; y++) if ((h >>> y) & 1) cols.push(G[y]!);
    if (cols.length !== 8 || rank8(cols) !== 8) return false;
  }
  return true;
}

/** L of n rows of 32 bytes: 16 bytes per row (block b of a row = its bytes 2b, 2b + 1). */
function fold(rows: Uint8Array, n: number): Uint32Array {
  const out = new Uint32Array(4 * n);
  const ob = new Uint8Array(out.buffer);
  for (let j = 0, i = 0, o = 0; j < n; j++) {
    for (let b = 0; b < 16; b++, i += 2) ob[o++] = FOLD_LO[rows[i]!]! ^ FOLD_HI[rows[i + 1]!]!;
  }
  return out;
}

/** L(C(u) ⊙ s) for every u < N: the offset of value u's pad. */
function offsets(delta: Uint8Array, N: number): Uint32Array[] {
  return Array.from({ length: N }, (_, u) => {
    const h = whCodeword(u);
    const masked = new Uint8Array(32);
    for (let b = 0; b < 16; b++) {
      masked[2 * b] = delta[2 * b]! & h & 0xff;
      masked[2 * b + 1] = delta[2 * b + 1]! & (h >>> 8);
    }
    return fold(masked, 1);
  });
}

function check(where: string, N: number, k: number): void {
  if (!Number.isInteger(N) || N < 2 || N > KK_VALUES) misuse(where, `N = ${N} is outside 2..${KK_VALUES}`);
  if (!Number.isInteger(k) || k < 1 || k > 32) misuse(where, `message width ${k} is outside 1..32`);
}

/** Column i of the code for choices v[c0 .. c0 + C): bit j = ⟨v_j, i mod 16⟩ (for IknpReceiver.extendColumns). */
export function kkColumns(v: Uint8Array): (i: number, c0: number, C: number, out: Int32Array) => void {
  let cached = -1;
  const cols = Array.from({ length: 16 }, () => new Int32Array(Math.ceil(Math.min(v.length, CHUNK) / 32)));
  return (i, c0, C, out) => {
    if (cached !== c0) {
      for (const c of cols) c.fill(0);
      for (let j = 0; j < C; j++) {
        const x = v[c0 + j]!;
        if (x >= KK_VALUES) misuse("kkColumns", `choice ${x} at ${c0 + j} is not below ${KK_VALUES}`);
        const h = whCodeword(x);
        for (let y = 1; y < 16; y++) if ((h >>> y) & 1) cols[y]![j >>> 5]! |= 1 << (j & 31);
      }
      cached = c0;
    }
    out.set(cols[i & 15]!.subarray(0, out.length));
  };
}

/** The sender's masked messages: messages[i·N + u] < 2^k is instance i's message for value u. */
export function kkSend(rows: SenderRows, messages: Uint32Array, N: number, k: number): Uint8Array {
  check("kkSend", N, k);
  if (rows.delta.length !== KK_LAMBDA / 8) misuse("kkSend", `rows of a ${8 * rows.delta.length}-column extension`);
  const n = rows.n;
  if (messages.length !== n * N) misuse("kkSend", `${messages.length} messages, expected ${n * N}`);
  const mk = k === 32 ? 0xffffffff : 2 ** k - 1;
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]! > mk) misuse("kkSend", `message ${messages[i]} at ${i} does not fit in ${k} bits`);
  }
  // The pad of instance i's value u is word 0 of H(i, L(q_i) ⊕ L(C(u) ⊙ s)), at i·N + u as the messages.
  const y = new Int32Array(n * N);
  tccrWord0(fold(rows.q, n), n, rows.first, rows.domain, offsets(rows.delta, N), y);
  const mi = new Int32Array(messages.buffer, messages.byteOffset, messages.length);
  for (let o = 0; o < y.length; o++) y[o] = (mi[o]! ^ y[o]!) & mk;
  return packBits(y, [k]);
}

/** The receiver's messages: instance i's message for its choice v_i. */
export function kkRecv(rows: ReceiverRows, v: Uint8Array, msg: Uint8Array, N: number, k: number, party = "ot"): Uint32Array {
  check("kkRecv", N, k);
  const n = v.length;
  if (rows.n !== n) misuse("kkRecv", `${rows.n} OTs for ${n} instances`);
  checkLength({ party, where: `1-of-${N} OT` }, msg, Math.ceil((n * N * k) / 8), `the masked messages of ${n} instances`);
  const pad = new Uint32Array(4 * n);
  tccr(fold(rows.t, n), n, rows.first, rows.domain, pad);
  const y = words(msg);
  const mk = k === 32 ? 0xffffffff : 2 ** k - 1;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (v[i]! >= N) misuse("kkRecv", `choice ${v[i]} at ${i} is not below N = ${N}`);
    out[i] = ((bitsAt(y, (i * N + v[i]!) * k, k) ^ pad[4 * i]!) & mk) >>> 0;
  }
  return out;
}
