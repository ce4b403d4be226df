// Millionaires' comparison: the client holds u, the server holds v (m-bit unsigned, one
// pair per element); both get XOR shares of [u > v]. A log-depth tree over the bits
// (the structure of CrypTFlow2's comparison, Rathee et al. 2020, §3, with AND triples in
// place of OT): leaf i gives gt_i = u_i ∧ ¬v_i (one AND) and eq_i = ¬(u_i ⊕ v_i) (local);
// a node combines (hi, lo) into gt = gt_hi ⊕ (eq_hi ∧ gt_lo), eq = eq_hi ∧ eq_lo — the two
// terms of gt are exclusive, so ⊕ is ∨. Proof: proofs/millionaire.md.
// Cost (dealer): m + 2(m − 1) − 1 ANDs per element at most (the root needs no eq),
// each 2 bits sent per party: ≈ 6m bits online per party; 1 + ⌈log₂ m⌉ rounds.
import { step, type Party } from "../twopc/party.js";
import { and } from "./and.js";

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
export function millionaire(p: Party, mine: Float64Array | BigUint64Array, m: number): Promise<Uint8Array> {
  return step(p, "compare", async () => {
    const n = mine.length;
    if (m === 0) return new Uint8Array(n);
    const bits = toBitsLE(mine, m);
    const client = p.role === "client";
    // Leaves. XOR shares: u is (u, 0), ¬v is (0, ¬v); eq_i = 1 ⊕ u_i ⊕ v_i.
    const x = new Uint8Array(n * m);
    const y = new Uint8Array(n * m);
    let eq = new Uint8Array(n * m);
    for (let k = 0; k < n * m; k++) {
      if (client) {
        x[k] = bits[k]!;
        eq[k] = 1 ^ bits[k]!;
      } else {
        y[k] = 1 ^ bits[k]!;
        eq[k] = bits[k]!;
      }
    }
    let gt = await and(p, x, y);
    // Combine adjacent positions until one remains per element.
    let width = m;
    while (width > 1) {
      const pairs = Math.floor(width / 2);
      const next = Math.ceil(width / 2);
      const last = pairs === 1 && next === 1;
      // AND inputs: eq_hi·gt_lo for every pair, then eq_hi·eq_lo unless this is the root.
      const left = new Uint8Array(n * pairs * (last ? 1 : 2));
      const right = new Uint8Array(left.length);
      for (let j = 0; j < n; j++) {
        for (let q = 0; q < pairs; q++) {
          const lo = j * width + 2 * q;
          const k = j * pairs + q;
          left[k] = eq[lo + 1]!;
          right[k] = gt[lo]!;
          if (!last) {
            left[n * pairs + k] = eq[lo + 1]!;
            right[n * pairs + k] = eq[lo]!;
          }
        }
      }
      const prod = await and(p, left, right);
      const ngt = new Uint8Array(n * next);
      const neq = new Uint8Array(n * next);
      for (let j = 0; j < n; j++) {
        for (let q = 0; q < next; q++) {
          const k = j * next + q;
          if (q < pairs) {
            const hi = j * width + 2 * q + 1;
            ngt[k] = gt[hi]! ^ prod[j * pairs + q]!;
            if (!last) neq[k] = prod[n * pairs + j * pairs + q]!;
          } else {
            // odd one out: carried up unchanged
            ngt[k] = gt[j * width + width - 1]!;
            neq[k] = eq[j * width + width - 1]!;
          }
        }
      }
      gt = ngt;
      eq = neq;
      width = next;
    }
    return gt;
  });
}
