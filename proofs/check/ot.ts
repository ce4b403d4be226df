// Checks of the OT-native kernels, run under the real `ot` provider (IKNP over an in-memory
// channel): the OT hybrid is not enumerated here — its randomness is node:crypto's — so these
// are correctness checks over every input, the randomness sampled (one run per case list).
// The privacy argument of the OT kernels is in their documents (proofs/millionaire-ot.md).
import { runBoth } from "../../interpreter/twopc/local.js";
import { millionaire } from "../../interpreter/protocols/millionaire.js";
import type { Outcome } from "./engine.js";

/**
 * millionaire under OT (proofs/millionaire-ot.md) on every (u, v) of m bits, all pairs as one
 * vector; with `low`, two blocks: every (u, v) of block 0 times every pair of high parts of
 * block 1, which keeps block 0's low `low` bits.
 */
export async function millionaireOtInputs(m: number, low = 0): Promise<Outcome> {
  const M = 2 ** m;
  const u: number[] = [];
  const v: number[] = [];
  if (low === 0) {
    for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) u.push(a), v.push(b);
  } else {
    const L = 2 ** low;
    const H = 2 ** (m - low);
    const u1: number[] = [];
    const v1: number[] = [];
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < M; b++) {
        for (let ha = 0; ha < H; ha++) {
          for (let hb = 0; hb < H; hb++) {
            u.push(a), v.push(b);
            u1.push(ha * L + (a % L)), v1.push(hb * L + (b % L));
          }
        }
      }
    }
    u.push(...u1);
    v.push(...v1);
  }
  const share = low > 0 ? { k: 2, low } : undefined;
  const r = await runBoth((p) => millionaire(p, Float64Array.from(u), m, share), (p) => millionaire(p, Float64Array.from(v), m, share), { provider: { kind: "ot" } });
  for (let i = 0; i < u.length; i++) {
    const want = u[i]! > v[i]! ? 1 : 0;
    const got = r.client[i]! ^ r.server[i]!;
    if (got !== want) return { cases: i, failure: `m = ${m}, low = ${low}: u = ${u[i]}, v = ${v[i]}: expected ${want}, got ${got}` };
  }
  return { cases: u.length };
}
