// The server's re-randomisation (protocols/linear-he.ts `rerandomise`, proofs/he-linear.md §4):
// the reply's noise is flooded — the invariant noise budget of a ciphertext falls by about the
// flooding bits — and its plaintext gains the mask and nothing else. Without it a reply's noise would carry the
// weights (SEAL adds none), and every correctness test would still pass.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CT_PREFIX, HE_MODULI } from "../../compiler/cost/he-sizes.js";
import { maskFloodWords, FLOOD_WORDS_PER_COEFF, heContext, HE_PARAMS, PlainBuilder, readPlain } from "../../interpreter/he/seal.js";
import { rerandomise } from "../../interpreter/protocols/linear-he.js";
import { memoryPair } from "../../interpreter/twopc/channel.js";
import { makeEndpoint } from "../../interpreter/twopc/party.js";
import { HeProvider } from "../../interpreter/providers/he.js";

describe("the mask's and flood's arithmetic (he/seal.ts maskFloodWords, in doubles)", () => {
  // The reference: U from the words' low bits (30 per word, f + 1 in all), F = U − 2^f,
  // Δ = ⌊Π q / t⌋, and each residue (c0 + Δ·m + F) mod q_j, in bigints.
  const t = HE_MODULI.t;
  const delta = HE_MODULI.q.reduce((a, b) => a * b, 1n) / BigInt(t);
  const reference = (c0: bigint[], q: readonly bigint[], N: number, f: number, rand: Uint32Array, mask: Float64Array): bigint[] =>
    c0.map((v, x) => {
      const j = Math.floor(x / N);
      const i = x % N;
      let u = 0n;
      for (let k = 0; k < FLOOD_WORDS_PER_COEFF; k++) {
        const bits = BigInt(Math.max(0, Math.min(30, f + 1 - 30 * k)));
        u += (BigInt(rand[FLOOD_WORDS_PER_COEFF * i + k]!) & ((1n << bits) - 1n)) << BigInt(30 * k);
      }
      const r = (v + delta * BigInt(mask[i]!) + u - (1n << BigInt(f))) % q[j]!;
      return r < 0n ? r + q[j]! : r;
    });
  const run = (c0: bigint[], q: readonly bigint[], N: number, f: number, rand: Uint32Array, mask: Float64Array): bigint[] => {
    const b = new Uint8Array(CT_PREFIX + 8 * c0.length);
    const view = new DataView(b.buffer);
    c0.forEach((v, x) => view.setBigUint64(CT_PREFIX + 8 * x, v, true));
    maskFloodWords(view, CT_PREFIX, N, q, t, mask, f, rand);
    return c0.map((_, x) => view.getBigUint64(CT_PREFIX + 8 * x, true));
  };

  it("equals (c0 + Δ·m + U − 2^f) mod q_j in bigints, for every flood width and extreme words, masks and residues", () => {
    const q = HE_MODULI.q;
    const N = 8;
    const word = fc.oneof(fc.constantFrom(0, 1, 2 ** 30 - 1, 2 ** 30, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    const residue = (j: number) => fc.oneof(fc.constantFrom(0n, 1n, q[j]! - 1n, q[j]! - 2n), fc.bigInt({ min: 0n, max: q[j]! - 1n }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 119 }),
        fc.array(word, { minLength: FLOOD_WORDS_PER_COEFF * N, maxLength: FLOOD_WORDS_PER_COEFF * N }),
        fc.tuple(...q.map((_, j) => fc.array(residue(j), { minLength: N, maxLength: N }))),
        fc.array(fc.oneof(fc.constantFrom(0, 1, t - 1, 2 ** 30, 2 ** 30 - 1), fc.integer({ min: 0, max: t - 1 })), { minLength: N, maxLength: N }),
        (f, words, c0s, m) => {
          const rand = Uint32Array.from(words);
          const c0 = c0s.flat();
          const mask = Float64Array.from(m);
          expect(run(c0, q, N, f, rand, mask)).toEqual(reference(c0, q, N, f, rand, mask));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("adds a flood spread over [−2^f, 2^f − 1]: at f = 50 (below q_0/2, so F is its centred residue), |F| reaches past 2^49 both ways", () => {
    const q = HE_MODULI.q;
    const N = 4096;
    const f = 50;
    const c0 = new Array<bigint>(N).fill(0n);
    const r = randomBytes(4 * FLOOD_WORDS_PER_COEFF * N);
    const out = run(c0, [q[0]!], N, f, new Uint32Array(r.buffer, r.byteOffset, r.length >>> 2), new Float64Array(N));
    const F = out.map((v) => (v > q[0]! / 2n ? v - q[0]! : v));
    expect(F.every((v) => v >= -(1n << 50n) && v < 1n << 50n)).toBe(true);
    expect(F.some((v) => v > 1n << 49n)).toBe(true);
    expect(F.some((v) => v < -(1n << 49n))).toBe(true);
  });
});

describe("re-randomisation floods the noise", () => {
  it("the noise budget falls by at least f − 24 bits, the message gains the mask (mod t)", async () => {
    const he = await heContext(HE_PARAMS, "test");
    const { lib, ctx } = he;
    const kg = lib.KeyGenerator(ctx);
    const sk = kg.secretKey();
    const pk = kg.createPublicKey();
    const enc = lib.Encryptor(ctx, pk, sk);
    const dec = lib.Decryptor(ctx, sk);
    const ev = lib.Evaluator(ctx);
    const pt = lib.PlainText();
    const coeffs = Float64Array.from({ length: he.params.degree }, (_, i) => (i * 7919) % 1000);
    new PlainBuilder(he).load(pt, coeffs);
    const ct = enc.encryptSymmetric(pt);
    const zero = lib.CipherText();
    const out = lib.PlainText();
    try {
      const before = dec.invariantNoiseBudget(ct);
      const t = he.t;
      for (const [f, mask] of [
        [40, new Float64Array(he.params.degree)],
        [60, Float64Array.from({ length: he.params.degree }, (_, i) => (i % 3 === 0 ? t - 1 - i : i * 104729) % t)],
        [100, Float64Array.from({ length: he.params.degree }, (_, i) => (i * 2654435761) % t)],
      ] as const) {
        const c = ct.clone();
        enc.encryptZero(zero);
        rerandomise(he, ev, c, zero, mask, f);
        const after = dec.invariantNoiseBudget(c);
        expect(before - after).toBeGreaterThanOrEqual(f - 24);
        dec.decrypt(c, out);
        expect(Array.from(readPlain(he, out))).toEqual(Array.from(coeffs, (v, i) => (v + mask[i]!) % t));
        c.delete();
      }
    } finally {
      for (const o of [kg, sk, pk, enc, dec, ev, pt, ct, zero, out]) o.delete();
    }
  });
});

describe("the server's spare re-randomisers", () => {
  it("are made while it waits once replies need them, each a fresh encryption of zero used once, and deleted at close", async () => {
    const [a, b] = memoryPair();
    const [client, server] = await Promise.all([HeProvider.open(makeEndpoint("client", a, { timeoutMs: 5000 })), HeProvider.open(makeEndpoint("server", b, { timeoutMs: 5000 }))]);
    try {
      const idle = async () => {
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      };
      // None before the first reply needs one (a run without HE products makes none).
      await idle();
      expect(server.spareCount).toBe(0);
      const he = server.he;
      const seen = new Set<string>();
      const take = () => {
        const z = server.takeZero();
        seen.add(Buffer.from(z.saveArray(he.lib.ComprModeType.none)).toString("base64"));
        z.delete();
      };
      take(); // made on demand; the spares start
      await idle();
      expect(server.spareCount).toBe(4);
      expect(client.spareCount).toBe(0);
      for (let i = 0; i < 7; i++) take(); // 4 spares, then 3 on demand
      expect(seen.size).toBe(8); // every one different
      await idle();
      expect(server.spareCount).toBe(4);
    } finally {
      client.close();
      server.close();
    }
    expect(server.spareCount).toBe(0);
  });
});
