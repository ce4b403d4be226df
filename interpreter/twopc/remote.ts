// The two parties as separate processes over TCP (`pq serve`, `pq connect`). The server
// compiles the model with its parameters and sends the client the program it will run —
// the graph without parameter values, its value intervals, and which correlations the run
// uses — then both check they run the same program (handshake), open their providers (OT:
// base OTs with each other) and execute their roles.
// What the client learns this way: the architecture, every bit width and scale, and for each
// value it shares its public interval (compiler/types.ts publicRange: the range analysis'
// interval rounded to two significant bits per end — the exact one depends on the weights);
// a parameter's interval is sent as its declared type's range, never its exact minimum and
// maximum. That is the usual "public architecture" assumption of 2PC inference; the weights
// stay private.
// The program frame is a header line (format, correlations) and the program's canonical
// JSON; the model hash is the SHA-256 of that JSON, so a client that pins it
// (`expectModel`) runs that program or nothing, and checks it before parsing a byte of it.
// Correlations: oblivious transfer by default — each party's randomness is its own and no
// secret crosses the wire; or `he`, OT with the server-weight products by homomorphic
// encryption under the client's own keys (the header names the encryption parameters, and the
// client refuses any set but pq's, PQ5014, before the handshake). The dealer (one seed, sent in the program, from which either party
// could recompute the other's secrets) runs only when the server is started with
// `insecureDealer` AND the client accepts it with its own `insecureDealer`; otherwise the
// client refuses (PQ5008) before it sends anything.
import { createHash, randomBytes } from "node:crypto";
import type { Graph, Node, Program } from "../../compiler/ir.js";
import { isOp } from "../../compiler/ir.js";
import { isSupport, type Interval } from "../../compiler/ops.js";
import { publicRange, typeRange } from "../../compiler/types.js";
import { largestMessages } from "../../compiler/cost/model.js";
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { ProviderSpec } from "../providers/provider.js";
import type { Tensor } from "../plain/tensor.js";
import type { Transport } from "./channel.js";
import type { MeterRow } from "./meter.js";
import { makeEndpoint, withProvider } from "./party.js";
import { runParty, type PartyRunOptions } from "./run.js";
import { connect, fingerprint, handshake, HANDSHAKE_FRAME_BYTES, makeTcpEndpoint, TcpTransport, type Listener } from "./tcp.js";
import type { TlsOptions } from "./tls.js";
import { HE_PARAMS, type HeParams } from "../../compiler/cost/he-sizes.js";

const FORMAT = "pq-program/3";
/** The largest program frame a client reads (ResNet-20's is ~80 KB). */
export const PROGRAM_FRAME_BYTES = 16 << 20;
/** No tensor of a received program may hold more elements (the client allocates them). */
const MAX_ELEMENTS = 1 << 26;

/** What the program says about correlations: OT, OT with HE products (and the encryption parameters), or the dealer with its seed (insecure). */
type WireCorrelations = { kind: "ot" } | { kind: "he"; params: HeParams } | { kind: "dealer"; seed: string };

/** The correlations a server runs. */
export type ServedCorrelations = "ot" | "he" | "dealer";

interface WireProgram {
  graph: { name: string; nodes: Node[]; outputs: Graph["outputs"] };
  ranges: [string, string][];
}

/** A compiled program ready to serve: its canonical bytes, their hash, and the frame bound after the handshake. */
export interface Served {
  program: Program;
  bytes: Uint8Array;
  /** SHA-256 (hex) of `bytes`: the model hash a client pins with --expect-model. */
  hash: string;
  /** The largest frame a client may send after its handshake (frameBounds). */
  maxClientFrame: number;
  correlations: ServedCorrelations;
}

export function serveable(program: Program, correlations: ServedCorrelations): Served {
  const g = program.graph;
  // Spans stay with the server (they name its files); paths are enough for the report.
  const nodes = g.nodes.map((n) => ({ ...n, origin: n.origin.via ? { path: n.origin.path, via: n.origin.via } : { path: n.origin.path } }));
  // Exact intervals are facts about the weights: the client gets each node's public interval
  // (the one both parties' protocols read), and a parameter's type range (no protocol reads it —
  // parameters are never shared).
  const ranges = program.ranges.map((r, i): [string, string] => {
    const n = g.nodes[i]!;
    const { lo, hi } = n.op === "param" ? { lo: typeRange(n.type)[0], hi: typeRange(n.type)[1] } : publicRange(r, n.type);
    return [String(lo), String(hi)];
  });
  const wire: WireProgram = { graph: { name: g.name, nodes, outputs: g.outputs }, ranges };
  const bytes = new TextEncoder().encode(JSON.stringify(wire, (_k, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v)));
  return { program, bytes, hash: createHash("sha256").update(bytes).digest("hex"), maxClientFrame: frameBounds(program, correlations).client, correlations };
}

/**
 * The largest frame each party may send after the handshake: the largest message the cost
 * model's replay of the run has that party write (compiler/cost/model.ts largestMessages;
 * both providers are priced to the byte), plus a quarter and 1 MiB. The peer's transport
 * refuses a larger declared frame at its 4-byte prefix (PQ5004), before allocating it; each
 * message is then checked against the exact size its step expects (Channel.recv, the OT
 * engine: PQ5004, PQ5007).
 */
export function frameBounds(program: Program, correlations: ServedCorrelations): { client: number; server: number } {
  const m = largestMessages(program, correlations);
  const bound = (bytes: number) => Math.ceil(bytes * 1.25) + (1 << 20);
  return { client: bound(m.client), server: bound(m.server) };
}

function frameOf(s: Served, c: WireCorrelations): Uint8Array {
  const head = new TextEncoder().encode(`${JSON.stringify({ format: FORMAT, correlations: c })}\n`);
  const out = new Uint8Array(head.length + s.bytes.length);
  out.set(head);
  out.set(s.bytes, head.length);
  return out;
}

function invalid(detail: string): never {
  throw new PqError(diag("PQ5010", { detail }));
}

/** The header and the program's bytes; PQ5004 when the frame is not a program at all. */
function split(frame: Uint8Array): { correlations: WireCorrelations; program: Uint8Array } {
  const nl = frame.indexOf(10);
  let head: { format?: unknown; correlations?: WireCorrelations } | undefined;
  try {
    head = nl > 0 && nl < 4096 ? JSON.parse(new TextDecoder().decode(frame.subarray(0, nl))) as typeof head : undefined;
  } catch {
    head = undefined;
  }
  if (head?.format !== FORMAT) throw new PqError(diag("PQ5004", { party: "client", where: "setup", detail: `expected a ${FORMAT} program` }));
  const c = head.correlations;
  if (!(c?.kind === "ot" || c?.kind === "he" || (c?.kind === "dealer" && typeof c.seed === "string"))) invalid("it names no known correlations");
  if (c.kind === "he") checkParams(c.params);
  return { correlations: c, program: frame.subarray(nl + 1) };
}

/**
 * The client makes its keys under the parameters the server names: it accepts pq's own set
 * only (HE_PARAMS: 128-bit secure by the HE standard's table, and the set the kernel's bounds
 * and the forecast are proved for), and refuses any other before the handshake (PQ5014).
 */
function checkParams(p: unknown): void {
  const q = p as Partial<HeParams> | null;
  const same = q !== null && typeof q === "object" && q.degree === HE_PARAMS.degree && q.plainBits === HE_PARAMS.plainBits &&
    Array.isArray(q.coeffBits) && q.coeffBits.length === HE_PARAMS.coeffBits.length && q.coeffBits.every((b, i) => b === HE_PARAMS.coeffBits[i]);
  if (!same) {
    throw new PqError(diag("PQ5014", {
      party: "client", what: "checking the server's encryption parameters",
      detail: `the server names ${JSON.stringify(p)}; this client runs only N = ${HE_PARAMS.degree}, coefficient primes of ${HE_PARAMS.coeffBits.join("+")} bits, a ${HE_PARAMS.plainBits}-bit plaintext prime (128-bit security)`,
    }));
  }
}

const isInt = (x: unknown, lo: number, hi: number): x is number => Number.isSafeInteger(x) && (x as number) >= lo && (x as number) <= hi;

/**
 * The program's structure, checked before the client runs it: every node well-formed, its
 * operands earlier nodes, its type a real tensor type of bounded size, one interval per node.
 * What this cannot see (an attribute that makes no sense for its op) fails during the run,
 * where it is reported as PQ5010 too (connectAndRun).
 */
function parseProgram(bytes: Uint8Array): { graph: Graph; ranges: Interval[] } {
  let wire: WireProgram;
  try {
    wire = JSON.parse(new TextDecoder().decode(bytes), (_k, v: unknown) =>
      v !== null && typeof v === "object" && "$big" in v && typeof (v as { $big: unknown }).$big === "string" ? BigInt((v as { $big: string }).$big) : v) as WireProgram;
  } catch (e) {
    return invalid(`not JSON (${(e as Error).message})`);
  }
  const nodes: unknown = wire?.graph?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || typeof wire.graph.name !== "string") invalid("no graph");
  if (!Array.isArray(wire.ranges) || wire.ranges.length !== nodes.length) invalid("one interval per node expected");
  (nodes as unknown[]).forEach((raw, i) => {
    const n = raw as Partial<Node> | null;
    const at = `node ${i}`;
    if (n === null || typeof n !== "object") invalid(`${at} is not an object`);
    if (n.id !== i) invalid(`${at} has id ${String(n.id)}`);
    if (typeof n.op !== "string" || !isOp(n.op)) invalid(`${at} has an unknown op ${JSON.stringify(n.op)}`);
    if (!Array.isArray(n.inputs) || !n.inputs.every((j) => isInt(j, 0, i - 1))) invalid(`${at} (${n.op}) has an operand that is not an earlier node`);
    const t = n.type;
    if (!t || !isInt(t.bits, 1, 64) || typeof t.signed !== "boolean" || !["public", "client", "server", "shared"].includes(t.vis)) invalid(`${at} (${n.op}) has no valid element type`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => isInt(d, 0, MAX_ELEMENTS)) || t.shape.reduce((a, d) => a * d, 1) > MAX_ELEMENTS) {
      invalid(`${at} (${n.op}) has an invalid or too large shape (at most ${MAX_ELEMENTS} elements)`);
    }
    if (n.attrs === null || typeof n.attrs !== "object" || typeof n.origin?.path !== "string") invalid(`${at} (${n.op}) has no attributes or origin`);
    // Bit re-weighting (ops.ts `split`, `support`) shapes the OT product's instances: checked here.
    const { split, support } = n.attrs as { split?: unknown; support?: unknown };
    if (split !== undefined || support !== undefined) {
      const w = (nodes as Node[])[n.inputs[1] ?? -1]?.type;
      const size = w?.shape?.reduce((a, d) => a * d, 1) ?? 0;
      if (!["conv2d", "linear", "winoconv"].includes(n.op) || !w) invalid(`${at} (${n.op}) has a split or support but no weights`);
      if (split !== undefined && !isInt(split, 0, w.bits - 1)) invalid(`${at} (${n.op}) has a split outside 0..${w.bits - 1}`);
      if (support !== undefined && !isSupport(support, size)) {
        invalid(`${at} (${n.op}) has a support that is not increasing indices of its ${size} weights`);
      }
    }
  });
  const outputs: unknown = wire.graph.outputs;
  if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every((o: { node?: unknown; to?: unknown }) => isInt(o?.node, 0, nodes.length - 1) && (o.to === "client" || o.to === "server"))) {
    invalid("its outputs do not name nodes");
  }
  const ranges = wire.ranges.map((r, i): Interval => {
    try {
      const [lo, hi] = [BigInt(r[0]), BigInt(r[1])];
      if (lo > hi) throw new Error("empty");
      return { lo, hi };
    } catch {
      return invalid(`the interval of node ${i} is not two ordered integers`);
    }
  });
  return { graph: { name: wire.graph.name, nodes: wire.graph.nodes, outputs: wire.graph.outputs, params: new Map() }, ranges };
}

export interface RemoteResult {
  outputs?: Tensor[];
  meter: MeterRow[];
  graph: Graph;
  /** The correlations the run used. */
  correlations: ServedCorrelations;
  /** The model hash of the program run. */
  model: string;
  /** This party's milliseconds of HE work per layer (under he; empty otherwise). */
  heMs: Map<string, number>;
}

export interface RemoteOptions extends PartyRunOptions {
  /** Per message (PQ5003 when the peer says nothing for this long). */
  timeoutMs?: number;
  /** Server: run the dealer instead of OT. Client: accept a server that does. INSECURE: tests and benchmarks only. */
  insecureDealer?: boolean;
}

function specOf(c: WireCorrelations): ProviderSpec {
  return c.kind === "dealer" ? { kind: "dealer", seed: c.seed } : { kind: c.kind };
}

/** A transport whose accepted frame size the session sets per step (TCP; a relay to a worker thread): `TcpTransport.limit`. */
export interface BoundedTransport extends Transport {
  limit(bytes: number, after?: number): void;
}

export interface SessionHooks {
  /** Called when the handshake passed: the client runs this program (server.ts stops the handshake deadline). */
  onHandshake?: () => void;
}

/** The server's side of one session on an open transport that bounds frames by HANDSHAKE_FRAME_BYTES (the client's handshake). */
export async function serveSession(t: BoundedTransport, s: Served, opts: RemoteOptions & SessionHooks = {}): Promise<RemoteResult> {
  const correlations: WireCorrelations = s.correlations === "dealer" ? { kind: "dealer", seed: randomBytes(16).toString("hex") }
    : s.correlations === "he" ? { kind: "he", params: HE_PARAMS } : { kind: "ot" };
  const channel = opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {};
  const e = t instanceof TcpTransport ? makeTcpEndpoint("server", t, channel) : makeEndpoint("server", t, channel);
  try {
    e.meter.setLayer("setup");
    // The client's first frame is its handshake (HANDSHAKE_FRAME_BYTES at most); the frames after
    // it are bounded by what the program lets it send. Set before the program goes out, so the
    // switch happens exactly at that frame however fast the client answers.
    t.limit(s.maxClientFrame, 1);
    const frame = frameOf(s, correlations);
    await e.meter.scope("program", async () => e.ch.send(frame));
    await handshake(e.ch, fingerprint(new TextDecoder().decode(frame)));
    opts.onHandshake?.();
    const p = await withProvider(e, specOf(correlations));
    try {
      await runParty(p, s.program.graph, s.program.ranges, undefined, opts);
    } finally {
      p.corr.close?.(); // the provider's SEAL objects (he): a served worker runs many sessions
    }
    return { meter: p.meter.report(), graph: s.program.graph, correlations: correlations.kind, model: s.hash, heMs: p.meter.heMs() };
  } finally {
    e.ch.close();
  }
}

/** Serve one client on an open listener (tests, `pq serve --once` without worker threads). */
export async function serveOne(listener: Listener, s: Served, opts: RemoteOptions = {}): Promise<RemoteResult> {
  return serveSession(await listener.accept(opts.timeoutMs, HANDSHAKE_FRAME_BYTES), s, opts);
}

export interface ConnectRunOptions extends RemoteOptions {
  /** TLS with the server pinned (the default of `pq connect`); plaintext TCP when absent. */
  tls?: TlsOptions;
  /** The model hash the client accepts (PQ5011 for any other program). */
  expectModel?: string;
  /** How long to wait for the TLS handshake and the program: the server may be busy with other sessions (default: 120 s). */
  waitMs?: number;
  /** Connection attempts while the server is not up yet (tcp.ts connect). */
  retries?: number;
}

/** Connect, receive the program, load the input for it, and run the client's role. */
export async function connectAndRun(
  host: string, port: number, inputsFor: (g: Graph) => Map<string, Tensor>, opts: ConnectRunOptions = {},
): Promise<RemoteResult> {
  const waitMs = opts.waitMs ?? 120_000;
  const t = await connect(host, port, { maxFrame: PROGRAM_FRAME_BYTES, handshakeMs: waitMs, ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.retries !== undefined ? { retries: opts.retries } : {}) });
  const e = makeTcpEndpoint("client", t, { timeoutMs: waitMs });
  try {
    e.ch.where = "setup (waiting for the server's program)";
    e.meter.setLayer("setup");
    const bytes = await e.meter.scope("program", () => e.ch.recv());
    e.ch.timeoutMs = opts.timeoutMs ?? 30_000;
    const { correlations, program } = split(bytes);
    const model = createHash("sha256").update(program).digest("hex");
    if (opts.expectModel !== undefined && opts.expectModel !== model) throw new PqError(diag("PQ5011", { got: model, want: opts.expectModel }));
    const { graph, ranges } = parseProgram(program);
    // Refused before the handshake: the client sends nothing to a dealer run it did not accept.
    if (correlations.kind === "dealer" && !opts.insecureDealer) throw new PqError(diag("PQ5008", { party: "client" }));
    const inputs = inputsFor(graph);
    // The server's frames from now on (its ~100-byte handshake, then the run): at most the
    // largest message this program has it write (frameBounds). Set before this side's handshake goes out.
    try {
      t.limit(frameBounds({ graph, ranges }, correlations.kind).server);
    } catch (err) {
      invalid(`its cost cannot be forecast (${(err as Error).message})`);
    }
    await handshake(e.ch, fingerprint(new TextDecoder().decode(bytes)));
    const party = await withProvider(e, specOf(correlations));
    let outputs: Tensor[] | undefined;
    try {
      outputs = await runParty(party, graph, ranges, inputs, opts);
    } catch (err) {
      // Well-formed programs of this pq run; anything else failing inside is the program's fault.
      if (err instanceof PqError) throw err;
      invalid(`${e.ch.where}: ${(err as Error).message}`);
    } finally {
      party.corr.close?.();
    }
    return { outputs: outputs!, meter: party.meter.report(), graph, correlations: correlations.kind, model, heMs: party.meter.heMs() };
  } finally {
    e.ch.close();
  }
}
