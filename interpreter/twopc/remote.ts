// The two parties as separate processes over TCP (`pq serve`, `pq connect`). The server
// compiles the model with its parameters and sends the client the program it will run —
// the graph without parameter values, its value intervals and a fresh dealer seed — then
// both check they run the same program (handshake) and execute their roles.
// What the client learns this way: the architecture, every bit width, and the intervals of
// the range analysis (which depend on the weights only through per-layer bounds). That is
// the usual "public architecture" assumption of 2PC inference; the weights stay private.
import { randomBytes } from "node:crypto";
import type { Graph, Node } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ops.js";
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { Tensor } from "../plain/tensor.js";
import type { MeterRow } from "./meter.js";
import { withProvider } from "./party.js";
import { runParty, type PartyRunOptions } from "./run.js";
import { connect, fingerprint, handshake, makeTcpEndpoint, type Listener } from "./tcp.js";

const FORMAT = "pq-program/1";

interface Wire {
  format: string;
  seed: string;
  graph: { name: string; nodes: Node[]; outputs: Graph["outputs"] };
  ranges: [string, string][];
}

function encode(g: Graph, ranges: readonly Interval[], seed: string): Uint8Array {
  // Spans stay with the server (they name its files); paths are enough for the report.
  const nodes = g.nodes.map((n) => ({ ...n, origin: n.origin.via ? { path: n.origin.path, via: n.origin.via } : { path: n.origin.path } }));
  const wire: Wire = { format: FORMAT, seed, graph: { name: g.name, nodes, outputs: g.outputs }, ranges: ranges.map((r) => [String(r.lo), String(r.hi)]) };
  return new TextEncoder().encode(JSON.stringify(wire, (_k, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v)));
}

function decode(bytes: Uint8Array): { graph: Graph; ranges: Interval[]; seed: string } {
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
  if (wire?.format !== FORMAT || !Array.isArray(wire.graph?.nodes) || !Array.isArray(wire.ranges) || typeof wire.seed !== "string") {
    return bad(`expected a ${FORMAT} program`);
  }
  if (wire.ranges.length !== wire.graph.nodes.length) bad("one interval per node expected");
  const graph: Graph = { name: wire.graph.name, nodes: wire.graph.nodes, outputs: wire.graph.outputs, params: new Map() };
  return { graph, ranges: wire.ranges.map(([lo, hi]) => ({ lo: BigInt(lo), hi: BigInt(hi) })), seed: wire.seed };
}

export interface RemoteResult {
  outputs?: Tensor[];
  meter: MeterRow[];
  graph: Graph;
}

/** Serve one client on an open listener with a compiled program. */
export async function serveOne(
  listener: Listener, g: Graph, ranges: readonly Interval[], opts: { timeoutMs?: number } & PartyRunOptions = {},
): Promise<RemoteResult> {
  const t = await listener.accept();
  const seed = randomBytes(16).toString("hex");
  const e = makeTcpEndpoint("server", t, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  try {
    e.meter.setLayer("setup");
    const program = encode(g, ranges, seed);
    await e.meter.scope("program", async () => e.ch.send(program));
    await handshake(e.ch, fingerprint(new TextDecoder().decode(program)));
    const p = await withProvider(e, { kind: "dealer", seed });
    await runParty(p, g, ranges, undefined, opts);
    return { meter: p.meter.report(), graph: g };
  } finally {
    e.ch.close();
  }
}

/** Connect, receive the program, load the input for it, and run the client's role. */
export async function connectAndRun(
  host: string, port: number, inputsFor: (g: Graph) => Map<string, Tensor>, opts: { timeoutMs?: number } & PartyRunOptions = {},
): Promise<RemoteResult> {
  const t = await connect(host, port);
  // The seed arrives with the program; the dealer is created once it is known.
  const e = makeTcpEndpoint("client", t, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  try {
    e.ch.where = "setup (program)";
    e.meter.setLayer("setup");
    const bytes = await e.meter.scope("program", () => e.ch.recv());
    const { graph, ranges, seed } = decode(bytes);
    const inputs = inputsFor(graph);
    await handshake(e.ch, fingerprint(new TextDecoder().decode(bytes)));
    const party = await withProvider(e, { kind: "dealer", seed });
    const outputs = await runParty(party, graph, ranges, inputs, opts);
    return { outputs: outputs!, meter: party.meter.report(), graph };
  } finally {
    e.ch.close();
  }
}
