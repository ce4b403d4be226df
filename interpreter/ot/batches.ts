// The OT batches the kernels and the `ot` provider hand to `otRound` (round.ts), one
// constructor per flavour. Each builds, from the functionality's inputs given once, both
//   - the callbacks that realize the batch on pooled COT rows (`finish` / `respond`, what otRound runs), and
//   - `ideal`: the same batch as the ideal functionality of proofs/ot.md §1 (F_ROT^b, F_COT^ℓ,
//     F_VCOT^{L,ℓ}, F_(N choose 1)^k) with its inputs — what the proofs' ideal-OT provider
//     (proofs/check/ideal-ot.ts) evaluates instead of the engine, to enumerate each party's
//     view in the OT-hybrid model.
// The realization ignores `ideal`, the ideal provider ignores the callbacks: wire formats and
// behaviour are those of the flavour files (cot.ts, vcot.ts, rot.ts, nchoose1.ts; a 1-of-N
// batch by the table trick). No wire cost of its own.
import { cotBytes, cotRecv, cotSend } from "./cot.js";
import { vcotBytes, vcotPads, vcotRecv, vcotSend, type VcotAccumulate, type VcotReady } from "./vcot.js";
import { rotRecv, rotSend } from "./rot.js";
import { nChoose1Bytes, nChoose1Choices, nChoose1Recv, nChoose1Send } from "./nchoose1.js";
import type { Vec } from "./vec.js";
import type { ReceiveIn, SendIn } from "./round.js";

/** A receiver batch as the ideal functionality sees it: the flavour, its widths and the receiver's choices. */
export type IdealReceive =
  | { readonly kind: "rot"; readonly b: number; readonly choices: Uint8Array }
  | { readonly kind: "cot"; readonly ell: number; readonly choices: Uint8Array }
  | { readonly kind: "vcot"; readonly L: number; readonly ell: number; readonly choices: Uint8Array }
  | { readonly kind: "1ofN"; readonly N: number; readonly k: number; readonly v: Uint8Array };

/** A sender batch as the ideal functionality sees it: the flavour, its widths and the sender's inputs. */
export type IdealSend =
  | { readonly kind: "rot"; readonly b: number; readonly n: number }
  | { readonly kind: "cot"; readonly ell: number; readonly delta: Vec }
  | { readonly kind: "vcot"; readonly L: number; readonly ell: number; readonly n: number; readonly delta: () => Vec }
  | { readonly kind: "1ofN"; readonly N: number; readonly k: number; readonly messages: Uint32Array };

const NONE = new Uint8Array(0);

/** F_ROT^b, receiver with choices c: m_{c_j} (⌈b/8⌉ bytes per OT). */
export function receiveRot(choices: Uint8Array, b: number): ReceiveIn<Uint8Array> {
  return { choices, reply: 0, finish: (rows) => rotRecv(rows, b), ideal: { kind: "rot", b, choices } };
}

/** F_ROT^b, sender of n OTs: its uniform pads (m0, m1). */
export function sendRot(n: number, b: number): SendIn<{ m0: Uint8Array; m1: Uint8Array }> {
  return { n, respond: (rows) => ({ msg: NONE, out: rotSend(rows, b) }), ideal: { kind: "rot", b, n } };
}

/** F_COT^ℓ, receiver with choices c: x_j + c_j·Δ_j mod 2^ℓ. */
export function receiveCot(choices: Uint8Array, ell: number, party: string): ReceiveIn<Vec> {
  return { choices, reply: cotBytes(choices.length, ell).toReceiver, finish: (rows, msg) => cotRecv(rows, msg, ell, party), ideal: { kind: "cot", ell, choices } };
}

/** F_COT^ℓ, sender with one correlation Δ_j per OT: its uniform x_j. */
export function sendCot(delta: Vec, ell: number): SendIn<Vec> {
  return {
    n: delta.length,
    respond: (rows) => {
      const { x, msg } = cotSend(rows, delta, ell);
      return { msg, out: x };
    },
    ideal: { kind: "cot", ell, delta },
  };
}

/**
 * F_VCOT^{L,ℓ}, receiver with choices c: x_j + c_j·Δ_j, L values per OT — or, with `acc`
 * (ℓ ≤ 32), those values added into acc.into, scaled (vcot.ts), and null.
 */
export function receiveVcot(choices: Uint8Array, L: number, ell: number, party: string, acc?: VcotAccumulate): ReceiveIn<Vec | null> {
  let pads: VcotReady | undefined;
  return {
    choices,
    reply: vcotBytes(choices.length, L, ell).toReceiver,
    ready: (rows) => {
      pads = vcotPads(rows, L, ell);
    },
    finish: (rows, msg) => vcotRecv(rows, L, ell, msg, party, pads, acc),
    ideal: { kind: "vcot", L, ell, choices },
  };
}

/**
 * F_VCOT^{L,ℓ}, sender of n OTs; Δ (n·L values, instance-major) is computed when the batch is
 * answered. Its x, or with `acc` (ℓ ≤ 32) null, x having been added into acc.into, scaled.
 */
export function sendVcot(n: number, L: number, ell: number, delta: () => Vec, acc?: VcotAccumulate): SendIn<Vec | null> {
  return {
    n,
    respond: (rows) => {
      const { x, msg } = vcotSend(rows, L, ell, delta(), acc);
      return { msg, out: x };
    },
    ideal: { kind: "vcot", L, ell, n, delta },
  };
}

/** F_(N choose 1)^k, receiver with choices v_j < N: m_{j, v_j}, by the table trick (nchoose1.ts). */
export function receiveOneOfN(v: Uint8Array, N: number, k: number, party: string): ReceiveIn<Uint32Array> {
  const reply = nChoose1Bytes(v.length, N, k).toReceiver;
  const ideal = { kind: "1ofN", N, k, v } as const;
  return { choices: nChoose1Choices(v, N), reply, finish: (rows, msg) => nChoose1Recv(rows, v, msg, N, k, party), ideal };
}

/** F_(N choose 1)^k, sender of messages.length / N instances (message v of instance i at i·N + v): no output. */
export function sendOneOfN(messages: Uint32Array, N: number, k: number): SendIn<null> {
  const n = messages.length / N;
  const ideal = { kind: "1ofN", N, k, messages } as const;
  return { n: n * Math.log2(N), respond: (rows) => ({ msg: nChoose1Send(rows, messages, N, k), out: null }), ideal };
}
