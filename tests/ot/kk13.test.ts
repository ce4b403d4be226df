// KK13 1-out-of-N OT (interpreter/ot/kk13.ts): correctness for every N it serves, sizes equal
// to the forecast's nChoose1Bytes, the code's distance, the fold's injectivity on every
// codeword (what the hash's security rests on), and misuse.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldIsInjective, kkColumns, kkRecv, kkSend, whCodeword } from "../../interpreter/ot/kk13.js";
import { tccr, tccrWord0 } from "../../interpreter/ot/aes.js";
import { nChoose1Bytes } from "../../interpreter/ot/nchoose1.js";
import { receiveOneOfN, sendOneOfN } from "../../interpreter/ot/batches.js";
import { KK_LAMBDA, usesKk13 } from "../../compiler/cost/ot-sizes.js";
import { extensionPair } from "./helpers.js";

function run(n: number, N: number, k: number, v = Uint8Array.from(randomBytes(n), (x) => x % N)) {
  const { sender, receiver } = extensionPair(7, KK_LAMBDA);
  const messages = Uint32Array.from(new Uint32Array(new Uint8Array(randomBytes(4 * n * N)).buffer), (x) => (k === 32 ? x : x % 2 ** k));
  const { msg, rows } = receiver.extendColumns(v, kkColumns(v));
  const rowsS = sender.extend(n, msg);
  const msg2 = kkSend(rowsS, messages, N, k);
  return { v, messages, msg, msg2, rows, rowsS, got: kkRecv(rows, v, msg2, N, k) };
}

const popcount = (x: number): number => {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
};

describe("KK13 1-out-of-N OT", () => {
  it("the receiver gets message v for N = 2..16 and random k, n; the rows differ by C(v) ⊙ s", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 16 }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 300 }), (N, k, n) => {
      const { v, messages, rows, rowsS, got } = run(n, N, k);
      for (let i = 0; i < n; i++) expect(got[i]).toBe(messages[i * N + v[i]!]);
      // q_j ⊕ t_j = C(v_j) ⊙ s: block b of the row is the 16-bit codeword masked by block b of s.
      const h = whCodeword(v[0]!);
      for (let b = 0; b < 16; b++) {
        const d = (rowsS.q[2 * b]! ^ rows.t[2 * b]!) | ((rowsS.q[2 * b + 1]! ^ rows.t[2 * b + 1]!) << 8);
        const s = rowsS.delta[2 * b]! | (rowsS.delta[2 * b + 1]! << 8);
        expect(d).toBe(h & s);
      }
    }), { numRuns: 40 });
  });

  it("spans several extension chunks (n = 70,000 > 2^16)", () => {
    const { v, messages, got } = run(70_000, 16, 2);
    let bad = 0;
    for (let i = 0; i < v.length; i++) if (got[i] !== messages[i * 16 + v[i]!]) bad++;
    expect(bad).toBe(0);
  });

  it("the other messages stay hidden: decoding with a wrong choice gives garbage", () => {
    const n = 400;
    const { v, messages, msg2, rows } = run(n, 16, 16);
    const wrong = kkRecv(rows, v.map((x) => x ^ 5), msg2, 16, 16);
    let same = 0;
    for (let i = 0; i < n; i++) if (wrong[i] === messages[i * 16 + (v[i]! ^ 5)]) same++;
    expect(same).toBeLessThan(3);
  });

  it("the code has distance 128 over 256 columns, and the fold is injective on every codeword's support", () => {
    for (let w = 1; w < 16; w++) expect(16 * popcount(whCodeword(w))).toBe(128);
    expect(foldIsInjective()).toBe(true);
  });

  it("a round's 1-of-N batches use KK13 exactly where it sends fewer bits, with the forecast's sizes", () => {
    for (const N of [2, 4, 8, 16, 32, 256]) {
      const table = 128 * Math.log2(N);
      expect(usesKk13(N)).toBe(N <= 16 && KK_LAMBDA < table);
      const n = 37;
      const r = receiveOneOfN(new Uint8Array(n), N, 3, "ot");
      const s = sendOneOfN(new Uint32Array(n * N), N, 3);
      expect(Boolean(r.kk)).toBe(usesKk13(N));
      expect(Boolean(s.kk)).toBe(usesKk13(N));
      expect(r.reply).toBe(nChoose1Bytes(n, N, 3).toReceiver);
    }
    expect(nChoose1Bytes(1000, 16, 2)).toEqual({ toSender: 8 + 32 * 1000, toReceiver: 4000 });
  });

  it("the sender's many-mask hash (word 0 of each pad) equals tccr under each mask, across chunks and a 2^32 tweak carry", () => {
    for (const [n, M, first] of [[5, 16, 7], [3000, 16, 2 ** 32 - 2], [700, 3, 0]] as const) {
      const x = new Uint32Array(randomBytes(16 * n).buffer);
      const masks = Array.from({ length: M }, () => new Uint32Array(randomBytes(16).buffer));
      const got = new Int32Array(n * M);
      tccrWord0(x, n, first, 5, masks, got);
      const one = new Uint32Array(4 * n);
      masks.forEach((m, u) => {
        tccr(x, n, first, 5, one, m);
        for (let j = 0; j < n; j++) expect(got[j * M + u]! >>> 0).toBe(one[4 * j]!);
      });
    }
  });

  it("refuses choices and messages out of range", () => {
    const { receiver } = extensionPair(7, KK_LAMBDA);
    const v = Uint8Array.of(3, 17);
    expect(() => receiver.extendColumns(v, kkColumns(v))).toThrow(/not below 16/);
    const fresh = extensionPair(7, KK_LAMBDA);
    const ok = Uint8Array.of(1, 2);
    const { msg } = fresh.receiver.extendColumns(ok, kkColumns(ok));
    const rows = fresh.sender.extend(2, msg);
    expect(() => kkSend(rows, new Uint32Array(2 * 8).fill(4), 8, 2)).toThrow(/does not fit/);
    expect(() => kkSend(rows, new Uint32Array(2 * 32), 32, 2)).toThrow(/outside 2..16/);
  });
});
