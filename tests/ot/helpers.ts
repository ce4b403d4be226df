// Shared fixtures for the OT tests: an IKNP pair from fresh random seeds (standing in for base
// OT, which base.test.ts and session.test.ts cover), the silent extension pair on it whose
// receiver refills the direction's pool as a batch needs (what ot/session.ts refill does over the
// wire), random bits, and PQ5007 assertions.
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { PqError, type Code } from "../../grammar/diagnostics.js";
import { IknpReceiver, IknpSender, KAPPA } from "../../interpreter/ot/iknp.js";
import { SilentReceiver, SilentSender } from "../../interpreter/ot/silent.js";

export function randomBits(n: number): Uint8Array {
  return Uint8Array.from(randomBytes(n), (b) => b & 1);
}

/** A connected IKNP pair, as base OT would leave it (seeds from node:crypto). */
export function iknpPair(domain = 0): { sender: IknpSender; receiver: IknpReceiver } {
  const k0 = Array.from({ length: KAPPA }, () => new Uint8Array(randomBytes(16)));
  const k1 = Array.from({ length: KAPPA }, () => new Uint8Array(randomBytes(16)));
  const s = randomBits(KAPPA);
  const keys = k0.map((k, i) => (s[i] ? k1[i]! : k));
  return { sender: new IknpSender(s, keys, { domain, party: "server" }), receiver: new IknpReceiver(k0, k1, { domain }) };
}

/** Refill a connected silent pair's pool for n more OTs, both ends in one process. */
export function fill(sender: SilentSender, receiver: SilentReceiver, n: number): void {
  if (receiver.state().available >= n) return;
  const r = receiver.startRefill(n);
  receiver.finishRefill(sender.refill(sender.plan(n), r.msg));
}

/** A connected silent extension pair whose receiver's `extend` refills first when the pool is short. */
export function extensionPair(domain = 0): { sender: SilentSender; receiver: SilentReceiver } {
  const iknp = iknpPair(domain);
  const sender = new SilentSender(iknp.sender, domain, "server");
  const receiver = new SilentReceiver(iknp.receiver, domain, "client");
  const extend = receiver.extend.bind(receiver);
  receiver.extend = (choices: Uint8Array) => {
    fill(sender, receiver, choices.length);
    return extend(choices);
  };
  return { sender, receiver };
}

export function expectCode(f: () => unknown, code: Code, ...mentions: string[]): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(PqError);
  const e = caught as PqError;
  expect(e.diagnostics.map((d) => d.code)).toEqual([code]);
  for (const m of mentions) expect(e.message).toContain(m);
}
