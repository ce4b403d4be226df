// Providers of correlated randomness, chosen in ONE place (`openProvider`). A provider
// supplies the correlations the generic kernels consume (below) and may register native
// kernels of its own for a building block (kernels.ts). The interface is asynchronous and
// a provider holds the party's channel and meter, so one that has to talk to the peer to
// make its correlations (oblivious transfer) fits the same seam as one that does not.
//
// Implementations:
//   dealer      a trusted third party, simulated inside both parties from one seed
//               (dealer.ts): fast, for tests and benchmarks — NOT secure;
//   enumerated  the dealer's distribution with its free values drawn from a chosen source
//               (enumerated.ts): an odometer over every value (the proofs' exhaustive
//               checks) or a seeded sampler (the protocol suites), both parties in one process.
import type { Channel, Role } from "../twopc/channel.js";
import type { Meter } from "../twopc/meter.js";
import type { Share } from "../twopc/ring.js";
import type { LinearMap } from "../twopc/linear-map.js";
import { Dealer } from "./dealer.js";
import { CorrelationStore, EnumCorrelations, Sampler } from "./enumerated.js";

export type ProviderKind = "dealer" | "enumerated";

/** The correlations a kernel may consume (each kernel declares its own, kernels.ts). */
export type CorrelationKind = "triples" | "bilinear" | "andTriples" | "bitPairs";

export interface Correlations {
  readonly kind: ProviderKind;
  /** Shares of a, b and c = a·b, element-wise in Z_{2^bits}. */
  triples(bits: number, shape: number[]): Promise<{ a: Share; b: Share; c: Share }>;
  /**
   * A bilinear triple for a product with a server-held operand: the server receives A (map.w's
   * shape) in the clear, the client B (map.x's), and both shares of C = f(A, B) for the map.
   * `mine` is A at the server and B at the client.
   */
  bilinear(bits: number, map: LinearMap): Promise<{ mine: Share; c: Share }>;
  /** XOR shares of AND triples (a, b, c = a ∧ b), one bit per byte. */
  andTriples(n: number): Promise<{ a: Uint8Array; b: Uint8Array; c: Uint8Array }>;
  /** A random bit r shared twice: XOR shares and additive shares in Z_{2^bits} (for B2A). */
  bitPairs(bits: number, n: number): Promise<{ bool: Uint8Array; arith: Share }>;
  /** Milliseconds this party spent making correlations (offline work), when the provider measures it. */
  readonly offlineMs: number;
}

/**
 * Which provider a run uses: what `--correlations` names. A dealer seed is part of the
 * dealer's spec (the same seed gives the same run); an enumerated run shares one store
 * between both parties, so it exists only with both parties in one process.
 */
export type ProviderSpec =
  | { kind: "dealer"; seed: string }
  | { kind: "enumerated"; store: CorrelationStore; log?: { client?: string[]; server?: string[] } };

/** The seeded-sampler enumerated provider (the protocol suites' second provider). */
export function sampledSpec(seed: number): ProviderSpec {
  return { kind: "enumerated", store: new CorrelationStore(new Sampler(seed)) };
}

/** A party before it has a provider: its role, the channel to the peer and the meter (what a provider may use). */
export interface Endpoint {
  readonly role: Role;
  readonly ch: Channel;
  readonly meter: Meter;
}

/** This party's provider for `spec`: the one place providers are made. */
export async function openProvider(spec: ProviderSpec, io: Endpoint): Promise<Correlations> {
  switch (spec.kind) {
    case "dealer":
      return new Dealer(spec.seed, io.role, io.meter);
    case "enumerated":
      return new EnumCorrelations(io.role, spec.store, spec.log?.[io.role]);
  }
}
