// pq as a library (`import { compile, run, runPlain, runTwoParty, cost } from "pq-2pc"`): the same compiler,
// backends and forecast as the command line, with programs and tensors as values and
// errors as `PqError` (coded diagnostics, `formatDiagnostic` prints them as the CLI does).
// The two-party run is private by default: OT correlations unless a provider is named.
// `serve` and `connect` are the two parties as separate processes (`pq serve`, `pq connect`):
// TLS with the server's key pinned unless plaintext is asked for by name.
// `importOnnx` turns an ONNX model into a .pq program and its params (docs/ONNX.md).
import { compileFile } from "../compiler/lower.js";
import type { Graph, Program } from "../compiler/ir.js";
import { runPipeline } from "../compiler/passes/pipeline.js";
import { forecast, type Backend, type Forecast } from "../compiler/cost/model.js";
import { diag, formatDiagnostic, PqError, type Diagnostic } from "../grammar/diagnostics.js";
import { inputFromJson, loadInput } from "../interpreter/inputs.js";
import { runPlain as plainBackend } from "../interpreter/plain/run.js";
import { tensorFromBigints, toBigints, type Tensor } from "../interpreter/plain/tensor.js";
import type { ProviderSpec } from "../interpreter/providers/provider.js";
import { runTwoParty as twoPartyBackend, type TwoPartyResult } from "../interpreter/twopc/session.js";
import { X509Certificate } from "node:crypto";
import { keyFingerprint, parsePin, selfSigned } from "../interpreter/twopc/tls.js";
import type { MeterRow } from "../interpreter/twopc/meter.js";
import type { SessionLog } from "../interpreter/twopc/server.js";
import { importOnnx, type ImportOptions, type ImportResult } from "../import/index.js";

export type { Backend, Diagnostic, Forecast, ImportOptions, ImportResult, MeterRow, Program, ProviderSpec, SessionLog, Tensor, TwoPartyResult };
export { formatDiagnostic, importOnnx, PqError, tensorFromBigints, toBigints };

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

/**
 * A model input's value: integers (nested arrays or flat, row-major), reals (`{ real }`, nested
 * or flat, quantized by the input's scale and zero point as `--input` reads `{"real": ..}`), or
 * a file (JSON tensor or PNG) as `--input` reads it.
 */
export type InputValue = readonly (number | bigint)[] | { real: readonly unknown[] } | { file: string } | Tensor;

function inputTensors(g: Graph, inputs: Record<string, InputValue>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const declared = g.nodes.filter((n) => n.op === "input");
  for (const n of declared) {
    const name = n.attrs.name as string;
    const v = inputs[name];
    if (v === undefined) throw new PqError(diag("PQ4014", { count: declared.length }));
    if ("file" in v) out.set(name, loadInput(v.file, name, n.type, n.attrs));
    else if ("real" in v) out.set(name, inputFromJson(Array.isArray(v.real[0]) ? { real: v.real } : { shape: n.type.shape, real: v.real }, `input ${name}`, name, n.type, n.attrs));
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
  const values = inputTensors(program.graph, inputs);
  if (opts.backend === "plain") return { outputs: plainBackend(program.graph, values).outputs.map(toBigints) };
  const r = await twoPartyBackend(program.graph, program.ranges, values, { provider: opts.provider ?? { kind: "ot" } });
  return { outputs: r.outputs.map(toBigints), twoParty: r };
}

/** The plaintext backend, the reference semantics: `run` with `backend: "plain"`. */
export function runPlain(program: Program, inputs: Record<string, InputValue>): Promise<RunResult> {
  return run(program, inputs, { backend: "plain" });
}

/** Both parties in this process: `run` with `backend: "2pc"` (OT correlations unless `provider` names others). */
export function runTwoParty(program: Program, inputs: Record<string, InputValue>, provider?: ProviderSpec): Promise<RunResult> {
  return run(program, inputs, { backend: "2pc", ...(provider ? { provider } : {}) });
}

/** The compile-time forecast of a two-party run, per layer and primitive (`pq cost`). */
export function cost(program: Program, backend: Backend = "ot"): Forecast {
  return forecast(program, backend);
}

/** A key pair and self-signed certificate for TLS between the parties (`pq keygen`), and the fingerprint peers pin. */
export function keygen(commonName = "pq"): { cert: string; key: string; fingerprint: string } {
  const id = selfSigned(commonName);
  return { ...id, fingerprint: keyFingerprint(new X509Certificate(id.cert)) };
}

export interface ServeOptions {
  /** The server's TLS identity (PEM, e.g. from `keygen`), and the client keys it accepts (none: any client). Required unless `insecurePlaintext`. */
  tls?: { cert: string; key: string; clientPins?: string[] };
  /** INSECURE: plaintext TCP, no TLS (both parties must choose it). Loopback tests only. */
  insecurePlaintext?: boolean;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (read it from the result). */
  port?: number;
  /** `ot` (default) or `he` (the products with server weights by HE under each client's keys, where that moves fewer bytes): both private. */
  correlations?: "ot" | "he";
  /** INSECURE: a simulated dealer whose seed goes to the client (replaces `correlations`). Tests and benchmarks only. */
  insecureDealer?: boolean;
  /** Sessions at once (default: the number of cores). */
  maxSessions?: number;
  /** Per message, handshake and whole session (defaults as `pq serve`: 30 s, 10 s, 10 min). */
  timeoutMs?: number;
  handshakeMs?: number;
  sessionMs?: number;
  /** Serve this many sessions, then stop. */
  limit?: number;
  /** One record per session, as `pq serve --log-json` prints it. */
  onSession?: (log: SessionLog) => void;
}

export interface PqServer {
  port: number;
  /** SHA-256 of the program as clients receive it (their `expectModel`). */
  modelHash: string;
  /** The TLS key's fingerprint clients pin (absent for plaintext). */
  fingerprint?: string;
  /** Stop accepting; resolves when live sessions have ended. */
  stop(): Promise<void>;
  /** Resolves when the server has stopped (stop(), or `limit` sessions served). */
  done: Promise<void>;
}

/** Serve a compiled program to two-party clients, as `pq serve` does (interpreter/twopc/server.ts). */
export async function serve(program: Program, opts: ServeOptions): Promise<PqServer> {
  if (!opts.tls === !opts.insecurePlaintext) throw new TypeError("serve needs exactly one of tls: { cert, key } and insecurePlaintext: true");
  const { serveable } = await import("../interpreter/twopc/remote.js");
  const { SessionServer } = await import("../interpreter/twopc/server.js");
  const { cpus } = await import("node:os");
  if (opts.insecureDealer && opts.correlations !== undefined) throw new TypeError("serve: insecureDealer replaces correlations; drop one");
  const served = serveable(program, opts.insecureDealer ? "dealer" : opts.correlations ?? "ot");
  const tls = opts.tls ? { identity: { cert: opts.tls.cert, key: opts.tls.key }, pins: (opts.tls.clientPins ?? []).map(pin) } : undefined;
  const server = await SessionServer.start(served, {
    host: opts.host ?? "127.0.0.1", port: opts.port ?? 0, maxSessions: opts.maxSessions ?? Math.max(1, cpus().length),
    handshakeMs: opts.handshakeMs ?? 10_000, timeoutMs: opts.timeoutMs ?? 30_000, sessionMs: opts.sessionMs ?? 600_000,
    ...(tls ? { tls } : {}), ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    onSession: opts.onSession ?? (() => undefined),
  });
  return {
    port: server.port, modelHash: served.hash, done: server.done, stop: () => server.drain(),
    ...(opts.tls ? { fingerprint: keyFingerprint(new X509Certificate(opts.tls.cert)) } : {}),
  };
}

function pin(text: string): string {
  const p = parsePin(text);
  if (p === undefined) throw new TypeError(`not a SHA-256 fingerprint (64 hex digits, a sha256: prefix allowed): '${text}'`);
  return p;
}

export interface ConnectOptions {
  /** The server's key fingerprint(s) (`keygen`, `serve`): any other server is refused (PQ5009). Required unless `insecurePlaintext`. */
  serverFingerprint?: string | string[];
  insecurePlaintext?: boolean;
  /** This client's identity, for servers that pin their clients. */
  identity?: { cert: string; key: string };
  /** Run only this program (its model hash); any other is refused (PQ5011). */
  expectModel?: string;
  /** INSECURE: accept a server that runs the dealer (else PQ5008). */
  insecureDealer?: boolean;
  timeoutMs?: number;
  /** How long to wait for the program while the server is busy (default 120 s). */
  waitMs?: number;
}

export interface ConnectResult {
  model: string;
  /** The model hash of the program the server sent. */
  modelHash: string;
  correlations: "ot" | "he" | "dealer";
  outputs: bigint[][];
  /** This party's meter: bytes and rounds per layer and primitive. */
  meter: MeterRow[];
}

/** Be the client of a two-party run with a server (`pq connect`): the inputs stay here, the outputs are learnt here. */
export async function connect(host: string, port: number, inputs: Record<string, InputValue>, opts: ConnectOptions): Promise<ConnectResult> {
  const pins = (typeof opts.serverFingerprint === "string" ? [opts.serverFingerprint] : opts.serverFingerprint ?? []).map(pin);
  if ((pins.length > 0) === (opts.insecurePlaintext === true)) throw new TypeError("connect needs exactly one of serverFingerprint and insecurePlaintext: true");
  const { connectAndRun } = await import("../interpreter/twopc/remote.js");
  const r = await connectAndRun(host, port, (g) => inputTensors(g, inputs), {
    ...(pins.length > 0 ? { tls: { pins, ...(opts.identity ? { identity: opts.identity } : {}) } } : {}),
    ...(opts.expectModel !== undefined ? { expectModel: pin(opts.expectModel) } : {}),
    ...(opts.insecureDealer ? { insecureDealer: true } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.waitMs !== undefined ? { waitMs: opts.waitMs } : {}),
  });
  return { model: r.graph.name, modelHash: r.model, correlations: r.correlations, outputs: r.outputs!.map(toBigints), meter: r.meter };
}
