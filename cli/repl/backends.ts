// How the REPL runs a graph. The session only sees the `Backends` interface, so tests can
// wrap it (e.g. to inject a fault for `:diff`) and the interactive binary can run jobs in a
// worker thread: both backends compute without ever yielding to the event loop (the plain
// interpreter is synchronous and the in-memory channel resolves through microtasks), so
// in-process a keypress — Ctrl-C — or a progress repaint would wait until the run ends.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import type { Graph } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ir.js";
import { PqError, type Diagnostic } from "../../grammar/diagnostics.js";
import { runPlain } from "../../interpreter/plain/run.js";
import type { Tensor } from "../../interpreter/plain/tensor.js";
import type { TwoPartyResult } from "../../interpreter/twopc/session.js";
import type { ProviderSpec } from "../../interpreter/providers/provider.js";

export class Cancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

export interface PlainResult {
  outputs: Tensor[];
  /** Values of the nodes asked for in `keep`, by node id. */
  kept: Map<number, Tensor>;
  /** Wall-clock ms per layer path, in execution order. */
  layerMs: Map<string, number>;
  totalMs: number;
}

export interface JobOptions {
  signal: AbortSignal;
  /** Called when the run enters a new layer. */
  onLayer?: (path: string) => void;
}

export interface Backends {
  plain(g: Graph, inputs: Map<string, Tensor>, opts: JobOptions & { keep?: readonly number[] }): Promise<PlainResult>;
  twoParty(g: Graph, ranges: readonly Interval[], inputs: Map<string, Tensor>, opts: JobOptions & { provider: ProviderSpec }): Promise<TwoPartyResult>;
}

/** The plaintext run with per-layer timing; shared by the in-process backend and the worker. */
export function plainJob(g: Graph, inputs: Map<string, Tensor>, keep: readonly number[], onLayer: (path: string) => void): PlainResult {
  const wanted = new Set(keep);
  const kept = new Map<number, Tensor>();
  const layerMs = new Map<string, number>();
  let current = "";
  const t0 = performance.now();
  let since = t0;
  // keepAll would hold every intermediate; the nodes asked for are captured as they are
  // computed instead, so a trace of one layer of a large network stays small.
  const { outputs } = runPlain(g, inputs, {
    onNode: (n, value) => {
      const now = performance.now();
      if (wanted.has(n.id)) kept.set(n.id, value);
      if (n.op === "param" || n.op === "const" || n.op === "input") {
        since = now;
        return;
      }
      if (n.origin.path !== current) onLayer(n.origin.path);
      current = n.origin.path;
      layerMs.set(current, (layerMs.get(current) ?? 0) + now - since);
      since = now;
    },
  });
  return { outputs, kept, layerMs, totalMs: performance.now() - t0 };
}

/** Runs in this thread; cancellation takes effect at the next node (the callbacks throw). */
export const inProcess: Backends = {
  async plain(g, inputs, opts) {
    return plainJob(g, inputs, opts.keep ?? [], (path) => {
      if (opts.signal.aborted) throw new Cancelled();
      opts.onLayer?.(path);
    });
  },
  async twoParty(g, ranges, inputs, opts) {
    const { runTwoParty } = await import("../../interpreter/twopc/session.js");
    try {
      return await runTwoParty(g, ranges, inputs, {
        provider: opts.provider,
        onLayer: (path) => {
          if (opts.signal.aborted) throw new Cancelled();
          opts.onLayer?.(path);
        },
      });
    } catch (e) {
      // The aborted party closes the channel, so the other may fail first with a closed channel.
      if (opts.signal.aborted) throw new Cancelled();
      throw e;
    }
  },
};

// ---------------------------------------------------------------- worker thread

export type WorkerRequest =
  | { kind: "plain"; g: Graph; inputs: Map<string, Tensor>; keep: number[] }
  | { kind: "2pc"; g: Graph; ranges: Interval[]; inputs: Map<string, Tensor>; provider: ProviderSpec };

export type WorkerMessage =
  | { type: "layer"; path: string }
  | { type: "plain"; result: PlainResult }
  | { type: "2pc"; result: TwoPartyResult }
  | { type: "error"; diagnostics?: Diagnostic[]; message: string };

/** The compiled worker script, or undefined when running from the .ts sources (tests, tsx). */
function workerUrl(): URL | undefined {
  const url = new URL("./worker.js", import.meta.url);
  return import.meta.url.endsWith(".js") && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** One worker per job: Ctrl-C terminates it, which stops even a synchronous plaintext run. */
async function inWorker<T>(req: WorkerRequest, opts: JobOptions, pick: (m: WorkerMessage) => T | undefined): Promise<T> {
  const { Worker } = await import("node:worker_threads");
  const url = workerUrl()!;
  return new Promise<T>((resolve, reject) => {
    if (opts.signal.aborted) return reject(new Cancelled());
    const w = new Worker(url, { workerData: req });
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal.removeEventListener("abort", onAbort);
      f();
    };
    const onAbort = () => {
      finish(() => reject(new Cancelled()));
      void w.terminate();
    };
    opts.signal.addEventListener("abort", onAbort);
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "layer") return opts.onLayer?.(m.path);
      if (m.type === "error") return finish(() => reject(m.diagnostics ? new PqError(m.diagnostics) : new Error(m.message)));
      const r = pick(m);
      if (r !== undefined) finish(() => resolve(r));
      void w.terminate();
    });
    w.on("error", (e) => finish(() => reject(e)));
    w.on("exit", (code) => finish(() => reject(new Error(`the job's worker stopped (exit code ${code})`))));
  });
}

export const workerBackends: Backends = {
  plain(g, inputs, opts) {
    return inWorker({ kind: "plain", g, inputs, keep: [...(opts.keep ?? [])] }, opts, (m) => (m.type === "plain" ? m.result : undefined));
  },
  twoParty(g, ranges, inputs, opts) {
    return inWorker({ kind: "2pc", g, ranges: [...ranges], inputs, provider: opts.provider }, opts, (m) => (m.type === "2pc" ? m.result : undefined));
  },
};

/** Worker threads when the compiled worker exists, else in-process. */
export function defaultBackends(): Backends {
  return workerUrl() ? workerBackends : inProcess;
}
