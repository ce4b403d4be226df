// The HE kernel of the server-weight product (protocols/linear-he.ts) under the he provider,
// whatever PQ_PROVIDER says: for random maps in rings the HE path carries (N ≤ 32), the
// shares reconstruct the plaintext map bit for bit, the HE path (not the OT fallback) ran,
// and the bytes on the wire are the plan's ciphertext counts × sizes plus the wrap OT.
// Bad input: a reply or upload of the wrong size or level, insecure parameters — each the
// coded diagnostic PQ5014 or PQ5004, never a WASM abort or a hang.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { runBoth } from "../../interpreter/twopc/local.js";
import { serverLinear } from "../../interpreter/protocols/linear.js";
import { applyMap, type LinearMap } from "../../interpreter/twopc/linear-map.js";
import { constShare, getRing, ringFromBytes, sub, zeroShare } from "../../interpreter/twopc/ring.js";
import { hePlan } from "../../interpreter/he/pack.js";
import { heContext, HE_PARAMS } from "../../interpreter/he/seal.js";
import { heBytes, heCheaper, heFlights } from "../../compiler/cost/he-sizes.js";
import { PqError } from "../../grammar/diagnostics.js";
import { memoryPair } from "../../interpreter/twopc/channel.js";
import { makeEndpoint } from "../../interpreter/twopc/party.js";
import { HeProvider } from "../../interpreter/providers/he.js";
import { OtProvider } from "../../interpreter/providers/ot.js";
import { nChoose1Bytes } from "../../compiler/cost/ot-sizes.js";

const opArb = fc.oneof(
  fc.record({ g: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 3 }), og: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }), h: fc.integer({ min: 3, max: 8 }) })
    .map(({ g, cg, og, k, s, pad, h }) => {
      const o = Math.floor((h + 2 * pad - k) / s) + 1;
      return { op: "conv2d" as const, stride: s, pad, groups: g, w: [g * og, cg, k, k], x: [g * cg, h, h], y: [g * og, o, o] };
    }),
  fc.record({ o: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 300 }) }).map(({ o, k }) => ({ op: "linear" as const, w: [o, k], x: [k], y: [o] })),
  fc.record({ c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 3 }) }).map(({ c, h }) => ({ op: "scale" as const, w: [c], x: [c, h, h], y: [c, h, h] })),
  // wider convolutions with one group, where the padded-convolution encoding uploads fewer ciphertexts than im2col blocks
  fc.record({ c: fc.integer({ min: 4, max: 12 }), o: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 2 }), h: fc.integer({ min: 8, max: 14 }), w: fc.integer({ min: 8, max: 14 }) })
    .filter(({ k, pad, h, w }) => h + 2 * pad >= k && w + 2 * pad >= k)
    .map(({ c, o, k, s, pad, h, w }) => {
      const oh = Math.floor((h + 2 * pad - k) / s) + 1;
      const ow = Math.floor((w + 2 * pad - k) / s) + 1;
      return { op: "conv2d" as const, stride: s, pad, groups: 1, w: [o, c, k, k], x: [c, h, w], y: [o, oh, ow] };
    }),
);

function values(n: number, bits: number, signed: boolean): bigint[] {
  const b = randomBytes(8 * n);
  return Array.from({ length: n }, (_, i) => {
    const u = b.readBigUInt64LE(8 * i) % (1n << BigInt(bits));
    return signed ? BigInt.asIntN(bits, u) : u;
  });
}

// Every product the parameters can carry by HE (the default runs only those where HE moves fewer bytes).
const HE = { kind: "he", products: "all" } as const;

describe("the HE kernel reproduces the plaintext map", () => {
  /** One product by the HE kernel: shares reconstruct the plaintext map bit for bit, with the plan's bytes on the wire. */
  async function check(op: Omit<LinearMap, "wElem" | "xElem" | "receiver">, N: number, wBits: number, wSigned: boolean, xBits: number, xSigned: boolean, clientOnly: boolean): Promise<string | undefined> {
    const he = await heContext(HE_PARAMS, "test");
    const sizes = heBytes(HE_PARAMS);
    const wElem = { bits: Math.min(wBits, N), signed: wSigned };
    const xElem = clientOnly ? { bits: Math.min(xBits, N), signed: xSigned } : { bits: N, signed: false };
    const map = { ...op, wElem, xElem, receiver: 0 } as LinearMap;
    const plan = hePlan(map, N, he);
    if (typeof plan === "string") return undefined;
    const nw = map.w.reduce((a, b) => a * b, 1);
    const nx = map.x.reduce((a, b) => a * b, 1);
    const wv = values(nw, wElem.bits, wElem.signed);
    const W = constShare(N, map.w, (i) => wv[i]!);
    const xv = values(nx, xElem.bits, clientOnly && xElem.signed);
    const X = constShare(N, map.x, (i) => xv[i]!);
    const want = applyMap(map, W, X, N);
    const x1 = clientOnly ? zeroShare(N, map.x) : ringFromBytes(randomBytes(8 * nx), N, map.x);
    const x0 = sub(X, x1);
    const r = await runBoth((p) => serverLinear(p, map, undefined, x0, clientOnly), (p) => serverLinear(p, map, W, x1, clientOnly), { provider: HE });
    const got = Array.from({ length: want.data.length }, (_, i) => BigInt.asIntN(N, getRing(r.client, i) + getRing(r.server, i)));
    expect(got).toEqual(Array.from({ length: want.data.length }, (_, i) => getRing(want, i)));
    // The upload and the reply: the plan's ciphertexts at their fixed sizes (10-byte frame headers).
    const online = (party: 0 | 1) => r.parties[party].meter.report().filter((row) => row.phase === "online" && row.primitive === "linear");
    const sent = (party: 0 | 1) => online(party).reduce((a, row) => a + row.sent, 0);
    // The replies: per ciphertext c1 whole and c0 at its useful coefficients, 8·(N + k) bytes.
    // The wrap OT: one 1-of-wrapN OT with N-bit messages per output (an OT flight of ≤ 1 frame here);
    // wrapN covers the client's digits: 4 below a bound of 2^41 − 8192, else 8 (proofs/he-linear.md Lemma 3).
    expect(plan.digits).toBeLessThanOrEqual(plan.wrapN);
    expect(plan.wrapN).toBe(plan.bound <= 2 ** 41 - 8192 ? 4 : 8);
    const ot = nChoose1Bytes(plan.outputs, plan.wrapN, N);
    expect(plan.outputs).toBe(want.data.length);
    expect(heFlights(plan, N, HE_PARAMS).reply).toBe(plan.outCts * 8 * HE_PARAMS.degree + 8 * plan.outputs);
    expect(sent(0)).toBe(plan.inCts * sizes.up + 10 + ot.toSender + 10);
    expect(sent(1)).toBe(plan.outCts * 8 * HE_PARAMS.degree + 8 * plan.outputs + 10 + ot.toReceiver + 10);
    return plan.kind;
  }

  it("bit for bit, on the HE path, with the plan's bytes on the wire", async () => {
    await fc.assert(fc.asyncProperty(
      opArb, fc.integer({ min: 2, max: 32 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.boolean(),
      async (op, N, wBits, wSigned, xBits, xSigned, clientOnly) => {
        fc.pre((await check(op, N, wBits, wSigned, xBits, xSigned, clientOnly)) !== undefined);
      }), { numRuns: 20 });
  });

  it("the padded-convolution encoding (Cheetah's HomConv), bit for bit: strides, padding, channel blocks and spatial tiles", async () => {
    // wide enough that it uploads fewer ciphertexts than im2col blocks, and so is the encoding chosen
    const convArb = fc.record({ c: fc.integer({ min: 8, max: 40 }), o: fc.integer({ min: 1, max: 9 }), k: fc.constantFrom(3, 5), s: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 2 }), h: fc.integer({ min: 12, max: 20 }), w: fc.integer({ min: 12, max: 20 }) })
      .map(({ c, o, k, s, pad, h, w }) => ({
        op: "conv2d" as const, stride: s, pad, groups: 1, w: [o, c, k, k], x: [c, h, w],
        y: [o, Math.floor((h + 2 * pad - k) / s) + 1, Math.floor((w + 2 * pad - k) / s) + 1],
      }));
    const kinds: string[] = [];
    await fc.assert(fc.asyncProperty(convArb, fc.integer({ min: 12, max: 24 }), fc.integer({ min: 2, max: 8 }), fc.boolean(), async (op, N, wBits, clientOnly) => {
      const kind = await check(op, N, wBits, true, 8, false, clientOnly);
      if (kind) kinds.push(kind);
    }), { numRuns: 8 });
    expect(kinds.filter((k) => k === "conv").length).toBeGreaterThan(0);
    // several output channels in one reply (Ot > 1), and several channel blocks and tiles, on fixed shapes
    const he = await heContext(HE_PARAMS, "test");
    // [C, O, H, k, stride, pad, what the plan must show]
    const cases = [[16, 8, 8, 3, 1, 1, "Ot"], [24, 6, 12, 3, 2, 1, "Ot"], [40, 4, 20, 5, 1, 2, "nC"], [1, 2, 100, 3, 1, 1, "tiles"], [2, 2, 96, 3, 2, 1, "tiles"]] as const;
    for (const [c, o, h, k, s, pad, what] of cases) {
      const oh = Math.floor((h + 2 * pad - k) / s) + 1;
      const op = { op: "conv2d" as const, stride: s, pad, groups: 1, w: [o, c, k, k], x: [c, h, h], y: [o, oh, oh] };
      const plan = hePlan({ ...op, wElem: { bits: 4, signed: true }, xElem: { bits: 20, signed: false }, receiver: 0 }, 20, he);
      if (typeof plan === "string" || plan.kind !== "conv") throw new Error(`expected the conv encoding for ${JSON.stringify(op)}`);
      expect(what === "Ot" ? plan.Ot : what === "nC" ? plan.nC : plan.nH * plan.nW).toBeGreaterThan(1);
      expect(await check(op, 20, 4, true, 8, false, false)).toBe("conv");
    }
  });

  it("falls back to the OT kernel, exactly, where the parameters cannot carry the map", async () => {
    const N = 40;
    const map: LinearMap = { op: "linear", w: [3, 5], x: [5], y: [3], wElem: { bits: 8, signed: true }, xElem: { bits: N, signed: false }, receiver: 0 };
    expect(typeof hePlan(map, N, await heContext(HE_PARAMS, "test"))).toBe("string");
    const W = constShare(N, map.w, (i) => BigInt(i) - 7n);
    const X = constShare(N, map.x, (i) => 1000n * BigInt(i) + 3n);
    const x1 = ringFromBytes(randomBytes(8 * 5), N, map.x);
    const r = await runBoth((p) => serverLinear(p, map, undefined, sub(X, x1), false), (p) => serverLinear(p, map, W, x1, false), { provider: HE });
    const want = applyMap(map, W, X, N);
    for (let i = 0; i < 3; i++) expect(BigInt.asIntN(N, getRing(r.client, i) + getRing(r.server, i))).toBe(getRing(want, i));
  });
});

describe("bad input to the HE kernel is a coded diagnostic", () => {
  const map: LinearMap = { op: "linear", w: [2, 3], x: [3], y: [2], wElem: { bits: 4, signed: true }, xElem: { bits: 16, signed: false }, receiver: 0 };
  const N = 16;
  const W = constShare(N, map.w, (i) => BigInt(i) - 3n);
  const x = zeroShare(N, map.x);

  it("a reply whose coefficients are not below the lowest level's prime: PQ5014 at the client", async () => {
    const sizes = heBytes(HE_PARAMS);
    const err = await runBoth(
      (p) => serverLinear(p, map, undefined, x, false),
      async (p) => {
        await p.ch.recv(sizes.up);
        const junk = randomBytes(sizes.reply(2));
        p.ch.send(junk);
        return p.ch.recv();
      },
      { provider: HE, timeoutMs: 5000 },
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PqError);
    expect((err as PqError).diagnostics[0]!.code).toBe("PQ5014");
  });

  it("an upload of the wrong size: PQ5004 at the server", async () => {
    const err = await runBoth(
      async (p) => {
        p.ch.send(new Uint8Array(1000));
        return p.ch.recv();
      },
      (p) => serverLinear(p, map, W, x, false),
      { provider: HE, timeoutMs: 5000 },
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PqError);
    expect((err as PqError).diagnostics[0]!.code).toBe("PQ5004");
  });

  it("a corrupted upload of the right size: PQ5014 at the server", async () => {
    const sizes = heBytes(HE_PARAMS);
    const err = await runBoth(
      async (p) => {
        p.ch.send(randomBytes(sizes.up));
        return p.ch.recv();
      },
      (p) => serverLinear(p, map, W, x, false),
      { provider: HE, timeoutMs: 5000 },
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PqError);
    expect((err as PqError).diagnostics[0]!.code).toBe("PQ5014");
  });

  // The set-up on raw endpoints: the server opens the he provider, the client plays a bad one.
  const setupWith = async (client: (e: ReturnType<typeof makeEndpoint>) => Promise<unknown>) => {
    const [a, b] = memoryPair();
    const ec = makeEndpoint("client", a, { timeoutMs: 5000 });
    const es = makeEndpoint("server", b, { timeoutMs: 5000 });
    const [c, srv] = await Promise.all([
      client(ec).then(() => undefined, (e: unknown) => e),
      HeProvider.open(es).then((p) => (p.close(), undefined), (e: unknown) => (es.ch.close(), e)),
    ]);
    return { client: c, server: srv };
  };

  it("a public key that does not load: PQ5014 at the server, during the set-up", async () => {
    const r = await setupWith(async (e) => {
      await OtProvider.open(e);
      e.ch.send(randomBytes(heBytes(HE_PARAMS).pk));
      return e.ch.recv();
    });
    expect(r.server).toBeInstanceOf(PqError);
    expect((r.server as PqError).diagnostics[0]!.code).toBe("PQ5014");
    expect((r.server as PqError).diagnostics[0]!.message).toContain("public key");
  });

  it("a public key that loads but is not the one both confirm: PQ5014 at the server", async () => {
    const r = await setupWith(async (e) => {
      await OtProvider.open(e);
      // a real key, then the hash of another
      const he = await heContext(HE_PARAMS, "client");
      const kg = he.lib.KeyGenerator(he.ctx);
      const ser = kg.createPublicKeySerializable();
      e.ch.send(ser.saveArray(he.lib.ComprModeType.none));
      ser.delete();
      kg.delete();
      e.ch.send(randomBytes(32));
      return e.ch.recv();
    });
    expect(r.server).toBeInstanceOf(PqError);
    expect((r.server as PqError).diagnostics[0]!.code).toBe("PQ5014");
    expect((r.server as PqError).diagnostics[0]!.message).toContain("different keys");
  });

  it("insecure encryption parameters: PQ5014 before any key is made", async () => {
    const err = await heContext({ degree: 8192, coeffBits: [60, 60, 60, 60], plainBits: 44 }, "client").then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PqError);
    expect((err as PqError).diagnostics[0]!.code).toBe("PQ5014");
  });
});

describe("the he provider's choice per product", () => {
  it("runs by HE exactly the products where HE moves fewer bytes than the OT kernel, both ways bit for bit", async () => {
    const he = await heContext(HE_PARAMS, "test");
    // a wide product (HE cheaper) and a tiny one (OT cheaper), as linear layers
    const cases = [{ O: 128, K: 1024, N: 24 }, { O: 2, K: 3, N: 16 }];
    const chose: boolean[] = [];
    for (const { O, K, N } of cases) {
      const map: LinearMap = { op: "linear", w: [O, K], x: [K], y: [O], wElem: { bits: 4, signed: true }, xElem: { bits: N, signed: false }, receiver: 0 };
      const plan = hePlan(map, N, he);
      expect(typeof plan).not.toBe("string");
      if (typeof plan === "string") return;
      const cheaper = heCheaper(plan, map, N, HE_PARAMS);
      chose.push(cheaper);
      const wv = values(O * K, 4, true);
      const W = constShare(N, map.w, (i) => wv[i]!);
      const xv = values(K, N, false);
      const X = constShare(N, map.x, (i) => xv[i]!);
      const want = applyMap(map, W, X, N);
      const x1 = ringFromBytes(randomBytes(8 * K), N, map.x);
      const r = await runBoth((p) => serverLinear(p, map, undefined, sub(X, x1), false), (p) => serverLinear(p, map, W, x1, false), { provider: { kind: "he" } });
      const got = Array.from({ length: O }, (_, i) => BigInt.asIntN(N, getRing(r.client, i) + getRing(r.server, i)));
      expect(got).toEqual(Array.from({ length: O }, (_, i) => getRing(want, i)));
      // an HE upload is one ciphertext of ~197 KB: its presence on the wire says which kernel ran
      const sent = r.parties[0].meter.report().filter((row) => row.phase === "online" && row.primitive === "linear").reduce((a, row) => a + row.sent, 0);
      expect(sent >= heBytes(HE_PARAMS).up).toBe(cheaper);
    }
    expect(chose).toEqual([true, false]);
  });
});
