// Silent correlated OT by Ferret's primal-LPN iteration, semi-honest (Yang–Weng–Lan–Zhang–Wang,
// CCS 2020, §4–5: "Ferret"; the single-point COT from a GGM tree is Boyle et al., CCS 2019, §5,
// as Ferret Fig. 5 states it). Sans-IO: the COT sender's `ferretSend` returns the one message of
// an iteration, the receiver's `ferretRecv` consumes it; nothing goes receiver → sender.
//
// Input: a reserve of r = k + t·h random COTs of the direction (q_j = t_j ⊕ c_j·Δ, the receiver's
// choices c_j uniform), made by IKNP or by the previous iteration. Output: n = t·2^h new ones with
// the same Δ. Steps:
//   1. MPCOT with regular noise: t GGM trees of 2^h leaves (the sender's seeds its own). Tree i
//      uses reserve COTs i·h … i·h + h − 1, one per level; the receiver's punctured leaf α_i has
//      bit ℓ (from the root) = 1 − c_{i·h+ℓ}, so the noise position is the receiver's own random
//      bit string. Per level the sender sends K0 ⊕ H(q), K1 ⊕ H(q ⊕ Δ) (the XORs of the level's
//      left and right nodes, TCCR-masked), the receiver unmasks K_{c} = the sibling side of its
//      path and rebuilds every node but the path's; per tree the sender sends Δ ⊕ ⊕ leaves, from
//      which the receiver gets v_α ⊕ Δ. Then w = v (sender) and u = v with u_α = v_α ⊕ Δ
//      (receiver) satisfy w = u ⊕ e·Δ, e the weight-t regular noise vector.
//   2. Primal LPN with a d-local code (d = 10): output j is q'_j = w_j ⊕ ⊕_{i∈S_j} q_{t·h+i} at
//      the sender, t'_j = u_j ⊕ ⊕ t_{t·h+i} and c'_j = e_j ⊕ ⊕ c_{t·h+i} at the receiver, S_j
//      d indices below k from a public PRG seed the sender picks per iteration. q' = t' ⊕ c'·Δ,
//      and c' is pseudorandom under LPN with regular noise.
// The first r outputs become the next iteration's reserve (ferret-pool.ts does that).
// GGM's PRG is fixed-key AES in Matyas–Meyer–Oseas form, G(s) = (π0(s) ⊕ s, π1(s) ⊕ s), two
// public keys (the ideal-permutation model, as emp-ot's two-key PRP). The masks use aes.ts's
// TCCR with tweak (the direction's count of level COTs hashed so far, domain) in a domain of
// their own.
// Parameters: emp-toolkit/emp-ot, emp-ot/ferret/constants.h (N_REG_PRIMAL_RD1 and _RD2, the set
// revised after Briaud–Øygarden's attack on regular LPN, Eurocrypt 2023): (n, k, t, h) =
// (75,520, 8,911, 590, 7) and (607,232, 69,454, 593, 10), d = 10 (emp-ot's LPN_D).
// Wire: `ferretMsgBytes(p)` = 8 + 16 + 32·t·h + 16·t bytes sender → receiver (header, PRG seed,
// two masked sums per level, one masked leaf sum per tree): 199,256 bytes for 607,232 COTs.
import { createCipheriv, randomBytes, type Cipher } from "node:crypto";
import { tccr } from "./aes.js";
import { lpnEncode } from "./lpn.js";
import { simd } from "./simd.js";
import { ferretMsgBytes, type LpnParams } from "../../compiler/cost/ot-sizes.js";
import { checkLength, malformed, misuse, words, type OtLabel } from "./wire.js";

export { ferretMsgBytes, type LpnParams };

/** Bytes before the masked sums: header (iteration, n) and the LPN matrix's seed. */
const HEAD = 8;
const SEED = 16;

/** The two fixed public keys of the GGM PRG (any distinct constants: the next 32 bytes of π's digits). */
const GGM_KEYS = [
  Uint8Array.from([0xa4, 0x09, 0x38, 0x22, 0x29, 0x9f, 0x31, 0xd0, 0x08, 0x2e, 0xfa, 0x98, 0xec, 0x4e, 0x6c, 0x89]),
  Uint8Array.from([0x45, 0x28, 0x21, 0xe6, 0x38, 0xd0, 0x13, 0x77, 0xbe, 0x54, 0x66, 0xcf, 0x34, 0xe9, 0x0c, 0x6c]),
];
let ggmCiphers: Cipher[] | undefined;

/** π_b over whole 16-byte blocks (node:crypto's fresh output). */
function piBytes(b: number, src: Uint8Array): Uint8Array {
  if (!ggmCiphers) {
    ggmCiphers = GGM_KEYS.map((k) => {
      const c = createCipheriv("aes-128-ecb", k, null);
      c.setAutoPadding(false);
      return c;
    });
  }
  return ggmCiphers[b]!.update(src);
}

/** π_b over whole 16-byte blocks, as int32 words. */
function pi(b: number, src: Uint8Array): Int32Array {
  const out = piBytes(b, src);
  if (out.byteOffset % 4 === 0) return new Int32Array(out.buffer, out.byteOffset, out.length >>> 2);
  const copy = new Int32Array(out.length >>> 2);
  new Uint8Array(copy.buffer).set(out);
  return copy;
}

/**
 * One GGM level of all t trees at once, tree-major (tree i's nodes at i·2^ℓ …): node g's
 * children are nodes 2g and 2g + 1 of the next level. Returns the next level and, per tree, the
 * XOR of its left (even) and right (odd) children: sums[8i .. 8i+3] and [8i+4 .. 8i+7].
 */
function expand(level: Int32Array, t: number): { next: Int32Array; sums: Int32Array } {
  const nodes = level.length >>> 2;
  const bytes = new Uint8Array(level.buffer, level.byteOffset, level.length * 4);
  const e0 = pi(0, bytes);
  const e1 = pi(1, bytes);
  const next = new Int32Array(2 * level.length);
  const sums = new Int32Array(8 * t);
  const per = nodes / t;
  for (let i = 0, g = 0; i < t; i++) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (let x = 0; x < per; x++, g++) {
      const s = 4 * g;
      const o = 8 * g;
      const s0 = level[s]!, s1 = level[s + 1]!, s2 = level[s + 2]!, s3 = level[s + 3]!;
      const l0 = e0[s]! ^ s0, l1 = e0[s + 1]! ^ s1, l2 = e0[s + 2]! ^ s2, l3 = e0[s + 3]! ^ s3;
      const r0 = e1[s]! ^ s0, r1 = e1[s + 1]! ^ s1, r2 = e1[s + 2]! ^ s2, r3 = e1[s + 3]! ^ s3;
      next[o] = l0; next[o + 1] = l1; next[o + 2] = l2; next[o + 3] = l3;
      next[o + 4] = r0; next[o + 5] = r1; next[o + 6] = r2; next[o + 7] = r3;
      a0 ^= l0; a1 ^= l1; a2 ^= l2; a3 ^= l3;
      b0 ^= r0; b1 ^= r1; b2 ^= r2; b3 ^= r3;
    }
    const q = 8 * i;
    sums[q] = a0; sums[q + 1] = a1; sums[q + 2] = a2; sums[q + 3] = a3;
    sums[q + 4] = b0; sums[q + 5] = b1; sums[q + 6] = b2; sums[q + 7] = b3;
  }
  return { next, sums };
}

/** A GGM expansion of t trees, level by level (what both sides of an iteration walk). */
export interface GgmLevels {
  /** The next level (a view the receiver may change before the next call) and each tree's two sums (expand's). */
  expand(): { next: Int32Array; sums: Int32Array };
  /** The last level made, as an array of its own. */
  leaves(): Int32Array;
}

/**
 * The levels below `roots` (t of them) down to t·2^h leaves. With simd.ts's kernel the levels
 * stay in its heap, and only the AES outputs are copied in; otherwise `expand` above.
 */
export function ggmLevels(roots: Int32Array, t: number, h: number, useSimd = true): GgmLevels {
  const w = useSimd ? simd() : null;
  if (!w) {
    let level = roots;
    return {
      expand: () => {
        const r = expand(level, t);
        level = r.next;
        return r;
      },
      leaves: () => level,
    };
  }
  const n = t * 2 ** h;
  // Layout: two levels of up to n nodes (16 B each), the two permutations of up to n/2, the sums.
  const E0 = 32 * n;
  const E1 = 40 * n;
  const SUMS = 48 * n;
  const heap = w.heap(SUMS + 32 * t);
  const u8 = new Uint8Array(heap);
  u8.set(new Uint8Array(roots.buffer, roots.byteOffset, 16 * t), 0);
  let cur = 0;
  let nxt = 16 * n;
  let nodes = t;
  return {
    expand: () => {
      const src = u8.subarray(cur, cur + 16 * nodes);
      u8.set(piBytes(0, src), E0);
      u8.set(piBytes(1, src), E1);
      w.ggm(cur, E0, E1, nxt, SUMS, t, nodes / t);
      const out = { next: new Int32Array(heap, nxt, 8 * nodes), sums: new Int32Array(heap, SUMS, 8 * t) };
      [cur, nxt] = [nxt, cur];
      nodes *= 2;
      return out;
    },
    leaves: () => new Int32Array(heap.slice(cur, cur + 16 * nodes)),
  };
}

/** The iteration's place in its direction: its number (the header), the first TCCR tweak of its level COTs, and the hash domain. */
export interface FerretContext {
  readonly iteration: number;
  readonly first: number;
  readonly domain: number;
  readonly party?: string;
}

function int32(rows: Uint8Array): Int32Array {
  const w = words(rows);
  return new Int32Array(w.buffer, w.byteOffset, w.length);
}

function checkReserve(where: string, p: LpnParams, rows: Uint8Array): void {
  if (rows.length !== 16 * (p.k + p.t * p.h)) misuse(where, `a reserve of ${rows.length / 16} COTs, expected ${p.k + p.t * p.h}`);
}

/**
 * The sender's side of one iteration: from its reserve rows q (16 B each) and Δ, the message and
 * its n new rows (q'_j = t'_j ⊕ c'_j·Δ).
 */
export function ferretSend(p: LpnParams, reserve: Uint8Array, delta: Uint8Array, ctx: FerretContext): { msg: Uint8Array; q: Uint8Array } {
  checkReserve("ferretSend", p, reserve);
  const { t, h, n, k } = p;
  const msg = new Uint8Array(ferretMsgBytes(p));
  const head = new DataView(msg.buffer);
  head.setUint32(0, ctx.iteration >>> 0, true);
  head.setUint32(4, n, true);
  const seed = randomBytes(SEED);
  msg.set(seed, HEAD);
  const masks = new Int32Array(msg.buffer, HEAD + SEED, 8 * t * h + 4 * t);
  // The level COTs' pads: H(q) and H(q ⊕ Δ), 4 words per COT (tree i, level ℓ at i·h + ℓ − 1).
  const levelRows = words(reserve.subarray(0, 16 * t * h));
  const h0 = new Uint32Array(4 * t * h);
  const h1 = new Uint32Array(4 * t * h);
  tccr(levelRows, t * h, ctx.first, ctx.domain, h0);
  tccr(levelRows, t * h, ctx.first, ctx.domain, h1, words(delta));
  const tree = ggmLevels(int32(randomBytes(16 * t)), t, h);
  for (let l = 0; l < h; l++) {
    const { sums } = tree.expand();
    for (let i = 0; i < t; i++) {
      const c = 4 * (i * h + l);
      const m = 8 * (i * h + l);
      for (let w = 0; w < 4; w++) {
        masks[m + w] = sums[8 * i + w]! ^ h0[c + w]!;
        masks[m + 4 + w] = sums[8 * i + 4 + w]! ^ h1[c + w]!;
      }
    }
  }
  const level = tree.leaves();
  // Per tree: Δ ⊕ the XOR of its leaves.
  const d = words(delta);
  const per = 1 << h;
  for (let i = 0; i < t; i++) {
    let a0 = d[0]! | 0, a1 = d[1]! | 0, a2 = d[2]! | 0, a3 = d[3]! | 0;
    for (let x = i * per; x < (i + 1) * per; x++) {
      a0 ^= level[4 * x]!; a1 ^= level[4 * x + 1]!; a2 ^= level[4 * x + 2]!; a3 ^= level[4 * x + 3]!;
    }
    const o = 8 * t * h + 4 * i;
    masks[o] = a0; masks[o + 1] = a1; masks[o + 2] = a2; masks[o + 3] = a3;
  }
  const base = int32(reserve.subarray(16 * t * h));
  lpnEncode(seed, k, level, base, n);
  return { msg, q: new Uint8Array(level.buffer, level.byteOffset, 16 * n) };
}

/**
 * The receiver's side: from its reserve (choices one per byte, rows t) and the sender's message,
 * its n new choices and rows.
 */
export function ferretRecv(p: LpnParams, choices: Uint8Array, reserve: Uint8Array, msg: Uint8Array, ctx: FerretContext): { c: Uint8Array; t: Uint8Array } {
  checkReserve("ferretRecv", p, reserve);
  const { t, h, n, k } = p;
  if (choices.length !== k + t * h) misuse("ferretRecv", `${choices.length} reserve choices, expected ${k + t * h}`);
  const label: OtLabel = { party: ctx.party ?? "ot", where: "silent OT (Ferret)" };
  checkLength(label, msg, ferretMsgBytes(p), `an iteration's message (${n} COTs)`);
  const head = new DataView(msg.buffer, msg.byteOffset, HEAD);
  if (head.getUint32(0, true) !== ctx.iteration >>> 0) malformed(label, `iteration ${head.getUint32(0, true)} arrived, this party is at ${ctx.iteration} (a replayed or reordered message)`);
  if (head.getUint32(4, true) !== n) malformed(label, `the iteration makes ${head.getUint32(4, true)} COTs, this party expected ${n}`);
  const seed = msg.slice(HEAD, HEAD + SEED);
  const masks = int32(msg.slice(HEAD + SEED));
  const hc = new Uint32Array(4 * t * h);
  tccr(words(reserve.subarray(0, 16 * t * h)), t * h, ctx.first, ctx.domain, hc);
  // path[i]: the index of tree i's punctured node at the current level.
  const path = new Int32Array(t);
  const tree = ggmLevels(new Int32Array(4 * t), t, h); // the roots: unknown, zero
  for (let l = 0; l < h; l++) {
    const { next, sums } = tree.expand();
    const per = 2 << l;
    for (let i = 0; i < t; i++) {
      const cbit = choices[i * h + l]!;
      if (cbit > 1) misuse("ferretRecv", `choice ${cbit} is not a bit`);
      // The path goes to the side 1 − c; the sibling (side c) is K_c ⊕ the other nodes of side c.
      const parent = i * (per >>> 1) + path[i]!;
      const sib = 2 * parent + cbit;
      const onPath = 2 * parent + 1 - cbit;
      const s = 8 * i + 4 * cbit; // this side's sum, which includes the parent's garbage child
      const m = 8 * (i * h + l) + 4 * cbit;
      const c = 4 * (i * h + l);
      for (let w = 0; w < 4; w++) {
        const known = sums[s + w]! ^ next[4 * sib + w]!;
        next[4 * sib + w] = masks[m + w]! ^ hc[c + w]! ^ known;
        next[4 * onPath + w] = 0;
      }
      path[i] = 2 * path[i]! + 1 - cbit;
    }
  }
  const level = tree.leaves();
  // The punctured leaf: Δ ⊕ v_α = (Δ ⊕ ⊕ leaves) ⊕ ⊕ (the known leaves).
  const per = 1 << h;
  const e = new Uint8Array(n);
  for (let i = 0; i < t; i++) {
    const o = 8 * t * h + 4 * i;
    let a0 = masks[o]!, a1 = masks[o + 1]!, a2 = masks[o + 2]!, a3 = masks[o + 3]!;
    for (let x = i * per; x < (i + 1) * per; x++) {
      a0 ^= level[4 * x]!; a1 ^= level[4 * x + 1]!; a2 ^= level[4 * x + 2]!; a3 ^= level[4 * x + 3]!;
    }
    const a = i * per + path[i]!;
    level[4 * a] = a0; level[4 * a + 1] = a1; level[4 * a + 2] = a2; level[4 * a + 3] = a3;
    e[a] = 1;
  }
  lpnEncode(seed, k, level, int32(reserve.subarray(16 * t * h)), n, e, choices.subarray(t * h));
  return { c: e, t: new Uint8Array(level.buffer, level.byteOffset, 16 * n) };
}
