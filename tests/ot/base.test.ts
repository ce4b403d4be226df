import { describe, expect, it } from "vitest";
import { ristretto255 } from "@noble/curves/ed25519.js";
import { PqError } from "../../grammar/diagnostics.js";
import { baseOtRecv, baseOtSend, baseReceiverRespond, baseSenderFinish, baseSenderStart } from "../../interpreter/ot/base.js";
import { Channel, memoryPair } from "../../interpreter/twopc/channel.js";
import { Meter } from "../../interpreter/twopc/meter.js";
import { expectCode, randomBits } from "./helpers.js";

describe("base OT (Chou–Orlandi over ristretto255)", () => {
  it("over a Channel: the receiver gets m_c, the other message differs, and 32 + 32·n bytes cross", async () => {
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
    expect(sendCh.meter.report().reduce((t, r) => t + r.sent, 0)).toBe(32 + 10);
    expect(recvCh.meter.report().reduce((t, r) => t + r.sent, 0)).toBe(32 * n + 10);
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

  const identity = ristretto255.Point.ZERO.toBytes();
  const notAPoint = new Uint8Array(32).fill(0xff); // non-canonical field element: no ristretto encoding

  it("the receiver rejects a sender key of the wrong length, off the group, or the identity (PQ5007)", () => {
    const c = randomBits(3);
    expectCode(() => baseReceiverRespond(new Uint8Array(31), c, { party: "client" }), "PQ5007", "client", "31 bytes");
    expectCode(() => baseReceiverRespond(notAPoint, c), "PQ5007", "not a ristretto255 point");
    expectCode(() => baseReceiverRespond(identity, c), "PQ5007", "identity");
  });

  it("the sender rejects receiver keys of the wrong length, off the group, the identity, or equal to A (PQ5007)", () => {
    const start = baseSenderStart();
    const good = baseReceiverRespond(start.msg, randomBits(3)).msg;
    expectCode(() => baseSenderFinish(start.state, good.subarray(0, 95), 3), "PQ5007", "95 bytes");
    for (const [bad, words] of [[notAPoint, "key 1 is not a ristretto255 point"], [identity, "key 1 is the identity"], [start.msg, "key 1 equals"]] as const) {
      const msg = Uint8Array.from(good);
      msg.set(bad, 32);
      expectCode(() => baseSenderFinish(start.state, msg, 3), "PQ5007", words);
    }
  });

  it("a malformed message over a Channel rejects the receiver's promise with PQ5007", async () => {
    const [a, b] = memoryPair();
    const evil = new Channel(a, new Meter(), "client");
    const honest = new Channel(b, new Meter(), "server");
    evil.send(identity);
    const e = await baseOtRecv(honest, randomBits(2), { party: "server" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PqError);
    expect((e as PqError).diagnostics[0]!.code).toBe("PQ5007");
  });
});
