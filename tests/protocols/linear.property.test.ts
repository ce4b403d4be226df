// The server-weight product (serverLinear) reproduces the plaintext map under the provider
// the suite runs with (PQ_PROVIDER): random conv2d (stride, padding, groups), linear,
// per-channel scaling and Winograd products, either OT orientation, shared or client-only
// activations, weights of any declared width and signedness, rings up to 64 bits; the model's
// weights (fixed: the masked weights offline under bilinear triples) or not; dense weights, or
// re-weighted ones (ops.ts `split`, `support`: a dense low plane and a sparse high plane, or a
// pruned layer's support alone), as the `reweight` pass writes them.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { runBoth } from "../../interpreter/twopc/local.js";
import { serverLinear } from "../../interpreter/protocols/linear.js";
import { applyMap, type LinearMap } from "../../interpreter/twopc/linear-map.js";
import { constShare, getRing, ringFromBytes, sub, zeroShare } from "../../interpreter/twopc/ring.js";
import { tileOf, winoGeometry } from "../../compiler/winoconv.js";

const opArb = fc.oneof(
  fc.record({ g: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }), og: fc.integer({ min: 1, max: 2 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }), h: fc.integer({ min: 3, max: 5 }) })
    .map(({ g, cg, og, k, s, pad, h }) => {
      const o = Math.floor((h + 2 * pad - k) / s) + 1;
      return { op: "conv2d" as const, stride: s, pad, groups: g, w: [g * og, cg, k, k], x: [g * cg, h, h], y: [g * og, o, o] };
    }),
  fc.record({ o: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 6 }) }).map(({ o, k }) => ({ op: "linear" as const, w: [o, k], x: [k], y: [o] })),
  fc.record({ c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 3 }) }).map(({ c, h }) => ({ op: "scale" as const, w: [c], x: [c, h, h], y: [c, h, h] })),
  fc.record({ c: fc.integer({ min: 1, max: 2 }), o: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 3, max: 5 }) }).map(({ c, o, h }) => {
    const geometry = winoGeometry(tileOf(2)!, [c, h, h], o, 1);
    const a2 = geometry.t.alpha ** 2;
    return { op: "winoconv" as const, geometry, w: [a2, o, c], x: [a2, c, geometry.th, geometry.tw], y: [a2, o, geometry.th, geometry.tw] };
  }),
);

const caseArb = fc.record({
  op: opArb,
  N: fc.integer({ min: 2, max: 64 }),
  wBits: fc.integer({ min: 1, max: 8 }),
  wSigned: fc.boolean(),
  xBits: fc.integer({ min: 1, max: 10 }),
  xSigned: fc.boolean(),
  receiver: fc.constantFrom(0 as const, 1 as const),
  clientOnly: fc.boolean(),
  fixed: fc.boolean(),
  /** Re-weighting: the low plane's width (at most the weights' width − 1; 0 for unsigned
   * weights) and the percent of the other entries added to the support; undefined: dense. */
  reweight: fc.option(fc.record({ split: fc.integer({ min: 0, max: 7 }), extra: fc.integer({ min: 0, max: 100 }) }), { nil: undefined }),
  seed: fc.integer(),
});

/** n values of a `bits`-wide type, read signed or unsigned, from a small LCG. */
function values(n: number, bits: number, signed: boolean, seed: number): bigint[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = BigInt(s) % (1n << BigInt(bits));
    return signed ? BigInt.asIntN(bits, u) : u;
  });
}

describe("serverLinear reproduces the plaintext map", () => {
  it("for random maps, orientations, widths and sharings", async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const { N } = c;
      const wElem = { bits: Math.min(c.wBits, N), signed: c.wSigned };
      const xElem = c.clientOnly ? { bits: Math.min(c.xBits, N), signed: c.xSigned } : { bits: N, signed: false };
      const nw = c.op.w.reduce((a, b) => a * b, 1);
      // Re-weighted: the weights that do not fit i_split in the support, and some others; half
      // of the entries outside it are made to fit (zero when split = 0: a pruned layer).
      const split = c.reweight && wElem.signed ? Math.min(c.reweight.split, wElem.bits - 1) : 0;
      const half = split === 0 ? 0n : 1n << BigInt(split - 1);
      const coin = values(nw, 7, false, c.seed ^ 0x68e31da4).map(Number);
      const wv = values(nw, wElem.bits, wElem.signed, c.seed).map((v, i) => (c.reweight && coin[i]! % 2 === 0 ? (split === 0 ? 0n : BigInt.asIntN(split, v)) : v));
      const support = c.reweight && wv.flatMap((v, i) => ((split === 0 ? v !== 0n : v < -half || v >= half) || coin[i]! < 1.28 * c.reweight!.extra ? [i] : []));
      const map: LinearMap = { ...c.op, wElem, xElem, receiver: c.receiver, ...(support ? { split, support } : {}) };
      const nx = map.x.reduce((a, b) => a * b, 1);
      const W = constShare(N, map.w, (i) => wv[i]!);
      const xv = values(nx, c.clientOnly ? xElem.bits : Math.min(N, 20), c.clientOnly ? xElem.signed : true, c.seed ^ 0x2545f491);
      const X = constShare(N, map.x, (i) => xv[i]!);
      const want = applyMap(map, W, X, N);
      // Shared: a uniform server share; client-only: the client holds x, the server zeros.
      const x1 = c.clientOnly ? zeroShare(N, map.x) : ringFromBytes(randomBytes(8 * nx), N, map.x);
      const x0 = sub(X, x1);
      const r = await runBoth((p) => serverLinear(p, map, undefined, x0, c.clientOnly, c.fixed), (p) => serverLinear(p, map, W, x1, c.clientOnly, c.fixed));
      const got = Array.from({ length: want.data.length }, (_, i) => BigInt.asIntN(N, getRing(r.client, i) + getRing(r.server, i)));
      expect(got).toEqual(Array.from({ length: want.data.length }, (_, i) => getRing(want, i)));
      // The generic kernel (bilinear triples): the server's E = W − A is offline exactly when W is fixed.
      if (r.parties[1].corr.supplies.has("bilinear") && r.parties[1].corr.kind !== "he") {
        const rows = r.parties[1].meter.report().filter((m) => m.primitive === "linear");
        const sent = (phase: string) => rows.filter((m) => m.phase === phase).reduce((a, m) => a + m.sent, 0);
        const e = Math.ceil((nw * N) / 8) + 10;
        expect([sent("online"), sent("offline")]).toEqual(c.fixed ? [0, e] : [e, 0]);
      }
    }), { numRuns: 60 });
  });
});
