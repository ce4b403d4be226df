// Base OT: n (default 128) random 1-out-of-2 OTs of 16-byte messages, semi-honest, by
// Chou–Orlandi "The Simplest Protocol for OT" (LATINCRYPT 2015, §3) over NIST P-256 (emp-ot
// likewise runs it over an OpenSSL prime-order curve: secp256k1, emp-tool group_openssl.h).
// Wire: sender → receiver 33 bytes (A = aG, compressed SEC1); receiver → sender 33·n bytes
// (B_i = b_iG + c_i·A). One round trip, 4257 bytes for n = 128.
// Keys: receiver H(i, A, B_i, x(b_i·A)); sender H(i, A, B_i, x(a·B_i)) and
// H(i, A, B_i, x(a·(B_i − A))), H = SHA-256 over a tag, the direction's domain and the OT
// index, truncated to 128 bits; x(P) is P's x-coordinate (what ECDH yields).
// The scalar multiplications are node:crypto's ECDH (OpenSSL, native: keys from its RNG,
// every received point checked to be on the curve); the one point addition or subtraction per
// OT is @noble/curves' P-256. Why: the ristretto255 version before this did every scalar
// multiplication in JS, ≈0.36 s of each party's CPU per session; this takes ≈0.1 s
// (proofs/ot.md §2.1). Receiver privacy is perfect (B_i is a uniform group element whatever
// c_i is) and sender privacy rests on CDH in a prime-order group with H a random oracle — the
// textbook semi-honest argument. P-256 has cofactor 1: every point on the curve but the
// identity generates the group, and the identity has no SEC1 encoding of 33 bytes. Received
// points of the wrong length, off the curve, or B_i = A are PQ5007.
// Only semi-honest: a malicious receiver choosing B_i adversarially is not handled (CO15's
// UC claim is known to be flawed; we make no such claim).
import { createECDH, createHash, ECDH } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { malformed, misuse, type OtLabel } from "./wire.js";

type Point = InstanceType<typeof p256.Point>;
const CURVE = "prime256v1";
/** A compressed SEC1 point: 0x02 or 0x03, then x. */
const POINT_BYTES = 33;
const TAG = new TextEncoder().encode("pq/ot/base/chou-orlandi/p256/v1");

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

/** A received compressed point, checked: the right length, on the curve (OpenSSL), as uncompressed SEC1 bytes and as a point. */
function decodePoint(label: OtLabel, bytes: Uint8Array, what: string): { raw: Buffer; point: Point } {
  if (bytes.length !== POINT_BYTES || (bytes[0] !== 2 && bytes[0] !== 3)) malformed(label, `${what} is not a compressed P-256 point`);
  let raw: Buffer;
  try {
    raw = ECDH.convertKey(bytes, CURVE, undefined, undefined, "uncompressed") as Buffer;
  } catch {
    return malformed(label, `${what} is not a P-256 point`);
  }
  return { raw, point: p256.Point.fromBytes(raw) };
}

function keyOf(domain: number, i: number, A: Uint8Array, B: Uint8Array, x: Uint8Array): Uint8Array {
  const idx = new Uint8Array(8);
  const v = new DataView(idx.buffer);
  v.setUint32(0, domain >>> 0, true);
  v.setUint32(4, i, true);
  const h = createHash("sha256").update(TAG).update(idx).update(A).update(B).update(x).digest();
  return new Uint8Array(h.subarray(0, 16));
}

/** The sender's secret between its two steps: its ECDH key a (A = aG). */
export interface BaseSenderState {
  readonly ecdh: ECDH;
  readonly A: Uint8Array;
}

/** Sender, step 1: the message A = aG (33 bytes). */
export function baseSenderStart(): { msg: Uint8Array; state: BaseSenderState } {
  const ecdh = createECDH(CURVE);
  ecdh.generateKeys();
  const A = new Uint8Array(ecdh.getPublicKey(null, "compressed"));
  return { msg: A, state: { ecdh, A } };
}

/** Receiver: from the sender's A and its choices (one bit per byte), the message B and its keys. */
export function baseReceiverRespond(msgA: Uint8Array, choices: Uint8Array, opts: BaseOtOptions = {}): { msg: Uint8Array; keys: Uint8Array[] } {
  const label: OtLabel = { party: opts.party ?? "ot", where: "base OT (receiver)" };
  if (msgA.length !== POINT_BYTES) malformed(label, `the sender's key has ${msgA.length} bytes, expected ${POINT_BYTES}`);
  const A = decodePoint(label, msgA, "the sender's key");
  const n = choices.length;
  const msg = new Uint8Array(POINT_BYTES * n);
  const keys: Uint8Array[] = [];
  const ecdh = createECDH(CURVE);
  for (let i = 0; i < n; i++) {
    const c = choices[i]!;
    if (c > 1) misuse("baseOtRecv", `choice ${c} at ${i} is not a bit`);
    let B: Uint8Array;
    for (;;) {
      ecdh.generateKeys(); // b_i, uniform in [1, q − 1]
      const bG = p256.Point.fromBytes(ecdh.getPublicKey());
      // Both candidates are computed, whichever c is; bG = −A (probability 1/q) draws again.
      const sum = bG.add(A.point);
      if (sum.is0()) continue;
      B = (c ? sum : bG).toBytes(true);
      break;
    }
    msg.set(B, POINT_BYTES * i);
    keys.push(keyOf(opts.domain ?? 0, i, msgA, B, ecdh.computeSecret(A.raw)));
  }
  return { msg, keys };
}

/** Sender, step 2: both keys of each OT from the receiver's message. */
export function baseSenderFinish(state: BaseSenderState, msgB: Uint8Array, n: number, opts: BaseOtOptions = {}): BaseOtSenderOutput {
  const label: OtLabel = { party: opts.party ?? "ot", where: "base OT (sender)" };
  if (msgB.length !== POINT_BYTES * n) malformed(label, `the receiver's keys have ${msgB.length} bytes, expected ${POINT_BYTES * n}`);
  const A = p256.Point.fromBytes(state.ecdh.getPublicKey());
  const m0: Uint8Array[] = [];
  const m1: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const Bbytes = msgB.subarray(POINT_BYTES * i, POINT_BYTES * (i + 1));
    const B = decodePoint(label, Bbytes, `key ${i}`);
    const diff = B.point.subtract(A);
    if (diff.is0()) malformed(label, `key ${i} equals the sender's key`);
    m0.push(keyOf(opts.domain ?? 0, i, state.A, Bbytes, state.ecdh.computeSecret(B.raw)));
    m1.push(keyOf(opts.domain ?? 0, i, state.A, Bbytes, state.ecdh.computeSecret(diff.toBytes(false))));
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
