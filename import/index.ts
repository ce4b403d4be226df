// `pq import` / `pq quantize` as a function: an ONNX file to a `.pq` program and its params.
// A quantized model (QDQ or QOperator) is mapped as it is; a float model is first quantized
// with calibration (import/quantize/float.ts), then mapped by the same code. Nothing is
// written unless the whole model maps.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { compileFile } from "../compiler/lower.js";
import { diag, PqError } from "../grammar/diagnostics.js";
import { readOnnx, type OnnxGraph } from "./onnx/graph.js";
import { checkSupported, mapQuantized } from "./onnx/map.js";
import { planParamsJson, pqSource, type Plan } from "./plan.js";
import { readCalibration } from "./quantize/calibration.js";
import { quantizeFloat } from "./quantize/float.js";

export interface ImportOptions {
  /** Write `OUT.pq` and `OUT.params.json` (the params file is named after the .pq file). */
  out?: string;
  /** A float model: calibrate on the .png/.json inputs of this directory and quantize. */
  calibrate?: string;
  /** Weight and activation widths for a float model (defaults 8 and 8; activations 4, 8 or 16). */
  weights?: number;
  activations?: number;
  /** Calibrated range: this percentile of an activation's magnitudes instead of the largest. */
  percentile?: number;
  /** Output the class index (argmax) instead of the model's output tensor. */
  argmax?: boolean;
  /** The model's name in the .pq file (default: the ONNX file's name). */
  model?: string;
}

export interface ImportResult {
  /** `qdq`/`qoperator`: imported as quantized; `float`: quantized by pq with calibration. */
  kind: "qdq" | "qoperator" | "float";
  source: string;
  params: string;
  /** The params file name the source refers to (relative to the .pq file). */
  paramsFile: string;
  plan: Plan;
  /** The files written, when `out` was given. */
  written?: { pq: string; params: string };
}

const QUANTIZED_OPS = new Set(["QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QLinearAdd"]);

function kindOf(g: OnnxGraph): ImportResult["kind"] {
  if (g.nodes.some((n) => n.op.startsWith("QLinear"))) return "qoperator";
  return g.nodes.some((n) => QUANTIZED_OPS.has(n.op)) ? "qdq" : "float";
}

function width(name: string, v: number | undefined, dflt: number, ok: (w: number) => boolean, allowed: string): number {
  const w = v ?? dflt;
  if (!Number.isInteger(w) || !ok(w)) throw new PqError(diag("PQ9001", { detail: `--${name} must be ${allowed}, got ${w}`, command: "quantize" }));
  return w;
}

export function importOnnx(path: string, opts: ImportOptions = {}): ImportResult {
  const g = readOnnx(path);
  checkSupported(g);
  const kind = kindOf(g);
  const stem = opts.out !== undefined ? basename(opts.out, extname(opts.out)) : basename(path, extname(path));
  const model = opts.model ?? stem;
  let graph = g;
  let comment = `imported from ${basename(path)} (${kind === "qdq" ? "QDQ" : "QOperator"} ONNX) by pq import; docs/ONNX.md`;
  if (kind === "float") {
    if (opts.calibrate === undefined) {
      throw new PqError(diag("PQ6008", { path, kind: "float", detail: "quantize it with --calibrate DIR (pq quantize, or pq import --calibrate)" }));
    }
    const weights = width("weights", opts.weights, 8, (w) => w >= 2 && w <= 16, "an integer in 2..16");
    const activations = width("activations", opts.activations, 8, (a) => a === 4 || a === 8 || a === 16, "4, 8 or 16");
    if (opts.percentile !== undefined && !(opts.percentile > 0 && opts.percentile <= 100)) {
      throw new PqError(diag("PQ9001", { detail: `--percentile must be in (0, 100], got ${opts.percentile}`, command: "quantize" }));
    }
    const cal = readCalibration(opts.calibrate, g.input.shape.slice(1));
    graph = quantizeFloat(g, cal, { weights, activations, ...(opts.percentile !== undefined ? { percentile: opts.percentile } : {}) });
    const range = opts.percentile !== undefined ? `the ${opts.percentile}th percentile of magnitudes` : "largest magnitudes";
    comment = `quantized from ${basename(path)} by pq: W${weights}A${activations}, per-channel weights, ${cal.inputs.length} calibration inputs (${range}); docs/ONNX.md`;
  } else if (opts.calibrate !== undefined) {
    throw new PqError(diag("PQ6008", { path, kind: "quantized", detail: "it needs no --calibrate; import it as it is" }));
  }
  const plan = mapQuantized(graph, { model, comment, argmax: opts.argmax === true });
  const paramsFile = `${stem}.params.json`;
  const result: ImportResult = { kind, source: pqSource(plan, paramsFile), params: planParamsJson(plan), paramsFile, plan };
  if (opts.out !== undefined) {
    const pq = opts.out;
    const params = join(dirname(pq), paramsFile);
    mkdirSync(dirname(pq), { recursive: true });
    writeFileSync(pq, result.source);
    writeFileSync(params, result.params);
    // The program must compile as written (types, ranges, parameters); if not, nothing stays.
    const errors = compileFile(pq).diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      rmSync(pq, { force: true });
      rmSync(params, { force: true });
      throw new PqError(errors);
    }
    result.written = { pq, params };
  }
  return result;
}
