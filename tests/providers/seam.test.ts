// The provider seam: specs are resolved by openProvider alone, every two-party run in one
// process gets the provider the caller or PQ_PROVIDER names, and kernelOf picks a
// provider's native kernel over the generic one.
import { describe, expect, it } from "vitest";
import { memoryPair } from "../../interpreter/twopc/channel.js";
import { makeEndpoint, withProvider, type Party } from "../../interpreter/twopc/party.js";
import { defaultProvider, runBoth } from "../../interpreter/twopc/local.js";
import { kernelOf, type Kernels } from "../../interpreter/providers/kernels.js";
import { sampledSpec } from "../../interpreter/providers/provider.js";
import { mul } from "../../interpreter/protocols/mul.js";
import { constShare, getRing } from "../../interpreter/twopc/ring.js";

async function pair(spec: Parameters<typeof withProvider>[1]): Promise<[Party, Party]> {
  const [a, b] = memoryPair();
  return Promise.all([withProvider(makeEndpoint("client", a), spec), withProvider(makeEndpoint("server", b), spec)]);
}

describe("providers", () => {
  it("a spec opens the provider of its kind for both roles", async () => {
    const [c, s] = await pair({ kind: "dealer", seed: "x" });
    expect([c.corr.kind, s.corr.kind]).toEqual(["dealer", "dealer"]);
    const [ec, es] = await pair(sampledSpec(3));
    expect([ec.corr.kind, es.corr.kind]).toEqual(["enumerated", "enumerated"]);
  });

  it("runBoth runs under the provider PQ_PROVIDER names (the suites set it: vitest.config.ts)", async () => {
    const want = process.env.PQ_PROVIDER!;
    expect(defaultProvider().kind).toBe(want);
    const r = await runBoth(async (p) => p.corr.kind, async (p) => p.corr.kind);
    expect([r.client, r.server]).toEqual([want, want]);
  });

  it("a library caller who names no provider and sets no PQ_PROVIDER gets OT, never the dealer", async () => {
    const before = process.env.PQ_PROVIDER;
    delete process.env.PQ_PROVIDER;
    try {
      expect(defaultProvider().kind).toBe("ot");
      const r = await runBoth(async (p) => p.corr.kind, async (p) => p.corr.kind);
      expect([r.client, r.server]).toEqual(["ot", "ot"]);
    } finally {
      if (before !== undefined) process.env.PQ_PROVIDER = before;
    }
  });

  it("an unknown PQ_PROVIDER is an error, not a silent dealer", () => {
    const before = process.env.PQ_PROVIDER;
    process.env.PQ_PROVIDER = "ot-typo";
    try {
      expect(() => defaultProvider()).toThrow(/PQ_PROVIDER=ot-typo/);
    } finally {
      if (before === undefined) delete process.env.PQ_PROVIDER;
      else process.env.PQ_PROVIDER = before;
    }
  });

  it("the same dealer seed gives the same correlations; another seed others", async () => {
    const triple = async (seed: string) => {
      const [c] = await pair({ kind: "dealer", seed });
      const { a } = await c.corr.triples(16, [8]);
      return Array.from({ length: 8 }, (_, i) => getRing(a, i));
    };
    expect(await triple("s")).toEqual(await triple("s"));
    expect(await triple("s")).not.toEqual(await triple("t"));
  });

  it("the enumerated provider's correlations are correct (a product through them)", async () => {
    const x = constShare(12, [4], (i) => BigInt(i * 37 - 50));
    const y = constShare(12, [4], (i) => BigInt(i * 11 + 3));
    const zero = constShare(12, [4], () => 0n);
    const r = await runBoth((p) => mul(p, x, y), (p) => mul(p, zero, zero), { provider: sampledSpec(9) });
    for (let i = 0; i < 4; i++) expect(BigInt.asIntN(12, getRing(r.client, i) + getRing(r.server, i))).toBe(BigInt.asIntN(12, BigInt(i * 37 - 50) * BigInt(i * 11 + 3)));
  });
});

describe("kernels", () => {
  const table: Kernels<() => string> = {
    generic: { consumes: ["triples"], proof: "proofs/mul.md", run: () => "generic" },
    native: { enumerated: { consumes: [], proof: "proofs/mul.md", run: () => "native" } },
  };
  it("kernelOf picks the provider's native kernel, else the generic one", async () => {
    const [d] = await pair({ kind: "dealer", seed: "k" });
    const [e] = await pair(sampledSpec(1));
    expect(kernelOf(d, table).run()).toBe("generic");
    expect(kernelOf(e, table).run()).toBe("native");
  });
});
