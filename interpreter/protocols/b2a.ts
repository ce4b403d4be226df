// Bit to arithmetic: XOR shares of b → additive shares of b in Z_{2^N}, with a dealer bit
// pair (r as XOR shares and as additive shares): open c = b ⊕ r, then b = c + r − 2cr,
// i.e. r when c = 0 and 1 − r when c = 1 (the client adds the public 1).
// Cost (dealer): online each party sends n bits, 1 round; offline the dealer sends n·N
// bits to the server. Cost (ot, its own kernel): b = b0 + b1 − 2·b0·b1 with the product
// from one correlated OT (providers/ot.ts xorToArith): per element 128 bits server → client
// and N bits client → server, 1 round each way, nothing offline (CrypTFlow2's B2A).
// Proof: proofs/b2a.md.
import { exchange, step, type Party } from "../twopc/party.js";
import { packBits, unpackBits, getRing, setBig, zeroShare, type Share } from "../twopc/ring.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { fromVec, otOf } from "../providers/ot.js";

const kernels: Kernels<(p: Party, b: Uint8Array, bits: number, shape: number[]) => Promise<Share>> = {
  generic: { consumes: ["bitPairs"], proof: "proofs/b2a.md", run: b2aBitPair },
  native: { ot: { consumes: [], proof: "proofs/b2a.md", run: async (p, b, bits, shape) => fromVec(await otOf(p).xorToArith(b, bits), bits, shape) } },
};

export function b2a(p: Party, b: Uint8Array, bits: number, shape: number[]): Promise<Share> {
  return step(p, "b2a", () => kernelOf(p, kernels).run(p, b, bits, shape));
}

async function b2aBitPair(p: Party, b: Uint8Array, bits: number, shape: number[]): Promise<Share> {
  const n = b.length;
  const { bool, arith } = await p.corr.bitPairs(bits, n);
  const mine = new Uint8Array(n);
  for (let i = 0; i < n; i++) mine[i] = b[i]! ^ bool[i]!;
  const theirs = unpackBits(await exchange(p, packBits(mine)), n);
  const out = zeroShare(bits, shape);
  if (out.data instanceof Float64Array) return narrow(out, arith, mine, theirs, p.role === "client" ? 1 : 0);
  const one = p.role === "client" ? 1n : 0n;
  for (let i = 0; i < n; i++) {
    const r = getRing(arith, i);
    const v = (mine[i]! ^ theirs[i]!) === 0 ? r : one - r;
    setBig(out, i, BigInt.asIntN(bits, v));
  }
  return out;
}

/**
 * The local step on a narrow ring, in a synchronous function of its own (an async function's
 * loops are reoptimised with it): r when c = 0, one − r when c = 1, where 1 − r for r in
 * [−2^(N−1), 2^(N−1)) needs at most one period back.
 */
function narrow(out: Share, arith: Share, mine: Uint8Array, theirs: Uint8Array, one: number): Share {
  const r = arith.data as Float64Array;
  const o = out.data as Float64Array;
  const half = 2 ** (out.bits - 1);
  for (let i = 0; i < o.length; i++) {
    const v = (mine[i]! ^ theirs[i]!) === 0 ? r[i]! : one - r[i]!;
    o[i] = v >= half ? v - 2 * half : v + 0;
  }
  return out;
}
