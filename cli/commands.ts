// The commands of `pq`. Each one reads its arguments, calls the library, and prints.
import { printGraph } from "../compiler/print.js";
import type { Graph } from "../compiler/ir.js";
import type { Interval } from "../compiler/ir.js";
import { formatType, signedWidthFor, unsignedWidthFor } from "../compiler/types.js";
import { loadProgram } from "../compiler/modules.js";
import { checkLibrary } from "../compiler/library.js";
import { compileFile } from "../compiler/lower.js";
import { BACKENDS } from "../compiler/cost/formulas.js";
import { inputPaths, readInputs } from "../interpreter/inputs.js";
import type { Tensor } from "../interpreter/plain/tensor.js";
import { compileWithPipeline, isSeed, printDiagnostics, UsageError, type Io } from "./common.js";
import { diag, PqError, type Diagnostic } from "../grammar/diagnostics.js";
import type { Program } from "../compiler/ir.js";
import type { ProviderSpec } from "../interpreter/providers/provider.js";
import { buildReport, outputLines, partyTable, plainRun, reportTable } from "./report.js";
import { fileInputs, outputRecords, readLabels, resultJson, type Envelope } from "./result.js";
import { declaredTypes, layerOrder, layersOf } from "../compiler/layers.js";
import { layerProgress } from "./progress.js";
import { plainJob } from "./repl/backends.js";
import { table } from "./table.js";

export interface OptionSpec {
  type: "string" | "boolean";
  help: string;
  valueName?: string;
  default?: string;
  multiple?: boolean;
  /** A one-letter alias (`-o`). */
  short?: string;
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  name: string;
  usage: string;
  summary: string;
  description?: string;
  options: Record<string, OptionSpec>;
  run(positionals: string[], values: Values, io: Io): Promise<number>;
}

function oneFile(cmd: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(cmd, positionals.length === 0 ? "expected FILE.pq" : `expected one FILE.pq, got ${positionals.length} arguments`);
  return positionals[0]!;
}

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** Said on stderr by every command that runs the dealer. */
const DEALER_WARNING =
  "pq: WARNING: INSECURE dealer (--correlations dealer, --insecure-dealer): a trusted dealer simulated inside both parties from one seed, " +
  "so each party could recompute the other's secrets. For tests and benchmarks only; the default, OT, is private.";

function choice<T extends string>(cmd: string, values: Values, name: string, allowed: readonly T[], dflt: T): T {
  const v = str(values, name) ?? dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(cmd, `--${name} must be one of ${allowed.join(", ")}, got '${v}'`);
  return v as T;
}

const modelOption: OptionSpec = { type: "string", valueName: "NAME", help: "the model to use when the file declares several" };
const pipelineOptions: Record<string, OptionSpec> = {
  pipeline: { type: "string", valueName: "NAME", help: "pass pipeline: pq (all exact optimisations), sirnn (the baseline), none, reweight (pq with EQO's bit re-weighting: the client learns the positions of outlier weights), eqo (APPROXIMATE: quantized Winograd filters, docs/PASSES.md)", default: "pq" },
  disable: { type: "string", valueName: "PASS", help: "skip a pass of the pipeline (repeatable)", multiple: true },
  budget: { type: "string", valueName: "BYTES", help: "eqo: extra forecast online bytes (both parties; suffix KB, MB, GB, KiB, MiB or GiB allowed) to spend on wider quantized Winograd filters where they cut the error bound most (mixed precision)" },
  verbose: { type: "boolean", help: "say what every pass of the pipeline did and why (by default one line counts the passes that did not apply)" },
};

const UNITS: Record<string, number> = { "": 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 };

/** `--budget`: a number of bytes, optionally with a unit (KB, MB, GB are powers of 10; KiB, MiB, GiB of 2). */
function budgetOption(cmd: string, values: Values): number | undefined {
  const b = str(values, "budget");
  if (b === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$/.exec(b);
  if (!m) throw new UsageError(cmd, `--budget must be a number of bytes, optionally with KB, MB, GB, KiB, MiB or GiB (e.g. 20MB), got '${b}'`);
  return Number(m[1]) * UNITS[m[2] ?? ""]!;
}

function pipelineArgs(values: Values, cmd = "pq"): { pipeline: string; disable: string[]; budget?: number; verbose: boolean } {
  const out: { pipeline: string; disable: string[]; budget?: number; verbose: boolean } = {
    pipeline: str(values, "pipeline") ?? "pq", disable: (values.disable as string[] | undefined) ?? [], verbose: values.verbose === true,
  };
  const budget = budgetOption(cmd, values);
  if (budget !== undefined) out.budget = budget;
  return out;
}

function fmtRange(r: Interval): string {
  return `[${r.lo}, ${r.hi}]`;
}

/** Minimal width of an interval: signed when it holds negatives. */
function minimalWidth(r: Interval): string {
  return r.lo < 0n ? `i${signedWidthFor(r.lo, r.hi)}` : `u${unsignedWidthFor(r.hi)}`;
}

/** The per-layer range report of `pq check` (Concrete ML's habit: read it before trusting a model). */
export function rangeReport(g: Graph, ranges: Interval[]): string {
  const rows = g.nodes
    .filter((n) => n.op !== "param" && n.op !== "const")
    .map((n) => [n.origin.path, n.op, formatType(n.type), fmtRange(ranges[n.id]!), minimalWidth(ranges[n.id]!)]);
  return table(["layer", "op", "type", "values", "min width"], rows) +
    "\nvalues: the interval every element lies in (range analysis); min width: the narrowest type holding it.";
}

const diagKey = (d: Diagnostic) => `${d.code}@${d.span?.file}:${d.span?.line}:${d.span?.col}`;

const check: Command = {
  name: "check",
  usage: "FILE.pq [--model NAME]",
  summary: "parse, type-check and range-check a program; print the per-layer range report",
  options: { model: modelOption, quiet: { type: "boolean", help: "print diagnostics only, no report" } },
  async run(pos, values, io) {
    const file = oneFile("check", pos);
    const model = str(values, "model");
    const result = compileFile(file, model !== undefined ? { model } : {});
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (model === undefined && errors.length === 1 && errors[0]!.code === "PQ2011") {
      // A library (blocks and protocols, no model): checked as far as it can be without a model.
      const lib = checkLibrary(result.loaded);
      printDiagnostics(io, [...result.diagnostics.filter((d) => d !== errors[0]), ...lib.diagnostics], result.sources);
      if (lib.diagnostics.some((d) => d.severity === "error")) return 1;
      const listed = (what: string, names: string[]) => `${names.length} ${what}${names.length > 0 ? ` (${names.join(", ")})` : ""}`;
      io.out(`${file}: ok: a library of ${listed("blocks", lib.blocks)} and ${listed("protocols", lib.protocols)}; names and widths checked, types, shapes and ranges are checked in a model that uses them`);
      return 0;
    }
    // The model's lowering checks what it instantiates; the library check also reaches the
    // entry file's blocks and protocols the model does not use (said once where both report).
    const seen = new Set(result.diagnostics.map(diagKey));
    const unused = checkLibrary(result.loaded).diagnostics.filter((d) => d.span?.file === result.loaded.entry.path && !seen.has(diagKey(d)));
    printDiagnostics(io, [...result.diagnostics, ...unused], result.sources);
    const program = result.program;
    if (!program || unused.some((d) => d.severity === "error")) return 1;
    if (!values.quiet) io.out(rangeReport(program.graph, program.ranges));
    io.out(`${file}: ok (${program.graph.nodes.length} nodes)`);
    return 0;
  },
};

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

const compile: Command = {
  name: "compile",
  usage: "FILE.pq [--emit ast|ir|lowered] [--pipeline NAME] [--disable PASS] [--emit-after PASS] [--model NAME]",
  summary: "print the program: its AST (JSON), its IR with layer ops, or lowered with std/protocols (as .pq)",
  options: {
    emit: { type: "string", valueName: "ast|ir|lowered", help: "what to print: the AST, the IR of layers, or the IR both backends run (layers replaced by their std/protocols implementations, then the pipeline's passes)", default: "lowered" },
    "emit-after": { type: "string", valueName: "PASS", help: "print the program right after this pass of the pipeline" },
    ...pipelineOptions,
    model: modelOption,
  },
  async run(pos, values, io) {
    const file = oneFile("compile", pos);
    const emit = choice("compile", values, "emit", ["ast", "ir", "lowered"], "lowered");
    if (emit === "ast") {
      const loaded = loadProgram(file);
      printDiagnostics(io, loaded.diagnostics, loaded.sources);
      if (loaded.diagnostics.some((d) => d.severity === "error")) return 1;
      io.out(JSON.stringify(loaded.entry, jsonReplacer, 2));
      return 0;
    }
    const model = str(values, "model");
    const stopAfter = str(values, "emit-after");
    const compiled = compileWithPipeline(io, file, {
      ...pipelineArgs(values, "compile"), ...(model !== undefined ? { model } : {}), ...(stopAfter !== undefined ? { stopAfter } : {}),
      // The layer-level IR is shown before any pass; passes work on the lowered program.
      ...(emit === "ir" ? { pipeline: "none", protocols: false } : {}),
    });
    if (!compiled) return 1;
    io.out(printGraph(compiled.program.graph));
    return 0;
  },
};


const labelsOption: OptionSpec = { type: "string", valueName: "FILE", help: "class names, one per line in class order: report the label an output names" };

const run: Command = {
  name: "run",
  usage: "FILE.pq --input IN [--backend plain|2pc] [--correlations ot|he|dealer] [--seed S] [--labels FILE] [--json]",
  summary: "run a model on an input; print the output and a per-layer table",
  description: "IN is a JSON tensor ({\"shape\", \"data\"} or nested arrays of integers, or {\"real\": ..} of reals quantized by the input's scale) or a PNG image; give NAME=IN per input for models with several inputs.",
  options: {
    input: { type: "string", valueName: "IN", help: "input file (repeat as NAME=FILE for several inputs)", multiple: true },
    backend: { type: "string", valueName: "plain|2pc", help: "plaintext reference, or client and server over secret shares (both in this process)", default: "plain" },
    correlations: { type: "string", valueName: "ot|he|dealer", help: "correlated randomness for 2pc: ot (oblivious transfer between the parties, no third party: private), he (ot, with the products by server weights by homomorphic encryption: private), or dealer (a simulated trusted dealer: INSECURE, for tests and benchmarks)", default: "ot" },
    seed: { type: "string", valueName: "S", help: "seed of the dealer's randomness (2pc with --correlations dealer)" },
    labels: labelsOption,
    ...pipelineOptions,
    json: { type: "boolean", help: "print a machine-readable result (format pq-result/1, docs/REPORT.md) instead of tables" },
    model: modelOption,
  },
  async run(pos, values, io) {
    const file = oneFile("run", pos);
    const backend = choice("run", values, "backend", ["plain", "2pc"], "plain");
    const correlations = choice("run", values, "correlations", ["ot", "he", "dealer"] as const, "ot");
    const seed = str(values, "seed");
    if (seed !== undefined && correlations !== "dealer") throw new UsageError("run", "--seed sets the dealer's randomness: it needs --correlations dealer");
    if (seed !== undefined && !isSeed(seed)) throw new UsageError("run", `--seed must be a non-negative integer, got '${seed}'`);
    const specs = (values.input as string[] | undefined) ?? [];
    if (specs.length === 0) throw new UsageError("run", "--input IN is required");
    const model = str(values, "model");
    // The passes optimise for the correlations that will run (orientation, Winograd, conversions).
    const target = backend === "2pc" ? correlations : "dealer";
    const args = pipelineArgs(values, "run");
    const compiled = compileWithPipeline(io, file, { ...args, target, ...(model !== undefined ? { model } : {}) });
    if (!compiled) return 1;
    const { program } = compiled;
    const g = program.graph;
    const paths = inputPaths(g, specs);
    const inputs = readInputs(g, specs);
    const labelsFile = str(values, "labels");
    const labels = labelsFile === undefined ? undefined : readLabels(labelsFile, g);
    const envelope = (seedUsed: string | null): Envelope => ({
      command: "run", file, model: g.name, pipeline: args.pipeline, disabled: args.disable, backend, correlations: backend === "2pc" ? correlations : null, seed: seedUsed, inputs: fileInputs(paths),
    });
    if (backend === "2pc") {
      if (correlations === "dealer") io.err(DEALER_WARNING);
      const provider: ProviderSpec = correlations === "dealer" ? { kind: "dealer", seed: seed ?? "pq-default-seed" } : { kind: correlations };
      return runTwoPartyCommand(program, inputs, provider, { json: values.json === true, envelope: envelope(provider.kind === "dealer" ? provider.seed : null), ...(labels ? { labels } : {}) }, io);
    }
    const progress = layerProgress(layersOf(g).map((l) => l.path));
    const r = plainJob(g, inputs, [], progress.layer);
    progress.done();
    const run = plainRun(g, declaredTypes(compiled.lowered.graph), r, labels);
    io.out(values.json ? resultJson(envelope(null), run.json) : run.text);
    return 0;
  },
};

async function runTwoPartyCommand(
  program: Program, inputs: Map<string, Tensor>, provider: ProviderSpec, opts: { json: boolean; envelope: Envelope; labels?: readonly string[] }, io: Io,
): Promise<number> {
  const g = program.graph;
  const progress = layerProgress(layerOrder(g).map((l) => l.layer));
  // Loaded on demand: plaintext commands do not pay for the protocol modules.
  const { runTwoParty } = await import("../interpreter/twopc/session.js");
  // The compiled CLI runs the server party on its own thread: two cores, as a deployment
  // (interpreter/twopc/threads.ts). (Its tests run it from the sources, on one thread.)
  const r = await runTwoParty(g, program.ranges, inputs, { provider, onLayer: progress.layer, threads: !import.meta.url.endsWith(".ts") });
  progress.done();
  const rep = buildReport(g, r, opts.labels);
  // The forecast and the measurement use the same units: say where they differ by more than 5%.
  // The three providers are priced to the byte (compiler/cost/dealer.ts, ot-provider.ts, he-sizes.ts).
  if (r.correlations === "dealer" || r.correlations === "ot" || r.correlations === "he") {
    for (const w of (await import("../compiler/cost/compare.js")).forecastWarnings(program, rep, r.correlations)) io.err(w);
  }
  if (opts.json) {
    io.out(resultJson(opts.envelope, rep));
    return 0;
  }
  io.out(outputLines(g, r.outputs, opts.labels));
  io.out(reportTable(rep));
  return 0;
}

/** Said on stderr by both parties when they talk plaintext TCP. */
const PLAINTEXT_WARNING =
  "pq: WARNING: INSECURE plaintext TCP (--insecure-plaintext): no encryption and no authentication between the parties; anyone on the path " +
  "can read the masked traffic, the program and the output's shares, or impersonate either party. For loopback tests only; the default is TLS with a pinned key.";

/** A whole number of at least `min` from --NAME, or the default. */
function intOption(cmd: string, values: Values, name: string, dflt: number, min = 1): number {
  const text = str(values, name);
  if (text === undefined) return dflt;
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min) throw new UsageError(cmd, `--${name} must be a whole number${min > 0 ? ` ≥ ${min}` : ""}, got '${text}'`);
  return v;
}

/** The pins given by a repeatable --NAME flag, each a SHA-256 fingerprint. */
async function pinsOption(cmd: string, values: Values, name: string): Promise<string[]> {
  const { parsePin } = await import("../interpreter/twopc/tls.js");
  return ((values[name] as string[] | undefined) ?? []).map((p) => {
    const pin = parsePin(p);
    if (pin === undefined) throw new UsageError(cmd, `--${name} must be a SHA-256 fingerprint (64 hex digits, colons and a sha256: prefix allowed), got '${p}'`);
    return pin;
  });
}

/** --cert and --key, both or neither. */
async function identityOption(cmd: string, values: Values): Promise<{ cert: string; key: string; fingerprint: string } | undefined> {
  const cert = str(values, "cert");
  const key = str(values, "key");
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new UsageError(cmd, "--cert and --key go together");
  const { readIdentity } = await import("../interpreter/twopc/tls.js");
  return readIdentity(cert, key);
}

const identityOptions: Record<string, OptionSpec> = {
  cert: { type: "string", valueName: "FILE", help: "this party's certificate (PEM), e.g. from `pq keygen`" },
  key: { type: "string", valueName: "FILE", help: "this party's private key (PEM) for --cert" },
  "insecure-plaintext": { type: "boolean", help: "INSECURE: plaintext TCP, no TLS and no authentication; both parties must pass it. Loopback tests only" },
  timeout: { type: "string", valueName: "MS", help: "give up when the peer sends nothing for this long during a run (PQ5003)", default: "30000" },
};

const serve: Command = {
  name: "serve",
  usage: "FILE.pq (--cert FILE --key FILE | --insecure-plaintext) [--port P] [--host H] [--max-sessions N] [--timeout MS] [--health-port P] [--once] [--pipeline NAME] [--correlations ot|he] [--insecure-dealer]",
  summary: "be the server of two-party runs over TLS: hold the parameters, answer clients (`pq connect`)",
  description: "The server compiles the model with its parameters (the pipeline of `pq run`), sends each client the program without parameter values (and without their exact ranges), and runs its role. " +
    "Clients pin the server's key (--server-fingerprint, printed at start) and may pin the model (--expect-model, printed at start and by --model-hash). " +
    "Up to --max-sessions clients are served at once, each in its own worker thread; further connections wait unread. One log line per session on stdout. " +
    "SIGTERM or SIGINT: live sessions finish, new ones are refused. Correlated randomness comes from oblivious transfer between the two parties (semi-honest security, docs/REPORT.md), " +
    "with --correlations he the products with server weights by homomorphic encryption under each client's own keys where that moves fewer bytes; operators' guide: docs/DEPLOY.md.",
  options: {
    port: { type: "string", valueName: "P", help: "TCP port (0 = any free port)", default: "7460" },
    host: { type: "string", valueName: "H", help: "address to listen on", default: "127.0.0.1" },
    ...identityOptions,
    "client-fingerprint": { type: "string", valueName: "FP", help: "accept only clients presenting a certificate with this SHA-256 key fingerprint (repeatable; client authentication)", multiple: true },
    "max-sessions": { type: "string", valueName: "N", help: "sessions served at once, each in its own worker thread (default: the number of cores)" },
    "max-pending": { type: "string", valueName: "N", help: "connections waiting unread for a session; more are closed at once", default: "128" },
    "handshake-timeout": { type: "string", valueName: "MS", help: "a session's TLS handshake and program handshake must be done within this", default: "10000" },
    "session-timeout": { type: "string", valueName: "MS", help: "a whole session must end within this", default: "600000" },
    "health-port": { type: "string", valueName: "P", help: "answer GET /healthz over plain HTTP on this port (same --host): 200 and {live, max, pending, draining}, 503 while draining after SIGTERM (for HAProxy's httpchk and Kubernetes probes; 0 = any free port)" },
    once: { type: "boolean", help: "serve one client, then exit (exit code 1 if its session failed)" },
    "log-json": { type: "boolean", help: "print each session's log line as JSON" },
    "model-hash": { type: "boolean", help: "print the hash of the program clients will receive (for their --expect-model) and exit" },
    correlations: { type: "string", valueName: "ot|he", help: "ot (oblivious transfer between the parties) or he (ot, with the products by server weights by homomorphic encryption where it moves fewer bytes); both private", default: "ot" },
    "insecure-dealer": { type: "boolean", help: "INSECURE: run a simulated dealer whose seed is sent to the client (either party can recompute the other's secrets); clients must accept it with their own --insecure-dealer. Tests and benchmarks only" },
    ...pipelineOptions,
    model: modelOption,
  },
  async run(pos, values, io) {
    const file = oneFile("serve", pos);
    const port = intOption("serve", values, "port", 7460, 0);
    if (port > 65535) throw new UsageError("serve", `--port must be 0..65535, got '${str(values, "port")}'`);
    const host = str(values, "host") ?? "127.0.0.1";
    const healthPort = str(values, "health-port") === undefined ? undefined : intOption("serve", values, "health-port", 0, 0);
    if (healthPort !== undefined && healthPort > 65535) throw new UsageError("serve", `--health-port must be 0..65535, got '${str(values, "health-port")}'`);
    const { cpus } = await import("node:os");
    const limits = {
      maxSessions: intOption("serve", values, "max-sessions", Math.max(1, cpus().length)),
      maxPending: intOption("serve", values, "max-pending", 128, 0),
      handshakeMs: intOption("serve", values, "handshake-timeout", 10_000),
      timeoutMs: intOption("serve", values, "timeout", 30_000),
      sessionMs: intOption("serve", values, "session-timeout", 600_000),
    };
    const plaintext = values["insecure-plaintext"] === true;
    const identity = await identityOption("serve", values);
    const clientPins = await pinsOption("serve", values, "client-fingerprint");
    if (!values["model-hash"]) {
      if (plaintext && (identity || clientPins.length > 0)) throw new UsageError("serve", "--insecure-plaintext has no TLS: drop --cert, --key and --client-fingerprint");
      if (!plaintext && !identity) throw new UsageError("serve", "TLS needs --cert FILE --key FILE (make them with `pq keygen --out DIR`); plaintext TCP needs --insecure-plaintext");
    }
    const insecureDealer = values["insecure-dealer"] === true;
    const chosen = choice("serve", values, "correlations", ["ot", "he"] as const, "ot");
    if (insecureDealer && str(values, "correlations") !== undefined) throw new UsageError("serve", "--insecure-dealer replaces the correlations: drop --correlations");
    const correlations = insecureDealer ? "dealer" : chosen;
    // The program the clients run is the one `pq run` would run: the pipeline's passes, for these correlations.
    const model = str(values, "model");
    const program = compileWithPipeline(io, file, { ...pipelineArgs(values, "serve"), target: correlations, ...(model !== undefined ? { model } : {}) })?.program;
    if (!program) return 1;
    const { serveable } = await import("../interpreter/twopc/remote.js");
    const served = serveable(program, correlations);
    if (values["model-hash"]) {
      io.out(`sha256:${served.hash}`);
      return 0;
    }
    if (insecureDealer) io.err(DEALER_WARNING);
    if (plaintext) io.err(PLAINTEXT_WARNING);
    const { SessionServer } = await import("../interpreter/twopc/server.js");
    let failed = 0;
    const server = await SessionServer.start(served, {
      host, port, ...limits, ...(identity ? { tls: { identity, pins: clientPins } } : {}), ...(values.once ? { limit: 1 } : {}),
      onSession(s) {
        if (s.outcome !== "ok") failed++;
        io.out(values["log-json"] ? JSON.stringify({ time: new Date().toISOString(), ...s }) : sessionLine(s));
      },
    });
    const security = identity ? `TLS, key sha256:${identity.fingerprint}${clientPins.length > 0 ? `, ${clientPins.length} client key(s) pinned` : ""}` : "plaintext, INSECURE";
    const probe = healthPort === undefined ? undefined : await (await import("../interpreter/twopc/health.js")).healthProbe(healthPort, host, () => server.health()).catch(async (e: unknown) => {
      await server.drain();
      throw e;
    });
    io.out(`pq serve: ${program.graph.name} listening on ${host}:${server.port} (${security}; model sha256:${served.hash}; correlations: ${insecureDealer ? "dealer, INSECURE" : correlations}; up to ${limits.maxSessions} sessions)`);
    if (probe) io.out(`pq serve: health probe on http://${host}:${probe.port}/healthz`);
    const stop = () => {
      io.err(`pq serve: stopping: ${server.active} live session(s) finish, new connections are refused`);
      void server.drain();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    try {
      await server.done;
    } finally {
      probe?.close();
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
    }
    return values.once && failed > 0 ? 1 : 0;
  },
};

/** `client 127.0.0.1:5 model 1a2b3c4d5e6f ok 2.1 MiB sent 3.0 MiB received 84 rounds 950 ms` (and the error's message when not ok). */
function sessionLine(s: import("../interpreter/twopc/server.js").SessionLog): string {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  return `pq serve: session ${s.client} model ${s.model.slice(0, 12)} ${s.outcome} ${mib(s.sent)} sent ${mib(s.recv)} received ${s.rounds} rounds ${s.ms} ms${s.detail !== undefined ? `: ${s.detail}` : ""}`;
}

const connectCmd: Command = {
  name: "connect",
  usage: "HOST:PORT --input IN (--server-fingerprint FP | --insecure-plaintext) [--expect-model HASH] [--cert FILE --key FILE] [--labels FILE] [--json] [--insecure-dealer]",
  summary: "be the client of a two-party run over TLS: hold the input, learn the output",
  options: {
    input: { type: "string", valueName: "IN", help: "input file (JSON tensor or PNG), or NAME=FILE per input", multiple: true },
    "server-fingerprint": { type: "string", valueName: "FP", help: "the SHA-256 fingerprint of the server's key (`pq serve` prints it); any other server is refused (PQ5009) before a protocol byte (repeatable: any of them)", multiple: true },
    "expect-model": { type: "string", valueName: "HASH", help: "run only this program (its hash, printed by `pq serve`); any other is refused (PQ5011)" },
    ...identityOptions,
    wait: { type: "string", valueName: "MS", help: "how long to wait for the program while the server is busy with other clients", default: "120000" },
    labels: labelsOption,
    json: { type: "boolean", help: "print a machine-readable result (format pq-result/1, docs/REPORT.md)" },
    "insecure-dealer": { type: "boolean", help: "INSECURE: accept a server started with --insecure-dealer (its seed lets either party recompute the other's secrets). Without it such a server is refused (PQ5008). Tests and benchmarks only" },
  },
  async run(pos, values, io) {
    if (pos.length !== 1) throw new UsageError("connect", "expected HOST:PORT");
    const m = /^(.+):(\d+)$/.exec(pos[0]!);
    if (!m || Number(m[2]) > 65535) throw new UsageError("connect", `expected HOST:PORT with a port in 1..65535, got '${pos[0]}'`);
    const specs = (values.input as string[] | undefined) ?? [];
    if (specs.length === 0) throw new UsageError("connect", "--input IN is required");
    const plaintext = values["insecure-plaintext"] === true;
    const pins = await pinsOption("connect", values, "server-fingerprint");
    const identity = await identityOption("connect", values);
    if (plaintext && (pins.length > 0 || identity)) throw new UsageError("connect", "--insecure-plaintext has no TLS: drop --server-fingerprint, --cert and --key");
    if (!plaintext && pins.length === 0) throw new UsageError("connect", "TLS needs --server-fingerprint FP (the server's `pq serve` prints it); plaintext TCP needs --insecure-plaintext");
    const expect = str(values, "expect-model");
    const expectModel = expect === undefined ? undefined : (await import("../interpreter/twopc/tls.js")).parsePin(expect);
    if (expect !== undefined && expectModel === undefined) throw new UsageError("connect", `--expect-model must be a SHA-256 hash (64 hex digits, sha256: prefix allowed), got '${expect}'`);
    const timeoutMs = intOption("connect", values, "timeout", 30_000);
    const waitMs = intOption("connect", values, "wait", 120_000);
    if (plaintext) io.err(PLAINTEXT_WARNING);
    const { connectAndRun } = await import("../interpreter/twopc/remote.js");
    const insecureDealer = values["insecure-dealer"] === true;
    // The layers are known once the server has sent the program (the inputs are read then too).
    let progress: ReturnType<typeof layerProgress> | undefined;
    let paths = new Map<string, string>();
    let labels: string[] | undefined;
    const labelsFile = str(values, "labels");
    const inputsFor = (g: Graph) => {
      progress = layerProgress(layerOrder(g).map((l) => l.layer));
      paths = inputPaths(g, specs);
      if (labelsFile !== undefined) labels = readLabels(labelsFile, g);
      return readInputs(g, specs);
    };
    const r = await connectAndRun(m[1]!, Number(m[2]), inputsFor, {
      insecureDealer, timeoutMs, waitMs, onNode: (n) => progress?.layer(n.origin.path),
      ...(plaintext ? {} : { tls: { pins, ...(identity ? { identity } : {}) } }), ...(expectModel !== undefined ? { expectModel } : {}),
    }).finally(() => progress?.done());
    if (r.correlations === "dealer") io.err(DEALER_WARNING);
    if (values.json) {
      const envelope: Envelope = { command: "connect", file: null, model: r.graph.name, pipeline: null, disabled: null, backend: "2pc", correlations: r.correlations, seed: null, inputs: fileInputs(paths) };
      const { totals } = await import("../interpreter/twopc/meter.js");
      io.out(resultJson(envelope, {
        modelHash: r.model, outputs: outputRecords(r.graph, r.outputs!, labels),
        primitives: r.meter.map((m) => ({ party: "client", ...m })),
        totals: { client: { online: totals(r.meter, "online"), offline: totals(r.meter, "offline") } },
      }));
      return 0;
    }
    io.out(outputLines(r.graph, r.outputs!, labels));
    io.out(partyTable(r.meter));
    return 0;
  },
};

const keygen: Command = {
  name: "keygen",
  usage: "--out DIR [--name CN] [--force]",
  summary: "make a key pair and self-signed certificate for TLS between the parties; print the fingerprint peers pin",
  description: "Writes DIR/cert.pem and DIR/key.pem (mode 0600): an ECDSA P-256 key and a self-signed X.509 certificate, made with node:crypto. Give them to `pq serve --cert --key` (or `pq connect --cert --key` for client authentication); the peer pins the printed fingerprint (--server-fingerprint, --client-fingerprint). docs/DEPLOY.md shows the openssl equivalent.",
  options: {
    out: { type: "string", valueName: "DIR", help: "directory to write cert.pem and key.pem to (created if missing)" },
    name: { type: "string", valueName: "CN", help: "the certificate's common name", default: "pq" },
    force: { type: "boolean", help: "overwrite existing files" },
  },
  async run(pos, values, io) {
    if (pos.length > 0) throw new UsageError("keygen", `unexpected argument '${pos[0]}'`);
    const dir = str(values, "out");
    if (dir === undefined) throw new UsageError("keygen", "--out DIR is required");
    const { selfSigned, readIdentity } = await import("../interpreter/twopc/tls.js");
    const { existsSync, mkdirSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const certPath = join(dir, "cert.pem");
    const keyPath = join(dir, "key.pem");
    const { diag, PqError } = await import("../grammar/diagnostics.js");
    for (const p of [certPath, keyPath]) {
      if (existsSync(p) && !values.force) throw new PqError(diag("PQ5013", { what: "output file", path: p, reason: "it exists (--force overwrites it)" }));
    }
    const id = selfSigned(str(values, "name") ?? "pq");
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(keyPath, id.key, { mode: 0o600 });
      writeFileSync(certPath, id.cert);
    } catch (e) {
      throw new PqError(diag("PQ5013", { what: "output directory", path: dir, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
    }
    io.out(`${certPath}\n${keyPath}\nfingerprint sha256:${readIdentity(certPath, keyPath).fingerprint}`);
    return 0;
  },
};

const evalCmd: Command = {
  name: "eval",
  usage: "FILE.pq [--dataset DIR|FILE] [--backend plain|2pc] [--correlations ot|he|dealer] [--labels FILE] [--limit N] [--json]",
  summary: "accuracy of a model over a labelled dataset (by default the MNIST test split: examples/mnist/README.md)",
  description: "A dataset is a directory with one folder per label (DIR/<label>/*.png or *.json tensors) or a JSON array / NDJSON file of {\"input\": TENSOR or \"FILE\", \"label\": LABEL} records. " +
    "Labels are class indices, or names listed in --labels. --limit takes the first N samples, one class after the other. Under 2pc each image also runs on the plaintext backend and the predictions must agree (exit 1 if any differs).",
  options: {
    dataset: { type: "string", valueName: "DIR|FILE", help: "the labelled samples (default: the MNIST test split of the `mnist` package)" },
    backend: { type: "string", valueName: "plain|2pc", help: "plaintext reference, or client and server over secret shares (both in this process)", default: "plain" },
    correlations: { type: "string", valueName: "ot|he|dealer", help: "correlated randomness for 2pc, as for pq run", default: "ot" },
    labels: labelsOption,
    limit: { type: "string", valueName: "N", help: "evaluate only the first N samples" },
    ...pipelineOptions,
    json: { type: "boolean", help: "print a machine-readable result (format pq-result/1, docs/REPORT.md)" },
    model: modelOption,
  },
  async run(pos, values, io) {
    const file = oneFile("eval", pos);
    const limitText = str(values, "limit");
    const limit = limitText === undefined ? Infinity : Number(limitText);
    if (!(Number.isInteger(limit) && limit > 0) && limit !== Infinity) throw new UsageError("eval", `--limit must be a positive integer, got '${limitText}'`);
    const backend = choice("eval", values, "backend", ["plain", "2pc"], "plain");
    const correlations = choice("eval", values, "correlations", ["ot", "he", "dealer"] as const, "ot");
    const model = str(values, "model");
    const args = pipelineArgs(values, "eval");
    // The program `pq run` would run with these options (the passes optimise for its correlations).
    const target = backend === "2pc" ? correlations : "dealer";
    const program = compileWithPipeline(io, file, { ...args, target, ...(model !== undefined ? { model } : {}) })?.program;
    if (!program) return 1;
    if (backend === "2pc" && correlations === "dealer") io.err(DEALER_WARNING);
    const { evalCommand } = await import("./eval.js");
    const dataset = str(values, "dataset");
    const labels = str(values, "labels");
    return evalCommand(program, {
      file, pipeline: args.pipeline, disabled: args.disable, backend, limit, json: values.json === true,
      ...(dataset !== undefined ? { dataset } : {}), ...(labels !== undefined ? { labels } : {}),
      ...(backend === "2pc" ? { provider: correlations === "dealer" ? { kind: "dealer", seed: "pq-default-seed" } : { kind: correlations } } : {}),
    }, io);
  },
};

const quantizeOptions: Record<string, OptionSpec> = {
  calibrate: { type: "string", valueName: "DIR", help: "a float model: calibrate on the .png images or .json tensors of DIR (the model's input) and quantize post-training" },
  weights: { type: "string", valueName: "W", help: "weight width for a float model: symmetric, per output channel (per tensor for the output layer)", default: "8" },
  activations: { type: "string", valueName: "A", help: "activation width for a float model: 4, 8 or 16", default: "8" },
  percentile: { type: "string", valueName: "P", help: "calibrated range: the P-th percentile of an activation's magnitudes (default: the largest)" },
};

const importOptions: Record<string, OptionSpec> = {
  out: { type: "string", short: "o", valueName: "OUT.pq", help: "the .pq file to write; its params file is OUT.params.json beside it (default: MODEL with .pq)" },
  argmax: { type: "boolean", help: "output the class index (argmax) instead of the model's output tensor (what `pq eval` needs)" },
  model: { type: "string", valueName: "NAME", help: "the model's name in the .pq file (default: the file's name)" },
};

function numberOption(cmd: string, values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(cmd, `--${name} must be a number, got '${v}'`);
  return n;
}

/** `pq import` and `pq quantize`: one path (import/index.ts); quantize insists on --calibrate. */
async function importCommand(cmd: "import" | "quantize", pos: string[], values: Values, io: Io): Promise<number> {
  if (pos.length !== 1) throw new UsageError(cmd, pos.length === 0 ? "expected MODEL.onnx" : `expected one MODEL.onnx, got ${pos.length} arguments`);
  if (cmd === "quantize" && str(values, "budget") !== undefined) return mixedCommand(pos[0]!, values, io);
  if (cmd === "quantize" && str(values, "calibrate") === undefined) {
    throw new UsageError(cmd, "--calibrate DIR is required for an ONNX model (the inputs to calibrate the activations on), --budget BYTES for mixed precision of a trained .pq ResNet-8");
  }
  const file = pos[0]!;
  const out = str(values, "out") ?? file.replace(/(\.onnx)?$/i, ".pq");
  const opts = {
    out, argmax: values.argmax === true,
    ...(str(values, "model") !== undefined ? { model: str(values, "model")! } : {}),
    ...(str(values, "calibrate") !== undefined ? { calibrate: str(values, "calibrate")! } : {}),
  };
  for (const k of ["weights", "activations", "percentile"] as const) {
    const v = numberOption(cmd, values, k);
    if (v !== undefined) Object.assign(opts, { [k]: v });
  }
  // Loaded on demand: protobufjs and the ONNX schema only for these two commands.
  const { importOnnx } = await import("../import/index.js");
  const r = importOnnx(file, opts);
  const form = r.kind === "float" ? "float, quantized with calibration" : r.kind === "qdq" ? "QDQ" : "QOperator";
  io.out(`${file} (${form}): wrote ${r.written!.pq} and ${r.written!.params} (model ${r.plan.model}: ${r.plan.steps.length} statements, ${r.plan.params.size} parameter tensors)`);
  return 0;
}

const importCmd: Command = {
  name: "import",
  usage: "MODEL.onnx [-o OUT.pq] [--argmax] [--calibrate DIR [--weights W] [--activations A] [--percentile P]]",
  summary: "import an ONNX model (quantized QDQ or QOperator, or float with --calibrate) as a .pq program and its params",
  description: "Every node pq cannot map is listed at once before anything is written. docs/ONNX.md has the supported ops and the rounding pq uses.",
  options: { ...importOptions, ...quantizeOptions },
  run: (pos, values, io) => importCommand("import", pos, values, io),
};

const mixedOptions: Record<string, OptionSpec> = {
  budget: { type: "string", valueName: "BYTES", help: "mixed precision of a trained .pq ResNet-8: the most bytes per inference (pq cost with every pass but orientation disabled, online + offline, both parties; KB, MB, GB, KiB, MiB or GiB) the chosen widths may cost" },
  correlations: { type: "string", valueName: "KIND", help: "with --budget: the correlations whose forecast the budget is in: ot, he or dealer", default: "ot" },
  dataset: { type: "string", valueName: "NAME", help: "with --budget: the data the model was trained on and is fine-tuned and evaluated on: mnist or fashion", default: "mnist" },
};

/**
 * `pq quantize MODEL.pq --budget B`: sensitivity, the exact solver, fine-tuning (docs/QUANTIZE.md).
 * It trains with TensorFlow.js, a development dependency, so the code lives with the examples'
 * training code and is loaded only here; without it the command says so (PQ6013).
 */
async function mixedCommand(file: string, values: Values, io: Io): Promise<number> {
  if (!file.endsWith(".pq")) throw new UsageError("quantize", `--budget takes a trained .pq model (a ResNet-8 of examples/resnet), got '${file}'`);
  for (const k of ["calibrate", "weights", "activations", "percentile", "argmax", "model"]) {
    if (values[k] !== undefined && values[k] !== quantizeOptions[k]?.default) throw new UsageError("quantize", `--${k} is for an ONNX model; --budget chooses the widths itself`);
  }
  const budget = budgetOption("quantize", values)!;
  const correlations = choice("quantize", values, "correlations", ["ot", "he", "dealer"] as const, "ot");
  const dataset = choice("quantize", values, "dataset", ["mnist", "fashion"] as const, "mnist");
  const out = str(values, "out") ?? file.replace(/\.pq$/, "-mixed.pq");
  if (!out.endsWith(".pq")) throw new UsageError("quantize", `-o must name a .pq file, got '${out}'`);
  let mixed: typeof import("../examples/mnist/mixed.js");
  try {
    mixed = await import("../examples/mnist/mixed.js");
  } catch (e) {
    // The module-not-found error itself, or one wrapped around it (its `cause`).
    let missing: unknown = e;
    while (missing instanceof Error && (missing as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") missing = missing.cause;
    if (!(missing instanceof Error)) throw e;
    throw new PqError(diag("PQ6013", { reason: missing.message.split("\n")[0]! }));
  }
  return mixed.quantizeMixed({ model: file, dataset, budget, correlations, out }, io);
}

const quantizeCmd: Command = {
  name: "quantize",
  usage: "MODEL.onnx --calibrate DIR [--weights W] [--activations A] [--percentile P] [-o OUT.pq] [--argmax]  |  MODEL.pq --budget BYTES [--correlations ot|he|dealer] [--dataset mnist|fashion] [-o OUT.pq]",
  summary: "quantize a model: a float ONNX model post-training with calibration, or a trained .pq ResNet-8 to mixed precision under a communication budget",
  description: "With --calibrate, the same path as `pq import MODEL --calibrate DIR`: per-channel symmetric weights, calibrated activation scales (docs/ONNX.md). " +
    "With --budget, per-layer weight and activation widths (2, 3, 4, 5, 6 or 8 bits) of least summed sensitivity whose forecast (pq cost of the program as lowered with its OT receivers chosen: every pass but orientation disabled) fits the budget, chosen exactly, then fine-tuned; it prints the choice, the forecast and pq eval's accuracy (docs/QUANTIZE.md). It needs TensorFlow.js and the examples' training code (a checkout after npm ci).",
  options: { ...quantizeOptions, ...importOptions, ...mixedOptions },
  run: (pos, values, io) => importCommand("quantize", pos, values, io),
};

export const COMMANDS: Command[] = [check, compile, run, evalCmd, importCmd, quantizeCmd, serve, connectCmd, keygen, {
  name: "repl",
  usage: "[FILE.pq] [--model NAME]",
  summary: "interactive session: statements, :load, :ir, :cost, :run, :diff, :trace … (line mode when stdin is not a terminal)",
  description: "Type :help in the session for its commands. With stdin from a file or pipe (`pq repl < script.txt`) each line is echoed and answered in order; the exit code is 1 if any line failed.",
  options: { model: modelOption },
  async run(pos, values, io) {
    // Loaded on demand: the other commands do not pay for Ink and React.
    const { repl } = await import("./repl/index.js");
    return repl(pos, str(values, "model"), io);
  },
}, {
  name: "cost",
  usage: "FILE.pq [--pipeline NAME] [--disable PASS] [--correlations dealer|ot|he|ot-iknp|ot-silent] [--json] [--formulas] [--model NAME]",
  summary: "forecast the communication of a two-party run per layer and primitive (bytes, messages, rounds), without running it",
  description: "The dealer forecast is what `pq run --backend 2pc` measures, to the byte; ot-iknp and ot-silent price the same protocol sequence with CrypTFlow2/SiRNN and Cheetah costs (docs/COST.md).",
  options: {
    correlations: { type: "string", valueName: "KIND", help: "correlated randomness to price: dealer, ot or he (pq's providers, to the byte), ot-iknp or ot-silent (SCI/Cheetah's accounting)", default: "dealer" },
    ...pipelineOptions,
    json: { type: "boolean", help: "print the forecast as JSON (format pq-result/1, docs/REPORT.md and docs/COST.md)" },
    formulas: { type: "boolean", help: "also print the cost formula of every building block" },
    model: modelOption,
  },
  async run(pos, values, io) {
    const file = oneFile("cost", pos);
    const correlations = choice("cost", values, "correlations", BACKENDS, "dealer");
    // Loaded on demand, like the other heavy commands.
    const { costCommand } = await import("./cost.js");
    const model = str(values, "model");
    return costCommand(file, { ...pipelineArgs(values, "cost"), correlations, json: values.json === true, formulas: values.formulas === true, ...(model !== undefined ? { model } : {}) }, io);
  },
}];
