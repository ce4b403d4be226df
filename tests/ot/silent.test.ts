// Silent OT (interpreter/ot/ferret.ts, silent.ts): a Ferret iteration turns a reserve of random
// COTs into new ones with the same Δ (q = t ⊕ c·Δ on every output), its message has the stated
// size and is checked; the refill plan always covers the need, and the pool's derandomized
// batches have IKNP's row relation.
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ferretMsgBytes, ferretRecv, ferretSend } from "../../interpreter/ot/ferret.js";
import { EMPTY_POOL, FERRET_BOOT, FERRET_MAIN, IKNP_CAP, IKNP_CHUNK, iknpMsgBytes, refillBytes, refillPlan, reserveOf, silentMsgBytes, type LpnParams, type PoolState } from "../../compiler/cost/ot-sizes.js";
import { expectCode, extensionPair, fill, iknpPair, randomBits } from "./helpers.js";
import { SilentReceiver, SilentSender } from "../../interpreter/ot/silent.js";

/** A reserve of r random COTs with Δ: the receiver's (c, t) and the sender's q. */
function reserve(r: number, delta: Uint8Array): { c: Uint8Array; t: Uint8Array; q: Uint8Array } {
  const c = randomBits(r);
  const t = new Uint8Array(randomBytes(16 * r));
  const q = t.slice();
  for (let j = 0; j < r; j++) if (c[j]) for (let b = 0; b < 16; b++) q[16 * j + b]! ^= delta[b]!;
  return { c, t, q };
}

function checkRows(q: Uint8Array, t: Uint8Array, c: Uint8Array, delta: Uint8Array): number {
  let bad = 0;
  for (let j = 0; j < c.length; j++) {
    for (let b = 0; b < 16; b++) {
      if ((q[16 * j + b]! ^ t[16 * j + b]!) !== (c[j] ? delta[b]! : 0)) {
        bad++;
        break;
      }
    }
  }
  return bad;
}

describe("Ferret iteration", () => {
  const p: LpnParams = FERRET_BOOT;
  const delta = new Uint8Array(randomBytes(16));
  const r = reserve(reserveOf(p), delta);
  const ctx = { iteration: 3, first: 12345, domain: 17 };

  it("q' = t' ⊕ c'·Δ on every output, c' balanced, weight-t noise placed by the receiver's bits; message of ferretMsgBytes", () => {
    const s = ferretSend(p, r.q, delta, ctx);
    expect(s.msg.length).toBe(ferretMsgBytes(p));
    expect(ferretMsgBytes(FERRET_MAIN)).toBe(199_272);
    const o = ferretRecv(p, r.c, r.t, s.msg, ctx);
    expect(o.c.length).toBe(p.n);
    expect(checkRows(s.q, o.t, o.c, delta)).toBe(0);
    const ones = o.c.reduce((a, b) => a + b, 0);
    expect(Math.abs(ones / p.n - 0.5)).toBeLessThan(0.02);
    // Two iterations from the same reserve differ (fresh seeds): the outputs are not a function of the reserve alone.
    const s2 = ferretSend(p, r.q, delta, ctx);
    expect(Buffer.compare(s.q, s2.q)).not.toBe(0);
  });

  it("without the LPN step the receiver's choices would be the regular noise: one 1 per block, at the position its level bits name", () => {
    // A reserve whose LPN part has all choices 0 (t = q there) leaves c' = e.
    const z = reserve(reserveOf(p), delta);
    for (let j = p.t * p.h; j < reserveOf(p); j++) {
      z.c[j] = 0;
      z.q.set(z.t.subarray(16 * j, 16 * j + 16), 16 * j);
    }
    const s = ferretSend(p, z.q, delta, ctx);
    const o = ferretRecv(p, z.c, z.t, s.msg, ctx);
    expect(checkRows(s.q, o.t, o.c, delta)).toBe(0);
    const per = 1 << p.h;
    for (const i of [0, 1, p.t - 1]) {
      let alpha = 0;
      for (let l = 0; l < p.h; l++) alpha = 2 * alpha + 1 - z.c[i * p.h + l]!;
      const block = Array.from(o.c.subarray(i * per, (i + 1) * per));
      expect(block.reduce((a, b) => a + b, 0)).toBe(1);
      expect(block.indexOf(1)).toBe(alpha);
    }
  });

  it("a message of the wrong size, iteration or count is PQ5007; a wrong reserve is the caller's bug (PQ5001)", () => {
    const s = ferretSend(p, r.q, delta, ctx);
    expectCode(() => ferretRecv(p, r.c, r.t, s.msg.subarray(1), { ...ctx, party: "client" }), "PQ5007", "client", `${ferretMsgBytes(p)}`);
    expectCode(() => ferretRecv(p, r.c, r.t, s.msg, { ...ctx, iteration: 4 }), "PQ5007", "replayed or reordered");
    const forged = s.msg.slice();
    new DataView(forged.buffer).setUint32(4, 7, true);
    expectCode(() => ferretRecv(p, r.c, r.t, forged, ctx), "PQ5007", "makes 7 COTs");
    expectCode(() => ferretSend(p, r.q.subarray(16), delta, ctx), "PQ5001");
    expectCode(() => ferretRecv(p, r.c.subarray(1), r.t, s.msg, ctx), "PQ5001");
  });
});

describe("refill plans", () => {
  const state = fc
    .record({ level: fc.constantFrom(0 as const, 1 as const, 2 as const), available: fc.integer({ min: 0, max: 700_000 }), made: fc.integer({ min: 0, max: IKNP_CAP }) })
    .map((s): PoolState => (s.level === 0 ? { level: 0, available: Math.min(s.available, s.made), made: s.made } : { ...s, made: 0 }));

  it("cover the need, take IKNP into the pool only up to IKNP_CAP, bootstrap only from level 0, never lower the level, and cost what refillBytes says", () => {
    fc.assert(
      fc.property(state, fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5_000_000 })), (s, need) => {
        const { steps, after } = refillPlan(s, need);
        expect(after.available).toBeGreaterThanOrEqual(need);
        expect(after.level).toBeGreaterThanOrEqual(s.level);
        expect(after.made).toBeLessThanOrEqual(IKNP_CAP);
        if (need <= s.available) expect(steps).toEqual([]);
        const pool = steps.filter((x) => x.run === "iknp-pool");
        expect(pool.length).toBeLessThanOrEqual(1);
        for (const x of pool) if (x.run === "iknp-pool") expect(x.n).toBeGreaterThanOrEqual(IKNP_CHUNK);
        if (pool.length > 0) expect(steps).toHaveLength(1);
        expect(steps.some((x) => x.run === "iknp")).toBe(s.level === 0 && need > s.available && pool.length === 0);
        const b = refillBytes(steps);
        const ferret = steps.filter((x) => x.run === "ferret");
        expect(b.toReceiver).toBe(ferret.reduce((a, x) => a + (x.run === "ferret" ? ferretMsgBytes(x.params) : 0), 0));
        expect(b.toSender).toBe(pool.length > 0 && pool[0]!.run === "iknp-pool" ? iknpMsgBytes(pool[0]!.n) : steps.some((x) => x.run === "iknp") ? iknpMsgBytes(reserveOf(FERRET_BOOT)) : 0);
        // Each iteration runs on the reserve the previous one (or IKNP) kept.
        let kept = s.level === 1 ? reserveOf(FERRET_BOOT) : s.level === 2 ? reserveOf(FERRET_MAIN) : 0;
        for (const x of steps) {
          if (x.run === "iknp") kept = reserveOf(FERRET_BOOT);
          else if (x.run === "ferret") {
            expect(kept).toBe(reserveOf(x.params));
            kept = x.keep;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a large need moves to the main size: about 3 bits per COT, against 128 for IKNP", () => {
    const { steps } = refillPlan(EMPTY_POOL, 10_000_000);
    const bytes = refillBytes(steps);
    expect((8 * (bytes.toSender + bytes.toReceiver)) / 10_000_000).toBeLessThan(4);
  });
});

describe("the pool", () => {
  it("derandomized batches: q ⊕ t = b·Δ for the chosen b, across refills of both sizes, with the sizes silentMsgBytes states", () => {
    const { sender, receiver } = extensionPair(1);
    for (const n of [1, 1000, 70_000, 200_000, 5]) {
      const b = randomBits(n);
      const { msg, rows } = receiver.extend(b);
      expect(msg.length).toBe(silentMsgBytes(n));
      const q = sender.extend(n, msg);
      expect(q.first).toBe(rows.first);
      expect(checkRows(q.q, rows.t, b, sender.delta)).toBe(0);
    }
    expect(receiver.state().level).toBe(2);
  });

  it("reset drops the pool and its reserve (the next refill bootstraps again) and keeps the tweak counters", () => {
    const iknp = iknpPair(2);
    const sender = new SilentSender(iknp.sender, 2);
    const receiver = new SilentReceiver(iknp.receiver, 2);
    fill(sender, receiver, 100);
    const a = receiver.extend(randomBits(100));
    sender.extend(100, a.msg);
    sender.reset();
    receiver.reset();
    expect(receiver.state()).toEqual(EMPTY_POOL);
    fill(sender, receiver, 10);
    const b = randomBits(10);
    const x = receiver.extend(b);
    expect(x.rows.first).toBe(100);
    expect(checkRows(sender.extend(10, x.msg).q, x.rows.t, b, sender.delta)).toBe(0);
  });

  it("a replayed or mis-sized batch is PQ5007; asking more than the pool holds is a skipped refill (PQ5001)", () => {
    const { sender, receiver } = extensionPair(1);
    const a = receiver.extend(randomBits(100));
    sender.extend(100, a.msg);
    receiver.extend(randomBits(100));
    expectCode(() => sender.extend(100, a.msg), "PQ5007", "replayed", "server");
    expectCode(() => sender.extend(99, a.msg), "PQ5007");
    const iknp = iknpPair(1);
    const bare = new SilentReceiver(iknp.receiver, 1);
    expectCode(() => bare.extend(randomBits(3)), "PQ5001", "refill was skipped");
    expectCode(() => receiver.extend(Uint8Array.of(0, 2)), "PQ5001");
  });
});
