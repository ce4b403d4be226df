// Correlated OT over Z_{2^ℓ}, 1 ≤ ℓ ≤ 64, with a per-instance correlation Δ_j: the sender
// gets a uniform x_j, the receiver with choice c_j gets x_j + c_j·Δ_j mod 2^ℓ (the COT_ℓ of
// Asharov–Lindell–Schneider–Zohner, CCS 2013, §5.4, as CrypTFlow2 uses it; hash = GKWY20
// TCCR with the OT's session index as tweak, aes.ts).
// Wire per OT: 1 bit receiver → sender (the pooled COT's derandomizing bit, silent.ts) and ℓ
// bits sender → receiver (the corrections d_j, densely packed): `cotBytes(n, ℓ)`.
// Flow: receiver `SilentReceiver.extend(c)` → msg1; sender `SilentSender.extend(n, msg1)` → rows,
// `cotSend(rows, Δ, ℓ)` → { x, msg2 }; receiver `cotRecv(rows, msg2, ℓ)` → y.
// Sender: x_j = H(j, q_j) mod 2^ℓ, d_j = x_j + Δ_j − H(j, q_j ⊕ s) mod 2^ℓ.
// Receiver: y_j = H(j, t_j) + c_j·d_j mod 2^ℓ (t_j = q_j ⊕ c_j·s, so y_j = x_j + c_j·Δ_j).
import { hashRows } from "./aes.js";
import type { ReceiverRows, SenderRows } from "./iknp.js";
import { cotBytes } from "../../compiler/cost/ot-sizes.js";
import { checkVec, fromHalves, toHalves, type Vec } from "./vec.js";
import { checkLength, lowMask, misuse, packBits, unpackBits } from "./wire.js";

export { cotBytes };
export type { OtBytes } from "../../compiler/cost/ot-sizes.js";

function checkEll(where: string, ell: number): void {
  if (!Number.isInteger(ell) || ell < 1 || ell > 64) misuse(where, `ring width ${ell} is outside 1..64`);
}

export function cotSend(rows: SenderRows, delta: Vec, ell: number): { x: Vec; msg: Uint8Array } {
  checkEll("cotSend", ell);
  const { n } = rows;
  checkVec("cotSend", delta, n, ell);
  const h0 = hashRows(rows.q, n, rows.first, rows.domain);
  const h1 = hashRows(rows.q, n, rows.first, rows.domain, rows.delta);
  const mlo = lowMask(ell);
  if (ell <= 32) {
    // One word per value; Δ and x are Float64Arrays of values below 2^32.
    const D = delta as Float64Array;
    const x = new Float64Array(n);
    const d = new Uint32Array(n);
    for (let j = 0; j < n; j++) {
      const xj = (h0[4 * j]! & mlo) >>> 0;
      x[j] = xj;
      d[j] = (xj + D[j]! - h1[4 * j]!) & mlo;
    }
    return { x, msg: packBits(d, [ell]) };
  }
  const D = toHalves(delta);
  const x = new Uint32Array(2 * n);
  const d = new Uint32Array(2 * n);
  const mhi = lowMask(ell - 32);
  for (let j = 0; j < n; j++) {
    const xlo = h0[4 * j]!;
    const xhi = (h0[4 * j + 1]! & mhi) >>> 0;
    x[2 * j] = xlo;
    x[2 * j + 1] = xhi;
    const lo = xlo + D[2 * j]! - h1[4 * j]!;
    d[2 * j] = lo;
    d[2 * j + 1] = (xhi + D[2 * j + 1]! - h1[4 * j + 1]! + Math.floor(lo / 4294967296)) & mhi;
  }
  return { x: fromHalves(x, ell), msg: packBits(d, [32, ell - 32]) };
}

export function cotRecv(rows: ReceiverRows, msg: Uint8Array, ell: number, party = "ot"): Vec {
  checkEll("cotRecv", ell);
  const { n, choices } = rows;
  checkLength({ party, where: "correlated OT" }, msg, cotBytes(n, ell).toReceiver, `the corrections for ${n} OTs of ${ell} bits`);
  const h = hashRows(rows.t, n, rows.first, rows.domain);
  const mlo = lowMask(ell);
  if (ell <= 32) {
    const d = unpackBits(msg, n, [ell]);
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) y[j] = ((h[4 * j]! + (choices[j] ? d[j]! : 0)) & mlo) >>> 0;
    return y;
  }
  const d = unpackBits(msg, 2 * n, [32, ell - 32]);
  const y = new Uint32Array(2 * n);
  const mhi = lowMask(ell - 32);
  for (let j = 0; j < n; j++) {
    const dlo = d[2 * j]!;
    const dhi = d[2 * j + 1]!;
    const c = choices[j]!;
    const lo = h[4 * j]! + c * dlo;
    const carry = Math.floor(lo / 4294967296);
    y[2 * j] = lo >>> 0;
    y[2 * j + 1] = ((h[4 * j + 1]! + c * dhi + carry) & mhi) >>> 0;
  }
  return fromHalves(y, ell);
}
