import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHUNK, iknpMsgBytes } from "../../interpreter/ot/iknp.js";
import { expectCode, iknpPair as extensionPair, randomBits } from "./helpers.js";

/** q_j ⊕ t_j = c_j·Δ for every OT of the batch. */
function checkCorrelation(n: number): void {
  const { sender, receiver } = extensionPair();
  const choices = randomBits(n);
  const { msg, rows } = receiver.extend(choices);
  expect(msg.length).toBe(iknpMsgBytes(n));
  const s = sender.extend(n, msg);
  expect(s.first).toBe(rows.first);
  for (let j = 0; j < n; j++) {
    for (let b = 0; b < 16; b++) {
      const expected = choices[j] ? sender.delta[b]! : 0;
      if ((s.q[16 * j + b]! ^ rows.t[16 * j + b]!) !== expected) throw new Error(`OT ${j} byte ${b}: q ⊕ t ≠ c·Δ (n = ${n})`);
    }
  }
}

describe("IKNP extension", () => {
  it("q ⊕ t = c·Δ for random n, including n not a multiple of 8, 32 or 128", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), (n) => checkCorrelation(n)), { numRuns: 25 });
    for (const n of [0, 1, 7, 8, 31, 33, 127, 129]) checkCorrelation(n);
  });

  it("q ⊕ t = c·Δ across chunks (n > 2^16)", () => {
    checkCorrelation(CHUNK + 77);
    checkCorrelation(2 * CHUNK);
  });

  it("Δ is the sender's 128 base-OT choices and is not all zero or all one", () => {
    const { sender } = extensionPair();
    expect(sender.delta.length).toBe(16);
    expect(sender.delta.some((b) => b !== 0)).toBe(true);
    expect(sender.delta.some((b) => b !== 0xff)).toBe(true);
  });

  it("successive batches continue the PRG streams: same choices give unrelated rows", () => {
    const { sender, receiver } = extensionPair();
    const choices = randomBits(500);
    const a = receiver.extend(choices);
    const b = receiver.extend(choices);
    expect(b.rows.first).toBe(500);
    expect(Buffer.compare(a.rows.t, b.rows.t)).not.toBe(0);
    const qa = sender.extend(500, a.msg);
    const qb = sender.extend(500, b.msg);
    expect(qb.first).toBe(500);
    expect(Buffer.compare(qa.q, qb.q)).not.toBe(0);
  });

  it("a replayed batch is rejected with PQ5007", () => {
    const { sender, receiver } = extensionPair();
    const a = receiver.extend(randomBits(100));
    sender.extend(100, a.msg);
    receiver.extend(randomBits(100));
    expectCode(() => sender.extend(100, a.msg), "PQ5007", "replayed", "server");
  });

  it("a truncated or overlong message is rejected with PQ5007", () => {
    const { sender, receiver } = extensionPair();
    const a = receiver.extend(randomBits(100));
    expectCode(() => sender.extend(100, a.msg.subarray(0, a.msg.length - 1)), "PQ5007", `${iknpMsgBytes(100)}`);
    expectCode(() => sender.extend(99, a.msg), "PQ5007", "holds 100 OTs");
    const longer = new Uint8Array(a.msg.length + 16);
    longer.set(a.msg);
    expectCode(() => sender.extend(100, longer), "PQ5007");
  });

  it("a choice that is not a bit is a caller bug (PQ5001)", () => {
    const { receiver } = extensionPair();
    expectCode(() => receiver.extend(Uint8Array.of(0, 1, 2)), "PQ5001");
  });
});
