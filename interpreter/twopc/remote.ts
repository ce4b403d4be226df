// The two parties as separate processes over TCP (`pq serve`, `pq connect`). The server
// compiles the model with its parameters and sends the client the program it will run —
// the graph without parameter values, its value intervals, and which correlations the run
// uses — then both check they run the same program (handshake), open their providers (OT:
// base OTs with each other) and execute their roles.
// What the client learns this way: the architecture, every bit width and scale, and the
// intervals of the range analysis for the values it shares (which depend on the weights only
// through per-layer bounds); a parameter's interval is sent as its declared type's range,
// never its exact minimum and maximum. That is the usual "public architecture" assumption of
// 2PC inference; the weights stay private.
// Correlations: oblivious transfer by default — each party's randomness is its own and no
// secret crosses the wire. The dealer (one seed, sent in the program, from which either party
// could recompute the other's secrets) runs only when the server is started with
// `insecureDealer` AND the client accepts it with its own `insecureDealer`; otherwise the
// client refuses (PQ5008) before it sends anything.
import { randomBytes } from "node:crypto";
import type { Graph, Node } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ops.js";
import { typeRange } from "../../compiler/types.js";
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { ProviderSpec } from "../providers/provider.js";
import type { Tensor } from "../plain/tensor.js";
import type { MeterRow } from "./meter.js";
import { withProvider } from "./party.js";
import { runParty, type PartyRunOptions } from "./run.js";
import { connect, fingerprint, handshake, makeTcpEndpoint, type Listener } from "./tcp.js";

const FORMAT = "pq-program/2";

/** What the program says about correlations: OT, or the dealer with its seed (insecure). */
type WireCorrelations = { kind: "ot" } | { kind: "dealer"; seed: string };

interface Wire {
  format: string;
  correlations: WireCorrelations;
  graph: { name: string; nodes: Node[]; outputs: Graph["outputs"] };
  ranges: [string, string][];
}

function encode(g: Graph, ranges: readonly Interval[], correlations: WireCorrelations): Uint8Array {
  // Spans stay with the server (they name its files); paths are enough for the report.
  const nodes = g.nodes.map((n) => ({ ...n, origin: n.origin.via ? { path: n.origin.path, via: n.origin.via } : { path: n.origin.path } }));
  // A parameter's exact interval is a fact about the weights: the client gets its type's range
  // (no protocol reads it — parameters are never shared).
  const sent = ranges.map((r, i): [string, string] => {
    const n = g.nodes[i]!;
    if (n.op !== "param") return [String(r.lo), String(r.hi)];
    const [lo, hi] = typeRange(n.type);
    return [String(lo), String(hi)];
  });
  const wire: Wire = { format: FORMAT, correlations, graph: { name: g.name, nodes, outputs: g.outputs }, ranges: sent };
  return new TextEncoder().encode(JSON.stringify(wire, (_k, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v)));
}

function decode(bytes: Uint8Array): { graph: Graph; ranges: Interval[]; correlations: WireCorrelations } {
  const bad = (detail: string): never => {
    throw new PqError(diag("PQ5004", { party: "client", where: "setup", detail }));
  };
  let wire: Wire;
  try {
    wire = JSON.parse(new TextDecoder().decode(bytes), (_k, v: unknown) =>
      v !== null && typeof v === "object" && "$big" in v && typeof (v as { $big: unknown }).$big === "string" ? BigInt((v as { $big: string }).$big) : v) as Wire;
  } catch (e) {
    return bad(`the program is not JSON (${(e as Error).message})`);
  }
  if (wire?.format !== FORMAT || !Array.isArray(wire.graph?.nodes) || !Array.isArray(wire.ranges)) {
    return bad(`expected a ${FORMAT} program`);
  }
  const c = wire.correlations;
  if (!(c?.kind === "ot" || (c?.kind === "dealer" && typeof c.seed === "string"))) bad("the program names no known correlations");
  if (wire.ranges.length !== wire.graph.nodes.length) bad("one interval per node expected");
  const graph: Graph = { name: wire.graph.name, nodes: wire.graph.nodes, outputs: wire.graph.outputs, params: new Map() };
  return { graph, ranges: wire.ranges.map(([lo, hi]) => ({ lo: BigInt(lo), hi: BigInt(hi) })), correlations: c };
}

export interface RemoteResult {
  outputs?: Tensor[];
  meter: MeterRow[];
  graph: Graph;
  /** The correlations the run used. */
  correlations: "ot" | "dealer";
}

export interface RemoteOptions extends PartyRunOptions {
  timeoutMs?: number;
  /** Server: run the dealer instead of OT. Client: accept a server that does. INSECURE: tests and benchmarks only. */
  insecureDealer?: boolean;
}

function specOf(c: WireCorrelations): ProviderSpec {
  return c.kind === "ot" ? { kind: "ot" } : { kind: "dealer", seed: c.seed };
}

/** Serve one client on an open listener with a compiled program. */
export async function serveOne(listener: Listener, g: Graph, ranges: readonly Interval[], opts: RemoteOptions = {}): Promise<RemoteResult> {
  const t = await listener.accept();
  const correlations: WireCorrelations = opts.insecureDealer ? { kind: "dealer", seed: randomBytes(16).toString("hex") } : { kind: "ot" };
  const e = makeTcpEndpoint("server", t, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  try {
    e.meter.setLayer("setup");
    const program = encode(g, ranges, correlations);
    await e.meter.scope("program", async () => e.ch.send(program));
    await handshake(e.ch, fingerprint(new TextDecoder().decode(program)));
    const p = await withProvider(e, specOf(correlations));
    await runParty(p, g, ranges, undefined, opts);
    return { meter: p.meter.report(), graph: g, correlations: correlations.kind };
  } finally {
    e.ch.close();
  }
}

/** Connect, receive the program, load the input for it, and run the client's role. */
export async function connectAndRun(
  host: string, port: number, inputsFor: (g: Graph) => Map<string, Tensor>, opts: RemoteOptions = {},
): Promise<RemoteResult> {
  const t = await connect(host, port);
  const e = makeTcpEndpoint("client", t, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  try {
    e.ch.where = "setup (program)";
    e.meter.setLayer("setup");
    const bytes = await e.meter.scope("program", () => e.ch.recv());
    const { graph, ranges, correlations } = decode(bytes);
    // Refused before the handshake: the client sends nothing to a dealer run it did not accept.
    if (correlations.kind === "dealer" && !opts.insecureDealer) throw new PqError(diag("PQ5008", { party: "client" }));
    const inputs = inputsFor(graph);
    await handshake(e.ch, fingerprint(new TextDecoder().decode(bytes)));
    const party = await withProvider(e, specOf(correlations));
    const outputs = await runParty(party, graph, ranges, inputs, opts);
    return { outputs: outputs!, meter: party.meter.report(), graph, correlations: correlations.kind };
  } finally {
    e.ch.close();
  }
}
