// Session setup and pool refills. Setup: base OT in both directions at once, so each party holds
// an IKNP sender (it will be the OT sender) and an IKNP receiver (it will be the OT receiver);
// each wrapped as the silent extension of its direction (silent.ts), whose COT pool Ferret
// iterations fill on demand (`refill`). Base OT is Chou–Orlandi (base.ts); IKNP (iknp.ts) makes
// only each direction's first Ferret reserve.
// Wire (SETUP_FLIGHTS): each party sends 33 bytes (its A as base-OT sender), then 33·128 bytes
// (its B's as base-OT receiver): 4257 bytes per party, 2 messages per party, two rounds (the
// flights of both parties overlap). Randomness: every scalar and the base-OT choices s come from
// node:crypto here.
// A refill (ot-sizes.ts refillPlan, refillBytes), per direction that needs one: the receiver's
// IKNP message (random OTs for the pool while the run has taken few, or Ferret's bootstrap
// reserve), then the sender's iteration messages, one message each (if any). Both directions
// overlap: a party sends what it can, then reads.
// Directions: domain 1 is the extension in which the client is the OT receiver (it was the
// base-OT sender), domain 2 the one in which the server is. The TCCR tweaks and base-OT keys of
// the directions are separated by these domains (and Ferret's masks by domains 17, 18).
import { randomBytes } from "node:crypto";
import { baseReceiverRespond, baseSenderFinish, baseSenderStart, type OtLink } from "./base.js";
import { IknpReceiver, IknpSender, KAPPA } from "./iknp.js";
import { SilentReceiver, SilentSender } from "./silent.js";
import { recvFlight, sendFlight, yieldToIo } from "./round.js";
import { ferretMsgBytes, refillBytes, SETUP_BYTES_PER_PARTY } from "../../compiler/cost/ot-sizes.js";

export interface OtPair {
  /** Extends OTs in which this party is the sender. */
  readonly sender: SilentSender;
  /** Extends OTs in which this party is the receiver. */
  readonly receiver: SilentReceiver;
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
    sender: new SilentSender(new IknpSender(s, answer.keys, { domain: theirs, party: role }), theirs, role),
    receiver: new SilentReceiver(new IknpReceiver(pairs.m0, pairs.m1, { domain: mine }), mine, role),
  };
}

/** Does a round that takes `receive` OTs as receiver and `send` as sender need a refill first? */
export function needsRefill(ot: OtPair, receive: number, send: number): boolean {
  return receive > ot.receiver.state().available || send > ot.sender.state().available;
}

/**
 * Refill both directions' pools so this party can receive `receive` OTs and send `send` (the peer
 * calls it with the two swapped). Each Ferret iteration goes as its own message as soon as it is
 * made, and the receiver works on it while the sender makes the next.
 */
export async function refill(link: OtLink, ot: OtPair, receive: number, send: number): Promise<void> {
  const mine = receive > ot.receiver.state().available ? ot.receiver.startRefill(receive) : undefined;
  if (mine?.msg) sendFlight(link, [mine.msg]);
  const steps = ot.sender.plan(send);
  if (steps.length > 0) {
    const sizes = refillBytes(steps);
    ot.sender.beginRefill(steps, sizes.toSender > 0 ? await recvFlight(link, sizes.toSender) : undefined);
    for (const s of steps) {
      if (s.run !== "ferret") continue;
      link.send(ot.sender.iterate(s));
      await yieldToIo();
    }
    ot.sender.endRefill();
  }
  if (mine) {
    for (const s of mine.steps) if (s.run === "ferret") ot.receiver.absorb(s, await link.recv(ferretMsgBytes(s.params)));
    ot.receiver.endRefill();
  }
}
