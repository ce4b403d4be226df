// The labelled samples `pq eval` reads: a directory with one folder per label
// (DIR/<label>/*.png or *.json tensors), a JSON array or NDJSON file of {input, label}
// records, or — without --dataset — the bundled MNIST test split (the `mnist` package, a
// development dependency, loaded only here). Each sample's input is read when it is
// evaluated, so `--limit` reads no more than it uses. Every bad input is a coded error
// naming the file (PQ4030 unreadable, PQ4032 invalid, PQ4033 MNIST absent; an image of
// the wrong shape is PQ4011 from interpreter/inputs.ts).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve } from "node:path";
import type { Node } from "../compiler/ir.js";
import { diag, fileReason, PqError } from "../grammar/diagnostics.js";
import { inputFromJson, loadInput } from "../interpreter/inputs.js";
import { tensorFromBigints, type Tensor } from "../interpreter/plain/tensor.js";

export interface Sample {
  /** Where the sample is: an image file, `FILE:LINE` for a record, `mnist test #i`. */
  source: string;
  /** The class index the model should predict. */
  label: number;
  load(): Tensor;
}

export interface Dataset {
  kind: "directory" | "json" | "mnist";
  /** The path given (or `mnist` for the bundled split). */
  path: string;
  samples: Sample[];
}

const invalid = (path: string, reason: string): never => {
  throw new PqError(diag("PQ4032", { path, reason }));
};

/**
 * A label as a class index: its line in --labels, or without labels an integer class
 * index (a folder `7`, a record label 7 or "7"); anything else is PQ4032.
 */
function classOf(label: unknown, where: string, classes: number, labels: readonly string[] | undefined): number {
  if (labels !== undefined && typeof label === "string" && labels.includes(label)) return labels.indexOf(label);
  const k = typeof label === "number" ? label : typeof label === "string" && /^\d+$/.test(label) ? Number(label) : NaN;
  if (Number.isInteger(k) && k >= 0 && k < classes) return k;
  return invalid(where, `label ${JSON.stringify(label)} is no class of the model (${labels !== undefined ? "a line of --labels, or an index" : "an index"} in 0..${classes - 1}${labels === undefined ? "; name classes with --labels FILE" : ""})`);
}

/** Samples of each class in turn (class order, then file order), so that `--limit N` takes some of every class. */
function interleave(byClass: readonly Sample[][]): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; byClass.some((c) => i < c.length); i++) for (const c of byClass) if (i < c.length) out.push(c[i]!);
  return out;
}

function list(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch (e) {
    throw new PqError(diag("PQ4030", { what: "dataset directory", path, reason: fileReason(e) }));
  }
}

function fromDirectory(dir: string, input: Node, classes: number, labels: readonly string[] | undefined): Sample[] {
  const name = input.attrs.name as string;
  // A dangling link is no class folder (statSync follows links, and throws on a dangling one).
  const folders = list(dir).filter((f) => statSync(join(dir, f), { throwIfNoEntry: false })?.isDirectory() === true);
  if (folders.length === 0) invalid(dir, "no class folders (DIR/<label>/*.png)");
  const byClass: Sample[][] = [];
  for (const f of folders) {
    const label = classOf(f, join(dir, f), classes, labels);
    const files = list(join(dir, f)).filter((x) => [".png", ".json"].includes(extname(x).toLowerCase()));
    if (files.length === 0) invalid(join(dir, f), "a class folder without .png or .json images");
    (byClass[label] ??= []).push(...files.map((x) => {
      const source = join(dir, f, x);
      return { source, label, load: () => loadInput(source, name, input.type, input.attrs) };
    }));
  }
  return interleave(byClass.filter((c) => c !== undefined));
}

/** A JSON array of records, or NDJSON (one record per line); a record's input is a tensor value or a file path relative to the dataset file. */
function fromRecords(file: string, input: Node, classes: number, labels: readonly string[] | undefined): Sample[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PqError(diag("PQ4030", { what: "dataset file", path: file, reason: fileReason(e) }));
  }
  const parse = (t: string, where: string): unknown => {
    try {
      return JSON.parse(t);
    } catch (e) {
      return invalid(where, `not JSON (${(e as Error).message})`);
    }
  };
  const records: { value: unknown; where: string }[] = text.trimStart().startsWith("[")
    ? (parse(text, file) as unknown[]).map((value, i) => ({ value, where: `${file}: record ${i + 1}` }))
    : text.split("\n").map((l, i) => ({ l, i })).filter(({ l }) => l.trim() !== "").map(({ l, i }) => ({ value: parse(l, `${file}:${i + 1}`), where: `${file}:${i + 1}` }));
  if (records.length === 0) invalid(file, "no records");
  const name = input.attrs.name as string;
  return records.map(({ value, where }) => {
    const r = value as { input?: unknown; label?: unknown } | null;
    if (r === null || typeof r !== "object" || r.input === undefined || r.label === undefined) return invalid(where, 'a record is {"input": TENSOR or "FILE", "label": LABEL}');
    const label = classOf(r.label, where, classes, labels);
    const x = r.input;
    const load = typeof x === "string"
      ? () => loadInput(resolve(dirname(file), x), name, input.type, input.attrs)
      : () => inputFromJson(x, where, name, input.type, input.attrs);
    return { source: typeof x === "string" ? resolve(dirname(file), x) : where, label, load };
  });
}

/**
 * The `mnist` package is a development dependency of pq (only the example and this default
 * read it): PQ4033, saying how to install it, when `resolve` cannot find it.
 */
export function requireMnist(resolve: (id: string) => string = createRequire(import.meta.url).resolve): void {
  try {
    resolve("mnist/package.json");
  } catch (e) {
    throw new PqError(diag("PQ4033", { reason: (e as Error).message.split("\n")[0]! }));
  }
}

/** The bundled MNIST test split (examples/mnist/dataset.ts), its pixels as the input's integers. */
async function mnist(input: Node): Promise<Sample[]> {
  requireMnist();
  let loadMnist: typeof import("../examples/mnist/dataset.js").loadMnist;
  try {
    ({ loadMnist } = await import("../examples/mnist/dataset.js"));
  } catch (e) {
    throw new PqError(diag("PQ4033", { reason: `pq's MNIST loader is missing: ${(e as Error).message.split("\n")[0]!}` }));
  }
  const { shape, bits, signed } = input.type;
  const byClass: Sample[][] = [];
  loadMnist().test.forEach((s, i) => {
    (byClass[s.label] ??= []).push({ source: `mnist test #${i}`, label: s.label, load: () => tensorFromBigints([...shape], bits, signed, Array.from(s.pixels, (p) => BigInt(p))) });
  });
  return interleave(byClass);
}

export async function readDataset(path: string | undefined, input: Node, classes: number, labels: readonly string[] | undefined): Promise<Dataset> {
  if (path === undefined) return { kind: "mnist", path: "mnist", samples: await mnist(input) };
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch (e) {
    throw new PqError(diag("PQ4030", { what: "dataset", path, reason: fileReason(e) }));
  }
  return dir
    ? { kind: "directory", path, samples: fromDirectory(path, input, classes, labels) }
    : { kind: "json", path, samples: fromRecords(path, input, classes, labels) };
}
