// Correlated randomness. The `Correlations` interface is what protocols ask for; the
// `dealer` provider implements it as a trusted third party would (CrypTen's TTP): every
// correlation is derived from a master seed with AES-128-CTR, the client's part from a
// stream the dealer shares with the client, the server's part from one it shares with the
// server, and the one value that fixes the correlation (e.g. c1 = a·b − c0) is *sent* by
// the dealer to the server — that is the offline communication the meter counts.
//
// THREAT MODEL: dealer mode trusts a third party with every correlation, and in this
// implementation both parties simulate that dealer from one master seed, so each could
// recompute the other's randomness. It is for tests and benchmarks of the online phase,
// not secure against a real adversary. The `ot` and `he` providers remove the third party.
import { createCipheriv, createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Role } from "./channel.js";
import type { Meter } from "./meter.js";
import { add, constShare, mulElem, ringFromBytes, sub, type Share } from "./ring.js";

export interface Correlations {
  readonly kind: "dealer";
  /** Shares of a, b and c = a·b, element-wise in Z_{2^bits}. */
  triples(bits: number, shape: number[]): { a: Share; b: Share; c: Share };
  /**
   * A bilinear triple for a product with a server-held operand: the server receives A
   * (shape aShape) in the clear, the client B (shape bShape), and both shares of C = f(A, B).
   * `mine` is A at the server and B at the client.
   */
  bilinear(bits: number, aShape: number[], bShape: number[], cShape: number[], f: (A: Share, B: Share) => Share): { mine: Share; c: Share };
  /** XOR shares of AND triples (a, b, c = a ∧ b), one bit per byte. */
  andTriples(n: number): { a: Uint8Array; b: Uint8Array; c: Uint8Array };
  /** A random bit r shared twice: XOR shares and additive shares in Z_{2^bits} (for B2A). */
  bitPairs(bits: number, n: number): { bool: Uint8Array; arith: Share };
}

/** Bytes of a deterministic stream named by (seed, request counter, purpose). */
function stream(seed: string, counter: number, purpose: string, bytes: number): Uint8Array {
  const d = createHash("sha256").update(`pq-dealer/${seed}/${counter}/${purpose}`).digest();
  return createCipheriv("aes-128-ctr", d.subarray(0, 16), d.subarray(16, 32)).update(new Uint8Array(bytes));
}

function ringBytes(bits: number, n: number): number {
  return Math.ceil((n * bits) / 8);
}

export class Dealer implements Correlations {
  readonly kind = "dealer" as const;
  private counter = 0;
  /** Milliseconds spent generating correlations: the offline work, interleaved in this simulation. */
  ms = 0;

  private timed<T>(f: () => T): T {
    const t = performance.now();
    try {
      return f();
    } finally {
      this.ms += performance.now() - t;
    }
  }

  triples(bits: number, shape: number[]) {
    return this.timed(() => this.makeTriples(bits, shape));
  }

  bilinear(bits: number, aShape: number[], bShape: number[], cShape: number[], f: (A: Share, B: Share) => Share) {
    return this.timed(() => this.makeBilinear(bits, aShape, bShape, cShape, f));
  }

  andTriples(n: number) {
    return this.timed(() => this.makeAndTriples(n));
  }

  bitPairs(bits: number, n: number) {
    return this.timed(() => this.makeBitPairs(bits, n));
  }

  constructor(private readonly seed: string, private readonly role: Role, private readonly meter: Meter) {}

  private rand(purpose: string, bits: number, shape: number[], counter: number): Share {
    const n = shape.reduce((a, b) => a * b, 1);
    return ringFromBytes(stream(this.seed, counter, purpose, 8 * n), bits, shape);
  }

  private bitsOf(purpose: string, n: number, counter: number): Uint8Array {
    const s = stream(this.seed, counter, purpose, n);
    for (let i = 0; i < n; i++) s[i]! &= 1;
    return s;
  }

  private makeTriples(bits: number, shape: number[]) {
    const k = this.counter++;
    const r = (p: string) => this.rand(p, bits, shape, k);
    if (this.role === "client") return { a: r("a0"), b: r("b0"), c: r("c0") };
    const a = add(r("a0"), r("a1"));
    const b = add(r("b0"), r("b1"));
    const c1 = sub(mulElem(a, b), r("c0"));
    this.meter.onDealer(ringBytes(bits, c1.data.length));
    return { a: r("a1"), b: r("b1"), c: c1 };
  }

  private makeBilinear(bits: number, aShape: number[], bShape: number[], cShape: number[], f: (A: Share, B: Share) => Share) {
    const k = this.counter++;
    const B = this.rand("B", bits, bShape, k);
    if (this.role === "client") return { mine: B, c: this.rand("c0", bits, cShape, k) };
    const A = this.rand("A", bits, aShape, k);
    const C = f(A, B);
    const c1 = sub(C, this.rand("c0", bits, cShape, k));
    this.meter.onDealer(ringBytes(bits, c1.data.length));
    return { mine: A, c: c1 };
  }

  private makeAndTriples(n: number) {
    const k = this.counter++;
    const b = (p: string) => this.bitsOf(p, n, k);
    if (this.role === "client") return { a: b("a0"), b: b("b0"), c: b("c0") };
    const [a0, a1, b0, b1, c0] = [b("a0"), b("a1"), b("b0"), b("b1"), b("c0")];
    const c1 = new Uint8Array(n);
    for (let i = 0; i < n; i++) c1[i] = ((a0[i]! ^ a1[i]!) & (b0[i]! ^ b1[i]!)) ^ c0[i]!;
    this.meter.onDealer(Math.ceil(n / 8));
    return { a: a1, b: b1, c: c1 };
  }

  private makeBitPairs(bits: number, n: number) {
    const k = this.counter++;
    const r0 = this.bitsOf("r0", n, k);
    const s0 = this.rand("s0", bits, [n], k);
    if (this.role === "client") return { bool: r0, arith: s0 };
    const r1 = this.bitsOf("r1", n, k);
    const s1 = sub(constShare(bits, [n], (i) => BigInt(r0[i]! ^ r1[i]!)), s0);
    this.meter.onDealer(ringBytes(bits, n));
    return { bool: r1, arith: s1 };
  }
}
