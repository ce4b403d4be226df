// ReLU: max(x, 0) under the value's reading. Signed: DReLU then select(b, x, 0) — the
// selection multiplies x by the shared bit [x ≥ 0]. Unsigned: every value is ≥ 0, so ReLU
// is the identity and costs nothing (a copy, so callers may mutate the result).
// Cost (dealer, signed): drelu (one comparison on N − 1 bits, 1 + ⌈log₂(N − 1)⌉ rounds) +
// select (2N + 1 bits per element per party, 1 round). Proof: proofs/relu.md.
import { step, type Party } from "../twopc/party.js";
import { zeroShare, type Share } from "../twopc/ring.js";
import { drelu } from "./drelu.js";
import { copyShare } from "./lift.js";
import { select } from "./select.js";

export function relu(p: Party, x: Share, signed: boolean): Promise<Share> {
  if (!signed) return Promise.resolve(copyShare(x));
  return step(p, "relu", async () => select(p, await drelu(p, x), x, zeroShare(x.bits, [1])));
}
