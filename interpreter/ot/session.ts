// Session setup: base OT in both directions at once, so each party holds an IknpSender
// (it will be the OT sender) and an IknpReceiver (it will be the OT receiver). Base OT is
// Chou–Orlandi (base.ts); the extension is IKNP (iknp.ts).
// Wire: each party sends 32 bytes (its A as base-OT sender), then 32·128 bytes (its B's as
// base-OT receiver): 4128 bytes per party, 2 messages per party, one round (both flights
// overlap). Randomness: every scalar and the base-OT choices s come from node:crypto here.
// Directions: domain 1 is the extension in which the client is the OT receiver (it was the
// base-OT sender), domain 2 the one in which the server is; the TCCR tweaks and base-OT keys
// of the two directions are separated by these domains.
import { randomBytes } from "node:crypto";
import { baseReceiverRespond, baseSenderFinish, baseSenderStart, type OtLink } from "./base.js";
import { IknpReceiver, IknpSender, KAPPA } from "./iknp.js";
import { SETUP_BYTES_PER_PARTY } from "../../compiler/cost/ot-sizes.js";

export interface OtPair {
  /** Extends OTs in which this party is the sender. */
  readonly sender: IknpSender;
  /** Extends OTs in which this party is the receiver. */
  readonly receiver: IknpReceiver;
}

export { SETUP_BYTES_PER_PARTY };

export async function setupOt(link: OtLink, role: "client" | "server"): Promise<OtPair> {
  const mine = role === "client" ? 1 : 2; // the direction in which this party is the OT receiver
  const theirs = 3 - mine;
  const start = baseSenderStart();
  link.send(start.msg);
  const s = Uint8Array.from(randomBytes(KAPPA), (b) => b & 1);
  const answer = baseReceiverRespond(await link.recv(), s, { domain: theirs, party: role });
  link.send(answer.msg);
  const pairs = baseSenderFinish(start.state, await link.recv(), KAPPA, { domain: mine, party: role });
  return {
    sender: new IknpSender(s, answer.keys, { domain: theirs, party: role }),
    receiver: new IknpReceiver(pairs.m0, pairs.m1, { domain: mine }),
  };
}
