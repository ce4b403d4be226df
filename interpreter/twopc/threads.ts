// Both parties of an in-process run on two threads — two cores — as a deployment runs them
// (`pq run --backend 2pc`): the client in the calling thread, the server in a worker thread
// (party-thread.ts) with its own heap, over a MessageChannel (port.ts). Each party opens its
// own provider: an OT or HE session is fresh per run (base OTs, keys), never continued. The
// server's thread outlives a successful run, idle, and takes this process's next run warm.
// Run from the TypeScript sources (tests), the worker runs party-thread.ts through tsx (a
// development dependency, present exactly then); from dist/, the compiled party-thread.js.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, type Worker } from "node:worker_threads";
import { partyWorker } from "./party-worker.js";
import type { Graph, Node } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ops.js";
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { Tensor } from "../plain/tensor.js";
import type { ProviderSpec } from "../providers/provider.js";
import type { ChannelOptions } from "./channel.js";
import type { MeterRow } from "./meter.js";
import { makeEndpoint, withProvider, type Party } from "./party.js";
import type { FromPartyThread, PartyThreadRun } from "./party-thread.js";
import { PortTransport } from "./port.js";
import { runParty } from "./run.js";

const fromSources = import.meta.url.endsWith(".ts");
const WORKER = new URL(fromSources ? "./party-thread.ts" : "./party-thread.js", import.meta.url);

/** Whether the server's thread can start here (the compiled worker, or the sources with tsx). */
export function threadsAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER));
}

export interface ThreadedResult {
  outputs: Tensor[];
  client: Party;
  server: { meter: MeterRow[]; heMs: Map<string, number>; majorGcs: number };
  /** The server thread's id: the same as the last run's when that thread was reused. */
  serverThread: number;
}

/** A server thread whose last run succeeded, waiting for the next (unreferenced: it keeps no process alive). */
let idle: Worker | undefined;

function takeWorker(): Worker {
  const w = idle;
  if (w) {
    idle = undefined;
    w.ref();
    return w;
  }
  // (From the sources: a bootstrap that registers tsx's loader in the worker, then imports the .ts module.)
  const entry = fromSources
    ? new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))}; register(); await import(${JSON.stringify(WORKER.href)});`)}`)
    : WORKER;
  const fresh = partyWorker(entry);
  // An idle thread that fails or ends is simply not reused.
  const drop = () => {
    if (idle === fresh) idle = undefined;
  };
  fresh.on("error", drop);
  fresh.on("exit", drop);
  return fresh;
}

/** The client's role here, the server's in a worker thread; the first failure of either ends both, its diagnostic reported. */
export async function runThreaded(
  g: Graph, ranges: readonly Interval[], inputs: Map<string, Tensor>, spec: ProviderSpec, opts: ChannelOptions & { onNode?: (n: Node) => void } = {},
): Promise<ThreadedResult> {
  if (spec.kind === "enumerated" || ("resume" in spec && spec.resume)) throw new Error(`internal: a ${spec.kind} run with state cannot cross threads`);
  const { port1, port2 } = new MessageChannel();
  const worker = takeWorker();
  const t = new PortTransport(port1);
  let serverReady: (thread: number) => void = () => undefined;
  const ready = new Promise<number>((r) => (serverReady = r));
  const server = new Promise<ThreadedResult["server"]>((resolve, reject) => {
    const off = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    const onMessage = (m: FromPartyThread) => {
      if (m.kind === "ready") return serverReady(m.thread);
      off();
      if (m.kind === "done") resolve({ meter: m.meter, heMs: m.heMs, majorGcs: m.majorGcs });
      else reject(new PqError(m.diagnostics));
    };
    const onError = (e: Error) => {
      off();
      reject(e);
    };
    const onExit = (code: number) => {
      off();
      reject(new Error(`the server's thread exited (${code}) before it reported`));
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  });
  const run: PartyThreadRun = { kind: "run", port: port2, graph: g, ranges, spec, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
  worker.postMessage(run, [port2]);
  // The server's failure closes the client's side at once (its error is the one reported).
  server.catch(() => t.shut());
  const e = makeEndpoint("client", t, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  let client: Party | undefined;
  let ok = false;
  try {
    client = await withProvider(e, spec);
    const serverThread = await Promise.race([ready, server.then(() => -1)]);
    const outputs = (await runParty(client, g, ranges, inputs, opts.onNode ? { onNode: opts.onNode } : {}))!;
    const s = await server;
    ok = true;
    return { outputs, client, server: s, serverThread };
  } catch (err) {
    t.close();
    // A client that lost its peer reports why the peer stopped.
    const cause = await server.then(() => undefined, (s: unknown) => s);
    const lostPeer = !(err instanceof PqError) || err.diagnostics[0]?.code === "PQ5002";
    if (cause === undefined || !lostPeer) throw err;
    throw cause instanceof PqError ? cause : new PqError(diag("PQ5001", { where: "the server's thread", detail: cause instanceof Error ? cause.message : String(cause) }));
  } finally {
    client?.corr.close?.();
    if (ok && idle === undefined) {
      worker.unref();
      idle = worker;
    } else await worker.terminate();
  }
}
