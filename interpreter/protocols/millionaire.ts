// Millionaires' comparison: the client holds u, the server holds v (m-bit unsigned, one
// pair per element); both get XOR shares of [u > v]. A log-depth tree over the bits
// (the structure of CrypTFlow2's comparison, Rathee et al. 2020, §3, with AND triples in
// place of OT): leaf i gives gt_i = u_i ∧ ¬v_i (one AND) and eq_i = ¬(u_i ⊕ v_i) (local);
// a node combines (hi, lo) into gt = gt_hi ⊕ (eq_hi ∧ gt_lo), eq = eq_hi ∧ eq_lo — the two
// terms of gt are exclusive, so ⊕ is ∨. Proof: proofs/millionaire.md.
// Cost (dealer): m + 2(m − 1) − 1 ANDs per element at most (the root needs no eq),
// each 2 bits sent per party: ≈ 6m bits online per party; 1 + ⌈log₂ m⌉ rounds.
// Shared low bits (`share`, compiler/requant-plan.ts SharedLow): the n inputs are k blocks,
// and element j·(n/k) + i (j ≥ 1) agrees with element i, on both sides, on the low `low`
// bits. Pairs are formed from the low end, so at each level the first ⌊low/2^level⌋ nodes
// cover ranges inside those bits: blocks j ≥ 1 copy them (leaves included) from block 0
// instead of computing them; the tree's shape, hence the rounds, is unchanged. The caller
// guarantees the agreement. Proof: proofs/millionaire.md.
import { step, type Party } from "../twopc/party.js";
import { and } from "./and.js";
import type { SharedLow } from "../../compiler/requant-plan.js";

export type { SharedLow };

/** Bits of each value, LSB first: out[j·m + i] = bit i of values[j]. */
export function toBitsLE(values: Float64Array | BigUint64Array, m: number): Uint8Array {
  const out = new Uint8Array(values.length * m);
  if (values instanceof Float64Array) {
    for (let j = 0; j < values.length; j++) {
      let v = values[j]!;
      for (let i = 0; i < m; i++) {
        out[j * m + i] = v % 2;
        v = Math.floor(v / 2);
      }
    }
  } else {
    for (let j = 0; j < values.length; j++) {
      let v = values[j]!;
      for (let i = 0; i < m; i++) {
        out[j * m + i] = Number(v & 1n);
        v >>= 1n;
      }
    }
  }
  return out;
}

/** XOR shares of [client's value > server's value], element-wise; `mine` is this party's vector. */
export function millionaire(p: Party, mine: Float64Array | BigUint64Array, m: number, share?: SharedLow): Promise<Uint8Array> {
  return step(p, "compare", async () => {
    const n = mine.length;
    if (m === 0) return new Uint8Array(n);
    const k = share?.k ?? 1;
    let sc = share?.low ?? 0;
    if (!Number.isInteger(k) || k < 1 || n % k !== 0) throw new Error(`millionaire: ${n} elements are not ${k} equal blocks`);
    if (!Number.isInteger(sc) || sc < 0 || sc > m) throw new Error(`millionaire: shared low bits ${sc} outside 0..${m}`);
    const g = n / k;
    const bits = toBitsLE(mine, m);
    const client = p.role === "client";
    // Leaves. XOR shares: u is (u, 0), ¬v is (0, ¬v); eq_i = 1 ⊕ u_i ⊕ v_i (local, all
    // elements); gt_i by one AND, except the shared positions of blocks j ≥ 1 (copied).
    let eq = new Uint8Array(n * m);
    for (let t = 0; t < n * m; t++) eq[t] = client ? 1 ^ bits[t]! : bits[t]!;
    const x = new Uint8Array(g * m + (n - g) * (m - sc));
    const y = new Uint8Array(x.length);
    let c = 0;
    for (let e = 0; e < n; e++) {
      for (let i = e < g ? 0 : sc; i < m; i++, c++) {
        if (client) x[c] = bits[e * m + i]!;
        else y[c] = 1 ^ bits[e * m + i]!;
      }
    }
    const leaf = await and(p, x, y);
    let gt = new Uint8Array(n * m);
    c = 0;
    for (let e = 0; e < n; e++) {
      const from = e < g ? 0 : sc;
      for (let i = 0; i < from; i++) gt[e * m + i] = gt[(e % g) * m + i]!;
      for (let i = from; i < m; i++, c++) gt[e * m + i] = leaf[c]!;
    }
    // Combine adjacent positions until one remains per element.
    let width = m;
    while (width > 1) {
      const pairs = Math.floor(width / 2);
      const next = Math.ceil(width / 2);
      const last = pairs === 1 && next === 1;
      const sp = sc >> 1;
      // AND inputs, computed pairs only: eq_hi·gt_lo, then eq_hi·eq_lo unless this is the root.
      const cnt = g * pairs + (n - g) * (pairs - sp);
      const left = new Uint8Array(cnt * (last ? 1 : 2));
      const right = new Uint8Array(left.length);
      c = 0;
      for (let e = 0; e < n; e++) {
        for (let q = e < g ? 0 : sp; q < pairs; q++, c++) {
          const lo = e * width + 2 * q;
          left[c] = eq[lo + 1]!;
          right[c] = gt[lo]!;
          if (!last) {
            left[cnt + c] = eq[lo + 1]!;
            right[cnt + c] = eq[lo]!;
          }
        }
      }
      const prod = await and(p, left, right);
      const ngt = new Uint8Array(n * next);
      const neq = new Uint8Array(n * next);
      c = 0;
      for (let e = 0; e < n; e++) {
        const from = e < g ? 0 : sp;
        for (let q = 0; q < next; q++) {
          const t = e * next + q;
          if (q < from) {
            // shared: block 0's node
            ngt[t] = ngt[(e % g) * next + q]!;
            neq[t] = neq[(e % g) * next + q]!;
          } else if (q < pairs) {
            ngt[t] = gt[e * width + 2 * q + 1]! ^ prod[c]!;
            if (!last) neq[t] = prod[cnt + c]!;
            c++;
          } else {
            // odd one out: carried up unchanged
            ngt[t] = gt[e * width + width - 1]!;
            neq[t] = eq[e * width + width - 1]!;
          }
        }
      }
      gt = ngt;
      eq = neq;
      sc = sp;
      width = next;
    }
    return gt;
  });
}
