// The server party of an in-process two-party run on a thread of its own (threads.ts starts
// it). A `run` message brings the program with its parameters, the provider spec and one end
// of a MessageChannel; the thread reports `ready` once its provider is open (base OTs, keys),
// then the meter's rows, HE milliseconds and its full collections when the run ends, or the
// diagnostics of its failure. A thread whose run succeeded may take the next run
// (threads.ts keeps it idle): its modules loaded and its JIT warm, as a server's pool keeps
// its workers. Nothing of one run outlives it here but compiled code.
import { constants, PerformanceObserver } from "node:perf_hooks";
import { parentPort, threadId, type MessagePort } from "node:worker_threads";
import { diag, PqError, type Diagnostic } from "../../grammar/diagnostics.js";
import type { Graph } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ops.js";
import type { ProviderSpec } from "../providers/provider.js";
import type { MeterRow } from "./meter.js";
import { makeEndpoint, withProvider } from "./party.js";
import { PortTransport } from "./port.js";
import { runParty } from "./run.js";

export interface PartyThreadRun {
  kind: "run";
  port: MessagePort;
  graph: Graph;
  ranges: readonly Interval[];
  spec: ProviderSpec;
  timeoutMs?: number;
}

export type FromPartyThread =
  /** The provider is open; `thread`: this thread's id (a reused thread keeps it). */
  | { kind: "ready"; thread: number }
  /** `majorGcs`: full garbage collections in this thread during the run. */
  | { kind: "done"; meter: MeterRow[]; heMs: Map<string, number>; majorGcs: number }
  | { kind: "error"; diagnostics: Diagnostic[] };

const post = (m: FromPartyThread) => parentPort!.postMessage(m);

/** Full collections in this thread from now until `stop` (GC entries arrive asynchronously: `stop` lets pending ones in). */
function countMajorGcs(): { stop(): Promise<number> } {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) n++;
  });
  obs.observe({ entryTypes: ["gc"] });
  return {
    async stop() {
      await new Promise((r) => setImmediate(r));
      obs.disconnect();
      return n;
    },
  };
}

async function serve(init: PartyThreadRun): Promise<void> {
  const t = new PortTransport(init.port);
  const e = makeEndpoint("server", t, init.timeoutMs !== undefined ? { timeoutMs: init.timeoutMs } : {});
  try {
    const p = await withProvider(e, init.spec);
    try {
      post({ kind: "ready", thread: threadId });
      const gcs = countMajorGcs();
      await runParty(p, init.graph, init.ranges, undefined);
      post({ kind: "done", meter: p.meter.report(), heMs: p.meter.heMs(), majorGcs: await gcs.stop() });
    } finally {
      p.corr.close?.();
    }
  } catch (err) {
    post({ kind: "error", diagnostics: err instanceof PqError ? err.diagnostics : [diag("PQ5001", { where: `the server's thread (${e.ch.where})`, detail: err instanceof Error ? err.message : String(err) })] });
  } finally {
    t.close();
  }
}

// One run at a time: threads.ts sends the next only after this one reported.
parentPort!.on("message", (m: PartyThreadRun) => void serve(m));
