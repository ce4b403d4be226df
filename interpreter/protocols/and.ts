// AND of XOR-shared bits with bit triples (GMW with a dealer).
// Cost (dealer): online each party sends 2n bits (⌈2n/8⌉ bytes) in one message, 1 round;
// offline the dealer sends n bits to the server. Proof: proofs/and.md.
// z = c ⊕ (d ∧ b) ⊕ (e ∧ a) ⊕ (d ∧ e)·[client], with d = x ⊕ a, e = y ⊕ b opened.
import { exchange, step, type Party } from "../twopc/party.js";
import { packBits, unpackBits } from "../twopc/ring.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";

const kernels: Kernels<(p: Party, x: Uint8Array, y: Uint8Array) => Promise<Uint8Array>> = {
  generic: { consumes: ["andTriples"], proof: "proofs/and.md", run: andBeaver },
};

export function and(p: Party, x: Uint8Array, y: Uint8Array): Promise<Uint8Array> {
  return step(p, "and", () => kernelOf(p, kernels).run(p, x, y));
}

async function andBeaver(p: Party, x: Uint8Array, y: Uint8Array): Promise<Uint8Array> {
  const n = x.length;
  if (n === 0) return new Uint8Array(0);
  const { a, b, c } = await p.corr.andTriples(n);
  const both = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    both[i] = x[i]! ^ a[i]!;
    both[n + i] = y[i]! ^ b[i]!;
  }
  const theirs = unpackBits(await exchange(p, packBits(both)), 2 * n);
  const z = new Uint8Array(n);
  const client = p.role === "client" ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const d = both[i]! ^ theirs[i]!;
    const e = both[n + i]! ^ theirs[n + i]!;
    z[i] = c[i]! ^ (d & b[i]!) ^ (e & a[i]!) ^ (d & e & client);
  }
  return z;
}
