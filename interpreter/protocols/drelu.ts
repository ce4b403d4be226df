// DReLU: XOR shares of 1 − msb(x), i.e. [x ≥ 0] in the two's-complement reading of the N
// bits (docs/LANGUAGE.md: for a uN value ≥ 2^(N−1) it is 0). Complementing an XOR-shared bit is
// local: the client flips its share. Proof: proofs/drelu.md.
// Cost: that of msb.ts — one comparison on N − 1 bits (≈ 6(N − 1) bits online per party,
// 1 + ⌈log₂(N − 1)⌉ rounds); nothing else.
import { step, type Party } from "../twopc/party.js";
import type { Share } from "../twopc/ring.js";
import { msb } from "./msb.js";

export function drelu(p: Party, x: Share): Promise<Uint8Array> {
  return step(p, "drelu", async () => {
    const b = await msb(p, x);
    if (p.role === "client") for (let i = 0; i < b.length; i++) b[i]! ^= 1;
    return b;
  });
}
