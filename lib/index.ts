// pq as a library (`import { compile, run, cost } from "pq-2pc"`): the same compiler,
// backends and forecast as the command line, with programs and tensors as values and
// errors as `PqError` (coded diagnostics, `formatDiagnostic` prints them as the CLI does).
// The two-party run is private by default: OT correlations unless a provider is named.
// `importOnnx` turns an ONNX model into a .pq program and its params (docs/ONNX.md).
import { compileFile } from "../compiler/lower.js";
import type { Program } from "../compiler/ir.js";
import { runPipeline } from "../compiler/passes/pipeline.js";
import { forecast, type Backend, type Forecast } from "../compiler/cost/model.js";
import { diag, formatDiagnostic, PqError, type Diagnostic } from "../grammar/diagnostics.js";
import { loadInput } from "../interpreter/inputs.js";
import { runPlain } from "../interpreter/plain/run.js";
import { tensorFromBigints, toBigints, type Tensor } from "../interpreter/plain/tensor.js";
import type { ProviderSpec } from "../interpreter/providers/provider.js";
import { runTwoParty, type TwoPartyResult } from "../interpreter/twopc/session.js";
import { importOnnx, type ImportOptions, type ImportResult } from "../import/index.js";

export type { Backend, Diagnostic, Forecast, Program, ProviderSpec, Tensor, TwoPartyResult };
export { formatDiagnostic, importOnnx, PqError, tensorFromBigints, toBigints };
export type { ImportOptions, ImportResult };

export interface CompileOptions {
  /** The source text (else the file at `path` is read; `path` still places imports and the params file). */
  text?: string;
  /** Which model, when the file declares several. */
  model?: string;
  /** The pass pipeline (`pq`, `sirnn`, `eqo`, `none`; default `pq`). */
  pipeline?: string;
  /** The correlations the passes optimise for (default `ot`, what `run` uses). */
  target?: Backend;
}

/** Compile a `.pq` file as `pq run` does; throws PqError with every diagnostic if it does not compile. */
export function compile(path: string, opts: CompileOptions = {}): Program {
  const r = compileFile(path, { ...(opts.text !== undefined ? { text: opts.text } : {}), ...(opts.model !== undefined ? { model: opts.model } : {}) });
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (!r.program || errors.length > 0) throw new PqError(errors.length > 0 ? errors : r.diagnostics);
  return runPipeline(r.program, opts.pipeline ?? "pq", { target: opts.target ?? "ot" }).program;
}

/** A model input's value: integers (nested arrays or flat, row-major), or a file (JSON tensor or PNG) as `--input` reads it. */
export type InputValue = readonly (number | bigint)[] | { file: string } | Tensor;

function inputTensors(program: Program, inputs: Record<string, InputValue>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const n of program.graph.nodes) {
    if (n.op !== "input") continue;
    const name = n.attrs.name as string;
    const v = inputs[name];
    if (v === undefined) throw new PqError(diag("PQ4014", { count: program.graph.nodes.filter((m) => m.op === "input").length }));
    if ("file" in v) out.set(name, loadInput(v.file, name, n.type));
    else if ("data" in v && "shape" in v) out.set(name, v as Tensor);
    else out.set(name, tensorFromBigints(n.type.shape, n.type.bits, n.type.signed, (v as readonly (number | bigint)[]).flat(Infinity as 1).map((x) => BigInt(x))));
  }
  return out;
}

export interface RunOptions {
  /** `plain` (the reference semantics) or `2pc` (both parties in this process; default). */
  backend?: "plain" | "2pc";
  /** The two-party correlations (default OT between the parties; the dealer is a test fixture). */
  provider?: ProviderSpec;
}

export interface RunResult {
  /** The outputs' integer values, row-major. */
  outputs: bigint[][];
  /** The two-party run's meter (bytes and rounds per layer and party), when backend is `2pc`. */
  twoParty?: TwoPartyResult;
}

/** Run a compiled program on the model's inputs. */
export async function run(program: Program, inputs: Record<string, InputValue>, opts: RunOptions = {}): Promise<RunResult> {
  const values = inputTensors(program, inputs);
  if (opts.backend === "plain") return { outputs: runPlain(program.graph, values).outputs.map(toBigints) };
  const r = await runTwoParty(program.graph, program.ranges, values, { provider: opts.provider ?? { kind: "ot" } });
  return { outputs: r.outputs.map(toBigints), twoParty: r };
}

/** The compile-time forecast of a two-party run, per layer and primitive (`pq cost`). */
export function cost(program: Program, backend: Backend = "ot"): Forecast {
  return forecast(program, backend);
}
