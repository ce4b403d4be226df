// Millionaires' comparison: the client holds u, the server holds v (m-bit unsigned, one
// pair per element); both get XOR shares of [u > v]. Both kernels build the log-depth tree
// of CrypTFlow2's comparison (Rathee et al., CCS 2020, §3, Algorithm 1) over leaves, LSB
// first: each leaf gives XOR shares of gt = [u_leaf > v_leaf] and eq = [u_leaf = v_leaf];
// a node combines (hi, lo) into gt = gt_hi ⊕ (eq_hi ∧ gt_lo), eq = eq_hi ∧ eq_lo — the two
// terms of gt are exclusive, so ⊕ is ∨. Pairs are formed from the low end; an odd node out
// (the top one) is carried up unchanged.
//
// Generic kernel (any provider, AND triples through and.ts): the leaves are the m bits,
// gt_i = u_i ∧ ¬v_i (one AND) and eq_i = ¬(u_i ⊕ v_i) (local). Proof: proofs/millionaire.md.
// Cost (dealer): m + 2(m − 1) − 1 ANDs per element at most (the root needs no eq),
// each 2 bits sent per party: ≈ 6m bits online per party; 1 + ⌈log₂ m⌉ rounds.
//
// OT kernel (CrypTFlow2 §3 with pq's OT engine): the leaves are q = ⌈m/4⌉ digits of 4 bits
// (the top one w = m − 4(q − 1) bits). Per digit the server draws its shares (g_S, e_S) and
// sends, by one 1-of-2^w OT (ot/nchoose1.ts, table trick) on the client's digit c, the
// 2-bit message ([c > v_d] ⊕ g_S, [c = v_d] ⊕ e_S) for every c; digit 0 sends gt only (its
// eq, and the eq of every node holding digit 0, is never used: those nodes are always the
// lo child). The tree's ANDs use, per node, a pair of bit triples sharing their first factor
// (eq_hi is the first factor of both ANDs of a node): one random OT each way with 2-bit
// messages, P's choice a_P, gives P's sender pads (m0, m1) and b_P = m0 ⊕ m1 (two bits, one per
// triple), and the peer's received m_{a_Q} = m0 ⊕ a_Q·b_P — the cross term a_Q·b_P at once for
// both triples. These random OTs travel in the leaves' OT round, so the tree costs one
// Beaver opening per level. Chosen when OTs were IKNP's (bench/elements.ts measured it against a
// 1-of-4 or 1-of-16 OT per triple, and a direct AND by two correlated OTs with a second flight
// per level); with pooled silent COTs (1 bit per OT on the wire) it still sends the fewest bits.
// Proof: proofs/millionaire-ot.md.
// Cost (ot), per element, q digits, both parties together: m bits (the client's derandomizing
// bits, one per compared bit) + 2^w₀ + Σ_{d ≥ 1} 2·2^{w_d} bits (the server's masked
// tables) + per tree node 2 bits (one random OT each way) + 4 bits (d and e opened by
// each party) + 2 more where the node's eq is needed (not on the low spine); the pooled COTs
// (m + 2 per node) come from the session's refills (offline). Rounds per party 1 + ⌈log₂ q⌉:
// the client's bits, the server's corrections (with its first level's openings right behind
// them, no wait between), then one per level.
// E.g. m = 7 (DReLU on 8 bits): 7 + 16 + 16 + 6 = 45 bits, 2 rounds (and 9 pooled COTs).
//
// Shared low bits (`share`, compiler/requant-plan.ts SharedLow): the n inputs are k blocks,
// and element j·(n/k) + i (j ≥ 1) agrees with element i, on both sides, on the low `low`
// bits. Since pairs are formed from the low end, at each level the first ⌊L/2^level⌋ nodes
// cover leaves inside those bits, with L the leaves wholly inside them (`low` bits for the
// generic kernel, ⌊low/4⌋ digits for the OT kernel): blocks j ≥ 1 copy them (leaves
// included) from block 0 instead of computing them; the tree's shape, hence the rounds, is
// unchanged. The caller guarantees the agreement.
//
// Layout: both kernels hold the leaves and the tree's nodes bit-sliced (twopc/bits.ts), one plane
// of n bits per leaf or node (bit e is element e's), so a level's ANDs and its XORs are word
// operations on 32 elements at a time; a level's batch takes node 0's elements, then node 1's,
// … (a shared node: block 0's only), and a shared node's plane is block 0 tiled.
import { exchange, step, type Party } from "../twopc/party.js";
import { andBits } from "./and.js";
import {
  bitsFromWire, bitsToWire, concatBits, copyBits, notBits, packWords, sliceBits, tileBits, transpose32, unpackWords, wordsFor, xorBits, zeroBits, type Bits,
} from "../twopc/bits.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { scratchOf, type Scratch } from "../twopc/scratch.js";
import { bitTripleBatch, otOf } from "../providers/ot.js";
import { receiveOneOfN, receiveRot, sendOneOfN, sendRot } from "../ot/batches.js";
import type { ReceiveIn, SendIn } from "../ot/round.js";
import type { SharedLow } from "../../compiler/requant-plan.js";
import { DIGIT, digitPlan, treeLevels } from "../../compiler/cost/ot-sizes.js";

export type { SharedLow };

/** The values' bits as bit-sliced planes: bit e of planes[i] is bit i of values[e] (m ≤ 64). */
export function bitPlanesOf(values: Float64Array | BigUint64Array, m: number): Bits[] {
  const n = values.length;
  // One buffer for all m planes.
  const W = wordsFor(n);
  const all = new Uint32Array(m * W);
  const planes = Array.from({ length: m }, (_, i) => all.subarray(i * W, (i + 1) * W));
  const low = new Uint32Array(32);
  const high = new Uint32Array(32);
  // 32 elements at a time: their low (and high) 32-bit words as a bit matrix, transposed.
  for (let base = 0; base < n; base += 32) {
    const cnt = Math.min(32, n - base);
    for (let j = 0; j < cnt; j++) {
      if (values instanceof Float64Array) {
        // a double below 2^53: >>> 0 is its value mod 2^32, exactly
        const v = values[base + j]!;
        const lo = v >>> 0;
        low[j] = lo;
        if (m > 32) high[j] = (v - lo) / 4294967296;
      } else {
        const v = values[base + j]!;
        low[j] = Number(v & 0xffffffffn);
        if (m > 32) high[j] = Number(v >> 32n);
      }
    }
    if (cnt < 32) {
      low.fill(0, cnt);
      high.fill(0, cnt);
    }
    transpose32(low);
    if (m > 32) transpose32(high);
    const w = base >>> 5;
    for (let i = 0; i < m; i++) planes[i]![w] = i < 32 ? low[i]! : high[i - 32]!;
  }
  return planes;
}

/** The comparison's shape: n elements in k blocks of g, m bits, `low` of them shared across blocks. */
interface Shape {
  n: number;
  g: number;
  m: number;
  low: number;
}

type Compare = (p: Party, mine: Float64Array | BigUint64Array, s: Shape) => Promise<Uint8Array>;

const kernels: Kernels<Compare> = {
  // The ANDs go through and.ts, which asks the provider for its correlations.
  generic: { consumes: [], proof: "proofs/millionaire.md", run: compareBits },
  native: { ot: { consumes: [], proof: "proofs/millionaire-ot.md", run: compareDigits } },
};

/** XOR shares of [client's value > server's value], element-wise; `mine` is this party's vector. */
export function millionaire(p: Party, mine: Float64Array | BigUint64Array, m: number, share?: SharedLow): Promise<Uint8Array> {
  return step(p, "compare", async () => {
    const n = mine.length;
    if (m === 0 || n === 0) return new Uint8Array(n);
    const k = share?.k ?? 1;
    const low = share?.low ?? 0;
    if (!Number.isInteger(k) || k < 1 || n % k !== 0) throw new Error(`millionaire: ${n} elements are not ${k} equal blocks`);
    if (!Number.isInteger(low) || low < 0 || low > m) throw new Error(`millionaire: shared low bits ${low} outside 0..${m}`);
    return kernelOf(p, kernels).run(p, mine, { n, g: n / k, m, low });
  });
}

/** A node of a level, as its ANDs see it: `len` elements (g if shared across blocks, else n), and whether its eq is needed. */
interface Segment {
  len: number;
  eq: boolean;
}

/**
 * One level's ANDs, bit-sliced. The level's nodes are segments, one after another: x and y1
 * hold every node's (cnt bits), x2 and y2 those of the nodes whose eq is needed (`extra`
 * bits). z1 = x ∧ y1, z2 = x2 ∧ y2.
 */
type NodeAnds = (x: Bits, y1: Bits, cnt: number, x2: Bits, y2: Bits, extra: number, segs: readonly Segment[]) => Promise<{ z1: Bits; z2: Bits }>;

/**
 * The tree over `width` leaves per element, as planes (gt[i], eq[i]: leaf i of every element,
 * n bits; block 0's shared leaves already copied into the other blocks), the first `sc`
 * leaves shared across blocks. `needEq(q, root)`: whether node q of a level needs its eq.
 * Returns the root's gt plane.
 */
async function tree(n: number, g: number, width: number, sc: number, gt0: Bits[], eq0: Bits[],
  needEq: (q: number, root: boolean) => boolean, ands: NodeAnds, scratch: Scratch): Promise<Bits> {
  let gt = gt0;
  let eq = eq0;
  // The levels' sizes are the forecast's too (compiler/cost/ot-sizes.ts).
  for (const { pairs, next, root, sp, cnt } of treeLevels(n, g, width, sc)) {
    const segs: Segment[] = [];
    for (let q = 0; q < pairs; q++) segs.push({ len: q < sp ? g : n, eq: needEq(q, root) });
    const lens = segs.map((s) => s.len);
    const withEq = segs.flatMap((s, q) => (s.eq ? [q] : []));
    const lens2 = withEq.map((q) => segs[q]!.len);
    if (lens.reduce((a, b) => a + b, 0) !== cnt) throw new Error("internal: the millionaire's tree level differs from its plan");
    const extra = lens2.reduce((a, b) => a + b, 0);
    // node q: x = eq_hi, y1 = gt_lo, y2 = eq_lo (the level's operands: scratch, released once
    // its ANDs are done; z1 and z2 are fresh)
    const mark = scratch.mark();
    let z1: Bits;
    let z2: Bits;
    try {
      const x = concatBits(segs.map((_, q) => eq[2 * q + 1]!), lens, scratch.take(wordsFor(cnt)));
      const y1 = concatBits(segs.map((_, q) => gt[2 * q]!), lens, scratch.take(wordsFor(cnt)));
      const x2 = concatBits(withEq.map((q) => eq[2 * q + 1]!), lens2, scratch.take(wordsFor(extra)));
      const y2 = concatBits(withEq.map((q) => eq[2 * q]!), lens2, scratch.take(wordsFor(extra)));
      ({ z1, z2 } = await ands(x, y1, cnt, x2, y2, extra, segs));
    } finally {
      scratch.release(mark);
    }
    const ngt: Bits[] = [];
    const neq: Bits[] = [];
    let o1 = 0;
    let o2 = 0;
    // The level's new planes in one buffer: node q's gt, then its eq.
    const W = wordsFor(n);
    const level = new Uint32Array(2 * pairs * W);
    for (let q = 0; q < pairs; q++) {
      const { len, eq: withE } = segs[q]!;
      // gt = gt_hi ⊕ (eq_hi ∧ gt_lo); a shared node's blocks j ≥ 1 are block 0's
      const hi = gt[2 * q + 1]!;
      const ng = level.subarray(2 * q * W, (2 * q + 1) * W);
      copyBits(ng, 0, z1, o1, len);
      xorBits(ng, hi, ng);
      if (len < n) tileBits(ng, g, n);
      o1 += len;
      const ne = level.subarray((2 * q + 1) * W, (2 * q + 2) * W);
      if (withE) {
        copyBits(ne, 0, z2, o2, len);
        if (len < n) tileBits(ne, g, n);
        o2 += len;
      }
      ngt.push(ng);
      neq.push(ne);
    }
    if (next > pairs) {
      // odd one out: carried up unchanged
      ngt.push(gt[width - 1]!);
      neq.push(eq[width - 1]!);
    }
    gt = ngt;
    eq = neq;
    width = next;
  }
  return gt[0]!;
}

/** The generic kernel: bit leaves, each gt by one AND, the tree's ANDs through and.ts. */
async function compareBits(p: Party, mine: Float64Array | BigUint64Array, { n, g, m, low }: Shape): Promise<Uint8Array> {
  const planes = bitPlanesOf(mine, m);
  const client = p.role === "client";
  // XOR shares: u is (u, 0), ¬v is (0, ¬v); eq_i = 1 ⊕ u_i ⊕ v_i (local, all elements);
  // gt_i by one AND, over block 0 only where bit i is shared (the other blocks copy it).
  const eq = client ? planes.map((v) => notBits(v, n)) : planes;
  const lens = planes.map((_, i) => (i < low ? g : n));
  const total = lens.reduce((a, b) => a + b, 0);
  const ours = concatBits(client ? planes : planes.map((v) => notBits(v, n)), lens);
  const none = zeroBits(total);
  const leaf = client ? await andBits(p, ours, none, total) : await andBits(p, none, ours, total);
  const gt: Bits[] = [];
  let off = 0;
  for (let i = 0; i < m; i++) {
    const v = zeroBits(n);
    copyBits(v, 0, leaf, off, lens[i]!);
    if (lens[i]! < n) tileBits(v, g, n);
    off += lens[i]!;
    gt.push(v);
  }
  // The ANDs of a level in one call: eq_hi·gt_lo for every node, then eq_hi·eq_lo where needed.
  const scratch = scratchOf(p);
  const ands: NodeAnds = async (x, y1, cnt, x2, y2, extra) => {
    const mark = scratch.mark();
    try {
      const W = wordsFor(cnt + extra);
      const prod = await andBits(p, concatBits([x, x2], [cnt, extra], scratch.take(W)), concatBits([y1, y2], [cnt, extra], scratch.take(W)), cnt + extra);
      return { z1: sliceBits(prod, 0, cnt), z2: sliceBits(prod, cnt, extra) };
    } finally {
      scratch.release(mark);
    }
  };
  return unpackWords(await tree(n, g, m, low, gt, eq, (_q, root) => !root, ands, scratch), n);
}

/** Digit d of each value (4 bits from bit 4d), element-major: out[e·q + d]. */
function digitsOf(values: Float64Array | BigUint64Array, q: number): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * q);
  // Two 32-bit halves per value, so the digits come from integers (m ≤ 64: q ≤ 16); a double
  // is below 2^53, and >>> 0 is its value mod 2^32.
  for (let e = 0; e < n; e++) {
    let lo: number;
    let hi: number;
    if (values instanceof Float64Array) {
      const v = values[e]!;
      lo = v >>> 0;
      hi = q > 8 ? (v - lo) / 4294967296 : 0;
    } else {
      const v = values[e]!;
      lo = Number(v & 0xffffffffn);
      hi = q > 8 ? Number(v >> 32n) : 0;
    }
    for (let d = 0; d < q; d++) out[e * q + d] = ((d < 8 ? lo : hi) >>> (4 * (d & 7))) & 15;
  }
  return out;
}

/** Leaf instances of one 1-of-N OT batch: the digits of width w sending k-bit messages. */
interface LeafBatch {
  w: number;
  k: number;
  /** (element, digit) of each instance, as e·q + d. */
  at: number[];
}

/** The OT kernel: 4-bit digit leaves by 1-of-16 OT, the tree's ANDs with paired triples from random OTs. */
async function compareDigits(p: Party, mine: Float64Array | BigUint64Array, { n, g, m, low }: Shape): Promise<Uint8Array> {
  const ot = otOf(p);
  const client = p.role === "client";
  // The plan (digits, leaf batches, tree nodes) is the forecast's too: compiler/cost/ot-sizes.ts.
  // T: nodes with paired triples (their eq is needed), S: spine nodes with single triples.
  const { q, sd, leaves: plan, P: T, S } = digitPlan(n, g, m, low);
  const width = (d: number) => Math.min(DIGIT, m - DIGIT * d);
  // Batches by (digit width, message width): digit 0 (gt only), full digits, a short top digit.
  const batches = new Map<string, LeafBatch>(plan.map((b) => [`${b.w}/${b.k}`, { w: b.w, k: b.k, at: [] }]));
  for (let e = 0; e < n; e++) {
    for (let d = e < g ? 0 : sd; d < q; d++) batches.get(`${width(d)}/${d === 0 ? 1 : 2}`)!.at.push(e * q + d);
  }
  const leaves = [...batches.values()];
  if (leaves.some((b, i) => b.at.length !== plan[i]!.count)) throw new Error("internal: the millionaire's leaves differ from its plan");
  const dig = digitsOf(mine, q);
  const a = ot.randomBits(T);
  const rotIn = receiveRot(a, 2);
  const rotOut = sendRot(T, 2);
  // The spine nodes (whose eq no level reads) need one AND: single bit triples, two per 1-of-16 OT.
  const singles = bitTripleBatch(S, p.role, (k) => ot.randomBits(k));
  let single: { a: Uint8Array; b: Uint8Array; c: Uint8Array } | undefined;
  // The leaves as planes: bit e of gt[d] is element e's digit d.
  const gt = Array.from({ length: q }, () => zeroBits(n));
  const eq = Array.from({ length: q }, () => zeroBits(n));
  const setLeaf = (t: number, g1: number, e1: number) => {
    const e = (t / q) | 0;
    const d = t - e * q;
    gt[d]![e >>> 5]! |= g1 << (e & 31);
    eq[d]![e >>> 5]! |= e1 << (e & 31);
  };
  let pads: { m0: Uint8Array; m1: Uint8Array } | undefined;
  let got: Uint8Array | undefined;
  if (client) {
    const recv = leaves.map((b): ReceiveIn<Uint32Array> => {
      const v = Uint8Array.from(b.at, (t) => dig[t]!);
      return receiveOneOfN(v, 2 ** b.w, b.k, p.role);
    });
    const { received, sent } = await ot.round<Uint32Array | Uint8Array, { m0: Uint8Array; m1: Uint8Array }>(
      [...recv, ...(T > 0 ? [rotIn] : []), ...(S > 0 ? [singles.receive!] : [])], T > 0 ? [rotOut] : []);
    if (S > 0) single = singles.triples(received[leaves.length + (T > 0 ? 1 : 0)] as Uint32Array);
    leaves.forEach((b, j) => {
      const r = received[j] as Uint32Array;
      const at = b.at;
      for (let i = 0; i < at.length; i++) setLeaf(at[i]!, r[i]! & 1, r[i]! >>> 1);
    });
    if (T > 0) {
      got = received[leaves.length] as Uint8Array;
      pads = sent[0]!;
    }
  } else {
    const send = leaves.map((b): SendIn<null> => {
      const N = 2 ** b.w;
      const at = b.at;
      const messages = new Uint32Array(at.length * N);
      const rg = ot.randomBits(at.length);
      const re = b.k === 2 ? ot.randomBits(at.length) : new Uint8Array(at.length);
      // table[s·N + c] = [c > s] | [c = s]·2 (the eq bit only with 2-bit messages); each
      // instance's messages are its digit's row masked with (g_S, e_S).
      const table = new Uint32Array(N * N);
      for (let s = 0; s < N; s++) for (let c = 0; c < N; c++) table[s * N + c] = (c > s ? 1 : 0) | (b.k === 2 && c === s ? 2 : 0);
      for (let i = 0; i < at.length; i++) {
        const t = at[i]!;
        const row = dig[t]! * N;
        setLeaf(t, rg[i]!, re[i]!);
        const mask = rg[i]! | (re[i]! << 1);
        for (let c = 0; c < N; c++) messages[i * N + c] = table[row + c]! ^ mask;
      }
      return sendOneOfN(messages, N, b.k);
    });
    const { received, sent } = await ot.round<Uint8Array, { m0: Uint8Array; m1: Uint8Array } | null>(
      T > 0 ? [rotIn] : [], [...send, ...(T > 0 ? [rotOut] : []), ...(S > 0 ? [singles.send!] : [])]);
    if (S > 0) single = singles.triples();
    if (T > 0) {
      got = received[0]!;
      pads = sent[leaves.length]!;
    }
  }
  // Block 0's shared digits into the other blocks.
  if (n > g) {
    for (let d = 0; d < Math.min(sd, q); d++) {
      tileBits(gt[d]!, g, n);
      tileBits(eq[d]!, g, n);
    }
  }
  if (q === 1) return unpackWords(gt[0]!, n);
  // Triple pairs, node t: (a_t, b_t bit j, c_t bit j) for j = 0, 1, with c = a·b ⊕ m0 ⊕ m_{a_Q}:
  // XORed over both parties, m0_P ⊕ m_{a_P} of the peer's OT leaves exactly a_P·b_Q.
  const b0 = new Uint8Array(T);
  const b1 = new Uint8Array(T);
  const c0 = new Uint8Array(T);
  const c1 = new Uint8Array(T);
  if (T > 0) {
    const { m0, m1 } = pads!;
    for (let t = 0; t < T; t++) {
      const bt = m0[t]! ^ m1[t]!;
      const ct = (a[t]! ? bt : 0) ^ m0[t]! ^ got![t]!;
      b0[t] = bt & 1;
      b1[t] = bt >> 1;
      c0[t] = ct & 1;
      c1[t] = ct >> 1;
    }
  }
  // Bit-sliced: the pairs' a, b (both bits), c (both bits); the singles' a, b, c.
  const pair = { a: packWords(a), b0: packWords(b0), b1: packWords(b1), c0: packWords(c0), c1: packWords(c1) };
  const one1 = S > 0 ? { a: packWords(single!.a), b: packWords(single!.b), c: packWords(single!.c) } : undefined;
  // A node's segment takes the next pairs when its eq is needed, else the next single triples.
  let nextPair = 0;
  let nextSingle = 0;
  const one = client ? 0xffffffff : 0;
  const ands: NodeAnds = async (x, y1, cnt, _x2, y2, extra, segs) => {
    const ta = zeroBits(cnt);
    const tb1 = zeroBits(cnt);
    const tc1 = zeroBits(cnt);
    const tb2 = zeroBits(extra);
    const tc2 = zeroBits(extra);
    for (let i = 0, o = 0, o2 = 0; i < segs.length; o += segs[i]!.len, i++) {
      const { len, eq: withEq } = segs[i]!;
      if (withEq) {
        copyBits(ta, o, pair.a, nextPair, len);
        copyBits(tb1, o, pair.b0, nextPair, len);
        copyBits(tc1, o, pair.c0, nextPair, len);
        copyBits(tb2, o2, pair.b1, nextPair, len);
        copyBits(tc2, o2, pair.c1, nextPair, len);
        nextPair += len;
        o2 += len;
      } else {
        copyBits(ta, o, one1!.a, nextSingle, len);
        copyBits(tb1, o, one1!.b, nextSingle, len);
        copyBits(tc1, o, one1!.c, nextSingle, len);
        nextSingle += len;
      }
    }
    // One message: x ⊕ a (cnt bits), y1 ⊕ b (cnt), y2 ⊕ b' (extra).
    const d = xorBits(x, ta);
    const e1 = xorBits(y1, tb1);
    const e2 = xorBits(y2, tb2);
    const size = 2 * cnt + extra;
    const theirs = bitsFromWire(await exchange(p, bitsToWire(concatBits([d, e1, e2], [cnt, cnt, extra]), size)), size);
    const D = xorBits(d, sliceBits(theirs, 0, cnt));
    const E1 = xorBits(e1, sliceBits(theirs, cnt, cnt));
    const E2 = xorBits(e2, sliceBits(theirs, 2 * cnt, extra));
    const z1 = new Uint32Array(wordsFor(cnt));
    for (let w = 0; w < z1.length; w++) z1[w] = tc1[w]! ^ (D[w]! & tb1[w]!) ^ (E1[w]! & ta[w]!) ^ (D[w]! & E1[w]! & one);
    // The second AND of a paired node shares the first factor: d and a over those segments.
    const D2 = zeroBits(extra);
    const ta2 = zeroBits(extra);
    for (let i = 0, o = 0, o2 = 0; i < segs.length; o += segs[i]!.len, i++) {
      if (!segs[i]!.eq) continue;
      copyBits(D2, o2, D, o, segs[i]!.len);
      copyBits(ta2, o2, ta, o, segs[i]!.len);
      o2 += segs[i]!.len;
    }
    const z2 = new Uint32Array(wordsFor(extra));
    for (let w = 0; w < z2.length; w++) z2[w] = tc2[w]! ^ (D2[w]! & tb2[w]!) ^ (E2[w]! & ta2[w]!) ^ (D2[w]! & E2[w]! & one);
    return { z1, z2 };
  };
  return unpackWords(await tree(n, g, q, sd, gt, eq, (qq) => qq > 0, ands, scratchOf(p)), n);
}
