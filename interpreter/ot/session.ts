// Session setup: base OT in both directions at once, so each party holds an IknpSender
// (it will be the OT sender) and an IknpReceiver (it will be the OT receiver); then the 256
// base OTs of each direction's KK13 extension (kk13.ts), made as random OTs by the IKNP
// extension of the opposite direction (a KK13 receiver is the sender of its base OTs).
// Base OT is Chou–Orlandi (base.ts); the extension is IKNP (iknp.ts).
// Wire (SETUP_FLIGHTS): each party sends 33 bytes (its A as base-OT sender), then 33·128
// bytes (its B's as base-OT receiver), then one IKNP message of 256 random OTs
// (iknpMsgBytes(256) = 4104 bytes): 8361 bytes per party, 3 messages per party, two rounds
// (the flights of both parties overlap). Randomness: every scalar, the base-OT choices s and
// the KK13 sender's choices come from node:crypto here.
// Directions: domain 1 is the extension in which the client is the OT receiver (it was the
// base-OT sender), domain 2 the one in which the server is; 3 and 4 are the KK13 extensions
// in which the client, resp. the server, is the 1-of-N receiver. The TCCR tweaks and base-OT
// keys of the directions are separated by these domains.
import { randomBytes } from "node:crypto";
import { baseReceiverRespond, baseSenderFinish, baseSenderStart, type OtLink } from "./base.js";
import { IknpReceiver, IknpSender, KAPPA } from "./iknp.js";
import { rotRecv, rotSend } from "./rot.js";
import { iknpMsgBytes, KK_LAMBDA, SETUP_BYTES_PER_PARTY } from "../../compiler/cost/ot-sizes.js";

export interface OtPair {
  /** Extends OTs in which this party is the sender. */
  readonly sender: IknpSender;
  /** Extends OTs in which this party is the receiver. */
  readonly receiver: IknpReceiver;
  /** KK13 (256 columns): 1-of-N OTs in which this party is the sender. */
  readonly kkSender: IknpSender;
  /** KK13 (256 columns): 1-of-N OTs in which this party is the receiver. */
  readonly kkReceiver: IknpReceiver;
}

export { SETUP_BYTES_PER_PARTY };

/** 16-byte keys from the packed 16-byte messages of random OT. */
const keys = (packed: Uint8Array): Uint8Array[] => Array.from({ length: packed.length / 16 }, (_, i) => packed.slice(16 * i, 16 * i + 16));

export async function setupOt(link: OtLink, role: "client" | "server"): Promise<OtPair> {
  const mine = role === "client" ? 1 : 2; // the direction in which this party is the OT receiver
  const theirs = 3 - mine;
  const start = baseSenderStart();
  link.send(start.msg);
  const s = Uint8Array.from(randomBytes(KAPPA), (b) => b & 1);
  const answer = baseReceiverRespond(await link.recv(), s, { domain: theirs, party: role });
  link.send(answer.msg);
  const pairs = baseSenderFinish(start.state, await link.recv(), KAPPA, { domain: mine, party: role });
  const sender = new IknpSender(s, answer.keys, { domain: theirs, party: role });
  const receiver = new IknpReceiver(pairs.m0, pairs.m1, { domain: mine });
  // KK13's base OTs: as receiver here (random choices s'), this party gets the seeds of its
  // KK13 sender; as sender, the seed pairs of its KK13 receiver.
  const s2 = Uint8Array.from(randomBytes(KK_LAMBDA), (b) => b & 1);
  const mineRot = receiver.extend(s2);
  link.send(mineRot.msg);
  const theirRot = rotSend(sender.extend(KK_LAMBDA, await link.recv(iknpMsgBytes(KK_LAMBDA))), 128);
  return {
    sender,
    receiver,
    kkSender: new IknpSender(s2, keys(rotRecv(mineRot.rows, 128)), { domain: theirs + 2, party: role }),
    kkReceiver: new IknpReceiver(keys(theirRot.m0), keys(theirRot.m1), { domain: mine + 2 }),
  };
}
