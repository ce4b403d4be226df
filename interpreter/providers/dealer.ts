// The `dealer` provider (provider.ts) implements `Correlations` as a trusted third party
// would (CrypTen's TTP): every
// correlation is derived from a master seed with AES-128-CTR, one stream per request whose
// named parts both parties read in the same order (a real dealer would share the client's
// parts with the client only, and the server's with the server), and the one value that
// fixes the correlation (e.g. c1 = a·b − c0) is *sent* by the dealer to the server — that is
// the offline communication the meter counts.
//
// THREAT MODEL: dealer mode trusts a third party with every correlation, and in this
// implementation both parties simulate that dealer from one master seed, so each could
// recompute the other's randomness. It is for tests and benchmarks of the online phase,
// not secure against a real adversary. The `ot` and `he` providers remove the third party.
import { createCipheriv, createHash, type Cipher } from "node:crypto";
import type { Role } from "../twopc/channel.js";
import type { Meter } from "../twopc/meter.js";
import { add, drawBytes, mulElem, ringFromBytes, sub, unpackBits, zeroShare, type Share } from "../twopc/ring.js";
import { applyMap, type LinearMap } from "../twopc/linear-map.js";
import { bitsFromStream, wordsFor, type Bits } from "../twopc/bits.js";
import { ALL_CORRELATIONS, timedOffline, type Correlations } from "./correlations.js";

/** A deterministic stream named by (seed, request counter, purpose): AES-128-CTR, read in order. */
function streamCipher(seed: string, counter: number, purpose: string): Cipher {
  const d = createHash("sha256").update(`pq-dealer/${seed}/${counter}/${purpose}`).digest();
  return createCipheriv("aes-128-ctr", d.subarray(0, 16), d.subarray(16, 32));
}

/** `n` zero bytes to feed the keystream cipher (one buffer, grown as needed, never written). */
let zeros = new Uint8Array(0);
function zeroFeed(n: number): Uint8Array {
  if (zeros.length < n) zeros = new Uint8Array(Math.max(n, 2 * zeros.length));
  return zeros.subarray(0, n);
}

function ringBytes(bits: number, n: number): number {
  return Math.ceil((n * bits) / 8);
}

export class Dealer implements Correlations {
  readonly kind = "dealer" as const;
  readonly supplies = ALL_CORRELATIONS;
  private counter = 0;
  /** Milliseconds spent generating correlations: the offline work, interleaved in this simulation. */
  offlineMs = 0;

  offlineWork<T>(f: () => T): T {
    return timedOffline(this, f);
  }

  private async timed<T>(f: () => T): Promise<T> {
    return this.offlineWork(f);
  }

  triples(bits: number, shape: number[]) {
    return this.timed(() => this.makeTriples(bits, shape));
  }

  bilinear(bits: number, map: LinearMap) {
    return this.timed(() => this.makeBilinear(bits, map));
  }

  andTriples(n: number) {
    return this.timed(() => this.makeAndTriples(n));
  }

  bitPairs(bits: number, n: number) {
    return this.timed(() => this.makeBitPairs(bits, n));
  }

  constructor(private readonly seed: string, private readonly role: Role, private readonly meter: Meter) {}

  /**
   * One request's randomness: the named parts of one AES-CTR stream, in the order given (both
   * parties ask for the same parts, so each reads the same bytes; one cipher per request).
   */
  private parts(counter: number, sizes: readonly (readonly [string, number])[]): (purpose: string) => Uint8Array {
    const cipher = streamCipher(this.seed, counter, sizes.map(([p]) => p).join(","));
    // One keystream for the request; each part starts at a multiple of 4 bytes, so a part of
    // words can be read in place.
    const offsets: number[] = [];
    let total = 0;
    for (const [, n] of sizes) {
      offsets.push(total);
      total += (n + 3) & ~3;
    }
    const stream = cipher.update(zeroFeed(total));
    const at = new Map<string, Uint8Array>();
    sizes.forEach(([p, n], i) => at.set(p, stream.subarray(offsets[i], offsets[i]! + n)));
    return (p) => at.get(p)!;
  }

  private makeTriples(bits: number, shape: number[]) {
    const k = this.counter++;
    const n = shape.reduce((a, b) => a * b, 1);
    const part = this.parts(k, ["a0", "a1", "b0", "b1", "c0"].map((p) => [p, drawBytes(bits) * n] as const));
    const r = (p: string) => ringFromBytes(part(p), bits, shape);
    if (this.role === "client") return { a: r("a0"), b: r("b0"), c: r("c0") };
    const a = add(r("a0"), r("a1"));
    const b = add(r("b0"), r("b1"));
    const c1 = sub(mulElem(a, b), r("c0"));
    this.meter.onDealer(ringBytes(bits, c1.data.length));
    return { a: r("a1"), b: r("b1"), c: c1 };
  }

  private makeBilinear(bits: number, map: LinearMap) {
    const k = this.counter++;
    const size = (shape: number[]) => drawBytes(bits) * shape.reduce((a, b) => a * b, 1);
    const part = this.parts(k, [["B", size(map.x)], ["A", size(map.w)], ["c0", size(map.y)]]);
    const B = ringFromBytes(part("B"), bits, map.x);
    const c0 = ringFromBytes(part("c0"), bits, map.y);
    if (this.role === "client") return { mine: B, c: c0 };
    const A = ringFromBytes(part("A"), bits, map.w);
    const c1 = sub(applyMap(map, A, B, bits), c0);
    this.meter.onDealer(ringBytes(bits, c1.data.length));
    return { mine: A, c: c1 };
  }

  private makeAndTriples(n: number) {
    const k = this.counter++;
    // n uniform bits, bit-sliced: the stream's bytes are the packed bits.
    const part = this.parts(k, ["a0", "a1", "b0", "b1", "c0"].map((p) => [p, 4 * wordsFor(n)] as const));
    const b = (p: string): Bits => bitsFromStream(part(p), n);
    if (this.role === "client") return { a: b("a0"), b: b("b0"), c: b("c0") };
    const a1 = b("a1");
    const b1 = b("b1");
    const c1 = andCorrection(b("a0"), a1, b("b0"), b1, b("c0"), wordsFor(n));
    this.meter.onDealer(Math.ceil(n / 8));
    return { a: a1, b: b1, c: c1 };
  }

  private makeBitPairs(bits: number, n: number) {
    const k = this.counter++;
    const packed = Math.ceil(n / 8);
    const part = this.parts(k, [["r0", packed], ["r1", packed], ["s0", drawBytes(bits) * n]]);
    const r0 = unpackBits(part("r0"), n);
    const s0 = ringFromBytes(part("s0"), bits, [n]);
    if (this.role === "client") return { bool: r0, arith: s0 };
    const r1 = unpackBits(part("r1"), n);
    const s1 = bitPairCorrection(r0, r1, s0);
    this.meter.onDealer(ringBytes(bits, n));
    return { bool: r1, arith: s1 };
  }
}

// The server's side of a correlation in functions of its own: the methods above return early at
// the client, and in one process both parties call them, so a server branch compiled from the
// client's calls alone would be thrown away (deoptimised) at each server call.

/** c1 = (a0 ⊕ a1) ∧ (b0 ⊕ b1) ⊕ c0 over W words. */
function andCorrection(a0: Bits, a1: Bits, b0: Bits, b1: Bits, c0: Bits, W: number): Bits {
  const c1 = new Uint32Array(W);
  for (let w = 0; w < W; w++) c1[w] = ((a0[w]! ^ a1[w]!) & (b0[w]! ^ b1[w]!)) ^ c0[w]!;
  return c1;
}

/** s1 = (r0 ⊕ r1) − s0 in s0's ring. */
function bitPairCorrection(r0: Uint8Array, r1: Uint8Array, s0: Share): Share {
  const n = r0.length;
  if (s0.data instanceof Float64Array) {
    // s0 in signed form, in [−2^(bits−1), 2^(bits−1)): one correction from above.
    const s1 = zeroShare(s0.bits, [n]);
    const o = s1.data as Float64Array;
    const d = s0.data;
    const m = 2 ** s0.bits;
    const half = m / 2;
    for (let i = 0; i < n; i++) {
      const v = (r0[i]! ^ r1[i]!) - d[i]!;
      o[i] = v >= half ? v - m : v;
    }
    return s1;
  }
  const r = zeroShare(s0.bits, [n]);
  for (let i = 0; i < n; i++) r.data[i] = BigInt(r0[i]! ^ r1[i]!);
  return sub(r, s0);
}
