// Max pooling over k×k windows (no padding, partial windows dropped: docs/LANGUAGE.md), as a
// tournament: every window's candidates are paired (2q, 2q+1) and each pair keeps the right
// one iff left < right (lessThan.ts), picked by a select (select.ts); an odd candidate
// moves up unchanged. All windows' pairs of one level go into ONE lessThan and ONE select,
// so the rounds grow with the depth ⌈log₂ k²⌉, not with k² or the number of windows.
// `tournament` is shared with argmax: a payload (the index) rides along in the same select,
// and because the left candidate always covers smaller positions and wins ties, the winner
// is the first maximum. Proof: proofs/maxpool.md.
// Cost (dealer): per window k² − 1 comparisons (lessThan: ≈ 18N bits per party each) and
// selects (2N + 1 bits each); rounds ⌈log₂ k²⌉ · (2 + ⌈log₂ N⌉).
import { step, type Party } from "../twopc/party.js";
import { zeroShare, type Share } from "../twopc/ring.js";
import { poolWindows } from "../plain/kernels/common.js";
import { concat, flatten } from "../plain/kernels/shape.js";
import { lessThan } from "./lessThan.js";
import { selectMany, type Choice } from "./select.js";

/** out[i] = x[idx[i]] (a local rearrangement of one party's share). */
export function gather(x: Share, idx: Int32Array, shape: number[] = [idx.length]): Share {
  const out = zeroShare(x.bits, shape);
  if (out.data instanceof Float64Array) {
    const s = x.data as Float64Array;
    for (let i = 0; i < idx.length; i++) out.data[i] = s[idx[i]!]!;
  } else {
    const s = x.data as BigInt64Array;
    for (let i = 0; i < idx.length; i++) out.data[i] = s[idx[i]!]!;
  }
  return out;
}

/**
 * The maximum of each of `groups` consecutive runs of `width` elements of `values` (flat,
 * group-major), with the payload element at the winner's position when a payload is given.
 * Ties keep the earlier position.
 */
export async function tournament(
  p: Party, values: Share, groups: number, width: number, signed: boolean, payload?: Share,
): Promise<{ values: Share; payload: Share | undefined }> {
  let vals = values;
  let pay = payload;
  while (width > 1) {
    const pairs = Math.floor(width / 2);
    const next = Math.ceil(width / 2);
    const left = new Int32Array(groups * pairs);
    const right = new Int32Array(groups * pairs);
    for (let g = 0; g < groups; g++) {
      for (let q = 0; q < pairs; q++) {
        left[g * pairs + q] = g * width + 2 * q;
        right[g * pairs + q] = g * width + 2 * q + 1;
      }
    }
    const L = gather(vals, left);
    const R = gather(vals, right);
    const rightWins = await lessThan(p, L, R, signed);
    const choices: Choice[] = [[R, L]];
    if (pay) choices.push([gather(pay, right), gather(pay, left)]);
    const won = await selectMany(p, rightWins, choices);
    // Next level, group-major: the pairs' winners, then the odd candidate if any. Index k
    // below points into [winners ‖ current level].
    const from = new Int32Array(groups * next);
    for (let g = 0; g < groups; g++) {
      for (let q = 0; q < pairs; q++) from[g * next + q] = g * pairs + q;
      if (next > pairs) from[g * next + pairs] = groups * pairs + g * width + width - 1;
    }
    const advance = (w: Share, cur: Share): Share => gather(concat([w, flatten(cur)], 0), from);
    vals = advance(won[0]!, vals);
    if (pay) pay = advance(won[1]!, pay);
    width = next;
  }
  return { values: vals, payload: pay };
}

export function maxpool(p: Party, x: Share, signed: boolean, k: number, stride: number): Promise<Share> {
  return step(p, "maxpool", async () => {
    const { outShape, base, offsets } = poolWindows(x.shape, k, stride);
    const G = base.length;
    const T = offsets.length;
    const idx = new Int32Array(G * T);
    for (let g = 0; g < G; g++) for (let t = 0; t < T; t++) idx[g * T + t] = base[g]! + offsets[t]!;
    const { values } = await tournament(p, gather(x, idx), G, T, signed);
    return { ...values, shape: outShape };
  });
}
