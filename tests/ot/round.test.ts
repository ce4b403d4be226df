// A flight above the frame cap is written as consecutive frames of at most the cap, from the
// batches' messages in order, and read back whole; each frame's size is what the receiver
// expects (otFrames), so a short or long frame is the channel's PQ5004.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { otFrames } from "../../compiler/cost/ot-sizes.js";
import { FlightReader, FlightWriter, recvFlight, sendFlight } from "../../interpreter/ot/round.js";

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
