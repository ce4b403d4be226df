// [x < y] for shared N-bit x, y under a signed or unsigned reading, exactly (x − y may
// need N + 1 bits; no lift to a larger ring is needed). With ¬x = 2^N − 1 − x (bitwise
// complement, local: the client holds −1 − x0, the server −x1),
//   y + ¬x = 2^N + (y − x) − 1 ≥ 2^N  ⟺  y > x,
// so [x < y] = wrap(y, ¬x), the carry out of an N-bit addition (wrap.ts). A signed reading
// is first mapped to the unsigned order by adding 2^(N−1) to both (the client adds it),
// which is order-preserving from [−2^(N−1), 2^(N−1)) onto [0, 2^N).
// Cost (dealer): that of wrap — 3 comparisons on N bits per element batched in one
// (≈ 18N bits online per party), 1 + ⌈log₂ N⌉ rounds; no B2A, no multiplication.
// (Lifting both to N + 1 bits and taking the MSB of x − y would cost 3 comparisons + B2A.)
// Proof: proofs/lessThan.md.
import { step, type Party } from "../twopc/party.js";
import type { Share } from "../twopc/ring.js";
import { unsignedShares } from "./lift.js";
import { wrapReadings } from "./wrap.js";

export function lessThan(p: Party, x: Share, y: Share, signed: boolean): Promise<Uint8Array> {
  return step(p, "lessThan", () => {
    const N = x.bits;
    if (y.bits !== N || y.data.length !== x.data.length) throw new Error(`lessThan: Z_2^${N}×${x.data.length} against Z_2^${y.bits}×${y.data.length}`);
    const offset = signed ? 1n << BigInt(N - 1) : 0n;
    const m = 1n << BigInt(N);
    const client = p.role === "client";
    // Unsigned readings of this party's share of ¬x': client 2^N − 1 − u0, server (−u1) mod 2^N.
    const notX = unsignedShares(p, x, offset).map((u) => (client ? m - 1n - u : (m - u) & (m - 1n)));
    return wrapReadings(p, unsignedShares(p, y, offset), notX, N);
  });
}
