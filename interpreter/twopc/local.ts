// Both parties in one process over an in-memory channel, with the dealer: the set-up used
// by tests, the REPL and `pq run --backend 2pc`.
import { Channel, memoryPair, type ChannelOptions, type Transport } from "./channel.js";
import { Dealer } from "./dealer.js";
import { Meter } from "./meter.js";
import type { Party } from "./party.js";

export function makeParty(role: "client" | "server", transport: Transport, seed: string, opts: ChannelOptions = {}): Party {
  const meter = new Meter();
  return { role, meter, ch: new Channel(transport, meter, role, opts), corr: new Dealer(seed, role, meter) };
}

/** Run `f` as both parties concurrently; if one fails, close the channel so the other cannot hang. */
export async function runBoth<C, S>(
  client: (p: Party) => Promise<C>, server: (p: Party) => Promise<S>, seed = "pq", opts: ChannelOptions = {},
): Promise<{ client: C; server: S; parties: [Party, Party] }> {
  const [a, b] = memoryPair();
  const pc = makeParty("client", a, seed, opts);
  const ps = makeParty("server", b, seed, opts);
  const guard = <T>(q: Promise<T>, p: Party) => q.catch((e: unknown) => {
    p.ch.close();
    throw e;
  });
  const [c, s] = await Promise.all([guard(client(pc), pc), guard(server(ps), ps)]);
  return { client: c, server: s, parties: [pc, ps] };
}
