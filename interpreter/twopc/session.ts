// A whole two-party run with both parties in this process (in-memory channel, the named
// provider): what `pq run --backend 2pc`, the REPL, tests and benchmarks use.
import { performance } from "node:perf_hooks";
import type { Graph, Node } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ops.js";
import type { Tensor } from "../plain/tensor.js";
import { defaultProvider, runBoth } from "./local.js";
import { runThreaded, threadsAvailable } from "./threads.js";
import type { MeterRow } from "./meter.js";
import { runParty } from "./run.js";
import type { ProviderSpec } from "../providers/provider.js";
import type { ProviderKind } from "../providers/correlations.js";

export interface TwoPartyResult {
  /** The provider the run used. */
  correlations: ProviderKind;
  outputs: Tensor[];
  client: MeterRow[];
  server: MeterRow[];
  /** Wall-clock ms per layer path (and `setup`: until the first node), as seen by the client, in execution order. */
  layerMs: Map<string, number>;
  /** Each party's milliseconds of HE work per layer (the he provider; empty maps otherwise). */
  heMs: { client: Map<string, number>; server: Map<string, number> };
  totalMs: number;
}

export interface TwoPartyOptions {
  /** The correlations' provider (local.ts defaultProvider when absent). */
  provider?: ProviderSpec;
  timeoutMs?: number;
  onLayer?: (path: string, node: Node) => void;
  /**
   * The server party on a worker thread of its own (threads.ts): two cores, as a deployment.
   * Its provider is fresh (no OT session is continued). Ignored where the worker cannot start.
   */
  threads?: boolean;
}

export async function runTwoParty(g: Graph, ranges: readonly Interval[], inputs: Map<string, Tensor>, opts: TwoPartyOptions = {}): Promise<TwoPartyResult> {
  const layerMs = new Map<string, number>();
  let current = "";
  let since = performance.now();
  const t0 = since;
  const onNode = (n: Node) => {
    const now = performance.now();
    // Before the first node: the providers' set-up (base OTs, keys), the report's `setup` row.
    const key = current === "" ? "setup" : current;
    layerMs.set(key, (layerMs.get(key) ?? 0) + now - since);
    since = now;
    if (n.origin.path !== current) opts.onLayer?.(n.origin.path, n);
    current = n.origin.path;
  };
  if (opts.threads && threadsAvailable()) {
    const r = await runThreaded(g, ranges, inputs, opts.provider ?? defaultProvider(), { onNode, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
    const end = performance.now();
    if (current !== "") layerMs.set(current, (layerMs.get(current) ?? 0) + end - since);
    return {
      correlations: r.client.corr.kind, outputs: r.outputs, client: r.client.meter.report(), server: r.server.meter, layerMs,
      heMs: { client: r.client.meter.heMs(), server: r.server.heMs }, totalMs: end - t0,
    };
  }
  const r = await runBoth(
    (p) => runParty(p, g, ranges, inputs, { onNode }),
    (p) => runParty(p, g, ranges, undefined),
    { ...(opts.provider ? { provider: opts.provider } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) },
  );
  const end = performance.now();
  if (current !== "") layerMs.set(current, (layerMs.get(current) ?? 0) + end - since);
  return {
    correlations: r.parties[0].corr.kind, outputs: r.client!, client: r.parties[0].meter.report(), server: r.parties[1].meter.report(), layerMs,
    heMs: { client: r.parties[0].meter.heMs(), server: r.parties[1].meter.heMs() }, totalMs: end - t0,
  };
}
