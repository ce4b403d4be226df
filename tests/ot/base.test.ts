import { describe, expect, it } from "vitest";
import { PqError } from "../../grammar/diagnostics.js";
import { baseOtRecv, baseOtSend, baseReceiverRespond, baseSenderFinish, baseSenderStart } from "../../interpreter/ot/base.js";
import { Channel, memoryPair } from "../../interpreter/twopc/channel.js";
import { Meter } from "../../interpreter/twopc/meter.js";
import { expectCode, randomBits } from "./helpers.js";

describe("base OT (Chou–Orlandi over P-256)", () => {
  it("over a Channel: the receiver gets m_c, the other message differs, and 33 + 33·n bytes cross", async () => {
    const [a, b] = memoryPair();
    const sendCh = new Channel(a, new Meter(), "client");
    const recvCh = new Channel(b, new Meter(), "server");
    const n = 40;
    const c = randomBits(n);
    const [pairs, keys] = await Promise.all([baseOtSend(sendCh, n), baseOtRecv(recvCh, c)]);
    expect(keys.length).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(keys[i]!.length).toBe(16);
      expect(Buffer.from(keys[i]!)).toEqual(Buffer.from(c[i] ? pairs.m1[i]! : pairs.m0[i]!));
      expect(Buffer.compare(pairs.m0[i]!, pairs.m1[i]!)).not.toBe(0);
    }
    expect(new Set(keys.map((k) => Buffer.from(k).toString("hex"))).size).toBe(n);
    expect(sendCh.meter.report().reduce((t, r) => t + r.sent, 0)).toBe(33 + 10);
    expect(recvCh.meter.report().reduce((t, r) => t + r.sent, 0)).toBe(33 * n + 10);
  });

  it("different domains give different keys for the same transcript", () => {
    const start = baseSenderStart();
    const c = randomBits(4);
    const r = baseReceiverRespond(start.msg, c, { domain: 1 });
    const one = baseSenderFinish(start.state, r.msg, 4, { domain: 1 });
    const two = baseSenderFinish(start.state, r.msg, 4, { domain: 2 });
    expect(Buffer.from(r.keys[0]!)).toEqual(Buffer.from(c[0] ? one.m1[0]! : one.m0[0]!));
    expect(Buffer.compare(one.m0[0]!, two.m0[0]!)).not.toBe(0);
  });

  // Not points: a bad prefix (0x04 is uncompressed, 0x00 would be the identity), x ≥ p, and an
  // x whose x³ − 3x + b is not a square mod p (x = 1 is one: OpenSSL refuses it).
  const badPrefix = Uint8Array.from([0x00, ...new Array<number>(32).fill(1)]);
  const xTooBig = Uint8Array.from([0x02, ...new Array<number>(32).fill(0xff)]);
  const offCurve = Uint8Array.from([0x02, ...new Array<number>(31).fill(0), 1]);

  it("the receiver rejects a sender key of the wrong length or that is not a compressed P-256 point (PQ5007)", () => {
    const c = randomBits(3);
    expectCode(() => baseReceiverRespond(new Uint8Array(32), c, { party: "client" }), "PQ5007", "client", "32 bytes");
    expectCode(() => baseReceiverRespond(badPrefix, c), "PQ5007", "not a compressed P-256 point");
    expectCode(() => baseReceiverRespond(xTooBig, c), "PQ5007", "not a P-256 point");
    expectCode(() => baseReceiverRespond(offCurve, c), "PQ5007", "not a P-256 point");
  });

  it("the sender rejects receiver keys of the wrong length, not on the curve, or equal to A (PQ5007)", () => {
    const start = baseSenderStart();
    const good = baseReceiverRespond(start.msg, randomBits(3)).msg;
    expectCode(() => baseSenderFinish(start.state, good.subarray(0, 98), 3), "PQ5007", "98 bytes");
    for (const [bad, words] of [[badPrefix, "key 1 is not a compressed P-256 point"], [offCurve, "key 1 is not a P-256 point"], [start.msg, "key 1 equals"]] as const) {
      const msg = Uint8Array.from(good);
      msg.set(bad, 33);
      expectCode(() => baseSenderFinish(start.state, msg, 3), "PQ5007", words);
    }
  });

  it("a malformed message over a Channel rejects the receiver's promise with PQ5007", async () => {
    const [a, b] = memoryPair();
    const evil = new Channel(a, new Meter(), "client");
    const honest = new Channel(b, new Meter(), "server");
    evil.send(offCurve);
    const e = await baseOtRecv(honest, randomBits(2), { party: "server" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PqError);
    expect((e as PqError).diagnostics[0]!.code).toBe("PQ5007");
  });
});
