// The square of a shared value with no offline phase (sqplus's x², Flash's activation):
// x = x0 + x1 mod 2^N, so x² = x0² + x1² + 2·x0·x1. Each party squares its own share; the
// cross term x0·x1 is a product of the client's share with the server's, which is the
// server-weight product (protocols/linear.ts serverLinear) of the element-wise map whose
// "weights" are the server's share and whose operand is the client's own share (clientOnly):
// under OT its native kernel — vector COTs made online, nothing offline; under HE the same
// (an element-wise map is not worth a ciphertext per element, he-sizes.ts); under the dealer
// its bilinear triple.
// Cost (ot): the client receives N vector COTs per element (bit k of x0 selects x1·2^k), as
// linearOt's plan (compiler/cost/ot-sizes.ts productPlan) prices it: about N·λ + N(N+1)/2
// bits per element, one round, zero offline — against the Beaver square's 2·N·(λ + N)
// offline and 4N online.
// Proof: proofs/square.md.
import { step, type Party } from "../twopc/party.js";
import { add, inRing, mulElem, mulScalar, type Share } from "../twopc/ring.js";
import type { LinearMap } from "../twopc/linear-map.js";
import { serverLinear } from "./linear.js";

/** The element-wise map x ↦ w ⊙ x over n elements of Z_2^N, as a per-channel scaling of n channels. */
export function elementwiseMap(n: number, N: number): LinearMap {
  return { op: "scale", w: [n], x: [n, 1, 1], y: [n, 1, 1], wElem: { bits: N, signed: false }, xElem: { bits: N, signed: false }, receiver: 0 };
}

export function square(p: Party, x: Share): Promise<Share> {
  return step(p, "square", async () => {
    const n = x.data.length;
    const N = x.bits;
    const cross = await serverLinear(p, elementwiseMap(n, N), p.role === "server" ? inRing(x, N, [n]) : undefined, inRing(x, N, [n, 1, 1]), true, false);
    return add(mulElem(x, x), mulScalar(inRing(cross, N, x.shape), 2n));
  });
}
