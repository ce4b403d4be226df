// The server party of an in-process two-party run on a thread of its own (threads.ts starts
// it): the program with its parameters, the provider spec and one end of a MessageChannel
// arrive as workerData; the meter's rows and HE milliseconds go back when the run ends, or
// the diagnostics of its failure.
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { diag, PqError, type Diagnostic } from "../../grammar/diagnostics.js";
import type { Graph } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ops.js";
import type { ProviderSpec } from "../providers/provider.js";
import type { MeterRow } from "./meter.js";
import { makeEndpoint, withProvider } from "./party.js";
import { PortTransport } from "./port.js";
import { runParty } from "./run.js";

export interface PartyThreadInit {
  port: MessagePort;
  graph: Graph;
  ranges: readonly Interval[];
  spec: ProviderSpec;
  timeoutMs?: number;
}

export type FromPartyThread =
  | { kind: "done"; meter: MeterRow[]; heMs: Map<string, number> }
  | { kind: "error"; diagnostics: Diagnostic[] };

const init = workerData as PartyThreadInit;
const t = new PortTransport(init.port);
const e = makeEndpoint("server", t, init.timeoutMs !== undefined ? { timeoutMs: init.timeoutMs } : {});
const post = (m: FromPartyThread) => parentPort!.postMessage(m);
try {
  const p = await withProvider(e, init.spec);
  try {
    await runParty(p, init.graph, init.ranges, undefined);
    post({ kind: "done", meter: p.meter.report(), heMs: p.meter.heMs() });
  } finally {
    p.corr.close?.();
  }
} catch (err) {
  post({ kind: "error", diagnostics: err instanceof PqError ? err.diagnostics : [diag("PQ5001", { where: `the server's thread (${e.ch.where})`, detail: err instanceof Error ? err.message : String(err) })] });
} finally {
  t.close();
}
