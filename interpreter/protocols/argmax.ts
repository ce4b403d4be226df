// argmax over all elements (row-major), ties to the smallest index (docs/LANGUAGE.md), as a
// tournament of (value, index) pairs (maxpool.ts `tournament`): per level one lessThan
// for all pairs and one select that moves value and index together (one opened bit per
// pair serves both rings). The right candidate replaces the left only if it is strictly
// greater; the left always covers smaller indices, so the first maximum wins. The indices
// start as a public vector (the client's share; the server's is 0).
// Cost (dealer): n − 1 comparisons (lessThan: ≈ 18N bits per party each) and selects
// (2N + 2·outBits + 1 bits each); rounds ⌈log₂ n⌉ · (2 + ⌈log₂ N⌉). Proof: proofs/argmax.md.
import { step, type Party } from "../twopc/party.js";
import { constShare, zeroShare, type Share } from "../twopc/ring.js";
import { flatten } from "../plain/kernels/shape.js";
import { tournament } from "./maxpool.js";

/** The index of the first maximum of x, as a scalar share in Z_2^outBits. */
export function argmax(p: Party, x: Share, signed: boolean, outBits: number): Promise<Share> {
  return step(p, "argmax", async () => {
    const n = x.data.length;
    if (n === 0) throw new Error("argmax of an empty tensor");
    if (!Number.isInteger(outBits) || outBits < 1 || outBits > 64 || (outBits < 53 && n - 1 >= 2 ** outBits)) {
      throw new Error(`argmax: index ${n - 1} does not fit u${outBits}`);
    }
    const index = p.role === "client" ? constShare(outBits, [n], (i) => BigInt(i)) : zeroShare(outBits, [n]);
    const { payload } = await tournament(p, flatten(x), 1, n, signed, index);
    return { ...payload!, shape: [] };
  });
}
