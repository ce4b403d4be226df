// The one JSON envelope of every `--json` (`pq run`, `connect`, `cost`, `eval`): format
// `pq-result/1`, which command, pq's version, the program and how it ran (pipeline,
// correlations, seed) and the inputs it read, then the command's own body. docs/REPORT.md
// describes it; docs/schema/pq-result.schema.json is its JSON Schema (draft 2020-12), which
// the tests validate every command's output against.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Graph, Node } from "../compiler/ir.js";
import { elemName, numel, scaleValue } from "../compiler/types.js";
import { diag, fileReason, PqError } from "../grammar/diagnostics.js";
import { toBigints, type Tensor } from "../interpreter/plain/tensor.js";

export const RESULT_FORMAT = "pq-result/1";

/** pq's version: the `version` of its package.json (found upwards, so the sources and dist/ agree). */
export const PQ_VERSION: string = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const p = join(dir, "package.json");
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "pq-2pc" && pkg.version !== undefined) return pkg.version;
    }
    if (dirname(dir) === dir) return "unknown";
  }
})();

/** An input the command read: a file (with the SHA-256 of its bytes) or a dataset. */
export interface InputRecord {
  name: string;
  file?: string;
  sha256?: string;
  dataset?: string;
}

export interface Envelope {
  command: "run" | "connect" | "cost" | "eval";
  /** The .pq file (null for `connect`: the program came from the server). */
  file: string | null;
  model: string;
  /** The pass pipeline (null when the program came from the server). */
  pipeline: string | null;
  /** The pipeline's passes switched off with --disable (null with the pipeline). */
  disabled: string[] | null;
  backend: "plain" | "2pc" | null;
  correlations: string | null;
  /** The dealer's seed (null: every party draws its own randomness, or no two-party run). */
  seed: string | null;
  inputs: InputRecord[];
}

/** The JSON text of a result: the envelope's fields first, then the command's body. */
export function resultJson(e: Envelope, body: object): string {
  return JSON.stringify({ format: RESULT_FORMAT, pq: PQ_VERSION, ...e, ...body }, null, 2);
}

/** Each model input's file, with the SHA-256 of its bytes (what a reader needs to reproduce the run). */
export function fileInputs(paths: ReadonlyMap<string, string>): InputRecord[] {
  return [...paths].map(([name, file]) => ({ name, file, sha256: createHash("sha256").update(readFileSync(file)).digest("hex") }));
}

export interface OutputRecord {
  shape: number[];
  /** Element type of the integers, e.g. `i20`. */
  type: string;
  /** The real value of one integer step. */
  scale: number;
  /** The integers, as decimal strings (they may exceed 2^53). */
  data: string[];
  /** data × scale: the dequantized values (logits as reals). */
  real: number[];
  /** With --labels: the class the output names (an argmax's index, or the largest of a vector with one value per label). */
  label?: string;
}

/** The node an output reveals, past any `reveal`. */
function revealed(g: Graph, i: number): Node {
  let n = g.nodes[g.outputs[i]!.node]!;
  while (n.op === "reveal") n = g.nodes[n.inputs[0]!]!;
  return n;
}

/** How many classes output `i` distinguishes: an argmax's operand's size, or a vector's length; undefined for neither. */
export function classCount(g: Graph, i: number): number | undefined {
  const n = revealed(g, i);
  if (n.op === "argmax") return numel(g.nodes[n.inputs[0]!]!.type.shape);
  return n.type.shape.length === 1 ? n.type.shape[0] : undefined;
}

/** The class output `i` names: an argmax's value, or the index of a vector's largest value (ties: the first). */
export function predictedClass(g: Graph, i: number, t: Tensor): number | undefined {
  const v = toBigints(t);
  if (revealed(g, i).op === "argmax") return Number(v[0]);
  if (t.shape.length !== 1) return undefined;
  let best = 0;
  v.forEach((x, k) => {
    if (x > v[best]!) best = k;
  });
  return best;
}

export function outputRecords(g: Graph, outputs: readonly Tensor[], labels?: readonly string[]): OutputRecord[] {
  return outputs.map((t, i) => {
    const scale = scaleValue(g.nodes[g.outputs[i]!.node]!.type.scale);
    const data = toBigints(t);
    const rec: OutputRecord = { shape: [...t.shape], type: elemName(t), scale, data: data.map(String), real: data.map((q) => Number(q) * scale) };
    const k = labels !== undefined && classCount(g, i) === labels.length ? predictedClass(g, i, t) : undefined;
    if (k !== undefined) rec.label = labels![k]!;
    return rec;
  });
}

/**
 * `--labels FILE`: one class name per line (a final newline is not a label), checked against
 * the model: some output must distinguish exactly that many classes (PQ4031).
 */
export function readLabels(path: string, g: Graph): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new PqError(diag("PQ4030", { what: "labels file", path, reason: fileReason(e) }));
  }
  const labels = text.replace(/\r?\n$/, "").split(/\r?\n/);
  const counts = g.outputs.map((_, i) => classCount(g, i)).filter((c) => c !== undefined);
  if (!counts.includes(labels.length)) {
    throw new PqError(diag("PQ4031", { path, got: labels.length, expected: counts.length > 0 ? counts.join(" or ") : "no" }));
  }
  return labels;
}
