// The `ot` provider: correlated randomness with no third party, from oblivious transfer
// between the two parties themselves (IKNP extension of base OTs, interpreter/ot/). Each
// party's randomness is its own (node:crypto); nothing but OT messages crosses the wire.
// Threat model: semi-honest parties (proofs/ot.md).
//
// Opening it runs the base OTs in both directions (interpreter/ot/session.ts), metered as
// offline traffic of the primitive `base-ot` in the layer `setup`. Every round first refills a
// direction's silent-OT pool if it is short (Ferret, ot/ferret.ts: about 3 bits per COT at the
// main size), metered as offline traffic of the primitive `silent-ot` in the layer `setup`. It
// supplies, as offline traffic made on demand with the peer (pooled COTs' bits not counted):
//   andTriples(n)    two triples per 1-of-16 OT with 2-bit messages (table trick, the client
//                    receives): (4 + 32)/2 = 18 bits per triple; 1 round trip.
//   bitPairs(N, n)   one ℓ-bit correlated OT per pair (xorToArith of random bits): 1 + N bits.
//   triples(N, n)    Gilboa products of the cross terms, N correlated OTs each way per
//                    element with Δ = a·2^k: 2N(1 + N) bits per triple, 2 rounds.
// It supplies no bilinear triples: products with server weights run the OT-native kernel of
// protocols/linear.ts. Its own kernels (b2a, select, linear) call `otOf(p)`.
import { randomBytes } from "node:crypto";
import { receiveCot, receiveOneOfN, sendCot, sendOneOfN } from "../ot/batches.js";
import { otRound, type ReceiveIn, type SendIn } from "../ot/round.js";
import { needsRefill, refill, setupOt, type OtPair } from "../ot/session.js";
import type { Vec } from "../ot/vec.js";
import { isWide } from "../plain/tensor.js";
import type { Party } from "../twopc/party.js";
import { drawBytes, mulElem, ringFromBytes, type Share } from "../twopc/ring.js";
import type { LinearMap } from "../twopc/linear-map.js";
import { packWords } from "../twopc/bits.js";
import { timedOffline, type CorrelationKind, type Correlations, type Endpoint } from "./correlations.js";
import { performance } from "node:perf_hooks";

/** n uniform bits from node:crypto, one per byte. */
export function randomBits(n: number): Uint8Array {
  const b = randomBytes(n);
  for (let i = 0; i < n; i++) b[i]! &= 1;
  return b;
}

/** n uniform elements of Z_2^bits from node:crypto, as a share-shaped tensor. */
export function randomRing(bits: number, shape: number[]): Share {
  const n = shape.reduce((a, b) => a * b, 1);
  return ringFromBytes(randomBytes(drawBytes(bits) * n), bits, shape);
}

/** A share's elements read unsigned mod 2^bits, in the OT code's representation. */
export function toVec(s: Share): Vec {
  const N = s.bits;
  if (s.data instanceof BigInt64Array) return BigUint64Array.from(s.data, (v) => BigInt.asUintN(N, v));
  const top = 2 ** N;
  const d = s.data as Float64Array;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    out[i] = v < 0 ? v + top : v;
  }
  return out;
}

/** Unsigned values mod 2^bits back to a share (signed canonical form). */
export function fromVec(v: Vec, bits: number, shape: number[]): Share {
  if (v instanceof BigUint64Array) return { shape, bits, signed: true, data: BigInt64Array.from(v, (x) => BigInt.asIntN(bits, x)) };
  const top = 2 ** bits;
  const half = 2 ** (bits - 1);
  const data = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    data[i] = x >= half ? x - top : x;
  }
  return { shape, bits, signed: true, data };
}

/** Element-wise a + s·b mod 2^bits of unsigned vectors (|s| ≤ 4). */
export function combineVec(a: Vec, b: Vec, s: number, bits: number): Vec {
  if (a instanceof BigUint64Array) {
    const B = b as BigUint64Array;
    const k = BigInt(s);
    return BigUint64Array.from(a, (x, i) => BigInt.asUintN(bits, x + k * B[i]!));
  }
  const B = b as Float64Array;
  const top = 2 ** bits;
  const out = new Float64Array(a.length);
  if (bits <= 50 && Math.abs(s) <= 4) {
    // |a + s·b| < 5·2^50 < 2^53: exact, and so is the floor of its product with 1/2^bits.
    const inv = 1 / top;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]! + s * B[i]!;
      out[i] = v - Math.floor(v * inv) * top;
    }
    return out;
  }
  // Stay below 2^53 (exact doubles) at every step, for rings up to 52 bits.
  for (let i = 0; i < a.length; i++) {
    const v = a[i]! + ((s * B[i]!) % top);
    out[i] = v < 0 ? v + top : v >= top ? v - top : v;
  }
  return out;
}

/**
 * n bit triples, two per 1-of-16 OT with 2-bit messages (CrypTFlow2 §3.1.1, as SCI), as one
 * batch of a round (the client receives, with choice (a_C, b_C, a'_C, b'_C); the server sends
 * for each choice (i, j, i', j') the bits c_S ⊕ (a_S ⊕ i)(b_S ⊕ j) and c'_S ⊕ (a'_S ⊕ i')(b'_S ⊕ j'))
 * and this party's triples once the round is done (`triples` takes the client's received
 * messages). An odd n leaves the last pair's second triple unused. Wire: `nChoose1Bytes(⌈n/2⌉, 16, 2)`.
 */
export function bitTripleBatch(n: number, role: "client" | "server", bits: (n: number) => Uint8Array): {
  receive?: ReceiveIn<Uint32Array>;
  send?: SendIn<null>;
  triples(received?: Uint32Array): { a: Uint8Array; b: Uint8Array; c: Uint8Array };
} {
  const pairs = Math.ceil(n / 2);
  const a = bits(n);
  const b = bits(n);
  // Instance i's choice: (a, b) of triple 2i in bits 0, 1, of triple 2i + 1 in bits 2, 3.
  const v = Uint8Array.from({ length: pairs }, (_, i) => a[2 * i]! | (b[2 * i]! << 1) | ((a[2 * i + 1] ?? 0) << 2) | ((b[2 * i + 1] ?? 0) << 3));
  if (role === "client") {
    return {
      receive: receiveOneOfN(v, 16, 2, role),
      triples: (m) => ({ a, b, c: Uint8Array.from({ length: n }, (_, t) => (m![t >>> 1]! >>> (t & 1)) & 1) }),
    };
  }
  const c = bits(n);
  const messages = new Uint32Array(pairs * 16);
  for (let i = 0; i < pairs; i++) {
    for (let v = 0; v < 16; v++) {
      let msg = 0;
      for (let h = 0; h < 2 && 2 * i + h < n; h++) {
        const t = 2 * i + h;
        msg |= (c[t]! ^ ((a[t]! ^ ((v >>> (2 * h)) & 1)) & (b[t]! ^ ((v >>> (2 * h + 1)) & 1)))) << h;
      }
      messages[i * 16 + v] = msg;
    }
  }
  return { send: sendOneOfN(messages, 16, 2), triples: () => ({ a, b, c }) };
}

export class OtProvider implements Correlations {
  readonly kind = "ot" as const;
  readonly supplies: ReadonlySet<CorrelationKind> = new Set<CorrelationKind>(["triples", "andTriples", "bitPairs"]);
  offlineMs = 0;

  offlineWork<T>(f: () => T): T {
    return timedOffline(this, f);
  }

  /** Protected for the proofs' ideal-OT provider (proofs/check/ideal-ot.ts), which replaces `round` and the randomness. */
  protected constructor(private readonly io: Endpoint, readonly session: OtPair) {}

  /** n uniform bits of this party's own (randomBits). */
  randomBits(n: number): Uint8Array {
    return randomBits(n);
  }

  /** Uniform elements of Z_2^bits of this party's own (randomRing). */
  randomRing(bits: number, shape: number[]): Share {
    return randomRing(bits, shape);
  }

  /** Base OTs with the peer, or the continuation of an earlier session between the same parties. */
  static async open(io: Endpoint, resume?: OtPair): Promise<OtProvider> {
    if (resume) {
      // A new run on the same base OTs: its COT pools start empty (the forecast's assumption), counters going on.
      resume.sender.reset();
      resume.receiver.reset();
      return new OtProvider(io, resume);
    }
    io.meter.setLayer("setup");
    const before = io.ch.where;
    io.ch.where = "setup (base OT)";
    try {
      const ot = await io.meter.offline(() => io.meter.scope("base-ot", () => setupOt(io.ch, io.role)));
      return new OtProvider(io, ot);
    } finally {
      io.ch.where = before;
    }
  }

  /**
   * One OT round with the peer (interpreter/ot/round.ts), online; `meanwhile` as otRound's. First,
   * if a direction's pool holds fewer COTs than the round takes, the refill (the session's
   * offline work: layer `setup`, primitive `silent-ot`).
   */
  async round<R, S>(receive: readonly ReceiveIn<R>[], send: readonly SendIn<S>[], meanwhile?: () => void): Promise<{ received: R[]; sent: S[] }> {
    await this.reserve(receive.reduce((a, b) => a + b.choices.length, 0), send.reduce((a, b) => a + b.n, 0));
    return otRound(this.io.ch, this.session, receive, send, meanwhile);
  }

  /**
   * Make the pools hold at least `receive` COTs in which this party receives and `send` in which
   * it sends (the peer calls it with the two swapped): a refill if one is short, as the session's
   * offline work (layer `setup`, primitive `silent-ot`). Rounds call it; a caller may call it
   * ahead of a part whose rounds it counts.
   */
  async reserve(receive: number, send: number): Promise<void> {
    if (!needsRefill(this.session, receive, send)) return;
    const t = performance.now();
    try {
      await this.io.meter.session("silent-ot", () => refill(this.io.ch, this.session, receive, send));
    } finally {
      this.offlineMs += performance.now() - t;
    }
  }

  /** The same round, counted as offline traffic (making correlations) and timed. */
  private async offline<R, S>(name: string, receive: readonly ReceiveIn<R>[], send: readonly SendIn<S>[]): Promise<{ received: R[]; sent: S[] }> {
    const t = performance.now();
    try {
      return await this.io.meter.offline(() => this.io.meter.scope(name, () => this.round(receive, send)));
    } finally {
      this.offlineMs += performance.now() - t;
    }
  }

  /**
   * Additive shares in Z_2^bits of b = b_C ⊕ b_S from XOR shares (one bit per byte):
   * b = b_C + b_S − 2·b_C·b_S, the product by one correlated OT (client sender, Δ = b_C;
   * the server's choice b_S gives it x + b_S·b_C): client b_C + 2x, server b_S − 2y.
   */
  async xorToArith(b: Uint8Array, bits: number, offline = false): Promise<Vec> {
    const mine: Vec = isWide(bits) ? BigUint64Array.from(b, (v) => BigInt(v)) : Float64Array.from(b);
    const run = <R, S>(r: readonly ReceiveIn<R>[], s: readonly SendIn<S>[]) => (offline ? this.offline("bitpairs", r, s) : this.round(r, s));
    if (this.io.role === "client") {
      const { sent } = await run([], [sendCot(mine, bits)]);
      return combineVec(mine, sent[0]!, 2, bits);
    }
    const { received } = await run([receiveCot(b, bits, this.io.role)], []);
    return combineVec(mine, received[0]!, -2, bits);
  }

  async andTriples(n: number) {
    const t = bitTripleBatch(n, this.io.role, (k) => this.randomBits(k));
    const { received } = await this.offline("and-triples", t.receive ? [t.receive] : [], t.send ? [t.send] : []);
    const { a, b, c } = t.triples(received[0]);
    return { a: packWords(a), b: packWords(b), c: packWords(c) };
  }

  async bitPairs(bits: number, n: number) {
    const bool = this.randomBits(n);
    const arith = await this.xorToArith(bool, bits, true);
    return { bool, arith: fromVec(arith, bits, [n]) };
  }

  async triples(bits: number, shape: number[]) {
    const a = this.randomRing(bits, shape);
    const b = this.randomRing(bits, shape);
    const n = a.data.length;
    const av = toVec(a);
    const bv = toVec(b);
    // Instance e·bits + k: choice bit k of b[e]; correlation a[e]·2^k.
    const choices = new Uint8Array(n * bits);
    let delta: Vec;
    if (av instanceof BigUint64Array) {
      const B = bv as BigUint64Array;
      delta = new BigUint64Array(n * bits);
      for (let e = 0; e < n; e++) {
        for (let k = 0; k < bits; k++) {
          choices[e * bits + k] = Number((B[e]! >> BigInt(k)) & 1n);
          delta[e * bits + k] = BigInt.asUintN(bits, av[e]! << BigInt(k));
        }
      }
    } else {
      const B = bv as Float64Array;
      const top = 2 ** bits;
      delta = new Float64Array(n * bits);
      for (let e = 0; e < n; e++) {
        let v = B[e]!;
        for (let k = 0; k < bits; k++) {
          choices[e * bits + k] = v % 2;
          v = Math.floor(v / 2);
          delta[e * bits + k] = (av[e]! * 2 ** k) % top;
        }
      }
    }
    const { received, sent } = await this.offline("triples", [receiveCot(choices, bits, this.io.role)], [sendCot(delta, bits)]);
    // c = a·b + Σ_k y − Σ_k x: this party's share of a_P·b_P + a_Q·b_P + a_P·b_Q.
    const y = received[0]!;
    const x = sent[0]!;
    const cross: Vec = av instanceof BigUint64Array ? new BigUint64Array(n) : new Float64Array(n);
    if (cross instanceof BigUint64Array) {
      const Y = y as BigUint64Array;
      const X = x as BigUint64Array;
      const B = bv as BigUint64Array;
      for (let e = 0; e < n; e++) {
        let acc = (av as BigUint64Array)[e]! * B[e]!;
        for (let k = 0; k < bits; k++) acc += Y[e * bits + k]! - X[e * bits + k]!;
        cross[e] = BigInt.asUintN(bits, acc);
      }
    } else {
      const Y = y as Float64Array;
      const X = x as Float64Array;
      const top = 2 ** bits;
      const prod = toVec(mulElem(a, b)) as Float64Array;
      for (let e = 0; e < n; e++) {
        let acc = prod[e]!;
        for (let k = 0; k < bits; k++) {
          acc += Y[e * bits + k]!;
          if (acc >= top) acc -= top;
          acc -= X[e * bits + k]!;
          if (acc < 0) acc += top;
        }
        cross[e] = acc;
      }
    }
    return { a, b, c: fromVec(cross, bits, shape) };
  }

  bilinear(_bits: number, _map: LinearMap): Promise<{ mine: Share; c: Share }> {
    throw new Error("internal: the ot provider makes no bilinear triples (protocols/linear.ts has an OT kernel)");
  }
}

/** The OT provider of a party running an OT-native kernel (kernels.ts picks those only under it). */
export function otOf(p: Party): OtProvider {
  for (let c: Correlations | undefined = p.corr; c; c = c.base) if (c instanceof OtProvider) return c;
  throw new Error(`internal: an OT kernel runs under the ${p.corr.kind} provider`);
}
