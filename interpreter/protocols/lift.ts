// Lift: the same value in a larger ring, MSB unknown (SiRNN's zero/sign extension, Rathee
// et al. 2021, §4, with a dealer). With u0, u1 the unsigned readings of the N-bit shares and
// u their sum's unsigned reading, u = u0 + u1 − 2^N·w with the carry
//   w = [u0 + u1 ≥ 2^N] = [u0 > 2^N − 1 − u1]          (a millionaire on N bits),
// so in Z_2^n the shares u0 − 2^N·W0 and u1 − 2^N·W1 (W = B2A(w)) add up to u exactly.
// Only W mod 2^(n−N) matters (2^N·W is taken mod 2^n), so B2A targets n − N bits.
// A signed reading v = u − 2^(N−1) is lifted through u: the client adds the public 2^(N−1)
// to its share first and subtracts it again in the larger ring.
// Cost (dealer): one comparison on N bits (≈ 6N bits online per party, 1 + ⌈log₂ N⌉
// rounds) + B2A (1 bit, 1 round); offline ≈ 3N bits (AND triples) + (n − N) bits (B2A).
// Proof: proofs/lift.md.
import { step, type Party } from "../twopc/party.js";
import { getRing, setBig, zeroShare, type Share } from "../twopc/ring.js";
import { numWrapper } from "../plain/tensor.js";
import { b2a } from "./b2a.js";
import { millionaire } from "./millionaire.js";

/** The unsigned readings of a share's elements, with the client's public offset added first. */
export function unsignedShares(p: Party, x: Share, offset: bigint): bigint[] {
  const N = x.bits;
  const add = p.role === "client" ? offset : 0n;
  const out = new Array<bigint>(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(N, getRing(x, i) + add);
  return out;
}

/**
 * The same readings as doubles, for a share of N ≤ 52 bits whose result ring is at most 52
 * bits too (`narrow`): the hot paths (extension, truncation) then make no BigInt per element.
 */
export function unsignedDoubles(p: Party, x: Share, offset: bigint): Float64Array {
  const N = x.bits;
  const top = 2 ** N;
  const add = p.role === "client" ? Number(offset) : 0;
  const d = x.data as Float64Array;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) {
    // |d + add| < 2^51 + 2^52: exact, and so is the reduction.
    const v = d[i]! + add;
    out[i] = v - Math.floor(v / top) * top;
  }
  return out;
}

/** Whether a conversion from x to an n-bit ring can run on doubles (unsignedDoubles, carry, combineDoubles). */
export const narrow = (x: Share, n: number): boolean => x.data instanceof Float64Array && n <= 52;

/** `combine` on doubles (n ≤ 52, W in a ring of at most n − k bits, so |2^k·W| < 2^(n−1)). */
export function combineDoubles(p: Party, n: number, shape: number[], u: Float64Array, k: number, W: Share, offset: bigint): Share {
  if (!(W.data instanceof Float64Array) || W.bits + k > n) throw new Error(`internal: combineDoubles with a ${W.bits}-bit carry shifted by ${k} into ${n} bits`);
  const out = zeroShare(n, shape);
  const sub = p.role === "client" ? Number(offset) : 0;
  const scale = 2 ** k;
  const wrap = numWrapper({ bits: n, signed: true });
  const Wd = W.data;
  const o = out.data as Float64Array;
  for (let i = 0; i < u.length; i++) o[i] = wrap(u[i]! - Wd[i]! * scale - sub);
  return out;
}

/** Millionaire input for m-bit values: doubles hold them exactly up to 52 bits. */
export function cmpInput(values: readonly bigint[], m: number): Float64Array | BigUint64Array {
  return m <= 52 ? Float64Array.from(values, Number) : BigUint64Array.from(values);
}

/**
 * XOR shares of [a0 + a1 ≥ 2^m] for m-bit unsigned a_i held by each party (the carry out of
 * an m-bit addition): the client's a0 beats the server's 2^m − 1 − a1. The readings as
 * bigints, or as doubles (m ≤ 52, unsignedDoubles).
 */
export function carry(p: Party, mine: readonly bigint[] | Float64Array, m: number): Promise<Uint8Array> {
  if (mine instanceof Float64Array) {
    const top = 2 ** m - 1;
    return millionaire(p, p.role === "client" ? mine : mine.map((a) => top - a), m);
  }
  const top = (1n << BigInt(m)) - 1n;
  const v = p.role === "client" ? mine : mine.map((a) => top - a);
  return millionaire(p, cmpInput(v, m), m);
}

/**
 * Shares in Z_2^n of u − 2^k·w from this party's unsigned parts u_i (any size: reduced mod
 * 2^n), its additive share W_i of w (in a ring of at least n − k bits) and a public offset
 * the client subtracts. Used by every conversion that corrects a carry.
 */
export function combine(p: Party, n: number, shape: number[], u: readonly bigint[], k: number, W: Share | undefined, offset: bigint): Share {
  const out = zeroShare(n, shape);
  const sub = p.role === "client" ? offset : 0n;
  for (let i = 0; i < u.length; i++) {
    const w = W ? getRing(W, i) << BigInt(k) : 0n;
    setBig(out, i, BigInt.asIntN(n, u[i]! - w - sub));
  }
  return out;
}

/** A fresh copy (callers may mutate results; never alias the input's storage). */
export function copyShare(x: Share): Share {
  return { shape: [...x.shape], bits: x.bits, signed: true, data: x.data.slice() };
}

export function lift(p: Party, x: Share, signed: boolean, toBits: number): Promise<Share> {
  return step(p, "lift", async () => {
    const N = x.bits;
    if (!Number.isInteger(toBits) || toBits < N || toBits > 64) throw new Error(`lift: cannot lift Z_2^${N} to Z_2^${toBits}`);
    // Same ring: every representative already is the value.
    if (toBits === N) return copyShare(x);
    const half = signed ? 1n << BigInt(N - 1) : 0n;
    if (narrow(x, toBits)) {
      const u = unsignedDoubles(p, x, half);
      const W = await b2a(p, await carry(p, u, N), toBits - N, x.shape);
      return combineDoubles(p, toBits, x.shape, u, N, W, half);
    }
    const u = unsignedShares(p, x, half);
    const w = await carry(p, u, N);
    const W = await b2a(p, w, toBits - N, x.shape);
    return combine(p, toBits, x.shape, u, N, W, half);
  });
}
