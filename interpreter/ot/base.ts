// Base OT: n (default 128) random 1-out-of-2 OTs of 16-byte messages, semi-honest, by
// Chou–Orlandi "The Simplest Protocol for OT" (LATINCRYPT 2015, §3) over ristretto255
// (@noble/curves). Wire: sender → receiver 32 bytes (A = aG); receiver → sender 32·n bytes
// (B_i = b_iG + c_i·A). One round trip, 4128 bytes for n = 128.
// Keys: receiver H(i, A, B_i, b_i·A); sender H(i, A, B_i, a·B_i) and H(i, A, B_i, a·B_i − a·A),
// H = SHA-256 over a tag, the direction's domain and the OT index, truncated to 128 bits.
// Why this and not the spike's faster X25519 "real key + hashed key" variant: here receiver
// privacy is perfect (B_i is a uniform group element whatever c_i is) and sender privacy rests
// on CDH in a prime-order group with H a random oracle — the textbook semi-honest argument.
// The X25519 variant needs clamped-scalar public keys to be indistinguishable from hashed
// points, a non-standard assumption; the price here is ≈0.2–0.4 s once per session.
// Ristretto decoding rejects non-canonical encodings and anything off the group, so each
// received point is checked for length, encoding, and identity; violations are PQ5007.
// Only semi-honest: a malicious receiver choosing B_i adversarially is not handled (CO15's
// UC claim is known to be flawed; we make no such claim).
import { createHash, randomBytes } from "node:crypto";
import { ristretto255 } from "@noble/curves/ed25519.js";
import { malformed, misuse, type OtLabel } from "./wire.js";

type Point = InstanceType<typeof ristretto255.Point>;
const G = ristretto255.Point.BASE;
const ORDER = ristretto255.Point.Fn.ORDER;
const POINT_BYTES = 32;
const TAG = new TextEncoder().encode("pq/ot/base/chou-orlandi/v1");

/** The transport base OT needs; pq's Channel satisfies it. */
export interface OtLink {
  send(payload: Uint8Array): void;
  /** One message made of the parts in order, without joining them first (the Channel's). */
  sendParts?(parts: readonly Uint8Array[]): void;
  recv(expectedBytes?: number): Promise<Uint8Array>;
}

export interface BaseOtOptions {
  /** Domain separation between the session's two directions (both ends use the same value). */
  domain?: number;
  /** The party's name in error messages. */
  party?: string;
}

export interface BaseOtSenderOutput {
  m0: Uint8Array[];
  m1: Uint8Array[];
}

/** A uniform nonzero scalar from node:crypto (512 bits reduced: bias < 2^-250). */
function randomScalar(): bigint {
  for (;;) {
    const k = BigInt("0x" + randomBytes(64).toString("hex")) % ORDER;
    if (k !== 0n) return k;
  }
}

function decodePoint(label: OtLabel, bytes: Uint8Array, what: string): Point {
  let p: Point;
  try {
    p = ristretto255.Point.fromBytes(bytes);
  } catch {
    return malformed(label, `${what} is not a ristretto255 point`);
  }
  if (p.is0()) malformed(label, `${what} is the identity`);
  return p;
}

function keyOf(domain: number, i: number, A: Uint8Array, B: Uint8Array, P: Point): Uint8Array {
  const idx = new Uint8Array(8);
  const v = new DataView(idx.buffer);
  v.setUint32(0, domain >>> 0, true);
  v.setUint32(4, i, true);
  const h = createHash("sha256").update(TAG).update(idx).update(A).update(B).update(P.toBytes()).digest();
  return new Uint8Array(h.subarray(0, 16));
}

/** The sender's secret between its two steps. */
export interface BaseSenderState {
  readonly a: bigint;
  readonly A: Uint8Array;
}

/** Sender, step 1: the message A = aG (32 bytes). */
export function baseSenderStart(): { msg: Uint8Array; state: BaseSenderState } {
  const a = randomScalar();
  const A = G.multiply(a).toBytes();
  return { msg: A, state: { a, A } };
}

/** Receiver: from the sender's A and its choices (one bit per byte), the message B and its keys. */
export function baseReceiverRespond(msgA: Uint8Array, choices: Uint8Array, opts: BaseOtOptions = {}): { msg: Uint8Array; keys: Uint8Array[] } {
  const label: OtLabel = { party: opts.party ?? "ot", where: "base OT (receiver)" };
  if (msgA.length !== POINT_BYTES) malformed(label, `the sender's key has ${msgA.length} bytes, expected ${POINT_BYTES}`);
  const A = decodePoint(label, msgA, "the sender's key");
  A.precompute(4, false);
  const n = choices.length;
  const msg = new Uint8Array(POINT_BYTES * n);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const c = choices[i]!;
    if (c > 1) misuse("baseOtRecv", `choice ${c} at ${i} is not a bit`);
    const b = randomScalar();
    const bG = G.multiply(b);
    const B = (c ? bG.add(A) : bG).toBytes();
    msg.set(B, POINT_BYTES * i);
    keys.push(keyOf(opts.domain ?? 0, i, msgA, B, A.multiply(b)));
  }
  return { msg, keys };
}

/** Sender, step 2: both keys of each OT from the receiver's message. */
export function baseSenderFinish(state: BaseSenderState, msgB: Uint8Array, n: number, opts: BaseOtOptions = {}): BaseOtSenderOutput {
  const label: OtLabel = { party: opts.party ?? "ot", where: "base OT (sender)" };
  if (msgB.length !== POINT_BYTES * n) malformed(label, `the receiver's keys have ${msgB.length} bytes, expected ${POINT_BYTES * n}`);
  const aA = decodePoint(label, state.A, "own key").multiply(state.a);
  const m0: Uint8Array[] = [];
  const m1: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const Bbytes = msgB.subarray(POINT_BYTES * i, POINT_BYTES * (i + 1));
    const B = decodePoint(label, Bbytes, `key ${i}`);
    const aB = B.multiply(state.a);
    const other = aB.subtract(aA);
    if (other.is0()) malformed(label, `key ${i} equals the sender's key`);
    m0.push(keyOf(opts.domain ?? 0, i, state.A, Bbytes, aB));
    m1.push(keyOf(opts.domain ?? 0, i, state.A, Bbytes, other));
  }
  return { m0, m1 };
}

/** Base-OT sender over a link: n random message pairs (16 bytes each). */
export async function baseOtSend(link: OtLink, n = 128, opts: BaseOtOptions = {}): Promise<BaseOtSenderOutput> {
  const { msg, state } = baseSenderStart();
  link.send(msg);
  return baseSenderFinish(state, await link.recv(), n, opts);
}

/** Base-OT receiver over a link: m_{c_i} for choices c (one bit per byte). */
export async function baseOtRecv(link: OtLink, choices: Uint8Array, opts: BaseOtOptions = {}): Promise<Uint8Array[]> {
  const { msg, keys } = baseReceiverRespond(await link.recv(), choices, opts);
  link.send(msg);
  return keys;
}
