// Kernels per provider, as SPU registers kernels per protocol. A building block that
// consumes correlations (and, b2a, select, mul, the server-weight product) keeps a table:
// a `generic` kernel written over the `Correlations` interface, which every provider can
// run, and optionally a native kernel per provider kind (an OT-native multiplexer, an
// HE-native linear layer). The executor never chooses: `kernelOf` picks by the party's
// provider, in this one place. Each kernel states what it consumes and where its proof is;
// its cost formula is in its file's header, beside the code.
import type { Party } from "../twopc/party.js";
import type { CorrelationKind, Correlations, ProviderKind } from "./correlations.js";

export interface Kernel<F> {
  /** The correlations the kernel asks its provider for. */
  readonly consumes: readonly CorrelationKind[];
  /** The proof of correctness and privacy (a file under proofs/). */
  readonly proof: string;
  readonly run: F;
}

export interface Kernels<F> {
  readonly generic: Kernel<F>;
  readonly native?: { readonly [K in ProviderKind]?: Kernel<F> };
}

/** The kernel that runs under this party's provider. */
export function kernelOf<F>(p: Party, ks: Kernels<F>): Kernel<F> {
  for (let c: Correlations | undefined = p.corr; c; c = c.base) {
    const native = ks.native?.[c.kind];
    if (native) return native;
  }
  const missing = ks.generic.consumes.filter((c) => !p.corr.supplies.has(c));
  if (missing.length > 0) throw new Error(`internal: the ${p.corr.kind} provider supplies no ${missing.join(", ")} and has no kernel of its own for ${ks.generic.proof}`);
  return ks.generic;
}
