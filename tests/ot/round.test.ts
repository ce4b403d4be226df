// A flight above the frame cap is written as consecutive frames of at most the cap, from the
// batches' messages in order, and read back whole; each frame's size is what the receiver
// expects (otFrames), so a short or long frame is the channel's PQ5004.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { otFrames } from "../../compiler/cost/ot-sizes.js";
import { FlightReader, FlightWriter, otRound, recvFlight, sendFlight } from "../../interpreter/ot/round.js";
import { receiveVcot, sendVcot } from "../../interpreter/ot/batches.js";
import { refill, setupOt } from "../../interpreter/ot/session.js";
import { vecGet } from "../../interpreter/ot/vec.js";
import { Channel, memoryPair } from "../../interpreter/twopc/channel.js";
import { Meter } from "../../interpreter/twopc/meter.js";
import { randomBits } from "./helpers.js";

function link() {
  const frames: Uint8Array[] = [];
  return {
    frames,
    send: (p: Uint8Array) => void frames.push(p.slice()),
    recv: async (expected?: number) => {
      const f = frames.shift()!;
      if (expected !== undefined) expect(f.length).toBe(expected);
      return f;
    },
  };
}

describe("OT flights in bounded frames", () => {
  it("split at the cap and reassembled byte for byte", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 17 }), async (parts, cap) => {
      const total = parts.reduce((a, p) => a + p.length, 0);
      const l = link();
      sendFlight(l, parts, cap);
      expect(l.frames.map((f) => f.length)).toEqual(otFrames(total, cap));
      expect(l.frames.every((f) => f.length <= cap)).toBe(true);
      const whole = total > 0 ? await recvFlight(l, total, cap) : new Uint8Array(0);
      expect(Array.from(whole)).toEqual(parts.flatMap((p) => Array.from(p)));
    }), { numRuns: 200 });
  });

  it("the default cap keeps every frame far under the transport's 1 GiB limit", () => {
    expect(otFrames(3 * 2 ** 30)).toHaveLength(3072);
    expect(Math.max(...otFrames(3 * 2 ** 30))).toBe(2 ** 20);
    expect(otFrames(0)).toEqual([]);
  });

  it("a writer sends each full frame as soon as its parts fill it; a reader hands out prefixes as frames arrive", async () => {
    const l = link();
    const w = new FlightWriter(l, 4);
    w.push(Uint8Array.from([1, 2, 3]));
    expect(l.frames).toHaveLength(0);
    w.push(Uint8Array.from([4, 5, 6, 7, 8, 9, 10, 11, 12]));
    expect(l.frames.map((f) => Array.from(f))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
    w.push(Uint8Array.from([13]));
    w.end();
    expect(l.frames.map((f) => f.length)).toEqual(otFrames(13, 4));
    const r = new FlightReader(l, 13, 4);
    expect(Array.from((await r.upTo(3)).subarray(0, 3))).toEqual([1, 2, 3]);
    expect(l.frames).toHaveLength(3);
    expect(Array.from((await r.upTo(13)).subarray(8, 13))).toEqual([9, 10, 11, 12, 13]);
    expect(l.frames).toHaveLength(0);
  });
});

describe("one round's two parties overlap", () => {
  it("the receiver finishes a batch while the sender computes the next; `meanwhile` runs before the first answer is awaited", async () => {
    const [a, b] = memoryPair();
    const client = new Channel(a, new Meter(), "client");
    const server = new Channel(b, new Meter(), "server");
    const [cp, sp] = await Promise.all([setupOt(client, "client"), setupOt(server, "server")]);
    // Three batches of 2048 OTs × 256 values × 16 bits: 1 MiB of corrections each, a frame or more.
    const n = 2048, L = 256, ell = 16, batches = 3;
    await Promise.all([refill(server, sp, n * batches, 0), refill(client, cp, 0, n * batches)]);
    const events: string[] = [];
    const choices = Array.from({ length: batches }, () => randomBits(n));
    const deltas = Array.from({ length: batches }, (_, k) => Float64Array.from({ length: n * L }, (_, i) => (i * 7 + k) % 2 ** ell));
    const receive = choices.map((c, k) => {
      const r = receiveVcot(c, L, ell, "server");
      return { ...r, finish: (rows: Parameters<typeof r.finish>[0], msg: Uint8Array) => (events.push(`finish ${k}`), r.finish(rows, msg)) };
    });
    const send = deltas.map((d, k) => {
      const s = sendVcot(n, L, ell, () => d);
      return { ...s, respond: (rows: Parameters<typeof s.respond>[0]) => (events.push(`respond ${k}`), s.respond(rows)) };
    });
    const [got, gave] = await Promise.all([
      otRound(server, sp, receive, [], () => void events.push("meanwhile")),
      otRound(client, cp, [], send),
    ]);
    expect(events.indexOf("meanwhile")).toBeLessThan(events.indexOf("finish 0"));
    // Without the sender's yield every answer would be computed before the first is read.
    expect(events.indexOf("finish 0")).toBeLessThan(events.indexOf(`respond ${batches - 1}`));
    for (let k = 0; k < batches; k++) {
      for (const j of [0, 1, n - 1]) {
        for (const v of [0, L - 1]) {
          const i = j * L + v;
          const want = (vecGet(gave.sent[k]!, i) + BigInt(choices[k]![j]!) * BigInt(deltas[k]![i]!)) % (1n << BigInt(ell));
          expect(vecGet(got.received[k]!, i)).toBe(want);
        }
      }
    }
  });
});
