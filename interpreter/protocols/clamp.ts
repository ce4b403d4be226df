// clamp(x, lo, hi) = min(max(x, lo), hi) for shared x and public lo ≤ hi (a bound beyond x's type
// is the type's own end).
// Comparisons against a public constant c are carries (wrap.ts), exact with no larger ring:
// with x' = x + 2^(N−1) for a signed reading (order-preserving onto [0, 2^N)) and c' alike,
//   [x ≥ c] = [x' + (2^N − c') ≥ 2^N] = carry(x' + 2^N − c')   (c' ≥ 1; c' = 0 is always true),
// so b_lo = [x < lo] = ¬carry(x' + 2^N − lo') and b_hi = [x > hi] = carry(x' + 2^N − 1 − hi').
// A bound at the end of the type's range can never be crossed and is skipped. The two
// carries share the wrap of x's shares (wrapPublic): 3 comparisons instead of lessThan's 6.
// lo ≤ hi makes b_lo and b_hi exclusive, so the result is x + b_lo·(lo − x) + b_hi·(hi − x):
// one select over both products at once. lo > hi: min(max(x, lo), hi) = hi, a constant.
// Cost (dealer): 3 comparisons on N bits per element (2 with one bound skipped), 1 + ⌈log₂ N⌉
// rounds; select of 2n elements, 2(2N + 1) bits per element per party, 1 round.
// Proof: proofs/clamp.md.
import { step, type Party } from "../twopc/party.js";
import { add, constShare, mulScalar, zeroShare, type Share } from "../twopc/ring.js";
import { concat, flatten } from "../plain/kernels/shape.js";
import { copyShare } from "./lift.js";
import { select } from "./select.js";
import { wrapPublic } from "./wrap.js";

export function clamp(p: Party, x: Share, signed: boolean, lo: bigint, hi: bigint): Promise<Share> {
  return step(p, "clamp", async () => {
    const N = x.bits;
    const n = x.data.length;
    const client = p.role === "client";
    const offset = signed ? 1n << BigInt(N - 1) : 0n;
    const top = 1n << BigInt(N);
    const min = -offset;
    const max = top - 1n - offset;
    const constant = (v: bigint): Share => (client ? constShare(N, x.shape, () => v) : zeroShare(N, x.shape));
    if (lo > hi) return constant(hi);
    // A bound beyond the type's range is never crossed: it is the type's own end. (A result
    // outside the type — both bounds beyond one end — is PQ3001 at compile time.)
    if (lo > max || hi < min) throw new Error(`clamp: every value of ${signed ? "i" : "u"}${N} maps to a bound outside it`);
    if (lo < min) lo = min;
    if (hi > max) hi = max;
    const tests: { k: bigint; below: boolean; bound: bigint }[] = [];
    if (lo + offset > 0n) tests.push({ k: top - (lo + offset), below: true, bound: lo });
    if (hi + offset < top - 1n) tests.push({ k: top - 1n - (hi + offset), below: false, bound: hi });
    if (tests.length === 0) return copyShare(x);
    const carries = await wrapPublic(p, x, tests.map((t) => t.k), offset);
    const cond = new Uint8Array(tests.length * n);
    tests.forEach((t, j) => {
      // [x < lo] is the complement of the carry: the client flips its XOR share.
      const flip = t.below && client ? 1 : 0;
      for (let i = 0; i < n; i++) cond[j * n + i] = carries[j]![i]! ^ flip;
    });
    const negX = mulScalar(x, -1n);
    const gaps = tests.map((t) => add(negX, constant(t.bound)));
    const moved = await select(p, cond, concat(gaps.map(flatten), 0), zeroShare(N, [1]));
    let out = copyShare(x);
    for (let j = 0; j < tests.length; j++) {
      const part: Share = { shape: x.shape, bits: N, signed: true, data: moved.data.slice(j * n, (j + 1) * n) };
      out = add(out, part);
    }
    return out;
  });
}
