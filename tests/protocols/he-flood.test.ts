// The server's re-randomisation (protocols/linear-he.ts `rerandomise`, proofs/he-linear.md §4):
// the reply's noise is flooded — the invariant noise budget of a ciphertext falls by about the
// flooding bits, and the plaintext is unchanged. Without it a reply's noise would carry the
// weights (SEAL adds none), and every correctness test would still pass.
import { describe, expect, it } from "vitest";
import { heContext, HE_PARAMS, PlainBuilder, readPlain } from "../../interpreter/he/seal.js";
import { rerandomise } from "../../interpreter/protocols/linear-he.js";
import { memoryPair } from "../../interpreter/twopc/channel.js";
import { makeEndpoint } from "../../interpreter/twopc/party.js";
import { HeProvider } from "../../interpreter/providers/he.js";

describe("re-randomisation floods the noise", () => {
  it("the noise budget falls by at least f − 24 bits, the message stays", async () => {
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
      for (const f of [40, 60]) {
        const c = ct.clone();
        enc.encryptZero(zero);
        rerandomise(he, ev, c, zero, f);
        const after = dec.invariantNoiseBudget(c);
        expect(before - after).toBeGreaterThanOrEqual(f - 24);
        dec.decrypt(c, out);
        expect(Array.from(readPlain(he, out))).toEqual(Array.from(coeffs));
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
