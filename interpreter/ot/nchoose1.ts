// 1-out-of-N OT, N = 2^m (1 ≤ m ≤ 8), k-bit messages (1 ≤ k ≤ 32), by the table trick (every
// 1-of-N batch of a round, batches.ts receiveOneOfN / sendOneOfN). The m random OTs of an
// instance are pooled silent COTs (silent.ts), as Cheetah builds its 1-of-2^m OTs (Huang et al.,
// USENIX Security 2022, §2.3) — hashed with fixed-key-AES TCCR.
// The table trick: m random OTs per instance; the random message of the instance's j-th OT,
// stretched to N·k bits by TCCR sub-blocks (GKWY20 §7.4, tweak = (OT index, block)), is a
// table of N k-bit pads, and the pad of value v is pad_v = ⊕_j T_j^{v_j}[v] (v_j = bit j of
// v). The receiver knows T_j^{c_j} only, so it learns pad_c; for v ≠ c some T_j^{1−c_j} is
// unknown and slot v of it is used by pad_v alone, so the other pads are uniform and
// independent. The sender sends m_v ⊕ pad_v for every v.
// Wire per instance: m bits receiver → sender (the derandomizing bits of its m pooled OTs) and
// N·k bits sender → receiver: 36 bits for N = 16, k = 2. `nChoose1Bytes`.
// Flow: receiver `nChoose1Choices(v, N)` → SilentReceiver.extend → msg1;
// sender SilentSender.extend(n·m, msg1) → rows, `nChoose1Send(rows, messages, N, k)` → msg2;
// receiver `nChoose1Recv(rows, v, msg2, N, k)` → its messages.
import { hashRows } from "./aes.js";
import type { ReceiverRows, SenderRows } from "./iknp.js";
import { nChoose1Bytes as sizes, type OtBytes } from "../../compiler/cost/ot-sizes.js";
import { bitsAt, checkLength, misuse, packBits, words } from "./wire.js";

function logN(where: string, N: number, k: number): number {
  const m = Math.log2(N);
  if (!Number.isInteger(m) || m < 1 || m > 8) misuse(where, `N = ${N} is not a power of two in 2..256`);
  if (!Number.isInteger(k) || k < 1 || k > 32) misuse(where, `message width ${k} is outside 1..32`);
  return m;
}

export function nChoose1Bytes(n: number, N: number, k: number): OtBytes {
  logN("nChoose1Bytes", N, k);
  return sizes(n, N, k);
}

/** The receiver's choice bits for the extension: bit j of v_i is OT i·m + j. */
export function nChoose1Choices(v: Uint8Array, N: number): Uint8Array {
  const m = logN("nChoose1Choices", N, 1);
  const bits = new Uint8Array(v.length * m);
  for (let i = 0; i < v.length; i++) {
    if (v[i]! >= N) misuse("nChoose1Choices", `choice ${v[i]} at ${i} is not below N = ${N}`);
    for (let j = 0; j < m; j++) bits[i * m + j] = (v[i]! >>> j) & 1;
  }
  return bits;
}

/** Each row's hashed table of N·k bits, 4·⌈N·k/128⌉ words per row, contiguous. */
function tables(x: Uint8Array, rows: number, first: number, domain: number, N: number, k: number, mask?: Uint8Array): { E: Uint32Array; stride: number } {
  const nb = Math.ceil((N * k) / 128);
  const stride = 4 * nb;
  if (nb === 1) return { E: hashRows(x, rows, first, domain, mask), stride };
  const E = new Uint32Array(stride * rows);
  for (let sub = 0; sub < nb; sub++) {
    const h = hashRows(x, rows, first, domain, mask, sub);
    for (let r = 0; r < rows; r++) for (let w = 0; w < 4; w++) E[stride * r + 4 * sub + w] = h[4 * r + w]!;
  }
  return { E, stride };
}

/** messages: n·N values (message v of instance i at i·N + v), each below 2^k. */
export function nChoose1Send(rows: SenderRows, messages: Uint32Array, N: number, k: number): Uint8Array {
  const m = logN("nChoose1Send", N, k);
  if (rows.n % m !== 0) misuse("nChoose1Send", `${rows.n} OTs is not a multiple of log2 N = ${m}`);
  const n = rows.n / m;
  if (messages.length !== n * N) misuse("nChoose1Send", `${messages.length} messages, expected ${n * N}`);
  const t0 = tables(rows.q, rows.n, rows.first, rows.domain, N, k);
  const t1 = tables(rows.q, rows.n, rows.first, rows.domain, N, k, rows.delta);
  const stride = t0.stride;
  // sel[j]: the bits of the slots v with bit j of v set.
  const sel: Uint32Array[] = [];
  for (let j = 0; j < m; j++) {
    const s = new Uint32Array(stride);
    for (let v = 0; v < N; v++) if ((v >>> j) & 1) for (let b = v * k; b < (v + 1) * k; b++) s[b >>> 5]! |= 1 << (b & 31);
    sel.push(s);
  }
  const used = Math.ceil((N * k) / 32); // the words of a table that hold pads
  const pad = new Uint32Array(used);
  const mk = k === 32 ? 0xffffffff : 2 ** k - 1;
  const y = new Uint32Array(n * N);
  for (let i = 0; i < n; i++) {
    pad.fill(0);
    for (let j = 0; j < m; j++) {
      const o = stride * (i * m + j);
      const s = sel[j]!;
      for (let w = 0; w < used; w++) pad[w]! ^= (t0.E[o + w]! & ~s[w]!) | (t1.E[o + w]! & s[w]!);
    }
    for (let v = 0; v < N; v++) {
      const msgv = messages[i * N + v]!;
      if (msgv > mk) misuse("nChoose1Send", `message ${msgv} at ${i * N + v} does not fit in ${k} bits`);
      y[i * N + v] = msgv ^ bitsAt(pad, v * k, k);
    }
  }
  return packBits(y, [k]);
}

export function nChoose1Recv(rows: ReceiverRows, v: Uint8Array, msg: Uint8Array, N: number, k: number, party = "ot"): Uint32Array {
  const m = logN("nChoose1Recv", N, k);
  const n = v.length;
  if (rows.n !== n * m) misuse("nChoose1Recv", `${rows.n} OTs for ${n} instances of 1-of-${N}`);
  checkLength({ party, where: `1-of-${N} OT` }, msg, nChoose1Bytes(n, N, k).toReceiver, `the masked tables for ${n} instances`);
  const { E, stride } = tables(rows.t, rows.n, rows.first, rows.domain, N, k);
  const y = words(msg);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const c = v[i]!;
    let pad = 0;
    for (let j = 0; j < m; j++) pad ^= bitsAt(E, 32 * stride * (i * m + j) + c * k, k);
    out[i] = (bitsAt(y, (i * N + c) * k, k) ^ pad) >>> 0;
  }
  return out;
}
