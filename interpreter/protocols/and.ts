// AND of XOR-shared bits with bit triples (GMW with a dealer), bit-sliced: 32 ANDs per word
// operation (twopc/bits.ts).
// Cost (dealer): online each party sends 2n bits (⌈2n/8⌉ bytes) in one message, 1 round;
// offline the dealer sends n bits to the server. Proof: proofs/and.md.
// z = c ⊕ (d ∧ b) ⊕ (e ∧ a) ⊕ (d ∧ e)·[client], with d = x ⊕ a, e = y ⊕ b opened.
import { exchange, step, type Party } from "../twopc/party.js";
import { bitsFromWire, bitsToWire, clearTail, concatBits, packWords, sliceBits, unpackWords, wordsFor, xorBits, zeroBits, type Bits } from "../twopc/bits.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { scratchOf } from "../twopc/scratch.js";

type And = (p: Party, x: Bits, y: Bits, n: number) => Promise<Bits>;

const kernels: Kernels<And> = {
  generic: { consumes: ["andTriples"], proof: "proofs/and.md", run: andBeaver },
};

/** XOR shares of x ∧ y for n-bit XOR-shared vectors x, y (bit-sliced). */
export function andBits(p: Party, x: Bits, y: Bits, n: number): Promise<Bits> {
  return step(p, "and", () => kernelOf(p, kernels).run(p, x, y, n));
}

/** The same with the bits one per byte. */
export async function and(p: Party, x: Uint8Array, y: Uint8Array): Promise<Uint8Array> {
  return unpackWords(await andBits(p, packWords(x), packWords(y), x.length), x.length);
}

async function andBeaver(p: Party, x: Bits, y: Bits, n: number): Promise<Bits> {
  if (n === 0) return zeroBits(0);
  const { a, b, c } = await p.corr.andTriples(n);
  const W = wordsFor(n);
  // The openings are temporaries: the party's scratch (the result z is a fresh vector).
  const s = scratchOf(p);
  const mark = s.mark();
  try {
    // One message: d = x ⊕ a's n bits, then e = y ⊕ b's.
    const d = xorBits(x, a, s.take(W));
    const e = xorBits(y, b, s.take(W));
    const theirs = bitsFromWire(await exchange(p, bitsToWire(concatBits([d, e], [n, n], s.take(wordsFor(2 * n))), 2 * n)), 2 * n);
    // The peer's d is the first n bits of its message: read in place (combine clears the tail).
    return combine(p.role === "client", c, a, b, d, e, theirs.subarray(0, W), sliceBits(theirs, n, n, s.take(W)), n);
  } finally {
    s.release(mark);
  }
}

// The loops live in small synchronous functions (here and bits.ts's xorBits): the async
// protocol above is deoptimised and reoptimised as its callers' shapes vary, and its loops with it.

/** z = c ⊕ (D ∧ b) ⊕ (E ∧ a) ⊕ (D ∧ E)·[client], D = d ⊕ d', E = e ⊕ e' (the opened masks), n bits. */
function combine(client: boolean, c: Bits, a: Bits, b: Bits, d: Bits, e: Bits, td: Bits, te: Bits, n: number): Bits {
  const one = client ? -1 : 0;
  const W = wordsFor(n);
  const z = new Uint32Array(W);
  for (let w = 0; w < W; w++) {
    const D = d[w]! ^ td[w]!;
    const E = e[w]! ^ te[w]!;
    z[w] = c[w]! ^ (D & b[w]!) ^ (E & a[w]!) ^ (D & E & one);
  }
  return clearTail(z, n);
}
