// Providers of correlated randomness, chosen in ONE place (`openProvider`). A provider
// supplies the correlations the generic kernels consume (correlations.ts) and may register
// native kernels of its own for a building block (kernels.ts).
//
// Implementations:
//   dealer      a trusted third party, simulated inside both parties from one seed
//               (dealer.ts): fast, for tests and benchmarks — NOT secure;
//   ot          oblivious transfer between the parties, no third party (ot.ts): the
//               secure provider, and the default of every command;
//   he          the OT provider plus BFV keys: the products with server weights by
//               homomorphic encryption (he.ts, protocols/linear-he.ts), the rest by OT;
//   enumerated  the dealer's distribution with its free values drawn from a chosen source
//               (enumerated.ts): an odometer over every value (the proofs' exhaustive
//               checks) or a seeded sampler (the protocol suites), both parties in one process.
import type { Correlations, Endpoint } from "./correlations.js";
import { Dealer } from "./dealer.js";
import { CorrelationStore, EnumCorrelations, Sampler } from "./enumerated.js";
import { OtProvider } from "./ot.js";
import { HeProvider, type HeProducts } from "./he.js";
import type { OtPair } from "../ot/session.js";

/**
 * Which provider a run uses: what `--correlations` names. A dealer seed is part of the
 * dealer's spec (the same seed gives the same run); an enumerated run shares one store
 * between both parties, so it exists only with both parties in one process.
 */
export type ProviderSpec =
  /**
   * `resume`: both parties' OT state from an earlier run between the same two parties in this
   * process (the same session continued: its PRG streams and tweak counters go on, no base
   * OT again). Only the in-process runner sets it (twopc/local.ts).
   */
  | { kind: "ot"; resume?: { client: OtPair; server: OtPair } }
  /** The OT provider (`resume` as there) plus BFV keys for the HE kernel of the server-weight products. */
  | { kind: "he"; resume?: { client: OtPair; server: OtPair }; products?: HeProducts }
  | { kind: "dealer"; seed: string }
  | { kind: "enumerated"; store: CorrelationStore; log?: { client?: string[]; server?: string[] } };

/** The seeded-sampler enumerated provider (the protocol suites' second provider). */
export function sampledSpec(seed: number): ProviderSpec {
  return { kind: "enumerated", store: new CorrelationStore(new Sampler(seed)) };
}

/** This party's provider for `spec`: the one place providers are made. */
export async function openProvider(spec: ProviderSpec, io: Endpoint): Promise<Correlations> {
  switch (spec.kind) {
    case "ot":
      return OtProvider.open(io, spec.resume?.[io.role]);
    case "he": {
      const he = await HeProvider.open(io, spec.resume?.[io.role]);
      if (spec.products) he.products = spec.products;
      return he;
    }
    case "dealer":
      return new Dealer(spec.seed, io.role, io.meter);
    case "enumerated":
      return new EnumCorrelations(io.role, spec.store, spec.log?.[io.role]);
  }
}
