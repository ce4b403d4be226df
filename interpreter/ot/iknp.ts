// IKNP OT extension, κ = 128, semi-honest (Ishai–Kilian–Nissim–Petrank, CRYPTO 2003, §3;
// the correlated-OT form of Asharov–Lindell–Schneider–Zohner, CCS 2013, §5). Sans-IO: the
// receiver's `extend` returns the one message, the sender's `extend` consumes it.
// Wire: receiver → sender `iknpMsgBytes(n)` = 8 + 128·⌈n/8⌉ bytes (the u columns, 128 bits
// per OT, plus an 8-byte header holding the batch's first OT index mod 2^32 and its size, so a
// replayed, reordered or mis-sized batch is rejected instead of silently decorrelating).
// Nothing sender → receiver.
// Result: the receiver holds t_j, the sender q_j = t_j ⊕ c_j·Δ with Δ = s its base-OT choices.
// pq runs it only to make each direction's first Ferret reserve (silent.ts); the rows are raw
// COTs there, never hashed by a flavour.
// The flavours (cot.ts, rot.ts, nchoose1.ts) hash these rows with the batch's tweaks; a
// batch's rows must go to exactly one flavour call on each side (a second call would hash
// the same rows under the same tweaks, and its outputs would not be independent of the first).
// Work is chunked in 2^16 OTs (PRG columns of 8 KiB, a 1 MiB row block: cache-sized, per the
// spike); every base seed's AES-CTR stream continues across chunks and calls.
import { Prg } from "./aes.js";
import { KAPPA, iknpMsgBytes } from "../../compiler/cost/ot-sizes.js";
import { transposeBits } from "./transpose.js";
import { checkBatch, misuse, writeBatchHeader, type OtLabel } from "./wire.js";

// The sizes (κ, the batch header, `iknpMsgBytes`) are the forecast's too: compiler/cost/ot-sizes.ts.
export { KAPPA, iknpMsgBytes };
/** OTs per internal chunk. A multiple of 32, so only a call's last chunk is ragged. */
export const CHUNK = 1 << 16;
/** The batch header's bytes, where the u columns start (iknpMsgBytes(0)). */
const HEADER = iknpMsgBytes(0);

/** The receiver's side of a batch: t_j = bytes λ/8·j .. λ/8·(j+1) − 1 of t, tweak of OT j = first + j. */
export interface ReceiverRows {
  readonly n: number;
  readonly first: number;
  readonly domain: number;
  readonly choices: Uint8Array;
  readonly t: Uint8Array;
}

/** The sender's side of a batch: q_j = t_j ⊕ c_j·Δ (λ/8 bytes each; Δ = delta, λ bits). */
export interface SenderRows {
  readonly n: number;
  readonly first: number;
  readonly domain: number;
  readonly delta: Uint8Array;
  readonly q: Uint8Array;
}

export interface IknpOptions {
  /** Tweak domain: both ends of one direction use the same value, the two directions differ. */
  domain?: number;
  /** The party's name in error messages. */
  party?: string;
}

function checkSeeds(where: string, seeds: readonly Uint8Array[]): Prg[] {
  if (seeds.length !== KAPPA) misuse(where, `${seeds.length} base-OT seeds, expected ${KAPPA}`);
  return seeds.map((k) => {
    if (k.length !== 16) misuse(where, `a ${k.length}-byte base-OT seed, expected 16`);
    return new Prg(k);
  });
}

/** Where one chunk of a batch lies: OTs [c0, c0 + C), W words and B bytes per column, at byte `base` of the message. */
interface Chunk {
  c0: number;
  C: number;
  W: number;
  B: number;
  base: number;
}

/**
 * The rows (λ/8 bytes per OT) of a batch of n: per chunk, `fill` writes the λ × 32W column
 * matrix (column i at words [i·W, i·W + W)) using a one-column scratch `col`; it is then
 * transposed into the chunk's rows.
 */
function extendRows(n: number, lambda: number, fill: (chunk: Chunk, matrix: Int32Array, col: Int32Array) => void): Uint8Array {
  const rw32 = lambda / 32;
  const rows = new Uint8Array((lambda / 8) * n);
  const rw = new Int32Array(rows.buffer);
  const Wmax = Math.ceil(Math.min(n, CHUNK) / 32);
  const matrix = new Int32Array(lambda * Wmax);
  const scratch = new Int32Array(rw32 * 32 * Wmax);
  const col = new Int32Array(Wmax);
  for (let c0 = 0; c0 < n; c0 += CHUNK) {
    const C = Math.min(CHUNK, n - c0);
    const W = Math.ceil(C / 32);
    fill({ c0, C, W, B: Math.ceil(C / 8), base: HEADER + (lambda / 8) * c0 }, matrix, col);
    transposeBits(matrix, lambda, W, scratch);
    rw.set(scratch.subarray(0, rw32 * C), rw32 * c0);
  }
  return rows;
}

/** The extension receiver: it was the base-OT sender and holds both seeds of each base OT. */
export class IknpReceiver {
  private readonly g0: Prg[];
  private readonly g1: Prg[];
  private next = 0;
  readonly domain: number;
  /** Columns: κ, one per base-OT seed pair. */
  readonly lambda: number;

  constructor(k0: readonly Uint8Array[], k1: readonly Uint8Array[], opts: Pick<IknpOptions, "domain"> = {}) {
    this.g0 = checkSeeds("IknpReceiver", k0);
    this.g1 = checkSeeds("IknpReceiver", k1);
    if (k1.length !== k0.length) misuse("IknpReceiver", `${k0.length} and ${k1.length} seeds`);
    this.lambda = k0.length;
    this.domain = opts.domain ?? 0;
  }

  /** Extend by choices.length OTs (one choice bit, 0 or 1, per byte): every column carries the choice (κ columns). */
  extend(choices: Uint8Array): { msg: Uint8Array; rows: ReceiverRows } {
    const r = new Int32Array(Math.ceil(Math.min(choices.length, CHUNK) / 32));
    return this.extendColumns(choices, (i, c0, C, out) => {
      if (i === 0) {
        r.fill(0);
        for (let j = 0; j < C; j++) {
          const c = choices[c0 + j]!;
          if (c > 1) misuse("IknpReceiver.extend", `choice ${c} at ${c0 + j} is not a bit`);
          r[j >>> 5] |= c << (j & 31);
        }
      }
      out.set(r.subarray(0, out.length));
    });
  }

  /**
   * Extend by choices.length OTs whose λ-bit choice rows are given by columns: `column(i, c0,
   * C, out)` writes bit j of column i for OTs c0..c0+C−1 into `out` (⌈C/32⌉ words, LSB first).
   * `choices` is kept in the rows (the flavour's record of what the receiver chose).
   */
  extendColumns(choices: Uint8Array, column: (i: number, c0: number, C: number, out: Int32Array) => void): { msg: Uint8Array; rows: ReceiverRows } {
    const n = choices.length;
    const first = this.next;
    this.next += n;
    const msg = new Uint8Array(iknpMsgBytes(n));
    writeBatchHeader(msg, first, n);
    const r = new Int32Array(Math.ceil(Math.min(n, CHUNK) / 32));
    const t = extendRows(n, this.lambda, ({ c0, C, W, B, base }, T, u) => {
      const uBytes = new Uint8Array(u.buffer, 0, B);
      for (let i = 0; i < this.lambda; i++) {
        column(i, c0, C, r.subarray(0, W));
        const a = this.g0[i]!.next(4 * W);
        const b = this.g1[i]!.next(4 * W);
        const o = i * W;
        for (let w = 0; w < W; w++) {
          const x = a[w]!;
          T[o + w] = x;
          u[w] = x ^ b[w]! ^ r[w]!;
        }
        msg.set(uBytes, base + i * B);
      }
    });
    return { msg, rows: { n, first, domain: this.domain, choices: choices.slice(), t } };
  }
}

/** The extension sender: it was the base-OT receiver with choices s and holds k_{s_i}. */
export class IknpSender {
  private readonly g: Prg[];
  private readonly s: Uint8Array;
  private next = 0;
  readonly domain: number;
  /** Δ = s as a 128-bit row (bit i = s_i, LSB-first). */
  readonly delta: Uint8Array;
  private readonly party: string;

  /** Columns: κ. */
  readonly lambda: number;

  constructor(s: Uint8Array, keys: readonly Uint8Array[], opts: IknpOptions = {}) {
    this.g = checkSeeds("IknpSender", keys);
    this.lambda = keys.length;
    if (s.length !== this.lambda) misuse("IknpSender", `${s.length} base-OT choices, expected ${this.lambda}`);
    this.s = Uint8Array.from(s);
    this.delta = new Uint8Array(this.lambda / 8);
    for (let i = 0; i < this.lambda; i++) {
      if (s[i]! > 1) misuse("IknpSender", `base-OT choice ${s[i]} at ${i} is not a bit`);
      this.delta[i >>> 3]! |= s[i]! << (i & 7);
    }
    this.domain = opts.domain ?? 0;
    this.party = opts.party ?? "ot";
  }

  /** Extend by n OTs with the receiver's message for this batch. */
  extend(n: number, msg: Uint8Array): SenderRows {
    const label: OtLabel = { party: this.party, where: "OT extension" };
    checkBatch(label, msg, iknpMsgBytes(n), `the u matrix for ${n} OTs`, this.next, n);
    const first = this.next;
    this.next += n;
    const q = extendRows(n, this.lambda, ({ W, B, base }, Q, u) => {
      const uBytes = new Uint8Array(u.buffer);
      for (let i = 0; i < this.lambda; i++) {
        const g = this.g[i]!.next(4 * W);
        const o = i * W;
        if (this.s[i]) {
          u[W - 1] = 0;
          uBytes.set(msg.subarray(base + i * B, base + (i + 1) * B));
          for (let w = 0; w < W; w++) Q[o + w] = g[w]! ^ u[w]!;
        } else Q.set(g, o);
      }
    });
    return { n, first, domain: this.domain, delta: this.delta, q };
  }
}
