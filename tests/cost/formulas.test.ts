// The OT formulas against values computed by hand from docs/PROTOCOLS.md (λ = 128),
// the dealer's closed forms against its protocol headers, and the composites (extension,
// truncate-and-reduce, ReLU) that pq builds from units against the docs/PROTOCOLS.md rows.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRounds, crossTerm, FORMULAS, formulasText, otCost } from "../../compiler/cost/formulas.js";
import { LAMBDA } from "../../compiler/cost/wire.js";
import { priceDealer } from "../../compiler/cost/dealer.js";
import { priceOt } from "../../compiler/cost/ot.js";
import { forecast } from "../../compiler/cost/model.js";
import type { Call, Unit } from "../../compiler/cost/trace.js";
import { compileFile } from "../../compiler/lower.js";

const L = LAMBDA;
const both = (u: Unit, b: "ot-iknp" | "ot-silent") => {
  const c = otCost(u, b);
  return c.clientBits + c.serverBits;
};
const call = (unit: Unit, path: string[] = []): Call => ({ nodeId: 0, op: "t", layer: "t", path, unit });
/** Payload bits of a unit sequence under an OT backend (headers taken out again). */
function bitsOf(units: Unit[], b: "ot-iknp" | "ot-silent"): number {
  return units.reduce((s, u) => s + both(u, b), 0);
}

describe("OT formulas (docs/PROTOCOLS.md, per-element table)", () => {
  it("λ is 128", () => expect(L).toBe(128));

  it("comparison on ℓ bits: IKNP λℓ + 14ℓ, silent 11ℓ, 1 + ⌈log₂⌈ℓ/4⌉⌉ rounds", () => {
    expect(both({ kind: "compare", n: 1, m: 8 }, "ot-iknp")).toBe(1024 + 112);
    expect(both({ kind: "compare", n: 10, m: 31 }, "ot-iknp")).toBe(10 * (128 * 31 + 14 * 31));
    expect(both({ kind: "compare", n: 1, m: 8 }, "ot-silent")).toBe(88);
    expect([1, 4, 5, 8, 9, 16, 31, 32, 33].map(compareRounds)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5]);
    expect(otCost({ kind: "compare", n: 3, m: 32 }, "ot-iknp").clientRounds).toBe(4);
    expect(both({ kind: "compare", n: 5, m: 0 }, "ot-iknp")).toBe(0);
  });

  it("comparisons sharing low bits: the later blocks pay for the bits above the shared whole digits", () => {
    // requant's clamp to u6 on R = 10: two comparisons of 9 bits agreeing on 6 low bits, one whole digit
    expect(both({ kind: "compare", n: 2, m: 9, share: { k: 2, low: 6 } }, "ot-iknp")).toBe((128 + 14) * (9 + 5));
    expect(both({ kind: "compare", n: 6, m: 9, share: { k: 2, low: 6 } }, "ot-silent")).toBe(11 * 3 * (9 + 5));
    expect(both({ kind: "compare", n: 2, m: 9, share: { k: 2, low: 8 } }, "ot-iknp")).toBe((128 + 14) * (9 + 1));
    // fewer than 4 shared bits are not a whole digit of SCI's tree: no saving under OT
    expect(both({ kind: "compare", n: 2, m: 9, share: { k: 2, low: 3 } }, "ot-iknp")).toBe(both({ kind: "compare", n: 2, m: 9 }, "ot-iknp"));
    expect(otCost({ kind: "compare", n: 2, m: 9, share: { k: 2, low: 8 } }, "ot-iknp").clientRounds).toBe(compareRounds(9));
  });

  it("dealer: comparisons sharing low bits skip the shared leaves and nodes in the later blocks", () => {
    const ands = (u: Unit) => priceDealer([call(u)]).reduce((s, r) => s + r.offline.bytes, 0);
    // m = 8, k = 2, 4 shared bits, n = 16 (8 per block): leaves 8·8 + 8·4 = 96; levels 8·4·2 + 8·2·2 = 96,
    // 8·2·2 + 8·1·2 = 48, root 8·1 + 8·1 = 16: offline one bit per AND, ⌈k/8⌉ bytes per batch
    expect(ands({ kind: "compare", n: 16, m: 8, share: { k: 2, low: 4 } })).toBe(96 / 8 + 96 / 8 + 48 / 8 + 16 / 8);
    expect(ands({ kind: "compare", n: 16, m: 8 })).toBe(128 / 8 + 128 / 8 + 64 / 8 + 16 / 8);
    // 6 shared bits of 8: leaves 64 + 8·2 = 80; levels (32 + 8·1)·2 = 80, (16 + 8·1)·2 = 48, 8 + 8 = 16
    expect(ands({ kind: "compare", n: 16, m: 8, share: { k: 2, low: 6 } })).toBe(80 / 8 + 80 / 8 + 48 / 8 + 16 / 8);
  });

  it("B2A into ℓ bits: λ + ℓ / ℓ + 1; wrap from a known MSB: 2λ + 4 / 6; select: 2(λ + ℓ) / 2ℓ + 2", () => {
    expect(both({ kind: "b2a", n: 1, bits: 16 }, "ot-iknp")).toBe(144);
    expect(both({ kind: "b2a", n: 1, bits: 16 }, "ot-silent")).toBe(17);
    expect(both({ kind: "carryKnown", n: 1 }, "ot-iknp")).toBe(260);
    expect(both({ kind: "carryKnown", n: 1 }, "ot-silent")).toBe(6);
    expect(both({ kind: "select", n: 1, conds: 1, rings: [8] }, "ot-iknp")).toBe(272);
    expect(both({ kind: "select", n: 1, conds: 1, rings: [8] }, "ot-silent")).toBe(18);
    // argmax's select moves value and index under one bit: 2(λ + ℓ1 + ℓ2)
    expect(both({ kind: "select", n: 1, conds: 1, rings: [12, 4] }, "ot-iknp")).toBe(2 * (128 + 16));
  });

  it("SiRNN cross_term_cost d1·d2·(m·λ + d3·(m·ℓ − m(m−1)/2)), the activation as receiver", () => {
    // fc1 of LeNet W4A4: x = 400 four-bit activations, 120 outputs in 16 bits
    const c = crossTerm(400, 120, 4, 16, L);
    expect(c.receiver + c.sender).toBe(400 * (4 * 128 + 120 * (4 * 16 - 6)));
    const u: Unit = { kind: "linear", x: 400, w: 48000, y: 120, bits: 16, xBits: 4, receivers: 400, d3: 120 };
    expect(otCost(u, "ot-iknp")).toEqual({ clientBits: 400 * 4 * 128, serverBits: 400 * 120 * 58, clientRounds: 1, serverRounds: 1 });
    // silent: the per-OT λ becomes ≈ 1
    expect(otCost(u, "ot-silent").clientBits).toBe(400 * 4);
    expect(otCost(u, "ot-silent").serverBits).toBe(400 * 120 * 58);
  });

  it("extension m → n: MSB unknown λ(m+1) + 13m + n (silent ≈ 11m + (n − m)), known 3λ + 4 + (n − m) (silent ≈ (n − m) + 6)", () => {
    const m = 8;
    const n = 20;
    const unknown: Unit[] = [{ kind: "compare", n: 1, m }, { kind: "b2a", n: 1, bits: n - m }];
    const known: Unit[] = [{ kind: "carryKnown", n: 1 }, { kind: "b2a", n: 1, bits: n - m }];
    expect(bitsOf(unknown, "ot-iknp")).toBe(L * (m + 1) + 13 * m + n);
    expect(bitsOf(known, "ot-iknp")).toBe(3 * L + 4 + (n - m));
    // silent: the table's "≈" drops B2A's + 1
    expect(bitsOf(unknown, "ot-silent")).toBe(11 * m + (n - m) + 1);
    expect(bitsOf(known, "ot-silent")).toBe(n - m + 6 + 1);
  });

  it("truncate-and-reduce ℓ → ℓ − s: λ(s+1) + ℓ + 13s (silent ≈ 11s + (ℓ − s))", () => {
    const l = 32;
    const s = 12;
    const units: Unit[] = [{ kind: "compare", n: 1, m: s }, { kind: "b2a", n: 1, bits: l - s }];
    expect(bitsOf(units, "ot-iknp")).toBe(L * (s + 1) + l + 13 * s);
    expect(bitsOf(units, "ot-silent")).toBe(11 * s + (l - s) + 1);
  });

  it("ReLU on ℓ bits = comparison on ℓ − 1 bits + select: ≈ λℓ + 18ℓ (IKNP), ≈ 13ℓ (silent)", () => {
    for (const l of [8, 16, 32]) {
      const relu: Unit[] = [{ kind: "compare", n: 1, m: l - 1 }, { kind: "select", n: 1, conds: 1, rings: [l] }];
      expect(bitsOf(relu, "ot-iknp")).toBe(L * (l - 1) + 14 * (l - 1) + 2 * (L + l));
      expect(Math.abs(bitsOf(relu, "ot-iknp") / (L * l + 18 * l) - 1)).toBeLessThan(l >= 32 ? 0.02 : 0.1);
      expect(Math.abs(bitsOf(relu, "ot-silent") / (13 * l) - 1)).toBeLessThan(0.1);
    }
  });

  it("docs/PROTOCOLS.md's ReLU traffic of ResNet-18 (557K ReLUs): ≈ 330 MB IKNP ℓ=32, ≈ 29 MB silent ℓ=32, ≈ 7 MB silent ℓ=8", () => {
    const n = 557_000;
    const relu = (l: number): Unit[] => [{ kind: "compare", n, m: l - 1 }, { kind: "select", n, conds: n, rings: [l] }];
    const MB = (bits: number) => bits / 8 / 1e6;
    expect(MB(bitsOf(relu(32), "ot-iknp"))).toBeCloseTo(330, -1);
    expect(MB(bitsOf(relu(32), "ot-silent"))).toBeCloseTo(29, -0.5);
    expect(MB(bitsOf(relu(8), "ot-silent"))).toBeCloseTo(7, -0.5);
  });

  it("rows add one 10-byte header per message, one message per party per round", () => {
    const rows = priceOt([call({ kind: "compare", n: 4, m: 8 })], "ot-iknp");
    expect(rows).toHaveLength(1);
    const bits = 4 * (128 * 8 + 14 * 8);
    expect(rows[0]!.online).toMatchObject({ clientBytes: Math.ceil(bits / 2 / 8) + 20, serverBytes: Math.ceil(bits / 2 / 8) + 20, clientRounds: 2, serverMessages: 2 });
    expect(rows[0]!.offline.bytes).toBe(0);
  });

  it("the table names a source for every formula and the text lists every unit", () => {
    const kinds: Unit["kind"][] = ["compare", "carryKnown", "b2a", "select", "mul", "linear", "reveal"];
    expect(FORMULAS.map((f) => f.unit).sort()).toEqual([...kinds].sort());
    for (const f of FORMULAS) for (const s of [f.dealer.source, f.iknp.source, f.silent.source]) expect(s.length).toBeGreaterThan(5);
    const text = formulasText();
    for (const k of kinds) expect(text).toContain(`${k}:`);
  });
});

describe("dealer closed forms (interpreter/protocols headers)", () => {
  it("comparison on m bits: m + 2(m − 1) − 1 ANDs in 1 + ⌈log₂ m⌉ rounds, 2 bits per AND per party", () => {
    for (const m of [1, 2, 3, 7, 8, 15, 16, 31]) {
      const n = 5;
      const rows = priceDealer([call({ kind: "compare", n, m })]);
      const r = rows[0]!;
      expect(r.primitive).toBe("compare/and");
      const rounds = 1 + Math.ceil(Math.log2(m));
      expect(r.online.clientRounds).toBe(rounds);
      expect(r.online.serverMessages).toBe(rounds);
      // payload: every AND sends 2 bits per element and party (packed per batch)
      const payload = r.online.clientBytes - 10 * rounds;
      const ands = m === 1 ? 1 : m + 2 * (m - 1) - 1;
      expect(payload).toBeGreaterThanOrEqual(Math.ceil((2 * n * ands) / 8));
      expect(payload).toBeLessThanOrEqual(Math.ceil((2 * n * ands) / 8) + rounds);
    }
    // by hand, n = 1, m = 8: AND batches of 8, 8, 4, 1 → ⌈16/8⌉ + ⌈16/8⌉ + ⌈8/8⌉ + ⌈2/8⌉ + 4·10
    const r = priceDealer([call({ kind: "compare", n: 1, m: 8 })])[0]!;
    expect(r.online.clientBytes).toBe(2 + 2 + 1 + 1 + 40);
    expect(r.offline).toMatchObject({ bytes: 1 + 1 + 1 + 1, messages: 4, serverRecv: 4, serverMessages: 4, clientRecv: 0 });
  });

  it("b2a, mul, select, linear, reveal: the byte counts of their headers", () => {
    const [b2a] = priceDealer([call({ kind: "b2a", n: 100, bits: 12 })]);
    expect(b2a!.online).toMatchObject({ clientBytes: 13 + 10, serverBytes: 13 + 10, rounds: 1 });
    expect(b2a!.offline).toMatchObject({ bytes: 150, messages: 1, serverRecv: 150, serverMessages: 1, clientRecv: 0 });
    const [mul] = priceDealer([call({ kind: "mul", n: 10, bits: 12, square: false })]);
    expect(mul!.online.clientBytes).toBe(2 * 15 + 10);
    expect(mul!.offline.bytes).toBe(15);
    const [sel] = priceDealer([call({ kind: "select", n: 10, conds: 10, rings: [12] })]);
    expect(sel!.online.clientBytes).toBe(2 + 2 * 15 + 10);
    expect(sel!.offline).toMatchObject({ bytes: 15 + 15, messages: 2, serverRecv: 30 });
    const [lin] = priceDealer([call({ kind: "linear", x: 400, w: 48000, y: 120, bits: 16, xBits: 4, receivers: 400, d3: 120 })]);
    expect(lin!.online).toMatchObject({ clientBytes: 800 + 10, serverBytes: 96000 + 10, clientRounds: 1, serverRounds: 1 });
    expect(lin!.offline.bytes).toBe(240);
    const [rev] = priceDealer([call({ kind: "reveal", n: 1, bits: 4 })]);
    expect(rev!.online).toMatchObject({ clientBytes: 0, serverBytes: 11, clientRounds: 0, serverRounds: 1 });
  });

  it("counts rounds like the meter: the server's send right after a reveal opens no new round", () => {
    // The server never reads between two reveals: its second send continues its first run.
    const rows = priceDealer([call({ kind: "reveal", n: 1, bits: 8 }), call({ kind: "reveal", n: 1, bits: 8 }, ["x"])]);
    expect(rows.map((r) => r.online.serverRounds)).toEqual([1, 0]);
    const seq = priceDealer([call({ kind: "reveal", n: 1, bits: 8 }), call({ kind: "reveal", n: 1, bits: 8 })]);
    expect(seq).toHaveLength(1);
    expect(seq[0]!.online.serverRounds).toBe(1);
    expect(seq[0]!.online.serverMessages).toBe(2);
  });
});

describe("OT backends on a whole network", () => {
  const dir = mkdtempSync(join(tmpdir(), "pq-cost-f-"));
  writeFileSync(join(dir, "r.params.json"), JSON.stringify({ format: "pq-params/1", tensors: { m: { shape: [1000], data: new Array(1000).fill(1) }, a: { shape: [1000], data: new Array(1000).fill(0) } } }));
  const file = join(dir, "r.pq");
  writeFileSync(file, 'model r {\n  input x: client i30[1000]\n  params "r.params.json"\n  param m: i2[1000]\n  param a: i2[1000]\n  output relu(batchnorm(x, m, a)) to client\n}\n');

  it("price 1000 ReLUs as 1000 × (comparison on ℓ − 1 bits + select)", () => {
    const program = compileFile(file).program!;
    const l = program.graph.nodes.find((n) => n.op === "drelu")!.type.bits === 1 ? program.graph.nodes.find((n) => n.op === "select")!.type.bits : 0;
    expect(l).toBeGreaterThanOrEqual(30);
    for (const b of ["ot-iknp", "ot-silent"] as const) {
      const f = forecast(program, b);
      const relu = f.rows.filter((r) => r.primitive.startsWith("relu/"));
      const bytes = relu.reduce((s, r) => s + r.online.clientBytes + r.online.serverBytes - 10 * (r.online.clientMessages + r.online.serverMessages), 0);
      const bits = bitsOf([{ kind: "compare", n: 1000, m: l - 1 }, { kind: "select", n: 1000, conds: 1000, rings: [l] }], b);
      // ⌈·/8⌉ per party and unit: at most 2 bytes per unit and party above bits/8
      expect(bytes).toBeGreaterThanOrEqual(bits / 8);
      expect(bytes).toBeLessThanOrEqual(bits / 8 + 4);
      expect(f.totals.offline.bytes).toBe(0);
    }
  });
});
