// wrap(x, y) for shared x, y ∈ Z_2^N: the carry out of the unsigned N-bit addition x + y.
// With u_i, v_i the unsigned readings of party i's shares (i = 0 client, 1 server),
//   x = u0 + u1 − 2^N·wx,  y = v0 + v1 − 2^N·wy,   wx = [u0 + u1 ≥ 2^N], wy likewise,
// and s_i = u_i + v_i = 2^N·t_i + l_i split locally into its top bit t_i and l_i < 2^N,
// c = [l0 + l1 ≥ 2^N]. Then x + y = (l0 + l1 − 2^N·c) + 2^N·(c + t0 + t1 − wx − wy), whose
// first term lies in [0, 2^N); so the carry ⌊(x + y)/2^N⌋ = c + t0 + t1 − wx − wy ∈ {0, 1}
// equals its own parity c ⊕ t0 ⊕ t1 ⊕ wx ⊕ wy — XOR shares with no further interaction.
// Each of c, wx, wy is one millionaires' comparison on N bits ([a + b ≥ 2^N] = [a > 2^N−1−b]),
// and the three run as ONE batched comparison (same tree depth as one).
// With a public y = k (wrapPublic) the client holds v0 = k, the server v1 = 0: wy = 0 needs
// no comparison, and wx is shared by every constant — k constants cost 1 + k comparisons.
// Cost (dealer): 3 comparisons on N bits per element (≈ 18N bits online per party),
// 1 + ⌈log₂ N⌉ rounds; wrapPublic with k constants: (1 + k) comparisons, same rounds.
// Proof: proofs/wrap.md.
import { step, type Party } from "../twopc/party.js";
import type { Share } from "../twopc/ring.js";
import { carry, unsignedShares } from "./lift.js";

/** s = a + b (both < 2^N, exact) as top bit and low N bits. */
function topLow(a: readonly bigint[], b: (i: number) => bigint, N: number): { top: Uint8Array; low: bigint[] } {
  const mask = (1n << BigInt(N)) - 1n;
  const top = new Uint8Array(a.length);
  const low = new Array<bigint>(a.length);
  for (let i = 0; i < a.length; i++) {
    const s = a[i]! + b(i);
    top[i] = Number(s >> BigInt(N));
    low[i] = s & mask;
  }
  return { top, low };
}

/**
 * XOR shares of carry(x + y) from this party's unsigned share readings u (of x) and v (of y),
 * N-bit each. Callers that transform x or y locally first (lessThan) enter here.
 */
export async function wrapReadings(p: Party, u: readonly bigint[], v: readonly bigint[], N: number): Promise<Uint8Array> {
  const n = u.length;
  if (v.length !== n) throw new Error(`wrap: ${n} and ${v.length} elements`);
  const { top, low } = topLow(u, (i) => v[i]!, N);
  const c = await carry(p, [...u, ...v, ...low], N);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = top[i]! ^ c[i]! ^ c[n + i]! ^ c[2 * n + i]!;
  return out;
}

/** The IR op wrap(x, y): 1 iff x + y ≥ 2^N reading both shared values as unsigned N-bit. */
export function wrapBit(p: Party, x: Share, y: Share): Promise<Uint8Array> {
  return step(p, "wrap", () => {
    if (x.bits !== y.bits) throw new Error(`wrap: widths ${x.bits} and ${y.bits} differ`);
    return wrapReadings(p, unsignedShares(p, x, 0n), unsignedShares(p, y, 0n), x.bits);
  });
}

/**
 * For each public constant k_j ∈ [0, 2^N): XOR shares of carry(x + k_j), x read as unsigned
 * after the client adds the public `offset` (2^(N−1) turns a signed order into the unsigned one).
 */
export function wrapPublic(p: Party, x: Share, ks: readonly bigint[], offset = 0n): Promise<Uint8Array[]> {
  return step(p, "wrap", async () => {
    const N = x.bits;
    const n = x.data.length;
    const u = unsignedShares(p, x, offset);
    const client = p.role === "client";
    const parts = ks.map((k) => {
      if (k < 0n || k >= 1n << BigInt(N)) throw new Error(`wrapPublic: constant ${k} outside [0, 2^${N})`);
      return topLow(u, () => (client ? k : 0n), N);
    });
    const c = await carry(p, [...u, ...parts.flatMap((q) => q.low)], N);
    return parts.map(({ top }, j) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = top[i]! ^ c[i]! ^ c[(j + 1) * n + i]!;
      return out;
    });
  });
}
