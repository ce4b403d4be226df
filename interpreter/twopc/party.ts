// One party's view of a two-party run: its role, its channel (with the meter), its
// provider of correlated randomness. Protocols take a Party and are run by both parties
// with the same arguments' shapes, in the same order; only the data differ.
import { Channel, type ChannelOptions, type Role, type Transport } from "./channel.js";
import { Meter } from "./meter.js";
import type { Correlations, Endpoint } from "../providers/correlations.js";
import { openProvider, type ProviderSpec } from "../providers/provider.js";

export interface Party {
  readonly role: Role;
  readonly ch: Channel;
  readonly corr: Correlations;
  readonly meter: Meter;
}

/** Send ours, receive theirs (both parties call it at the same step): one round. */
export async function exchange(p: Party, payload: Uint8Array): Promise<Uint8Array> {
  p.ch.send(payload);
  return p.ch.recv(payload.length);
}

/** Run a protocol step with its name on the meter's primitive path. */
export function step<T>(p: Party, name: string, f: () => Promise<T>): Promise<T> {
  return p.meter.scope(name, f);
}

/** A fresh meter and a channel over `transport`, before the party has a provider. */
export function makeEndpoint(role: Role, transport: Transport, opts: ChannelOptions = {}): Endpoint {
  const meter = new Meter();
  return { role, meter, ch: new Channel(transport, meter, role, opts) };
}

/** The endpoint with the provider `spec` names (both parties call it at the same step: a provider may talk to its peer). */
export async function withProvider(e: Endpoint, spec: ProviderSpec): Promise<Party> {
  return { ...e, corr: await openProvider(spec, e) };
}
