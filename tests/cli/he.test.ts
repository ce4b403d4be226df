// `pq run --backend 2pc --correlations he` on MNIST LeNet W8A8: the same output, the same
// per-layer values (--json), as the plaintext backend; the HE products are on the wire
// (the server-weight product's bytes are the HE kernel's, not the OT kernel's); the report
// carries each party's HE milliseconds per layer.
import { describe, expect, it } from "vitest";
import { pq } from "./harness.js";
import { parseResult } from "./schema.js";

const model = "examples/mnist/lenet_w8a8.pq";
const input = "examples/mnist/digits/digit-7.png";

describe("pq run --correlations he", () => {
  it("gives LeNet's plaintext output, with the HE products on the wire", async () => {
    const plain = await pq("run", model, "--input", input, "--json");
    const he = await pq("run", model, "--input", input, "--backend", "2pc", "--correlations", "he", "--json");
    expect(plain.code).toBe(0);
    expect(he.code).toBe(0);
    expect(he.err).not.toMatch(/PQ\d{4}|dealer/);
    const p = parseResult(plain.out) as { outputs: unknown };
    const r = parseResult(he.out) as {
      correlations: string; outputs: unknown; primitives: { layer: string; primitive: string; phase: string; party: string; sent: number }[];
      layers: { layer: string; ops: string[]; heMs?: { client: number; server: number } }[]; totals: { heMs?: { client: number; server: number } };
    };
    expect(r.correlations).toBe("he");
    // each party's HE milliseconds per layer: keys under setup (beside the base OTs and the silent-OT pools' refills), the HE products in c2
    expect(r.layers[0]!.ops).toEqual(["base-ot", "he-keys", "silent-ot"]);
    expect(r.layers[0]!.heMs!.client).toBeGreaterThan(0);
    expect(r.layers.find((l) => l.layer === "lenet/c2")!.heMs!.server).toBeGreaterThan(0);
    expect(r.totals.heMs!.client).toBeGreaterThan(0);
    // the table shows them in a column of its own
    const table = await pq("run", model, "--input", input, "--backend", "2pc", "--correlations", "he");
    expect(table.out).toMatch(/ms\s+HE ms/);
    expect(r.outputs).toEqual(p.outputs);
    // conv2: one upload of the plan's ciphertexts (196,802 bytes each at N = 8192) from the client.
    const conv2 = r.primitives.find((x) => x.layer === "lenet/c2" && x.primitive === "linear" && x.phase === "online" && x.party === "client")!;
    expect(conv2.sent % 196_802).toBeLessThan(196_802);
    expect(conv2.sent).toBeGreaterThanOrEqual(196_802);
  }, 120_000);
});
