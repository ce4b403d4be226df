// Exact truncation ⌊x / 2^s⌋, in the same ring (trunc) or in Z_2^(N−s) (truncReduce).
// Never probabilistic: the carry of the low bits is computed, not guessed.
// With u0, u1 the unsigned N-bit shares, u0 = 2^s·h0 + l0 (l0 < 2^s), likewise u1:
//   ⌊u / 2^s⌋ = h0 + h1 + c − 2^(N−s)·w,  c = [l0 + l1 ≥ 2^s],  w = [u0 + u1 ≥ 2^N]
// (u = 2^s(h0 + h1 + c − 2^(N−s)w) + (l0 + l1 − 2^s c), the last term in [0, 2^s)).
// truncReduce: in Z_2^(N−s) the w term vanishes, so only c is needed — a comparison on
// s bits (CrypTFlow2/SiRNN's truncate-and-reduce, Rathee et al. 2021, §4).
// truncReduce of a declared multiple of 2^s (`exact`): local, c = [l0 ≠ 0] (exactShift).
// trunc, MSB known (`nonneg`): w = msb(u0) ∨ msb(u1) (extend.ts), one AND; c and w are
// converted by one B2A into N bits.
// trunc, MSB unknown: truncReduce, then lift the (N−s)-bit result back to N bits (its
// signedness is x's: ⌊v/2^s⌋ of a signed N-bit v is a signed (N−s)-bit value, of an
// unsigned one an unsigned (N−s)-bit value). Comparisons on s and N − s bits cost about as
// much as one on N bits — cheaper than computing c and the full-width w separately.
// Signed readings go through u = v + 2^(N−1) (the client adds it); since 2^s divides
// 2^(N−1), ⌊u / 2^s⌋ = ⌊v / 2^s⌋ + 2^(N−1−s), which the client subtracts at the end.
// Cost (dealer), per element and party, online (truncReduce with `exact`: nothing):
//   truncReduce: comparison on s bits (≈ 6s bits, 1 + ⌈log₂ s⌉ rounds) + B2A (1 bit, 1 round);
//                offline ≈ 3s bits + (N − s) bits.
//   trunc, known MSB: comparison on s bits + AND (2 bits, 1 round) + B2A of 2 bits (1 round).
//   trunc, unknown MSB: truncReduce + lift (N−s → N): ≈ 6N bits, 3 + ⌈log₂ s⌉ + ⌈log₂(N−s)⌉ rounds.
// Proof: proofs/trunc.md.
import { step, type Party } from "../twopc/party.js";
import { getRing, setBig, zeroShare, type Share } from "../twopc/ring.js";
import { b2a } from "./b2a.js";
import { knownMsbCarry } from "./extend.js";
import { carry, lift, narrow, unsignedDoubles, unsignedShares } from "./lift.js";
import { numWrapper } from "../plain/tensor.js";

function checkShift(what: string, N: number, s: number): void {
  if (!Number.isInteger(s) || s < 1 || s >= N) throw new Error(`${what}: shift ${s} outside 1..${N - 1} for Z_2^${N}`);
}

/** Each unsigned share split at bit s: high part ⌊u/2^s⌋ and low part u mod 2^s. */
function splitAt(u: readonly bigint[], s: number): { hi: bigint[]; lo: bigint[] } {
  const S = BigInt(s);
  const mask = (1n << S) - 1n;
  return { hi: u.map((v) => v >> S), lo: u.map((v) => v & mask) };
}

export function truncReduce(p: Party, x: Share, s: number, signed: boolean, nonneg: boolean, exact = false): Promise<Share> {
  return step(p, "truncreduce", async () => {
    const N = x.bits;
    checkShift("truncReduce", N, s);
    if (exact) return exactShift(p, x, s);
    // A known-MSB value reads the same either way; the offset is only needed for negatives.
    const half = signed && !nonneg ? 1n << BigInt(N - 1) : 0n;
    if (narrow(x, N)) {
      // The same on doubles: hi = ⌊u/2^s⌋, lo = u − 2^s·hi (exact: u < 2^52).
      const u = unsignedDoubles(p, x, half);
      const S = 2 ** s;
      const hiD = new Float64Array(u.length);
      const loD = new Float64Array(u.length);
      for (let i = 0; i < u.length; i++) {
        hiD[i] = Math.floor(u[i]! / S);
        loD[i] = u[i]! - hiD[i]! * S;
      }
      const C = await b2a(p, await carry(p, loD, s), N - s, x.shape);
      const out = zeroShare(N - s, x.shape);
      const wrap = numWrapper({ bits: N - s, signed: true });
      const back = p.role === "client" ? Number(half) / S : 0;
      const Cd = C.data as Float64Array;
      const o = out.data as Float64Array;
      for (let i = 0; i < u.length; i++) o[i] = wrap(hiD[i]! + Cd[i]! - back);
      return out;
    }
    const { hi, lo } = splitAt(unsignedShares(p, x, half), s);
    const c = await carry(p, lo, s);
    const C = await b2a(p, c, N - s, x.shape);
    const out = zeroShare(N - s, x.shape);
    const back = p.role === "client" ? half >> BigInt(s) : 0n;
    for (let i = 0; i < hi.length; i++) setBig(out, i, BigInt.asIntN(N - s, hi[i]! + getRing(C, i) - back));
    return out;
  });
}

/**
 * x / 2^s in Z_2^(N−s) when x is a multiple of 2^s: local. The low parts l0 + l1 ≡ 0 (mod 2^s)
 * sum to 0 or 2^s, so the carry c is [l0 ≠ 0], which the client knows; the client takes
 * h0 + c, the server h1 (proofs/trunc.md, exact division).
 */
function exactShift(p: Party, x: Share, s: number): Share {
  const N = x.bits;
  const { hi, lo } = splitAt(unsignedShares(p, x, 0n), s);
  const out = zeroShare(N - s, x.shape);
  const client = p.role === "client";
  for (let i = 0; i < hi.length; i++) setBig(out, i, BigInt.asIntN(N - s, hi[i]! + (client && lo[i] !== 0n ? 1n : 0n)));
  return out;
}

export function trunc(p: Party, x: Share, s: number, signed: boolean, nonneg: boolean): Promise<Share> {
  return step(p, "trunc", async () => {
    const N = x.bits;
    checkShift("trunc", N, s);
    if (!nonneg) return lift(p, await truncReduce(p, x, s, signed, false), signed, N);
    const n = x.data.length;
    const u = unsignedShares(p, x, 0n);
    const { hi, lo } = splitAt(u, s);
    const c = await carry(p, lo, s);
    const w = await knownMsbCarry(p, u, N);
    // One B2A for both bits: c is needed mod 2^N, w mod 2^s (it is scaled by 2^(N−s)).
    const both = new Uint8Array(2 * n);
    both.set(c, 0);
    both.set(w, n);
    const B = await b2a(p, both, N, [2 * n]);
    const out = zeroShare(N, x.shape);
    const k = BigInt(N - s);
    for (let i = 0; i < n; i++) setBig(out, i, BigInt.asIntN(N, hi[i]! + getRing(B, i) - (getRing(B, n + i) << k)));
    return out;
  });
}
