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
// Beaver opening per level. Measured with this engine (bench/elements.ts) this beats the
// alternatives: a 1-of-4 or 1-of-16 OT per triple costs 2 or 4 IKNP columns (128 bits each)
// per 1 or 2 triples, where a random OT per direction gives 2 triples for 2 columns; a direct
// AND by two correlated OTs costs the same columns and a second flight per level.
// Proof: proofs/millionaire-ot.md.
// Cost (ot), per element, q digits, both parties together: 128·m bits (the client's IKNP
// columns, one per compared bit) + 2^w₀ + Σ_{d ≥ 1} 2·2^{w_d} bits (the server's masked
// tables) + per tree node 256 bits (one random OT each way) + 4 bits (d and e opened by
// each party) + 2 more where the node's eq is needed (not on the low spine); nothing
// offline. Rounds per party 1 + ⌈log₂ q⌉: the client's columns, the server's corrections
// (with its first level's openings right behind them, no wait between), then one per level.
// E.g. m = 7 (DReLU on 8 bits): 896 + 16 + 16 + 260 = 1188 bits, 2 rounds.
//
// Shared low bits (`share`, compiler/requant-plan.ts SharedLow): the n inputs are k blocks,
// and element j·(n/k) + i (j ≥ 1) agrees with element i, on both sides, on the low `low`
// bits. Since pairs are formed from the low end, at each level the first ⌊L/2^level⌋ nodes
// cover leaves inside those bits, with L the leaves wholly inside them (`low` bits for the
// generic kernel, ⌊low/4⌋ digits for the OT kernel): blocks j ≥ 1 copy them (leaves
// included) from block 0 instead of computing them; the tree's shape, hence the rounds, is
// unchanged. The caller guarantees the agreement.
import { exchange, step, type Party } from "../twopc/party.js";
import { packBits, unpackBits } from "../twopc/ring.js";
import { and } from "./and.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { bitTripleBatch, otOf } from "../providers/ot.js";
import { receiveOneOfN, receiveRot, sendOneOfN, sendRot } from "../ot/batches.js";
import type { ReceiveIn, SendIn } from "../ot/round.js";
import type { SharedLow } from "../../compiler/requant-plan.js";
import { DIGIT, digitPlan, treeLevels } from "../../compiler/cost/ot-sizes.js";

export type { SharedLow };

/** Bits of each value, LSB first: out[j·m + i] = bit i of values[j]. */
export function toBitsLE(values: Float64Array | BigUint64Array, m: number): Uint8Array {
  const out = new Uint8Array(values.length * m);
  if (values instanceof Float64Array) {
    for (let j = 0; j < values.length; j++) {
      let v = values[j]!;
      for (let i = 0; i < m; i++) {
        out[j * m + i] = v % 2;
        v = Math.floor(v / 2);
      }
    }
  } else {
    for (let j = 0; j < values.length; j++) {
      let v = values[j]!;
      for (let i = 0; i < m; i++) {
        out[j * m + i] = Number(v & 1n);
        v >>= 1n;
      }
    }
  }
  return out;
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

/**
 * One level's ANDs: z1 = x ∧ y1 for every computed node, z2 = x ∧ y2 where `both` (the
 * node's eq is needed). Node c's operands are at index c.
 */
type NodeAnds = (x: Uint8Array, y1: Uint8Array, y2: Uint8Array, both: Uint8Array) => Promise<{ z1: Uint8Array; z2: Uint8Array }>;

/**
 * The tree over `width` leaves per element (gt, eq: n·width, leaf i of element e at
 * e·width + i, block 0's shared leaves already copied into the other blocks), the first
 * `sc` leaves of each element shared across blocks. `needEq(q, root)`: whether node q of a
 * level needs its eq. Returns gt of the root per element.
 */
async function tree(n: number, g: number, width: number, sc: number, gt0: Uint8Array, eq0: Uint8Array,
  needEq: (q: number, root: boolean) => boolean, ands: NodeAnds): Promise<Uint8Array> {
  let gt = gt0;
  let eq = eq0;
  // The levels' sizes are the forecast's too (compiler/cost/ot-sizes.ts).
  for (const { pairs, next, root, sp, cnt } of treeLevels(n, g, width, sc)) {
    const x = new Uint8Array(cnt);
    const y1 = new Uint8Array(cnt);
    const y2 = new Uint8Array(cnt);
    const both = new Uint8Array(cnt);
    let c = 0;
    for (let e = 0; e < n; e++) {
      for (let q = e < g ? 0 : sp; q < pairs; q++, c++) {
        const lo = e * width + 2 * q;
        x[c] = eq[lo + 1]!;
        y1[c] = gt[lo]!;
        y2[c] = eq[lo]!;
        both[c] = needEq(q, root) ? 1 : 0;
      }
    }
    const { z1, z2 } = await ands(x, y1, y2, both);
    const ngt = new Uint8Array(n * next);
    const neq = new Uint8Array(n * next);
    c = 0;
    for (let e = 0; e < n; e++) {
      const from = e < g ? 0 : sp;
      for (let q = 0; q < next; q++) {
        const t = e * next + q;
        if (q < from) {
          // shared: block 0's node
          ngt[t] = ngt[(e % g) * next + q]!;
          neq[t] = neq[(e % g) * next + q]!;
        } else if (q < pairs) {
          ngt[t] = gt[e * width + 2 * q + 1]! ^ z1[c]!;
          neq[t] = z2[c]!;
          c++;
        } else {
          // odd one out: carried up unchanged
          ngt[t] = gt[e * width + width - 1]!;
          neq[t] = eq[e * width + width - 1]!;
        }
      }
    }
    gt = ngt;
    eq = neq;
    width = next;
  }
  return gt;
}

/** The generic kernel: bit leaves, each gt by one AND, the tree's ANDs through and.ts. */
async function compareBits(p: Party, mine: Float64Array | BigUint64Array, { n, g, m, low }: Shape): Promise<Uint8Array> {
  const bits = toBitsLE(mine, m);
  const client = p.role === "client";
  // XOR shares: u is (u, 0), ¬v is (0, ¬v); eq_i = 1 ⊕ u_i ⊕ v_i (local, all elements);
  // gt_i by one AND, except the shared positions of blocks j ≥ 1 (copied).
  const eq = new Uint8Array(n * m);
  for (let t = 0; t < n * m; t++) eq[t] = client ? 1 ^ bits[t]! : bits[t]!;
  const x = new Uint8Array(g * m + (n - g) * (m - low));
  const y = new Uint8Array(x.length);
  let c = 0;
  for (let e = 0; e < n; e++) {
    for (let i = e < g ? 0 : low; i < m; i++, c++) {
      if (client) x[c] = bits[e * m + i]!;
      else y[c] = 1 ^ bits[e * m + i]!;
    }
  }
  const leaf = await and(p, x, y);
  const gt = new Uint8Array(n * m);
  c = 0;
  for (let e = 0; e < n; e++) {
    const from = e < g ? 0 : low;
    for (let i = 0; i < from; i++) gt[e * m + i] = gt[(e % g) * m + i]!;
    for (let i = from; i < m; i++, c++) gt[e * m + i] = leaf[c]!;
  }
  // The ANDs of a level in one call: eq_hi·gt_lo for every node, then eq_hi·eq_lo where needed.
  const ands: NodeAnds = async (x1, y1, y2, both) => {
    const cnt = x1.length;
    const extra = both.reduce((a, b) => a + b, 0);
    const left = new Uint8Array(cnt + extra);
    const right = new Uint8Array(cnt + extra);
    left.set(x1);
    right.set(y1);
    for (let i = 0, j = cnt; i < cnt; i++) {
      if (!both[i]) continue;
      left[j] = x1[i]!;
      right[j++] = y2[i]!;
    }
    const prod = await and(p, left, right);
    const z2 = new Uint8Array(cnt);
    for (let i = 0, j = cnt; i < cnt; i++) if (both[i]) z2[i] = prod[j++]!;
    return { z1: prod.subarray(0, cnt), z2 };
  };
  return tree(n, g, m, low, gt, eq, (_q, root) => !root, ands);
}

/** Digit d of each value (4 bits from bit 4d), element-major: out[e·q + d]. */
function digitsOf(values: Float64Array | BigUint64Array, q: number): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * q);
  if (values instanceof Float64Array) {
    for (let e = 0; e < n; e++) {
      let v = values[e]!;
      for (let d = 0; d < q; d++) {
        out[e * q + d] = v % 16;
        v = Math.floor(v / 16);
      }
    }
    return out;
  }
  // Two 32-bit halves per value, so the digits come from numbers (m ≤ 64: q ≤ 16).
  for (let e = 0; e < n; e++) {
    const v = values[e]!;
    const halves = [Number(v & 0xffffffffn), Number(v >> 32n)];
    for (let d = 0; d < q; d++) out[e * q + d] = (halves[d >> 3]! >>> (4 * (d & 7))) & 15;
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
  const gt = new Uint8Array(n * q);
  const eq = new Uint8Array(n * q);
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
      for (let i = 0; i < at.length; i++) {
        gt[at[i]!] = r[i]! & 1;
        eq[at[i]!] = r[i]! >>> 1;
      }
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
        gt[t] = rg[i]!;
        eq[t] = re[i]!;
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
  for (let e = g; e < n; e++) {
    for (let d = 0; d < Math.min(sd, q); d++) {
      gt[e * q + d] = gt[(e % g) * q + d]!;
      eq[e * q + d] = eq[(e % g) * q + d]!;
    }
  }
  if (q === 1) return gt;
  // Triple pairs, node t: (a_t, b_t bit j, c_t bit j) for j = 0, 1, with c = a·b ⊕ m0 ⊕ m_{a_Q}:
  // XORed over both parties, m0_P ⊕ m_{a_P} of the peer's OT leaves exactly a_P·b_Q.
  const b = new Uint8Array(T);
  const cc = new Uint8Array(T);
  if (T > 0) {
    const { m0, m1 } = pads!;
    for (let t = 0; t < T; t++) {
      b[t] = m0[t]! ^ m1[t]!;
      cc[t] = (a[t]! ? b[t]! : 0) ^ m0[t]! ^ got![t]!;
    }
  }
  // Node i of a level takes the next triple pair when its eq is needed, else the next single triple.
  let nextPair = 0;
  let nextSingle = 0;
  const ands: NodeAnds = async (x, y1, y2, both) => {
    const cnt = x.length;
    const extra = both.reduce((s, v) => s + v, 0);
    const ta = new Uint8Array(cnt);
    const tb1 = new Uint8Array(cnt);
    const tb2 = new Uint8Array(cnt);
    const tc1 = new Uint8Array(cnt);
    const tc2 = new Uint8Array(cnt);
    for (let i = 0; i < cnt; i++) {
      if (both[i]) {
        const t = nextPair++;
        ta[i] = a[t]!;
        tb1[i] = b[t]! & 1;
        tb2[i] = b[t]! >> 1;
        tc1[i] = cc[t]! & 1;
        tc2[i] = cc[t]! >> 1;
      } else {
        const u = nextSingle++;
        ta[i] = single!.a[u]!;
        tb1[i] = single!.b[u]!;
        tc1[i] = single!.c[u]!;
      }
    }
    const open = new Uint8Array(2 * cnt + extra);
    for (let i = 0, j = 2 * cnt; i < cnt; i++) {
      open[i] = x[i]! ^ ta[i]!;
      open[cnt + i] = y1[i]! ^ tb1[i]!;
      if (both[i]) open[j++] = y2[i]! ^ tb2[i]!;
    }
    const theirs = unpackBits(await exchange(p, packBits(open)), open.length);
    const z1 = new Uint8Array(cnt);
    const z2 = new Uint8Array(cnt);
    const one = client ? 1 : 0;
    for (let i = 0, j = 2 * cnt; i < cnt; i++) {
      const dd = open[i]! ^ theirs[i]!;
      const e1 = open[cnt + i]! ^ theirs[cnt + i]!;
      z1[i] = tc1[i]! ^ (dd & tb1[i]!) ^ (e1 & ta[i]!) ^ (dd & e1 & one);
      if (both[i]) {
        const e2 = open[j]! ^ theirs[j]!;
        j++;
        z2[i] = tc2[i]! ^ (dd & tb2[i]!) ^ (e2 & ta[i]!) ^ (dd & e2 & one);
      }
    }
    return { z1, z2 };
  };
  return tree(n, g, q, sd, gt, eq, (qq) => qq > 0, ands);
}
