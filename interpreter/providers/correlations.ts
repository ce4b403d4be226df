// What every provider of correlated randomness is (provider.ts makes them): its kind, the
// correlations it supplies, and the asynchronous calls the generic kernels make. A
// provider holds its party's channel and meter (an `Endpoint`), so one that must talk to the
// peer to make correlations fits the same interface as one that need not.
import { performance } from "node:perf_hooks";
import type { Channel, Role } from "../twopc/channel.js";
import type { Meter } from "../twopc/meter.js";
import type { Share } from "../twopc/ring.js";
import type { LinearMap } from "../twopc/linear-map.js";
import type { Bits } from "../twopc/bits.js";

export type ProviderKind = "dealer" | "enumerated" | "ot" | "he";

/** The correlations a kernel may consume (each kernel declares its own, kernels.ts). */
export type CorrelationKind = "triples" | "bilinear" | "andTriples" | "bitPairs";

export const ALL_CORRELATIONS: ReadonlySet<CorrelationKind> = new Set(["triples", "bilinear", "andTriples", "bitPairs"]);

export interface Correlations {
  readonly kind: ProviderKind;
  /** The correlations it makes; a generic kernel runs only if all it consumes are here (kernels.ts). */
  readonly supplies: ReadonlySet<CorrelationKind>;
  /** Shares of a, b and c = a·b, element-wise in Z_{2^bits}. */
  triples(bits: number, shape: number[]): Promise<{ a: Share; b: Share; c: Share }>;
  /**
   * A bilinear triple for a product with a server-held operand: the server receives A (map.w's
   * shape) in the clear, the client B (map.x's), and both shares of C = f(A, B) for the map.
   * `mine` is A at the server and B at the client.
   */
  bilinear(bits: number, map: LinearMap): Promise<{ mine: Share; c: Share }>;
  /** XOR shares of n AND triples (a, b, c = a ∧ b), bit-sliced (twopc/bits.ts). */
  andTriples(n: number): Promise<{ a: Bits; b: Bits; c: Bits }>;
  /** A random bit r shared twice: XOR shares and additive shares in Z_{2^bits} (for B2A). */
  bitPairs(bits: number, n: number): Promise<{ bool: Uint8Array; arith: Share }>;
  /**
   * Run `f`, local work a protocol does on its correlations before the input exists (a
   * product with the model's weights folded into a bilinear triple), timed as this provider's
   * offline work where it measures that.
   */
  offlineWork<T>(f: () => T): T;
  /** Milliseconds this party spent making correlations (offline work), when the provider measures it. */
  readonly offlineMs: number;
  /**
   * The provider this one extends (the he provider extends ot): its correlations are this one's,
   * and its native kernels run where this one has none of its own (kernels.ts).
   */
  readonly base?: Correlations;
  /** Frees what the provider holds outside the JS heap (the he provider's SEAL keys), at the end of a session. */
  close?(): void;
}

/** A party before it has a provider: its role, the channel to the peer and the meter (what a provider may use). */
export interface Endpoint {
  readonly role: Role;
  readonly ch: Channel;
  readonly meter: Meter;
}

/** Run `f` with its wall-clock time added to `clock.offlineMs`: a measuring provider's `offlineWork`. */
export function timedOffline<T>(clock: { offlineMs: number }, f: () => T): T {
  const t = performance.now();
  try {
    return f();
  } finally {
    clock.offlineMs += performance.now() - t;
  }
}
