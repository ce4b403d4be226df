// Every `--json` of pq is one pq-result/1 document (docs/schema/pq-result.schema.json):
// run (plain and 2pc), connect, cost and eval, each validated by ajv against the schema,
// with the envelope's facts checked against what the command was asked to do. The schema
// is no rubber stamp: documents with a field missing or of the wrong kind are refused.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/cli.js";
import { PQ_VERSION } from "../../cli/result.js";
import { pq } from "./harness.js";
import { parseResult, validateResult } from "./schema.js";

const MLP = "examples/mnist/mlp_w8a8.pq";
const DIGIT = "examples/mnist/digits/digit-7.png";
const dir = mkdtempSync(join(tmpdir(), "pq-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  format: string;
  pq: string;
  command: string;
  file: string | null;
  model: string;
  pipeline: string | null;
  disabled: string[] | null;
  backend: string | null;
  correlations: string | null;
  seed: string | null;
  inputs: { name: string; file?: string; sha256?: string; dataset?: string }[];
  outputs?: { data: string[]; real: number[]; scale: number; label?: string }[];
  [k: string]: unknown;
}

async function json(...args: string[]): Promise<Result> {
  const r = await pq(...args, "--json");
  expect(r.code, r.err).toBe(0);
  return parseResult(r.out) as Result;
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("pq-result/1", () => {
  it("run --backend plain: the envelope names the command, pq's version, pipeline, inputs with their SHA-256", async () => {
    const j = await json("run", MLP, "--input", DIGIT, "--pipeline", "sirnn", "--disable", "orientation");
    expect(j).toMatchObject({ format: "pq-result/1", pq: PQ_VERSION, command: "run", file: MLP, model: "mlp", pipeline: "sirnn", disabled: ["orientation"], backend: "plain", correlations: null, seed: null });
    expect(PQ_VERSION).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
    expect(j.inputs).toEqual([{ name: "x", file: DIGIT, sha256: sha(DIGIT) }]);
    expect(j.outputs![0]!.data).toEqual(["7"]);
  });

  it("run --backend 2pc: correlations and the dealer's seed are recorded (none under OT)", async () => {
    const dealer = await json("run", MLP, "--input", DIGIT, "--backend", "2pc", "--correlations", "dealer", "--seed", "42");
    expect(dealer).toMatchObject({ command: "run", backend: "2pc", correlations: "dealer", seed: "42" });
    const ot = await json("run", MLP, "--input", DIGIT, "--backend", "2pc");
    expect(ot).toMatchObject({ backend: "2pc", correlations: "ot", seed: null });
    expect(ot.outputs).toEqual(dealer.outputs);
  }, 30_000);

  it("cost: the forecast under the envelope, the priced correlations recorded", async () => {
    const j = await json("cost", MLP, "--correlations", "ot");
    expect(j).toMatchObject({ command: "cost", model: "mlp", pipeline: "pq", disabled: [], backend: null, correlations: "ot", inputs: [] });
    expect((j.forecast as { backend: string }).backend).toBe("ot");
  });

  it("eval: dataset, accuracy and one record per sample", async () => {
    const j = await json("eval", MLP, "--limit", "10");
    expect(j).toMatchObject({ command: "eval", backend: "plain", inputs: [{ name: "x", dataset: "mnist" }], images: 10 });
    expect((j.samples as unknown[]).length).toBe(10);
  });

  it("connect: the client's result, with the server's model hash and no file or pipeline of its own", async () => {
    const lines: string[] = [];
    let heard: (port: string) => void = () => undefined;
    const listening = new Promise<string>((r) => (heard = r));
    const server = main(["serve", MLP, "--port", "0", "--once", "--insecure-plaintext", "--insecure-dealer"], {
      out: (s) => {
        lines.push(s);
        const m = /listening on [^:]+:(\d+)/.exec(s);
        if (m) heard(m[1]!);
      },
      err: (s) => lines.push(s),
    });
    const port = await Promise.race([listening, server.then(() => Promise.reject(new Error(lines.join("\n"))))]);
    const j = await json("connect", `127.0.0.1:${port}`, "--input", DIGIT, "--insecure-plaintext", "--insecure-dealer");
    expect(await server).toBe(0);
    expect(j).toMatchObject({ command: "connect", file: null, model: "mlp", pipeline: null, disabled: null, backend: "2pc", correlations: "dealer", inputs: [{ name: "x", file: DIGIT, sha256: sha(DIGIT) }] });
    expect(j.modelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(j.outputs![0]!.data).toEqual(["7"]);
  }, 30_000);

  it("the schema refuses a document with a field missing, of the wrong kind, or a body another command's", async () => {
    const good = await json("run", MLP, "--input", DIGIT);
    expect(validateResult(good)).toBe(true);
    const without = (k: string) => Object.fromEntries(Object.entries(good).filter(([key]) => key !== k));
    for (const k of ["format", "pq", "disabled", "seed", "inputs", "outputs", "layers"]) expect(validateResult(without(k)), k).toBe(false);
    expect(validateResult({ ...good, format: "pq-report/1" })).toBe(false);
    expect(validateResult({ ...good, outputs: [{ ...good.outputs![0]!, data: [7] }] })).toBe(false);
    expect(validateResult({ ...good, backend: "2pc" })).toBe(false); // a 2pc run has per-party layers and primitives
    expect(validateResult({ ...good, inputs: [{ name: "x", file: DIGIT }] })).toBe(false); // no sha256
  });
});

describe("outputs at the edges", () => {
  it("logits are reported as reals (data × scale) next to the integers, and --labels names the class", async () => {
    const src = readFileSync(MLP, "utf8").replace("output argmax(linear(h2, fc3_w, fc3_b)) to client", "let z = linear(h2, fc3_w, fc3_b)\n  output z to client\n  output argmax(z) to client")
      .replace('params "mlp_w8a8.params.json"', `params ${JSON.stringify(join(process.cwd(), "examples/mnist/mlp_w8a8.params.json"))}`);
    const file = join(dir, "mlp_logits.pq");
    writeFileSync(file, src);
    const names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    const labels = join(dir, "digits.txt");
    writeFileSync(labels, `${names.join("\n")}\n`);
    const j = await json("run", file, "--input", DIGIT, "--labels", labels);
    const [z, k] = j.outputs!;
    expect(z!.scale).toBeCloseTo(0.00019394758889172803, 15);
    expect(z!.real).toEqual(z!.data.map((d) => Number(d) * z!.scale));
    expect(z!.label).toBe("seven"); // the largest logit
    expect(k!.data).toEqual(["7"]);
    expect(k!.label).toBe("seven");
    const text = await pq("run", file, "--input", DIGIT, "--labels", labels);
    expect(text.out).toMatch(/^output 0: \[.*\] \(real: \[.*\]\) label seven\noutput 1: 7 label seven$/m);
    const bad = join(dir, "nine.txt");
    writeFileSync(bad, names.slice(0, 9).join("\n"));
    const r = await pq("run", file, "--input", DIGIT, "--labels", bad);
    expect([r.code, r.err]).toEqual([1, expect.stringContaining(`PQ4031: labels file '${bad}' has 9 labels`)]);
    const missing = await pq("run", file, "--input", DIGIT, "--labels", join(dir, "none.txt"));
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining("PQ4030")]);
  });
});
