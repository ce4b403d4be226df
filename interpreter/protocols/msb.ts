// MSB of an additively shared x ∈ Z_{2^N}: with x = x0 + x1 and L(·) the low N−1 bits,
// msb(x) = msb(x0) ⊕ msb(x1) ⊕ [L(x0) + L(x1) ≥ 2^(N−1)], and the carry is the
// millionaires' comparison L(x0) > 2^(N−1) − 1 − L(x1) (CrypTFlow2, Rathee et al. 2020,
// §4.1). Result: XOR shares of one bit per element. Proof: proofs/msb.md.
// Cost: one comparison on N − 1 bits (millionaire.ts); no other communication. With `share`
// (k blocks whose shares agree on their low bits, e.g. y − a and y − b with a ≡ b mod 2^t)
// the blocks after the first reuse the first's tree nodes over those bits (millionaire.ts).
import { step, type Party } from "../twopc/party.js";
import type { Share } from "../twopc/ring.js";
import { millionaire, type SharedLow } from "./millionaire.js";

/** The unsigned reading of each share element split as (msb, low N−1 bits). */
export function splitTop(x: Share): { top: Uint8Array; low: Float64Array | BigUint64Array } {
  const n = x.data.length;
  const N = x.bits;
  const top = new Uint8Array(n);
  if (x.data instanceof Float64Array) {
    const low = new Float64Array(n);
    const half = 2 ** (N - 1);
    const m = 2 ** N;
    for (let i = 0; i < n; i++) {
      const u = x.data[i]! < 0 ? x.data[i]! + m : x.data[i]!;
      top[i] = u >= half ? 1 : 0;
      low[i] = u >= half ? u - half : u;
    }
    return { top, low };
  }
  const low = new BigUint64Array(n);
  const mask = (1n << BigInt(N - 1)) - 1n;
  for (let i = 0; i < n; i++) {
    const u = BigInt.asUintN(N, x.data[i]!);
    top[i] = Number(u >> BigInt(N - 1));
    low[i] = u & mask;
  }
  return { top, low };
}

export function msb(p: Party, x: Share, share?: SharedLow): Promise<Uint8Array> {
  return step(p, "msb", async () => {
    const { top, low } = splitTop(x);
    const N = x.bits;
    // The server compares against 2^(N−1) − 1 − L(x1): the client's L(x0) is larger iff the sum carries.
    if (p.role === "server") {
      const top = 2 ** (N - 1) - 1;
      if (low instanceof Float64Array) for (let i = 0; i < low.length; i++) low[i] = top - low[i]!;
      else for (let i = 0; i < low.length; i++) low[i] = (1n << BigInt(N - 1)) - 1n - low[i]!;
    }
    // L(x1) agreeing on its low bits across blocks makes 2^(N−1) − 1 − L(x1) agree on them too.
    const carry = await millionaire(p, low, N - 1, share);
    for (let i = 0; i < top.length; i++) top[i]! ^= carry[i]!;
    return top;
  });
}
