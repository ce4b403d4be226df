// Vector correlated OT (interpreter/ot/vcot.ts): y_j = x_j + c_j·Δ_j mod 2^ℓ element-wise,
// L values per OT, with Δ given reduced or (ℓ ≤ 52) as any integers below 2^52 in magnitude,
// and with the receiver's pads made before the corrections arrive or after.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { tccr } from "../../interpreter/ot/aes.js";
import { vcotBytes, vcotPads, vcotRecv, vcotSend } from "../../interpreter/ot/vcot.js";
import { vecFrom, vecGet, type Vec } from "../../interpreter/ot/vec.js";
import { expectCode, extensionPair, randomBits } from "./helpers.js";

function run(n: number, L: number, ell: number, delta: Vec, early: boolean): { x: Vec; y: Vec; c: Uint8Array } {
  const { sender, receiver } = extensionPair();
  const c = randomBits(n);
  const { msg: u, rows } = receiver.extend(c);
  const ready = early ? vcotPads(rows, L, ell) : undefined;
  const { x, msg } = vcotSend(sender.extend(n, u), L, ell, delta);
  expect({ ots: n, toSender: u.length, toReceiver: msg.length }).toEqual(vcotBytes(n, L, ell));
  return { x: x!, y: vcotRecv(rows, L, ell, msg, "client", ready)!, c };
}

describe("vector correlated OT over Z_2^ℓ", () => {
  it("y = x + c·Δ mod 2^ℓ for every value, ℓ in 1..64, L in 1..9, pads made early or late", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 300 }), fc.boolean(), fc.integer(), (ell, L, n, early, seed) => {
        const vals = fc.sample(fc.bigInt({ min: 0n, max: (1n << BigInt(ell)) - 1n }), { numRuns: n * L, seed });
        const delta = vecFrom(vals, ell);
        const { x, y, c } = run(n, L, ell, delta, early);
        const mod = 1n << BigInt(ell);
        for (let i = 0; i < n * L; i++) {
          expect(vecGet(x, i) < mod).toBe(true);
          expect(vecGet(y, i)).toBe((vecGet(x, i) + BigInt(c[Math.floor(i / L)]!) * vals[i]!) % mod);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("for ℓ ≤ 52 an unreduced Δ (integers below 2^52 in magnitude, negative too) is taken mod 2^ℓ", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 52 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 200 }), fc.integer(), (ell, L, n, seed) => {
        const raw = fc.sample(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), { numRuns: n * L, seed });
        const { x, y, c } = run(n, L, ell, Float64Array.from(raw), false);
        const mod = 1n << BigInt(ell);
        for (let i = 0; i < n * L; i++) {
          const want = (((vecGet(x, i) + BigInt(c[Math.floor(i / L)]!) * BigInt(raw[i]!)) % mod) + mod) % mod;
          expect(vecGet(y, i)).toBe(want);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("accumulating (ℓ ≤ 32): each side adds scale·(its output) into a running sum instead of returning it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: -20, max: 20 }), fc.integer(), (ell, L, n, e, seed) => {
        const vals = fc.sample(fc.integer({ min: 0, max: 2 ** ell - 1 }), { numRuns: n * L, seed });
        const scale = Math.sign(e || 1) * 2 ** Math.abs(e);
        const start = Float64Array.from({ length: n * L }, (_, i) => (i % 7) - 3);
        const { sender, receiver } = extensionPair();
        const c = randomBits(n);
        const { msg: u, rows } = receiver.extend(c);
        const sendAcc = { into: start.slice(), scale };
        const recvAcc = { into: start.slice(), scale };
        const sent = vcotSend(sender.extend(n, u), L, ell, Float64Array.from(vals), sendAcc);
        expect(sent.x).toBeNull();
        expect(vcotRecv(rows, L, ell, sent.msg, "client", undefined, recvAcc)).toBeNull();
        const mod = 2 ** ell;
        for (let i = 0; i < n * L; i++) {
          const x = (sendAcc.into[i]! - start[i]!) / scale + 0;
          const y = (recvAcc.into[i]! - start[i]!) / scale + 0;
          expect(Number.isInteger(x) && x >= 0 && x < mod).toBe(true);
          expect(y).toBe((x + c[Math.floor(i / L)]! * vals[i]!) % mod);
        }
      }),
      { numRuns: 40 },
    );
    const { sender, receiver } = extensionPair();
    const { msg: u } = receiver.extend(randomBits(4));
    expectCode(() => vcotSend(sender.extend(4, u), 2, 33, new Float64Array(8), { into: new Float64Array(8), scale: 1 }), "PQ5001", "33 bits");
  });

  it("a correction message of the wrong size is rejected with PQ5007", () => {
    const { sender, receiver } = extensionPair();
    const { msg: u, rows } = receiver.extend(randomBits(20));
    const { msg } = vcotSend(sender.extend(20, u), 3, 13, new Float64Array(60));
    expectCode(() => vcotRecv(rows, 3, 13, msg.subarray(1), "client"), "PQ5007", "client", `${vcotBytes(20, 3, 13).toReceiver}`);
  });

  it("the hash of several blocks per row (π(x) shared) equals one call per block number", () => {
    for (const [n, subs, first] of [[5, 3, 7], [3000, 2, 2 ** 32 - 2], [2, 5000, 0]] as const) {
      const x = new Uint32Array(randomBytes(16 * n).buffer);
      const mask = new Uint32Array(randomBytes(16).buffer);
      const all = new Uint32Array(4 * n * subs);
      tccr(x, n, first, 3, all, mask, 10, subs);
      const one = new Uint32Array(4 * n);
      for (const s of [0, 1, subs - 1]) {
        tccr(x, n, first, 3, one, mask, 10 + s);
        for (let j = 0; j < n; j++) for (let w = 0; w < 4; w++) if (all[4 * (j * subs + s) + w] !== one[4 * j + w]) throw new Error(`row ${j} block ${s} differs`);
      }
    }
  });
});
