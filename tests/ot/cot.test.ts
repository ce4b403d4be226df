import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cotBytes, cotRecv, cotSend } from "../../interpreter/ot/cot.js";
import { vecFrom, vecGet, type Vec } from "../../interpreter/ot/vec.js";
import { expectCode, extensionPair, randomBits } from "./helpers.js";

function randomDelta(n: number, ell: number, seed: number): Vec {
  const rng = fc.sample(fc.bigInt({ min: 0n, max: (1n << BigInt(ell)) - 1n }), { numRuns: n, seed });
  return vecFrom(rng, ell);
}

/** One COT batch; checks y = x + c·Δ mod 2^ℓ and the message sizes. */
function runCot(n: number, ell: number, seed: number): { x: Vec; y: Vec } {
  const { sender, receiver } = extensionPair();
  const c = randomBits(n);
  const delta = randomDelta(n, ell, seed);
  const { msg: msg1, rows } = receiver.extend(c);
  const { x, msg: msg2 } = cotSend(sender.extend(n, msg1), delta, ell);
  const y = cotRecv(rows, msg2, ell);
  expect({ ots: n, toSender: msg1.length, toReceiver: msg2.length }).toEqual(cotBytes(n, ell));
  const mod = 1n << BigInt(ell);
  for (let j = 0; j < n; j++) {
    const want = (vecGet(x, j) + BigInt(c[j]!) * vecGet(delta, j)) % mod;
    if (vecGet(y, j) !== want) throw new Error(`ℓ = ${ell}, OT ${j}: y = ${vecGet(y, j)}, x + c·Δ = ${want}`);
    if (vecGet(x, j) >= mod) throw new Error(`x out of range`);
  }
  return { x, y };
}

describe("correlated OT over Z_2^ℓ", () => {
  it("y = x + c·Δ mod 2^ℓ for random ℓ in 1..64 and random n (sizes = cotBytes)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 700 }), fc.integer(), (ell, n, seed) => {
        runCot(n, ell, seed);
      }),
      { numRuns: 60 },
    );
  });

  it("holds at the representation edges ℓ = 1, 32, 33, 52, 53, 64, across a chunk boundary", () => {
    for (const ell of [1, 32, 33, 52, 53, 64]) runCot(300, ell, ell);
    runCot((1 << 16) + 3, 16, 7);
  });

  it("values are Float64Array for ℓ ≤ 52 and BigUint64Array above; x is spread over the ring", () => {
    expect(runCot(10, 52, 1).x).toBeInstanceOf(Float64Array);
    expect(runCot(10, 53, 1).x).toBeInstanceOf(BigUint64Array);
    const { x } = runCot(2000, 64, 3);
    const top = [...(x as BigUint64Array)].filter((v) => v >= 1n << 63n).length;
    expect(top).toBeGreaterThan(800);
    expect(top).toBeLessThan(1200);
  });

  it("a correction message of the wrong size is rejected with PQ5007", () => {
    const { sender, receiver } = extensionPair();
    const { msg, rows } = receiver.extend(randomBits(50));
    const { msg: msg2 } = cotSend(sender.extend(50, msg), randomDelta(50, 13, 1), 13);
    expectCode(() => cotRecv(rows, msg2.subarray(1), 13, "client"), "PQ5007", "client", `${cotBytes(50, 13).toReceiver}`);
    expectCode(() => cotRecv(rows, msg2, 12), "PQ5007");
  });

  it("the hash tweak advances: two batches with the same rows' inputs give unrelated x", () => {
    const { sender, receiver } = extensionPair();
    const c = new Uint8Array(200);
    const d = randomDelta(200, 32, 5);
    const a = cotSend(sender.extend(200, receiver.extend(c).msg), d, 32);
    const b = cotSend(sender.extend(200, receiver.extend(c).msg), d, 32);
    const same = [...(a.x as Float64Array)].filter((v, j) => v === (b.x as Float64Array)[j]).length;
    expect(same).toBeLessThan(3);
  });

  it("the tweak enters the hash: the same rows at another OT index or in the other direction give unrelated x", () => {
    const { sender, receiver } = extensionPair();
    const rows = sender.extend(300, receiver.extend(new Uint8Array(300)).msg);
    const d = randomDelta(300, 32, 9);
    const base = cotSend(rows, d, 32).x as Float64Array;
    for (const moved of [{ ...rows, first: rows.first + 1 }, { ...rows, first: rows.first + 2 ** 32 }, { ...rows, domain: rows.domain + 1 }]) {
      const x = cotSend(moved, d, 32).x as Float64Array;
      expect([...x].filter((v, j) => v === base[j]).length).toBeLessThan(3);
    }
    expect([...(cotSend(rows, d, 32).x as Float64Array)]).toEqual([...base]);
  });

  it("a Δ of the wrong length or representation is a caller bug (PQ5001)", () => {
    const { sender, receiver } = extensionPair();
    const rows = sender.extend(8, receiver.extend(new Uint8Array(8)).msg);
    expectCode(() => cotSend(rows, new Float64Array(7), 8), "PQ5001");
    expectCode(() => cotSend(rows, new Float64Array(8), 60), "PQ5001");
    expectCode(() => cotSend(rows, new Float64Array(8), 0), "PQ5001");
  });
});
