// The `pq` command: exit codes (0 ok, 1 user error, 2 usage error), help, and that every
// failure is a diagnostic, never a stack trace.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pq } from "./harness.js";
import { parseResult } from "./schema.js";
import { COMMANDS } from "../../cli/commands.js";

const dir = mkdtempSync(join(tmpdir(), "pq-cli-"));
writeFileSync(join(dir, "m.params.json"), JSON.stringify({
  format: "pq-params/1",
  tensors: { w: { shape: [2, 4], scale: 0.125, data: [1, 2, 3, 4, -1, -2, -3, -4] } },
}));
const model = join(dir, "m.pq");
writeFileSync(model, 'model m {\n  input x: client u8[4]\n  params "m.params.json"\n  param w: i4[2, 4]\n  output argmax(linear(x, w)) to client\n}\n');
const bad = join(dir, "bad.pq");
writeFileSync(bad, "model m {\n  input x: client u8[4]\n  output relu(y to client\n}\n");
const input = join(dir, "in.json");
writeFileSync(input, JSON.stringify({ shape: [4], data: [1, 0, 0, 9] }));
const wrongShape = join(dir, "wrong.json");
writeFileSync(wrongShape, JSON.stringify([[1, 2], [3, 4]]));
const outOfRange = join(dir, "range.json");
writeFileSync(outOfRange, JSON.stringify([1, 2, 3, 256]));

describe("pq CLI", () => {
  it("prints help and exits 0; no command is a usage error", async () => {
    expect((await pq("--help")).code).toBe(0);
    expect((await pq()).code).toBe(2);
    for (const c of COMMANDS) {
      const r = await pq(c.name, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`usage: pq ${c.name}`);
    }
  });

  it("unknown commands and flags are usage errors", async () => {
    expect((await pq("frobnicate")).code).toBe(2);
    const r = await pq("check", model, "--nope");
    expect(r.code).toBe(2);
    expect((await pq("check")).code).toBe(2);
    expect((await pq("compile", model, "--emit", "bytecode")).code).toBe(2);
  });

  it("check: ok is 0 with the range report; a syntax error is 1 with file:line:col", async () => {
    const ok = await pq("check", model);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("min width");
    const r = await pq("check", bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:3:17: error PQ1003`));
    expect(r.err).toContain("^");
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("compile emits the IR as .pq and the AST as JSON", async () => {
    const ir = await pq("compile", model);
    expect(ir.code).toBe(0);
    expect(ir.out).toMatch(/= linear\(x, w(, receiver = 1)?\)/);
    const ast = await pq("compile", model, "--emit", "ast");
    expect(JSON.parse(ast.out).kind).toBe("file");
  });

  it("run prints the output; --json is machine-readable", async () => {
    // linear: [1 + 36, −1 − 36] → argmax 0
    const r = await pq("run", model, "--input", input);
    expect(r.code).toBe(0);
    expect(r.out).toContain("output 0: 0");
    const j = parseResult((await pq("run", model, "--input", input, "--json")).out) as { outputs: { data: string[] }[] };
    expect(j.outputs[0]!.data).toEqual(["0"]);
  });

  it("bad inputs are diagnostics with exit code 1", async () => {
    const missing = await pq("run", model, "--input", join(dir, "none.json"));
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining("PQ4010")]);
    const shape = await pq("run", model, "--input", wrongShape);
    expect([shape.code, shape.err]).toEqual([1, expect.stringContaining("PQ4011")]);
    const range = await pq("run", model, "--input", outOfRange);
    expect([range.code, range.err]).toEqual([1, expect.stringContaining("PQ4012")]);
    const noInput = await pq("run", model);
    expect(noInput.code).toBe(2);
  });
});

describe("the insecure dealer is announced on both sides", () => {
  it("pq run --correlations dealer warns; the default (OT) does not; --seed needs the dealer", async () => {
    const d = await pq("run", model, "--input", input, "--backend", "2pc", "--correlations", "dealer");
    expect(d.code).toBe(0);
    expect(d.err).toMatch(/WARNING: INSECURE dealer/);
    const o = await pq("run", model, "--input", input, "--backend", "2pc");
    expect(o.code).toBe(0);
    expect(o.err).not.toMatch(/dealer/);
    expect(o.out).toContain(d.out.split("\n")[0]!);
    expect((await pq("run", model, "--input", input, "--backend", "2pc", "--seed", "7")).code).toBe(2);
  });

  it("pq serve --insecure-dealer and pq connect --insecure-dealer both warn; the run is correct", async () => {
    const { listen } = await import("../../interpreter/twopc/tcp.js");
    // A free port, then the server on it (serve prints its port only once listening).
    const l = await listen(0);
    const port = l.port;
    l.close();
    const server = pq("serve", model, "--port", String(port), "--once", "--insecure-dealer", "--insecure-plaintext");
    let client: { code: number; out: string; err: string } | undefined;
    for (let i = 0; i < 50 && !client?.out; i++) {
      await new Promise((r) => setTimeout(r, 100));
      client = await pq("connect", `127.0.0.1:${port}`, "--input", input, "--insecure-dealer", "--insecure-plaintext");
    }
    const s = await server;
    expect(s.code).toBe(0);
    expect(s.err).toMatch(/WARNING: INSECURE dealer/);
    expect(s.err).toMatch(/WARNING: INSECURE plaintext/);
    expect(client!.code).toBe(0);
    expect(client!.err).toMatch(/WARNING: INSECURE dealer/);
    expect(client!.err).toMatch(/WARNING: INSECURE plaintext/);
    const plain = await pq("run", model, "--input", input);
    expect(client!.out.split("\n")[0]).toBe(plain.out.split("\n")[0]);
  });
});
