// Both parties in one process, with the dealer: the set-up used by tests, the REPL and
// `pq run --backend 2pc`. The channel is in memory, or real TCP on loopback (`transport:
// "tcp"`, or PQ_TRANSPORT=tcp in the environment, which is how CI runs the two-party suites
// over both channels).
import { memoryPair, type ChannelOptions, type Transport } from "./channel.js";
import { makeParty, type Party } from "./party.js";
import { connect, listen, makeTcpParty, TcpTransport } from "./tcp.js";

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

/** Run `f` as both parties concurrently; if one fails, close the channel so the other cannot hang. */
export async function runBoth<C, S>(
  client: (p: Party) => Promise<C>, server: (p: Party) => Promise<S>, seed = "pq", opts: ChannelOptions = {},
  kind: TransportKind = defaultTransport(),
): Promise<{ client: C; server: S; parties: [Party, Party] }> {
  const [a, b] = await transports(kind);
  const make = (role: "client" | "server", t: Transport) => (t instanceof TcpTransport ? makeTcpParty(role, t, seed, opts) : makeParty(role, t, seed, opts));
  const pc = make("client", a);
  const ps = make("server", b);
  const guard = <T>(q: Promise<T>, p: Party) => q.catch((e: unknown) => {
    p.ch.close();
    throw e;
  });
  try {
    const [c, s] = await Promise.all([guard(client(pc), pc), guard(server(ps), ps)]);
    return { client: c, server: s, parties: [pc, ps] };
  } finally {
    if (kind === "tcp") {
      pc.ch.close();
      ps.ch.close();
    }
  }
}
