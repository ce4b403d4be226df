// select(b, x, y) = b ? x : y = y + b·(x − y), b XOR-shared, x and y additively shared in
// Z_2^N, in ONE round. The dealer gives a random bit r twice (XOR shares and additive shares:
// bitPairs) and a Beaver triple (a, β, γ = a·β). None of the three openings depends on
// another, so they travel in one message:
//   c = b ⊕ r (1 bit),  e = r − a,  f = d − β (N bits each),  with d = x − y.
// Beaver gives r·d = γ + e·β + f·a + e·f; and b = c ⊕ r is r when c = 0 and 1 − r when c = 1,
// so b·d = c ? d − r·d : r·d, all local once c, e, f are public. c is masked by the
// uniform bit r, e and f by the uniform a and β, so the openings reveal nothing.
// (B2A followed by mul computes the same with the same bits but in two rounds.)
// A scalar condition (b of length 1) opens one bit and broadcasts c and r.
// selectMany applies one condition to several (x, y) pairs — argmax's value and index, in
// different rings — sharing c and r: r is drawn in the widest ring and reduced into each
// (reduction mod 2^N is a ring homomorphism, so the reduced shares still add up to r).
// Cost (dealer): online 2N + 1 bits per element per party (Σ 2N_j + 1 for several pairs),
// 1 round; offline 2N bits per element to the server (the bit pair and the triple).
// A dealer correlation (r, β, r·β) would make e unnecessary: N + 1 bits per element.
// Under OT its own kernel (CrypTFlow2's multiplexer, Rathee et al. 2020, §3): with d = x − y
// and b = b0 ⊕ b1, (b0 ⊕ b1)·d_P = b_P·d_P + b_Q·(1 − 2b_P)·d_P, so each party P is the
// sender of one correlated OT with Δ = (1 − 2b_P)·d_P to the other's choice b_Q and keeps
// b_P·d_P − x. Cost (ot): per element and pair each party sends 128 + N bits (u, then the
// corrections), 2 rounds, nothing offline.
// Proof: proofs/select.md.
import { exchange, step, type Party } from "../twopc/party.js";
import { add, concatBytes, getRing, inRing, mulElem, packBits, packRing, sub, unpackBits, unpackRing, zeroShare, type Share } from "../twopc/ring.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { fromVec, otOf, toVec } from "../providers/ot.js";
import { receiveCot, sendCot } from "../ot/batches.js";
import type { Vec } from "../ot/vec.js";

export type Choice = readonly [x: Share, y: Share];

/** s (n elements, or one broadcast to n) in Z_2^bits with the given shape. */
function expand(s: Share, bits: number, shape: number[], n: number): Share {
  if (s.data.length === n) return inRing(s, bits, shape);
  const out = zeroShare(bits, shape);
  const v = BigInt.asIntN(bits, getRing(s, 0));
  if (out.data instanceof Float64Array) out.data.fill(Number(v));
  else out.data.fill(v);
  return out;
}

/** Element-wise c ? ifOne : ifZero for a public bit vector c (or one bit for all). */
function pick(c: Uint8Array, ifOne: Share, ifZero: Share): Share {
  const out = zeroShare(ifOne.bits, ifOne.shape);
  const at = c.length === 1 ? () => c[0]! : (i: number) => c[i]!;
  if (out.data instanceof Float64Array) {
    const a = ifOne.data as Float64Array;
    const b = ifZero.data as Float64Array;
    for (let i = 0; i < out.data.length; i++) out.data[i] = at(i) ? a[i]! : b[i]!;
  } else {
    const a = ifOne.data as BigInt64Array;
    const b = ifZero.data as BigInt64Array;
    for (let i = 0; i < out.data.length; i++) out.data[i] = at(i) ? a[i]! : b[i]!;
  }
  return out;
}

/**
 * b ? x : y for every pair, one condition for all pairs. Each pair's x and y share a ring;
 * y may be one element (broadcast); b has the pairs' element count or one element.
 */
const kernels: Kernels<(p: Party, b: Uint8Array, pairs: readonly Choice[]) => Promise<Share[]>> = {
  generic: { consumes: ["bitPairs", "triples"], proof: "proofs/select.md", run: selectBeaver },
  native: { ot: { consumes: [], proof: "proofs/select.md", run: selectOt } },
};

export function selectMany(p: Party, b: Uint8Array, pairs: readonly Choice[]): Promise<Share[]> {
  return step(p, "select", () => kernelOf(p, kernels).run(p, b, pairs));
}

/** The pairs' element count, after checking that pairs and condition agree. */
function checkPairs(b: Uint8Array, pairs: readonly Choice[]): number {
  const n = pairs[0]![0].data.length;
  for (const [x, y] of pairs) {
    if (x.data.length !== n) throw new Error(`select: pairs of ${n} and ${x.data.length} elements`);
    if (y.bits !== x.bits || (y.data.length !== n && y.data.length !== 1)) throw new Error(`select: y in Z_2^${y.bits}×${y.data.length} against x in Z_2^${x.bits}×${n}`);
  }
  const m = b.length;
  if (m !== n && m !== 1) throw new Error(`select: ${m} condition bits for ${n} elements`);
  return n;
}

async function selectOt(p: Party, b: Uint8Array, pairs: readonly Choice[]): Promise<Share[]> {
  if (pairs.length === 0) return [];
  const n = checkPairs(b, pairs);
  const ot = otOf(p);
  const bits = b.length === n ? b : new Uint8Array(n).fill(b[0]!);
  const prep = pairs.map(([x, y0]) => {
    const N = x.bits;
    const y = expand(y0, N, x.shape, n);
    const d = toVec(sub(x, y));
    // Δ = (1 − 2b_P)·d: d where b_P = 0, −d where b_P = 1; and b_P·d, kept by the sender.
    const delta: Vec = d instanceof BigUint64Array ? BigUint64Array.from(d, (v, i) => (bits[i] ? BigInt.asUintN(N, -v) : v)) : Float64Array.from(d, (v, i) => (bits[i] && v !== 0 ? 2 ** N - v : v));
    const kept: Vec = d instanceof BigUint64Array ? BigUint64Array.from(d, (v, i) => (bits[i] ? v : 0n)) : Float64Array.from(d, (v, i) => (bits[i] ? v : 0));
    return { N, y, delta, kept };
  });
  const { received, sent } = await ot.round(prep.map((q) => receiveCot(bits, q.N, p.role)), prep.map((q) => sendCot(q.delta, q.N)));
  return prep.map((q, j) => {
    const mine = sub(fromVec(q.kept, q.N, q.y.shape), fromVec(sent[j]!, q.N, q.y.shape));
    return add(add(q.y, mine), fromVec(received[j]!, q.N, q.y.shape));
  });
}

async function selectBeaver(p: Party, b: Uint8Array, pairs: readonly Choice[]): Promise<Share[]> {
  if (pairs.length === 0) return [];
  const n = checkPairs(b, pairs);
  const m = b.length;
  const wide = Math.max(...pairs.map(([x]) => x.bits));
  // Up to 32 bits every step is int32 arithmetic, exact mod 2^32 and so mod 2^N (2^N divides
  // 2^32), fused into one pass before the opening and one after (selectLocal).
  const int32 = wide <= 32;
  const { bool, arith } = await p.corr.bitPairs(wide, m);
  const c = new Uint8Array(m);
  for (let i = 0; i < m; i++) c[i] = b[i]! ^ bool[i]!;
  const prep: Prep[] = [];
  for (const [x, y0] of pairs) {
    const N = x.bits;
    const y = int32 && y0.data.length === 1 ? y0 : expand(y0, N, x.shape, n);
    const triple = await p.corr.triples(N, x.shape);
    prep.push(int32 ? masked32(x, y, arith, triple) : masked(x, y, expand(arith, N, x.shape, n), triple));
  }
  const mine = concatBytes(packBits(c), ...prep.flatMap((q) => [packRing(q.e), packRing(q.f)]));
  const theirs = await exchange(p, mine);
  const cb = Math.ceil(m / 8);
  const open = unpackBits(theirs.subarray(0, cb), m);
  for (let i = 0; i < m; i++) open[i]! ^= c[i]!;
  let o = cb;
  /** The peer's opening share of the next masked value. */
  const next = (like: Share): Share => {
    const len = Math.ceil((n * like.bits) / 8);
    const s = unpackRing(theirs.subarray(o, o + len), like.bits, like.shape);
    o += len;
    return s;
  };
  const client = p.role === "client";
  return prep.map((q) => {
    const eT = next(q.e);
    const fT = next(q.f);
    if (int32) return selectLocal(client, open, q, eT, fT);
    const e = add(q.e, eT);
    const f = add(q.f, fT);
    let rd = add(add(q.gamma, mulElem(e, q.beta)), mulElem(f, q.a));
    if (client) rd = add(rd, mulElem(e, f));
    const d = sub(q.x, q.y);
    return add(q.y, pick(open, sub(d, rd), rd));
  });
}

/** One pair's state between the opening's two halves: x, y (y of one element broadcasts, int32 path), the triple, this party's e and f. */
interface Prep {
  x: Share;
  y: Share;
  a: Share;
  beta: Share;
  gamma: Share;
  e: Share;
  f: Share;
}

/** e = r − a and f = (x − y) − β in Z_2^N. */
function masked(x: Share, y: Share, r: Share, t: { a: Share; b: Share; c: Share }): Prep {
  return { x, y, a: t.a, beta: t.b, gamma: t.c, e: sub(r, t.a), f: sub(sub(x, y), t.b) };
}

/** The same in one int32 pass (N ≤ 32): r, read in a ring of at most 32 bits, reduces to Z_2^N by the final shifts. */
function masked32(x: Share, y: Share, r: Share, t: { a: Share; b: Share; c: Share }): Prep {
  const N = x.bits;
  const sh = 32 - N;
  const e = zeroShare(N, x.shape);
  const f = zeroShare(N, x.shape);
  const E = e.data as Float64Array;
  const F = f.data as Float64Array;
  const X = x.data as Float64Array;
  const Y = y.data as Float64Array;
  const R = r.data as Float64Array;
  const A = t.a.data as Float64Array;
  const B = t.b.data as Float64Array;
  const yOne = Y.length === 1 && X.length !== 1;
  const rOne = R.length === 1 && X.length !== 1;
  for (let i = 0; i < X.length; i++) {
    E[i] = (((R[rOne ? 0 : i]! - A[i]!) | 0) << sh) >> sh;
    F[i] = (((X[i]! - Y[yOne ? 0 : i]! - B[i]!) | 0) << sh) >> sh;
  }
  return { x, y, a: t.a, beta: t.b, gamma: t.c, e, f };
}

/**
 * The local step of selectBeaver for rings of at most 32 bits in one pass: e and f opened
 * (this party's plus the peer's), rd = γ + e·β + f·α (+ e·f at the client), then
 * y + (open ? d − rd : rd) with d = x − y. Int32 arithmetic (Math.imul, | 0) is exact mod
 * 2^32, 2^N divides 2^32, and the final shift pair reads the result in signed N-bit form.
 */
function selectLocal(client: boolean, open: Uint8Array, q: Prep, eT: Share, fT: Share): Share {
  const out = zeroShare(q.x.bits, q.x.shape);
  const sh = 32 - q.x.bits;
  const o = out.data as Float64Array;
  const X = q.x.data as Float64Array;
  const Y = q.y.data as Float64Array;
  const E0 = q.e.data as Float64Array;
  const E1 = eT.data as Float64Array;
  const F0 = q.f.data as Float64Array;
  const F1 = fT.data as Float64Array;
  const A = q.a.data as Float64Array;
  const B = q.beta.data as Float64Array;
  const G = q.gamma.data as Float64Array;
  const one = open.length === 1;
  const yOne = Y.length === 1 && o.length !== 1;
  for (let i = 0; i < o.length; i++) {
    const ei = (E0[i]! + E1[i]!) | 0;
    const fi = (F0[i]! + F1[i]!) | 0;
    let rd = (G[i]! + Math.imul(ei, B[i]! | 0) + Math.imul(fi, A[i]! | 0)) | 0;
    if (client) rd = (rd + Math.imul(ei, fi)) | 0;
    const y = Y[yOne ? 0 : i]!;
    const v = (y + ((one ? open[0] : open[i]) ? X[i]! - y - rd : rd)) | 0;
    o[i] = (v << sh) >> sh;
  }
  return out;
}

/** b ? x : y element-wise (b of x's length, or one bit for all). */
export async function select(p: Party, b: Uint8Array, x: Share, y: Share): Promise<Share> {
  const [out] = await selectMany(p, b, [[x, y]]);
  return out!;
}
