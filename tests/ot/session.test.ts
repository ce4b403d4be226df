import { describe, expect, it } from "vitest";
import { PqError } from "../../grammar/diagnostics.js";
import { cotRecv, cotSend } from "../../interpreter/ot/cot.js";
import { SETUP_BYTES_PER_PARTY, setupOt } from "../../interpreter/ot/session.js";
import { vecGet } from "../../interpreter/ot/vec.js";
import { kkColumns, whCodeword } from "../../interpreter/ot/kk13.js";
import { Channel, HEADER_BYTES, memoryPair } from "../../interpreter/twopc/channel.js";
import { Meter, totals } from "../../interpreter/twopc/meter.js";
import { randomBits } from "./helpers.js";

describe("setupOt", () => {
  it("gives each party a sender and a receiver that correlate with the peer's, in both directions", async () => {
    const [a, b] = memoryPair();
    const client = new Channel(a, new Meter(), "client");
    const server = new Channel(b, new Meter(), "server");
    const [cp, sp] = await Promise.all([setupOt(client, "client"), setupOt(server, "server")]);
    for (const ch of [client, server]) {
      const t = totals(ch.meter.report());
      expect(t.sent).toBe(SETUP_BYTES_PER_PARTY + 3 * HEADER_BYTES);
      expect(t.recv).toBe(SETUP_BYTES_PER_PARTY + 3 * HEADER_BYTES);
      expect(t.rounds).toBe(3);
    }
    expect(Buffer.compare(cp.sender.delta, sp.sender.delta)).not.toBe(0);
    expect(cp.sender.domain).toBe(sp.receiver.domain);
    expect(sp.sender.domain).toBe(cp.receiver.domain);
    expect(cp.sender.domain).not.toBe(sp.sender.domain);
    for (const [snd, rcv] of [[cp.sender, sp.receiver], [sp.sender, cp.receiver]] as const) {
      const n = 1000;
      const c = randomBits(n);
      const { msg, rows } = rcv.extend(c);
      const q = snd.extend(n, msg);
      for (let j = 0; j < n; j++) {
        for (let k = 0; k < 16; k++) expect(q.q[16 * j + k]! ^ rows.t[16 * j + k]!).toBe(c[j] ? snd.delta[k]! : 0);
      }
      const delta = new Float64Array(n).fill(12345);
      const { x, msg: msg2 } = cotSend(q, delta, 20);
      const y = cotRecv(rows, msg2, 20);
      for (let j = 0; j < n; j++) expect(vecGet(y, j)).toBe((vecGet(x, j) + BigInt(c[j]!) * 12345n) % (1n << 20n));
    }
    // The KK13 extensions (256 columns, base OTs from the IKNP ones): q ⊕ t = C(v) ⊙ s.
    expect(cp.kkSender.domain).toBe(sp.kkReceiver.domain);
    expect(sp.kkSender.domain).toBe(cp.kkReceiver.domain);
    expect(new Set([cp.sender.domain, sp.sender.domain, cp.kkSender.domain, sp.kkSender.domain]).size).toBe(4);
    for (const [snd, rcv] of [[cp.kkSender, sp.kkReceiver], [sp.kkSender, cp.kkReceiver]] as const) {
      const n = 300;
      const v = Uint8Array.from(randomBits(n), (b, j) => (b * 7 + j) % 16);
      const { msg, rows } = rcv.extendColumns(v, kkColumns(v));
      const q = snd.extend(n, msg);
      for (let j = 0; j < n; j++) {
        const h = whCodeword(v[j]!);
        for (let b = 0; b < 16; b++) {
          const d = (q.q[32 * j + 2 * b]! ^ rows.t[32 * j + 2 * b]!) | ((q.q[32 * j + 2 * b + 1]! ^ rows.t[32 * j + 2 * b + 1]!) << 8);
          expect(d).toBe(h & (snd.delta[2 * b]! | (snd.delta[2 * b + 1]! << 8)));
        }
      }
    }
  });
});

describe("setupOt with a faulty peer", () => {
  it("rejects a peer whose base-OT key is not a group element with PQ5007", async () => {
    const [a, b] = memoryPair();
    const peer = new Channel(a, new Meter(), "server");
    const client = new Channel(b, new Meter(), "client");
    peer.send(new Uint8Array(32).fill(0xff));
    const e = await setupOt(client, "client").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PqError);
    expect((e as PqError).diagnostics.map((d) => d.code)).toEqual(["PQ5007"]);
    expect((e as PqError).message).toContain("client");
  });
});
