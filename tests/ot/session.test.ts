import { describe, expect, it } from "vitest";
import { PqError } from "../../grammar/diagnostics.js";
import { cotRecv, cotSend } from "../../interpreter/ot/cot.js";
import { refill, SETUP_BYTES_PER_PARTY, setupOt } from "../../interpreter/ot/session.js";
import { vecGet } from "../../interpreter/ot/vec.js";
import { Channel, HEADER_BYTES, memoryPair } from "../../interpreter/twopc/channel.js";
import { Meter, totals } from "../../interpreter/twopc/meter.js";
import { EMPTY_POOL, FERRET_BOOT, ferretMsgBytes, iknpMsgBytes, refillBytes, refillPlan, reserveOf } from "../../compiler/cost/ot-sizes.js";
import { randomBits } from "./helpers.js";

describe("setupOt", () => {
  it("gives each party a sender and a receiver that correlate with the peer's, in both directions, once refilled over the channel", async () => {
    const [a, b] = memoryPair();
    const client = new Channel(a, new Meter(), "client");
    const server = new Channel(b, new Meter(), "server");
    const [cp, sp] = await Promise.all([setupOt(client, "client"), setupOt(server, "server")]);
    for (const ch of [client, server]) {
      const t = totals(ch.meter.report());
      expect(t.sent).toBe(SETUP_BYTES_PER_PARTY + 2 * HEADER_BYTES);
      expect(t.recv).toBe(SETUP_BYTES_PER_PARTY + 2 * HEADER_BYTES);
      expect(t.rounds).toBe(2);
    }
    expect(Buffer.compare(cp.sender.delta, sp.sender.delta)).not.toBe(0);
    expect(cp.sender.domain).toBe(sp.receiver.domain);
    expect(sp.sender.domain).toBe(cp.receiver.domain);
    expect(cp.sender.domain).not.toBe(sp.sender.domain);
    // The client receives 1000 OTs and sends 300 000 (a refill each way: IKNP random OTs for the
    // client's direction; Ferret's bootstrap and the move to the main size for the server's).
    const n = { client: 1000, server: 300_000 };
    const plan = { client: refillPlan(EMPTY_POOL, n.client).steps, server: refillPlan(EMPTY_POOL, n.server).steps };
    await Promise.all([refill(client, cp, n.client, n.server), refill(server, sp, n.server, n.client)]);
    for (const [ch, mine, theirs] of [[client, plan.client, plan.server], [server, plan.server, plan.client]] as const) {
      const t = totals(ch.meter.report());
      const frames = (bytes: number) => bytes + Math.ceil(bytes / (1 << 20)) * HEADER_BYTES;
      // Its IKNP message (one flight), then its iterations for the peer, one message each.
      const iterations = theirs.reduce((a, s) => a + (s.run === "ferret" ? ferretMsgBytes(s.params) + HEADER_BYTES : 0), 0);
      expect(t.sent - SETUP_BYTES_PER_PARTY - 2 * HEADER_BYTES).toBe(frames(refillBytes(mine).toSender) + iterations);
    }
    expect(plan.client).toEqual([{ run: "iknp-pool", n: 1000 }]);
    expect(refillBytes(plan.server).toSender).toBe(iknpMsgBytes(reserveOf(FERRET_BOOT)));
    expect(plan.server.filter((s) => s.run === "ferret").length).toBe(3);
    expect(cp.receiver.state().available).toBeGreaterThanOrEqual(n.client);
    expect(sp.receiver.state().available).toBeGreaterThanOrEqual(n.server);
    expect(sp.receiver.state().level).toBe(2);
    expect(cp.receiver.state().level).toBe(0);
    for (const [snd, rcv, count] of [[sp.sender, cp.receiver, n.client], [cp.sender, sp.receiver, n.server]] as const) {
      const c = randomBits(count);
      const { msg, rows } = rcv.extend(c);
      const q = snd.extend(count, msg);
      for (let j = 0; j < count; j++) {
        for (let k = 0; k < 16; k++) if ((q.q[16 * j + k]! ^ rows.t[16 * j + k]!) !== (c[j] ? snd.delta[k]! : 0)) throw new Error(`OT ${j}: q ⊕ t ≠ c·Δ`);
      }
      const delta = new Float64Array(count).fill(12345);
      const { x, msg: msg2 } = cotSend(q, delta, 20);
      const y = cotRecv(rows, msg2, 20);
      for (let j = 0; j < Math.min(count, 2000); j++) expect(vecGet(y, j)).toBe((vecGet(x, j) + BigInt(c[j]!) * 12345n) % (1n << 20n));
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
