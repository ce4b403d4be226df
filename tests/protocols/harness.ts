// Sharing and reconstruction for protocol tests: split a plaintext tensor into two random
// additive shares, run a protocol as both parties, and read the result back.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { add, ringFromBytes, sub, inRing, type Share } from "../../interpreter/twopc/ring.js";
import { tensorFromBigints, toBigints, type Tensor } from "../../interpreter/plain/tensor.js";
import { OtProvider } from "../../interpreter/providers/ot.js";
import type { Correlations } from "../../interpreter/providers/correlations.js";
import type { Party } from "../../interpreter/twopc/party.js";

export function split(t: Tensor): [Share, Share] {
  const x = inRing(t, t.bits);
  const r = ringFromBytes(randomBytes(8 * x.data.length), t.bits, t.shape);
  return [sub(x, r), r];
}

/** Reconstruct and read with the given signedness. */
export function join(a: Share, b: Share, signed: boolean): bigint[] {
  const s = add(a, b);
  return toBigints(s).map((v) => (signed ? v : BigInt.asUintN(s.bits, v)));
}

export function xorJoin(a: Uint8Array, b: Uint8Array): number[] {
  return Array.from(a, (v, i) => v ^ b[i]!);
}

/** A random tensor of `bits` width: fast-check arbitrary of [bits, signed, values]. */
export function tensorArb(opts: { minBits?: number; maxBits?: number; maxLen?: number } = {}): fc.Arbitrary<Tensor> {
  return fc
    .record({ bits: fc.integer({ min: opts.minBits ?? 1, max: opts.maxBits ?? 64 }), signed: fc.boolean(), n: fc.integer({ min: 1, max: opts.maxLen ?? 12 }) })
    .chain(({ bits, signed, n }) => {
      const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
      const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
      const edge = fc.constantFrom(lo, hi, 0n, lo + 1n > hi ? lo : lo + 1n, hi - 1n < lo ? hi : hi - 1n);
      return fc.array(fc.oneof(fc.bigInt({ min: lo, max: hi }), edge), { minLength: n, maxLength: n }).map((vals) => tensorFromBigints([n], bits, signed, vals));
    });
}

/**
 * Under the ot and he providers, fill this party's silent-OT pools (both parties call it) so no
 * refill falls inside the protocol that follows: its rounds are then the protocol's alone.
 */
export async function poolsFilled(p: Party, cots = 100_000): Promise<void> {
  for (let c: Correlations | undefined = p.corr; c; c = c.base) if (c instanceof OtProvider) return c.reserve(cots, cots);
}
