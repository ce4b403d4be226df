// Zero / sign extension N → n bits, choosing the protocol from the IR's known-MSB fact.
// MSB unknown: lift.ts (a comparison on N bits). MSB known to be 0 (`nonneg`, u < 2^(N−1),
// e.g. right after ReLU): the carry w = [u0 + u1 ≥ 2^N] is msb(u0) ∨ msb(u1) (SiRNN,
// Rathee et al. 2021, §4): both msbs set ⇒ carry; neither ⇒ u0 + u1 < 2^N; exactly one,
// say u0 ≥ 2^(N−1) > u1: no carry would mean u = u0 + u1 ≥ 2^(N−1), contradicting the fact.
// The OR of two privately held bits is a ⊕ b ⊕ (a ∧ b): one AND where the client inputs
// (a, 0) and the server (0, b). Then B2A of w into n − N bits and the same correction
// u_i − 2^N·W_i as lift.ts. A non-negative value reads the same signed or unsigned, so
// zext and sext coincide. The same protocol serves any value whose range (from the range
// analysis) spans less than half the ring, after a public offset (msbOffset).
// Cost (dealer), known MSB: online per party 2 bits (AND) + 1 bit (B2A), 2 rounds;
// offline 1 bit (AND triple) + (n − N) bits (B2A). Unknown MSB: as lift.ts.
// Proof: proofs/extend.md.
import { step, type Party } from "../twopc/party.js";
import type { Share } from "../twopc/ring.js";
import type { Interval } from "../../compiler/ops.js";
import { msbOffset } from "../../compiler/types.js";
import { and } from "./and.js";
import { b2a } from "./b2a.js";
import { combine, combineDoubles, copyShare, lift, narrow, unsignedDoubles, unsignedShares } from "./lift.js";

/**
 * XOR shares of the carry [u0 + u1 ≥ 2^N] of N-bit unsigned shares u_i whose sum is known to
 * be below 2^(N−1): msb(u0) ∨ msb(u1), with one AND.
 */
export async function knownMsbCarry(p: Party, u: readonly bigint[], N: number): Promise<Uint8Array> {
  const top = new Uint8Array(u.length);
  for (let i = 0; i < u.length; i++) top[i] = Number(u[i]! >> BigInt(N - 1));
  return msbOr(p, top);
}

/** XOR shares of top0 ∨ top1 from this party's bits (one AND): the known-MSB carry. */
async function msbOr(p: Party, top: Uint8Array): Promise<Uint8Array> {
  // The other party's bit enters as its own XOR share; our share of it is 0.
  const none = new Uint8Array(top.length);
  const ab = p.role === "client" ? await and(p, top, none) : await and(p, none, top);
  for (let i = 0; i < top.length; i++) ab[i]! ^= top[i]!;
  return ab;
}

/**
 * x in Z_2^toBits, the same value. The known-MSB protocol when x is `nonneg`, or when the
 * range analysis proves its values span less than half the ring (`range`, see msbOffset):
 * then the client adds the public offset c to its share, u = x + c lies in [0, 2^(N−1)),
 * its carry is msb(u0) ∨ msb(u1) (one AND), and c is subtracted again in the wider ring —
 * exact, and a comparison cheaper. Otherwise lift.ts (a comparison on N bits).
 */
export function extend(p: Party, x: Share, signed: boolean, nonneg: boolean, toBits: number, range?: Interval): Promise<Share> {
  const offset = nonneg ? 0n : range ? msbOffset(range, x.bits) : undefined;
  if (offset === undefined) return lift(p, x, signed, toBits);
  return step(p, "extend", async () => {
    const N = x.bits;
    if (!Number.isInteger(toBits) || toBits < N || toBits > 64) throw new Error(`extend: cannot extend Z_2^${N} to Z_2^${toBits}`);
    if (toBits === N) return copyShare(x);
    if (narrow(x, toBits)) {
      const u = unsignedDoubles(p, x, offset);
      const half = 2 ** (N - 1);
      const W = await b2a(p, await msbOr(p, Uint8Array.from(u, (v) => (v >= half ? 1 : 0))), toBits - N, x.shape);
      return combineDoubles(p, toBits, x.shape, u, N, W, offset);
    }
    const u = unsignedShares(p, x, offset);
    const w = await knownMsbCarry(p, u, N);
    const W = await b2a(p, w, toBits - N, x.shape);
    return combine(p, toBits, x.shape, u, N, W, offset);
  });
}

/** `zext(x, to = T)`: x's N bits read as unsigned, represented in Z_2^toBits. */
export function zext(p: Party, x: Share, nonneg: boolean, toBits: number): Promise<Share> {
  return extend(p, x, false, nonneg, toBits);
}

/** `sext(x, to = T)`: x's N bits read as two's complement, represented in Z_2^toBits. */
export function sext(p: Party, x: Share, nonneg: boolean, toBits: number): Promise<Share> {
  return extend(p, x, true, nonneg, toBits);
}
