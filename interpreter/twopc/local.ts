// Both parties in one process: the set-up used by tests, the REPL and `pq run --backend
// 2pc`. The channel is in memory, or real TCP on loopback (`transport: "tcp"`, or
// PQ_TRANSPORT=tcp in the environment); the provider is the one the caller names, or the
// environment's (PQ_PROVIDER=dealer|enumerated|ot|he; OT when unset, so a library caller who
// names nothing gets the private path) — which is how CI runs the two-party suites over
// every transport and every provider (vitest.config.ts makes the dealer the test suites'
// fixture unless PQ_PROVIDER says otherwise).
import { memoryPair, type ChannelOptions, type Transport } from "./channel.js";
import { makeEndpoint, withProvider, type Party } from "./party.js";
import { connect, listen, makeTcpEndpoint, TcpTransport } from "./tcp.js";
import { sampledSpec, type ProviderSpec } from "../providers/provider.js";
import { OtProvider } from "../providers/ot.js";
import type { Correlations } from "../providers/correlations.js";
import type { OtPair } from "../ot/session.js";

export type TransportKind = "memory" | "tcp";

async function transports(kind: TransportKind): Promise<[Transport, Transport]> {
  if (kind === "memory") return memoryPair();
  const server = await listen(0);
  try {
    const [c, s] = await Promise.all([connect("127.0.0.1", server.port), server.accept()]);
    return [c, s];
  } finally {
    server.close();
  }
}

export function defaultTransport(): TransportKind {
  return process.env.PQ_TRANSPORT === "tcp" ? "tcp" : "memory";
}

export const PROVIDER_KINDS = ["dealer", "enumerated", "ot", "he"] as const;

/** The environment's provider (PQ_PROVIDER, OT when unset); dealer and enumerated with fixed randomness so a test can be repeated. */
export function defaultProvider(): ProviderSpec {
  const kind = process.env.PQ_PROVIDER ?? "ot";
  if (kind === "enumerated") return sampledSpec(1);
  if (kind === "ot") return { kind: "ot" };
  if (kind === "he") return { kind: "he" };
  if (kind !== "dealer") throw new Error(`PQ_PROVIDER=${kind}: expected one of ${PROVIDER_KINDS.join(", ")}`);
  return { kind: "dealer", seed: "pq" };
}

/** The OT provider a provider is or extends (whose session a later run may continue). */
function otBase(c: Correlations): OtProvider | undefined {
  return c instanceof OtProvider ? c : c.base ? otBase(c.base) : undefined;
}

export interface BothOptions extends ChannelOptions {
  provider?: ProviderSpec;
  transport?: TransportKind;
}

/**
 * Both parties' OT state after the last in-process run that ended well: the next OT run in
 * this process continues that session instead of running base OTs again (as one long
 * session between the same two parties would). A run that fails drops it, so a session
 * whose two halves may have drifted apart is never continued.
 */
let otSession: { client: OtPair; server: OtPair } | undefined;

/** Run `f` as both parties concurrently; if one fails, close the channel so the other cannot hang. */
export async function runBoth<C, S>(
  client: (p: Party) => Promise<C>, server: (p: Party) => Promise<S>, opts: BothOptions = {},
): Promise<{ client: C; server: S; parties: [Party, Party] }> {
  const kind = opts.transport ?? defaultTransport();
  const given = opts.provider ?? defaultProvider();
  const spec: ProviderSpec = (given.kind === "ot" || given.kind === "he") && !given.resume && otSession ? { ...given, resume: otSession } : given;
  if (spec.kind === "ot" || spec.kind === "he") otSession = undefined;
  const channel: ChannelOptions = opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {};
  const [a, b] = await transports(kind);
  const make = (role: "client" | "server", t: Transport) => (t instanceof TcpTransport ? makeTcpEndpoint(role, t, channel) : makeEndpoint(role, t, channel));
  const ec = make("client", a);
  const es = make("server", b);
  const guard = <T>(q: Promise<T>, ch: { close(): void }) => q.catch((e: unknown) => {
    ch.close();
    throw e;
  });
  const opened: Party[] = [];
  const open = (e: typeof ec) => guard(withProvider(e, spec), e.ch).then((p) => (opened.push(p), p));
  try {
    // Opening a provider may talk to the peer: both sides open theirs concurrently.
    const [pc, ps] = await Promise.all([open(ec), open(es)]);
    const [c, s] = await Promise.all([guard(client(pc), pc.ch), guard(server(ps), ps.ch)]);
    const [oc, os] = [otBase(pc.corr), otBase(ps.corr)];
    if (oc && os) otSession = { client: oc.session, server: os.session };
    return { client: c, server: s, parties: [pc, ps] };
  } finally {
    for (const p of opened) p.corr.close?.();
    if (kind === "tcp") {
      ec.ch.close();
      es.ch.close();
    }
  }
}
