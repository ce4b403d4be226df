// The library as a user imports it: by its package name (Node's self-reference through
// package.json `exports`, so the built dist/lib and its declarations), running README's
// example as written; and the API's own behaviour (errors, the default provider).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compile, PqError, run, runPlain, runTwoParty } from "../../lib/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("pq-2pc as a library", () => {
  it("README's example runs as written, importing the package by name", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /## As a library[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(block).toContain('from "pq-2pc"');
    const js = ts.transpileModule(block, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    // Inside the package (dist/ has no package.json of its own), so the name resolves to itself.
    const file = join(ROOT, "dist", "readme-library-example.mjs");
    writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\[ \[ 7n \] \] \[ \[ 7n \] \] \d+\n$/);
  }, 60_000);

  it("declares its types and ships the files it needs", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.name).toBe("pq-2pc");
    expect(existsSync(join(ROOT, pkg.exports["."].types))).toBe(true);
    expect(pkg.files).toEqual(expect.arrayContaining(["dist/lib", "dist/interpreter", "stdlib/*.pq"]));
  });

  it("runPlain and runTwoParty: the two backends by name, the same outputs (OT by default, a named provider otherwise)", async () => {
    const program = compile(join(ROOT, "examples/mnist/mlp_w8a8.pq"));
    const input = { x: { file: join(ROOT, "examples/mnist/digits/digit-3.png") } };
    const plain = await runPlain(program, input);
    const ot = await runTwoParty(program, input);
    const dealer = await runTwoParty(program, input, { kind: "dealer", seed: "s" });
    expect(plain.twoParty).toBeUndefined();
    expect(ot.outputs).toEqual(plain.outputs);
    expect(dealer.outputs).toEqual(plain.outputs);
    expect([ot.twoParty!.correlations, dealer.twoParty!.correlations]).toEqual(["ot", "dealer"]);
  }, 60_000);

  it("a program that does not compile throws its coded diagnostics; a missing input is PQ4014", async () => {
    let err: unknown;
    try {
      compile(join(ROOT, "m.pq"), { text: "model m {\n  input x: client u8[4]\n  output relu(y)\n}\n" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PqError);
    expect((err as PqError).diagnostics.map((d) => `${d.code}@${d.span?.line}:${d.span?.col}`)).toEqual(["PQ2001@3:15"]);
    const p = compile(join(ROOT, "m.pq"), { text: "model m {\n  input x: client i8[2]\n  output relu(x)\n}\n" });
    await expect(run(p, {})).rejects.toThrow(/PQ4014/);
    expect((await run(p, { x: [-5, 7] }, { backend: "plain" })).outputs).toEqual([[0n, 7n]]);
    const two = await run(p, { x: [-5, 7] }, { provider: { kind: "dealer", seed: "t" } });
    expect(two.outputs).toEqual([[0n, 7n]]);
    expect(two.twoParty!.correlations).toBe("dealer");
  });

  it("real-valued inputs are quantized by the input's scale and zero point (flat or nested)", async () => {
    const p = compile(join(ROOT, "m.pq"), { text: "model m {\n  input x: client i8[2, 2] scale 0.5 (zero = 1)\n  output relu(x)\n}\n", pipeline: "none" });
    const flat = await run(p, { x: { real: [0.5, -0.5, 1.25, 100] } }, { backend: "plain" });
    expect(flat.outputs).toEqual([[2n, 0n, 4n, 127n]]); // round(r / 0.5) + 1, saturated to i8
    expect((await run(p, { x: { real: [[0.5, -0.5], [1.25, 100]] } }, { backend: "plain" })).outputs).toEqual(flat.outputs);
    await expect(run(p, { x: { real: [0.5] } }, { backend: "plain" })).rejects.toThrow(/PQ4013.*1 values for shape \[2, 2\]/);
  });
});
