// The machine checks of proofs/ in the test suite, at reduced parameters (`quick`): every
// entry of proofs/check/catalog.ts must pass. `npm run proofs` runs the full parameters.
// The last block shows the checkers catch what they claim to: a wrong protocol yields a
// minimal correctness counterexample, a leaky one a privacy counterexample, a message sent
// outside the checked leaves a provenance failure.
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../proofs/check/catalog.js";
import { check, LEAVES, type Proto } from "../../proofs/check/engine.js";
import { exchange, step, type Party } from "../../interpreter/twopc/party.js";
import { add, constShare, getRing, mulElem, packRing, sub, unpackRing, type Share } from "../../interpreter/twopc/ring.js";
import { mul } from "../../interpreter/protocols/mul.js";
import { share } from "../../proofs/check/shares.js";
import { checkAlgebraic } from "../../proofs/check/algebraic.js";
import { select } from "../../interpreter/protocols/select.js";
import { otOf } from "../../interpreter/providers/ot.js";
import { receiveOneOfN, sendOneOfN } from "../../interpreter/ot/batches.js";
import { rotRecv } from "../../interpreter/ot/rot.js";

describe("proofs: machine checks (quick parameters)", () => {
  for (const e of CATALOG) {
    it(`${e.id} — ${e.statement}`, async () => {
      const r = await e.run("quick");
      expect(r.failure, r.failure).toBeUndefined();
      expect(r.cases).toBeGreaterThan(0);
    });
  }
});

const ringOut = (c: Share, s: Share, i: number) => `${c.bits}:${BigInt.asUintN(c.bits, getRing(c, i) + getRing(s, i))}`;

/** Beaver multiplication without the public e·f term: wrong whenever e·f ≠ 0. */
async function mulWithoutEF(p: Party, x: Share, y: Share): Promise<Share> {
  const { a, b, c } = await p.corr.triples(x.bits, x.shape);
  const e0 = sub(x, a);
  const f0 = sub(y, b);
  const theirs = await exchange(p, new Uint8Array([...packRing(e0), ...packRing(f0)]));
  const half = packRing(e0).length;
  const e = add(e0, unpackRing(theirs.subarray(0, half), x.bits, x.shape));
  const f = add(f0, unpackRing(theirs.subarray(half), x.bits, x.shape));
  return add(add(c, mulElem(e, b)), mulElem(f, a));
}

/** A correct product that also sends each party's share of x in the clear. */
async function leakyMul(p: Party, x: Share, y: Share): Promise<Share> {
  const z = await mul(p, x, y);
  await step(p, "leak", () => exchange(p, packRing(x)));
  return z;
}

const proto = (N: number, f: (p: Party, x: Share, y: Share) => Promise<Share>, leaves?: readonly string[]): Proto<Share> => ({
  draws: [{ name: "x", bits: N, owner: "shared" }, { name: "y", bits: N, owner: "shared" }],
  run: (p, [x, y]) => f(p, share(N, x!), share(N, y!)),
  output: ringOut,
  spec: ([x, y]) => `${N}:${BigInt.asUintN(N, x! * y!)}`,
  ...(leaves ? { leaves } : {}),
});

describe("proofs: the checkers find planted faults", () => {
  it("a wrong protocol gives a minimal correctness counterexample", async () => {
    const r = await check(proto(2, mulWithoutEF), { kind: "exhaustive", privacy: true });
    // The first failing case in enumeration order (inputs, then randomness, increasing): x = y = 0
    // with a1 = b1 = 1 (draw order a0 a1 b0 b1 c0), where the missing e·f = a·b = 1.
    expect(r.failure).toBe([
      "CORRECTNESS counterexample",
      "  inputs:     x=0 (shares 0, 0); y=0 (shares 0, 0)",
      "  randomness: free correlation values in draw order: 0 1 0 1 0",
      "  expected:   2:0",
      "  got:        2:3",
    ].join("\n"));
  });

  it("a leaky protocol gives a privacy counterexample", async () => {
    const r = await check(proto(1, leakyMul), { kind: "exhaustive", privacy: true });
    expect(r.failure).toMatch(/^PRIVACY counterexample: the client's view distribution depends on the server's input/);
  });

  it("a frame sent outside the checked leaves fails the provenance check", async () => {
    const r = await check(proto(2, leakyMul, LEAVES), { kind: "inputs", shares: "all" });
    expect(r.failure).toMatch(/^PROVENANCE: a frame is sent from mul-leak|^PROVENANCE: a frame is sent from leak/);
  });
});

describe("proofs: the algebraic checker finds planted faults", () => {
  const ALG = { kind: "algebraic", vector: true, probes: 16 } as const;
  const mulLayout = (N: number) => (_: unknown, n: number) => [[{ ring: N, n }, { ring: N, n }]];
  const leakLayout = (N: number) => (_: unknown, n: number) => [[{ ring: N, n }, { ring: N, n }], [{ ring: N, n }]];

  it("accepts Beaver multiplication as it is", async () => {
    const r = await checkAlgebraic(proto(5, mul), mulLayout(5), ALG);
    expect(r.failure).toBeUndefined();
    expect(r.randomBits).toBe(25);
  });

  it("a wrong protocol gives a correctness counterexample with every variable", async () => {
    const r = await checkAlgebraic(proto(5, mulWithoutEF), mulLayout(5), ALG);
    expect(r.failure).toMatch(/^CORRECTNESS counterexample \(grid point \d+ of 512\)\n  variables:  x0=\d+ x1=\d+ y0=\d+ y1=\d+ r0=\d+ r1=\d+ r2=\d+ r3=\d+ r4=\d+\n  expected:   5:\d+\n  got:        5:\d+$/);
  });

  it("a leaky protocol fails the peeling, naming the unpadded component and its polynomial", async () => {
    const r = await checkAlgebraic(proto(5, leakyMul), leakLayout(5), ALG);
    // the client's view: triple (a0, b0, c0), e1 and f1 (padded by a1, b1), then x1 in the clear
    expect(r.failure).toMatch(/^PRIVACY: the client's view is not shown independent of the server's input: component M1\.0 \(Z_2\^5\) has no one-time pad left\n  as a polynomial in g .*1·g\(x1\)/);
  });

  it("a protocol that is right on the grid but not multilinear is caught at a random point (Lemma M)", async () => {
    // The client adds 8·x0·(x0 − 1) = 16·C(x0, 2) mod 32: zero on the grid {t, t + 1} when
    // C(t, 2) and C(t + 1, 2) are both even (the shift t = 0 of this seed), wrong for half of all x0.
    async function bent(p: Party, x: Share, y: Share): Promise<Share> {
      const z = await mul(p, x, y);
      if (p.role !== "client") return z;
      const c = (v: bigint) => constShare(x.bits, x.shape, () => v);
      return add(z, mulElem(mulElem(x, sub(x, c(1n))), c(8n)));
    }
    const r = await checkAlgebraic(proto(5, bent), mulLayout(5), { ...ALG, probes: 64 });
    expect(r.failure).toMatch(/^CORRECTNESS counterexample \(random point\)\n  variables:  x0=/);
  });
});

describe("proofs: the OT-hybrid privacy checks find planted leaks (ideal OT, proofs/check/ideal-ot.ts)", () => {
  const EX = { kind: "exhaustive", privacy: true } as const;
  const text = (z: Share) => `${z.bits}:${BigInt.asUintN(z.bits, getRing(z, 0))}`;
  const selectLike = (f: (p: Party, b: Uint8Array, x: Share, y: Share) => Promise<Share>): Proto<Share> => ({
    draws: [{ name: "b", bits: 1, owner: "shared" }, { name: "x", bits: 2, owner: "shared" }, { name: "y", bits: 2, owner: "shared" }],
    run: (p, [b, x, y]) => f(p, Uint8Array.from(b!, Number), share(2, x!), share(2, y!)),
    output: ringOut,
    spec: ([b, x, y]) => `2:${b ? x : y}`,
    provider: "ideal-ot",
    ownShare: text,
  });

  it("accepts the OT multiplexer as it is", async () => {
    const r = await check(selectLike(select), EX);
    expect(r.failure).toBeUndefined();
    expect(r.randomBits).toBe(4); // the two COT pads
  });

  it("a select that also sends its share of x in the clear gives a privacy counterexample", async () => {
    const leaky = async (p: Party, b: Uint8Array, x: Share, y: Share) => {
      const z = await select(p, b, x, y);
      await exchange(p, packRing(x));
      return z;
    };
    const r = await check(selectLike(leaky), EX);
    expect(r.failure).toMatch(/^PRIVACY counterexample: the client's view distribution depends on the server's input/);
  });

  // XOR shares of the server's bit v by one 1-of-2 OT: the client (choice 0) receives v ⊕ r,
  // the server keeps r — with r its own random bit, or r = 0 (the mask forgotten).
  const viaOneOfTwo = (masked: boolean): Proto<Uint8Array> => ({
    draws: [{ name: "v", bits: 1, owner: "server" }],
    run: async (p, own) => {
      const ot = otOf(p);
      if (p.role === "client") {
        const { received } = await ot.round([receiveOneOfN(Uint8Array.of(0), 2, 1, p.role)], []);
        return Uint8Array.from(received[0]!);
      }
      const r = masked ? ot.randomBits(1)[0]! : 0;
      const v = Number(own[0]![0]!) ^ r;
      await ot.round([], [sendOneOfN(Uint32Array.of(v, v), 2, 1)]);
      return Uint8Array.of(r);
    },
    output: (c, s) => `${c[0]! ^ s[0]!}`,
    spec: ([v]) => `${v}`,
    provider: "ideal-ot",
    ownShare: (o) => `${o[0]}`,
  });

  it("a 1-of-N message whose mask is forgotten: the receiver's OT output is in its view", async () => {
    expect((await check(viaOneOfTwo(true), EX)).failure).toBeUndefined();
    const r = await check(viaOneOfTwo(false), EX);
    expect(r.failure).toMatch(/^PRIVACY counterexample: the client's view distribution depends on the server's input\n  client's own input: \n  view: ot<1of2:0\|out:0/);
  });

  it("an OT batch without its ideal description (not built by interpreter/ot/batches.ts) is refused", async () => {
    const bare: Proto<Uint8Array> = {
      draws: [{ name: "c", bits: 1, owner: "client" }],
      run: async (p, own) => {
        const ot = otOf(p);
        if (p.role === "client") {
          const { received } = await ot.round([{ choices: Uint8Array.of(Number(own[0]![0]!)), reply: 0, finish: (rows) => rotRecv(rows, 1) }], []);
          return received[0]!;
        }
        await ot.round([], [{ n: 1, respond: () => ({ msg: new Uint8Array(0), out: null }) }]);
        return Uint8Array.of(0);
      },
      output: () => "0",
      spec: () => "0",
      provider: "ideal-ot",
    };
    const r = await check(bare, EX);
    expect(r.failure).toMatch(/a batch without an ideal description/);
  });
});
