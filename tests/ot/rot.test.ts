import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chosenOtBytes, chosenOtRecv, chosenOtSend, rotBytes, rotRecv, rotSend, smallMessages } from "../../interpreter/ot/rot.js";
import { expectCode, extensionPair, randomBits } from "./helpers.js";

/** Random messages of b bits, packed ⌈b/8⌉ bytes each with the unused high bits zero. */
function randomMessages(n: number, b: number): Uint8Array {
  const B = Math.ceil(b / 8);
  const m = new Uint8Array(randomBytes(n * B));
  const top = b % 8 === 0 ? 0xff : (1 << (b % 8)) - 1;
  for (let j = 0; j < n; j++) m[B * j + B - 1]! &= top;
  return m;
}

const msgOf = (packed: Uint8Array, j: number, B: number): string => Buffer.from(packed.subarray(B * j, B * j + B)).toString("hex");

describe("random OT", () => {
  it("the receiver gets m_c; m0 ≠ m1; high bits beyond b are zero; sizes = rotBytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 128 }), fc.integer({ min: 1, max: 400 }), (b, n) => {
        const { sender, receiver } = extensionPair();
        const c = randomBits(n);
        const { msg, rows } = receiver.extend(c);
        expect({ ots: n, toSender: msg.length, toReceiver: 0 }).toEqual(rotBytes(n));
        const { m0, m1 } = rotSend(sender.extend(n, msg), b);
        const got = rotRecv(rows, b);
        const B = Math.ceil(b / 8);
        expect(got.length).toBe(B * n);
        let equalPairs = 0;
        for (let j = 0; j < n; j++) {
          expect(msgOf(got, j, B)).toBe(msgOf(c[j] ? m1 : m0, j, B));
          if (msgOf(m0, j, B) === msgOf(m1, j, B)) equalPairs++;
          if (b % 8 !== 0) expect(got[B * j + B - 1]! >> (b % 8)).toBe(0);
        }
        // m0_j = m1_j by chance with probability 2^-b: none for b ≥ 32, few for b ≥ 8.
        if (b >= 32) expect(equalPairs).toBe(0);
        else if (b >= 8) expect(equalPairs).toBeLessThanOrEqual(n / 8 + 2);
      }),
      { numRuns: 30 },
    );
  });

  it("smallMessages reads b ≤ 32 as words", () => {
    expect([...smallMessages(Uint8Array.of(0x34, 0x12, 0xff, 0x0f), 12)]).toEqual([0x1234, 0x0fff]);
    expect([...smallMessages(Uint8Array.of(1, 2, 3, 0xff), 32)]).toEqual([0xff030201]);
    expect([...smallMessages(Uint8Array.of(5, 0), 3)]).toEqual([5, 0]);
  });
});

describe("chosen-message OT", () => {
  it("the receiver gets its chosen message for random b in 1..128 (sizes = chosenOtBytes)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 128 }), fc.integer({ min: 1, max: 300 }), (b, n) => {
        const { sender, receiver } = extensionPair();
        const c = randomBits(n);
        const m0 = randomMessages(n, b);
        const m1 = randomMessages(n, b);
        const { msg, rows } = receiver.extend(c);
        const msg2 = chosenOtSend(sender.extend(n, msg), m0, m1, b);
        expect({ ots: n, toSender: msg.length, toReceiver: msg2.length }).toEqual(chosenOtBytes(n, b));
        const got = chosenOtRecv(rows, msg2, b);
        expect(Buffer.from(got)).toEqual(Buffer.from(Uint8Array.from({ length: got.length }, (_, i) => (c[Math.floor(i / Math.ceil(b / 8))] ? m1 : m0)[i]!)));
      }),
      { numRuns: 30 },
    );
  });

  it("a truncated message is rejected with PQ5007; wrong message sizes are a caller bug (PQ5001)", () => {
    const { sender, receiver } = extensionPair();
    const { msg, rows } = receiver.extend(randomBits(10));
    const srows = sender.extend(10, msg);
    expectCode(() => chosenOtSend(srows, new Uint8Array(10), new Uint8Array(9), 8), "PQ5001");
    const msg2 = chosenOtSend(srows, new Uint8Array(10), new Uint8Array(10), 8);
    expectCode(() => chosenOtRecv(rows, msg2.subarray(0, 19), 8), "PQ5007", "19 bytes");
  });
});
