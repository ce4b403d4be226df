// Shared fixtures for the OT tests: an extension pair from fresh random seeds (standing in for
// base OT, which base.test.ts and session.test.ts cover), random bits, and PQ5007 assertions.
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { PqError, type Code } from "../../grammar/diagnostics.js";
import { IknpReceiver, IknpSender, KAPPA } from "../../interpreter/ot/iknp.js";

export function randomBits(n: number): Uint8Array {
  return Uint8Array.from(randomBytes(n), (b) => b & 1);
}

/** A connected extension pair, as base OT would leave it (seeds from node:crypto); λ = 256 is KK13's. */
export function extensionPair(domain = 0, lambda = KAPPA): { sender: IknpSender; receiver: IknpReceiver } {
  const k0 = Array.from({ length: lambda }, () => new Uint8Array(randomBytes(16)));
  const k1 = Array.from({ length: lambda }, () => new Uint8Array(randomBytes(16)));
  const s = randomBits(lambda);
  const keys = k0.map((k, i) => (s[i] ? k1[i]! : k));
  return { sender: new IknpSender(s, keys, { domain, party: "server" }), receiver: new IknpReceiver(k0, k1, { domain }) };
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
