import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nChoose1Choices, nChoose1Recv, nChoose1Send, nChoose1Bytes } from "../../interpreter/ot/nchoose1.js";
import { expectCode, extensionPair } from "./helpers.js";

function runNChoose1(n: number, N: number, k: number): void {
  const m = Math.log2(N);
  const { sender, receiver } = extensionPair();
  const v = Uint8Array.from(randomBytes(n), (x) => x % N);
  const messages = Uint32Array.from(new Uint32Array(new Uint8Array(randomBytes(4 * n * N)).buffer), (x) => (k === 32 ? x : x % 2 ** k));
  const { msg, rows } = receiver.extend(nChoose1Choices(v, N));
  const msg2 = nChoose1Send(sender.extend(n * m, msg), messages, N, k);
  expect({ ots: n * Math.log2(N), toSender: msg.length, toReceiver: msg2.length }).toEqual(nChoose1Bytes(n, N, k));
  const got = nChoose1Recv(rows, v, msg2, N, k);
  for (let i = 0; i < n; i++) {
    if (got[i] !== messages[i * N + v[i]!]) throw new Error(`1-of-${N}, k = ${k}, instance ${i}: got ${got[i]}, want ${messages[i * N + v[i]!]}`);
  }
}

describe("1-out-of-N OT (table trick over random OTs)", () => {
  it("the receiver gets message v for N = 2, 4, 16 and random k, n (sizes = nChoose1Bytes)", () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 4, 16), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 300 }), (N, k, n) => runNChoose1(n, N, k)),
      { numRuns: 40 },
    );
  });

  it("works when a table spans several hash blocks (N = 256, k = 32; N = 16, k = 9)", () => {
    runNChoose1(50, 256, 32);
    runNChoose1(200, 16, 9);
    runNChoose1(5000, 16, 2);
  });

  it("masked messages of other values do not reveal them: flipping the choice gives a different message", () => {
    const n = 200;
    const N = 16;
    const { sender, receiver } = extensionPair();
    const v = Uint8Array.from(randomBytes(n), (x) => x % N);
    const messages = new Uint32Array(n * N).fill(3);
    const { msg, rows } = receiver.extend(nChoose1Choices(v, N));
    const msg2 = nChoose1Send(sender.extend(n * 4, msg), messages, N, 2);
    const wrong = nChoose1Recv(rows, v.map((x) => x ^ 1), msg2, N, 2);
    expect([...wrong].filter((x) => x === 3).length).toBeLessThan(n / 2);
  });

  it("runs at N = 8, k = 5 too", () => {
    const n = 100;
    const N = 8;
    const { sender, receiver } = extensionPair();
    const v = Uint8Array.from(randomBytes(n), (x) => x % N);
    const messages = Uint32Array.from({ length: n * N }, (_, i) => i % 32);
    const { msg, rows } = receiver.extend(nChoose1Choices(v, N));
    expect(msg.length).toBe(nChoose1Bytes(n, N, 5).toSender);
    const msg2 = nChoose1Send(sender.extend(n * Math.log2(N), msg), messages, N, 5);
    expect([...nChoose1Recv(rows, v, msg2, N, 5)]).toEqual([...v].map((c, i) => messages[i * N + c]));
  });

  it("a choice ≥ N or a truncated table message is rejected", () => {
    expectCode(() => nChoose1Choices(Uint8Array.of(4), 4), "PQ5001");
    expectCode(() => nChoose1Bytes(1, 3, 2), "PQ5001");
    const { sender, receiver } = extensionPair();
    const v = Uint8Array.of(1, 2, 3);
    const { msg, rows } = receiver.extend(nChoose1Choices(v, 4));
    const msg2 = nChoose1Send(sender.extend(6, msg), new Uint32Array(12), 4, 8);
    expectCode(() => nChoose1Recv(rows, v, msg2.subarray(1), 4, 8), "PQ5007", "1-of-4");
  });
});
