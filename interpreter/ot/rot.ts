// Random OT and chosen-message OT with b-bit messages, 1 ≤ b ≤ 128, on rows with IKNP's
// relation q = t ⊕ c·Δ (pooled silent COTs, silent.ts; IKNP 2003 §3 with the TCCR hash of
// Guo–Katz–Wang–Yu, S&P 2020, §7.4; the random-OT shortcut, no sender message, is
// Asharov–Lindell–Schneider–Zohner, CCS 2013, §5.3).
// Random OT: the sender gets m0_j = H(j, q_j), m1_j = H(j, q_j ⊕ s), the receiver
// m_{c_j} = H(j, t_j), all truncated to b bits. Wire: 1 bit per OT receiver → sender only.
// Chosen OT: the sender also sends m0_j ⊕ H(j, q_j) and m1_j ⊕ H(j, q_j ⊕ s) (2b bits per OT,
// densely packed). Messages are packed per OT in ⌈b/8⌉ bytes, LSB-first, the unused high bits
// of the last byte zero; `smallMessages` reads b ≤ 32 as words.
import { hashRows } from "./aes.js";
import type { ReceiverRows, SenderRows } from "./iknp.js";
import { chosenOtBytes, rotBytes } from "../../compiler/cost/ot-sizes.js";
import { checkLength, misuse, packBits, unpackBits } from "./wire.js";

export { chosenOtBytes, rotBytes };

function checkBits(where: string, b: number): number {
  if (!Number.isInteger(b) || b < 1 || b > 128) misuse(where, `message width ${b} is outside 1..128`);
  return Math.ceil(b / 8);
}

/** The b-bit truncations of 16-byte hash blocks, ⌈b/8⌉ bytes per message. */
function truncate(h: Uint32Array, n: number, b: number): Uint8Array {
  const B = Math.ceil(b / 8);
  const src = new Uint8Array(h.buffer, h.byteOffset, 16 * n);
  if (b === 128) return src;
  const out = new Uint8Array(B * n);
  const top = b % 8 === 0 ? 0xff : (1 << (b % 8)) - 1;
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < B; k++) out[B * j + k] = src[16 * j + k]!;
    out[B * j + B - 1]! &= top;
  }
  return out;
}

export function rotSend(rows: SenderRows, b: number): { m0: Uint8Array; m1: Uint8Array } {
  checkBits("rotSend", b);
  const m0 = truncate(hashRows(rows.q, rows.n, rows.first, rows.domain), rows.n, b);
  const m1 = truncate(hashRows(rows.q, rows.n, rows.first, rows.domain, rows.delta), rows.n, b);
  return { m0, m1 };
}

export function rotRecv(rows: ReceiverRows, b: number): Uint8Array {
  checkBits("rotRecv", b);
  return truncate(hashRows(rows.t, rows.n, rows.first, rows.domain), rows.n, b);
}

/** Messages of b ≤ 32 bits packed by the functions here, as one word each. */
export function smallMessages(packed: Uint8Array, b: number): Uint32Array {
  if (b < 1 || b > 32) misuse("smallMessages", `message width ${b} is outside 1..32`);
  const B = Math.ceil(b / 8);
  const n = packed.length / B;
  const out = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let k = B - 1; k >= 0; k--) v = v * 256 + packed[B * j + k]!;
    out[j] = v;
  }
  return out;
}

/** The bit widths of a message's ⌈b/8⌉ packed bytes: 8, …, 8, then the rest. */
function byteWidths(b: number): number[] {
  return Array.from({ length: Math.ceil(b / 8) }, (_, k) => Math.min(8, b - 8 * k));
}

export function chosenOtSend(rows: SenderRows, m0: Uint8Array, m1: Uint8Array, b: number): Uint8Array {
  const B = checkBits("chosenOtSend", b);
  const { n } = rows;
  if (m0.length !== B * n || m1.length !== B * n) misuse("chosenOtSend", `messages of ${m0.length} and ${m1.length} bytes, expected ${B * n} each`);
  const { m0: p0, m1: p1 } = rotSend(rows, b);
  const widths = byteWidths(b);
  const top = (1 << widths[B - 1]!) - 1;
  const y = new Uint32Array(2 * B * n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < B; k++) {
      const mask = k === B - 1 ? top : 0xff;
      y[2 * B * j + k] = (p0[B * j + k]! ^ m0[B * j + k]!) & mask;
      y[2 * B * j + B + k] = (p1[B * j + k]! ^ m1[B * j + k]!) & mask;
    }
  }
  return packBits(y, widths);
}

export function chosenOtRecv(rows: ReceiverRows, msg: Uint8Array, b: number, party = "ot"): Uint8Array {
  const B = checkBits("chosenOtRecv", b);
  const { n, choices } = rows;
  checkLength({ party, where: "chosen-message OT" }, msg, chosenOtBytes(n, b).toReceiver, `the masked messages for ${n} OTs of ${b} bits`);
  const out = rotRecv(rows, b);
  const y = unpackBits(msg, 2 * B * n, byteWidths(b));
  for (let j = 0; j < n; j++) {
    const o = 2 * B * j + (choices[j] ? B : 0);
    for (let k = 0; k < B; k++) out[B * j + k]! ^= y[o + k]!;
  }
  return out;
}
