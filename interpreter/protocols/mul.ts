// Element-wise multiplication of two shared values with a Beaver triple (Beaver 1991).
// Cost (dealer): online each party sends 2·n·N bits in one message, 1 round; offline the
// dealer sends n·N bits to the server (its share of c). Proof: proofs/mul.md.
// z = c + e·b + f·a + e·f (the public e·f added by the client), with e = x − a, f = y − b.
import { exchange, step, type Party } from "../twopc/party.js";
import { add, concatBytes, mulElem, packRing, sub, unpackRing, type Share } from "../twopc/ring.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";

const kernels: Kernels<(p: Party, x: Share, y: Share) => Promise<Share>> = {
  generic: { consumes: ["triples"], proof: "proofs/mul.md", run: mulBeaver },
};

export function mul(p: Party, x: Share, y: Share): Promise<Share> {
  return step(p, "mul", () => kernelOf(p, kernels).run(p, x, y));
}

async function mulBeaver(p: Party, x: Share, y: Share): Promise<Share> {
  const { a, b, c } = await p.corr.triples(x.bits, x.shape);
  const e0 = sub(x, a);
  const f0 = sub(y, b);
  const mine = concatBytes(packRing(e0), packRing(f0));
  const theirs = await exchange(p, mine);
  const half = packRing(e0).length;
  const e = add(e0, unpackRing(theirs.subarray(0, half), x.bits, x.shape));
  const f = add(f0, unpackRing(theirs.subarray(half), x.bits, x.shape));
  let z = add(add(c, mulElem(e, b)), mulElem(f, a));
  if (p.role === "client") z = add(z, mulElem(e, f));
  return z;
}
