// The `enumerated` provider (provider.ts): the dealer's correlations with their free values
// drawn from a chosen `Source` instead of AES streams.
//
// `Dealer` (dealer.ts) draws, per correlation, a few *free* uniform values and derives the
// one value that fixes the correlation (c1 = a·b − c0, …). `EnumCorrelations` draws the same
// free values and derives the same value, but from a `Source`: an odometer over every
// possible value (exhaustive enumeration, proofs/check/enumerated.ts), or a seeded PRG
// (`Sampler`: the protocol suites' second provider, and sampled proof checks). The free
// values of one request are exactly the dealer's:
//   triples(N, n)      a0, a1, b0, b1, c0 ∈ Z_2^N per element;   c1 = (a0+a1)(b0+b1) − c0
//   bilinear(N, map)   A (server), B (client), c0 ∈ Z_2^N;        c1 = f(A, B) − c0
//   andTriples(n)      a0, a1, b0, b1, c0 ∈ {0,1} per element;    c1 = (a0⊕a1)(b0⊕b1) ⊕ c0
//   bitPairs(N, n)     r0, r1 ∈ {0,1}, s0 ∈ Z_2^N per element;    s1 = (r0⊕r1) − s0
// so a uniform draw of the free values is exactly the ideal dealer's distribution, and
// enumerating all of them enumerates the dealer's whole probability space, each point with
// the same weight.
//
// Both parties ask for correlations in the same order (the protocols are written so); the
// first of the two to make request k draws it, the second receives the stored one, and the
// kinds and sizes of the two requests are checked to agree. Both parties therefore live in
// one process.
import type { Role } from "../twopc/channel.js";
import { constShare, getRing, type Share } from "../twopc/ring.js";
import { numelOf } from "../plain/tensor.js";
import { applyMap, type LinearMap } from "../twopc/linear-map.js";
import { packWords } from "../twopc/bits.js";
import { ALL_CORRELATIONS, type Correlations } from "./correlations.js";

/** Where free randomness comes from: an unsigned value in [0, 2^bits). */
export interface Source {
  draw(bits: number): bigint;
  /** One bit: the same as Number(draw(1)), faster. */
  bit(): number;
}

/** A seeded PRG (sfc32, seeded through SplitMix32): reproducible sampling. */
export class Sampler implements Source {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Every value drawn, when `record` is set (to print a counterexample's randomness). */
  readonly drawn: bigint[] = [];
  constructor(seed: number, private readonly record = false) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix() | 1;
    for (let i = 0; i < 12; i++) this.next32();
  }

  private next32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  private pool = 0;
  private left = 0;

  bit(): number {
    if (this.record) return Number(this.draw(1));
    if (this.left === 0) {
      this.pool = this.next32();
      this.left = 32;
    }
    const b = this.pool & 1;
    this.pool >>>= 1;
    this.left--;
    return b;
  }

  draw(bits: number): bigint {
    let v: bigint;
    if (bits <= 32) v = BigInt(this.next32() % 2 ** bits);
    else {
      v = 0n;
      for (let got = 0; got < bits; got += 32) v |= BigInt(this.next32()) << BigInt(got);
      v = BigInt.asUintN(bits, v);
    }
    if (this.record) this.drawn.push(v);
    return v;
  }
}

type Parts = { client: unknown; server: unknown };

/** One request, drawn once and handed to each party. */
interface Entry {
  what: string;
  parts: Parts;
  taken: Set<Role>;
}

/** The correlations of one run, shared by both parties' `EnumCorrelations`. */
export class CorrelationStore {
  readonly entries: Entry[] = [];
  constructor(readonly source: Source) {}

  take(role: Role, k: number, what: string, make: () => Parts): unknown {
    let e = this.entries[k];
    if (!e) {
      if (k !== this.entries.length) throw new Error(`correlation request ${k} out of order`);
      e = { what, parts: make(), taken: new Set() };
      this.entries.push(e);
    } else if (e.what !== what) {
      throw new Error(`correlation request ${k}: the ${role} asked for ${what}, the other party for ${e.what}`);
    }
    if (e.taken.has(role)) throw new Error(`correlation request ${k} taken twice by the ${role}`);
    e.taken.add(role);
    return role === "client" ? e.parts.client : e.parts.server;
  }
}

const shareOf = (bits: number, shape: number[], v: readonly bigint[]): Share => constShare(bits, shape, (i) => v[i]!);

function ringText(s: Share): string {
  let t = "";
  for (let i = 0; i < s.data.length; i++) t += (i ? "," : "") + BigInt.asUintN(s.bits, getRing(s, i)).toString(16);
  return t;
}

const bitText = (b: Uint8Array): string => Array.from(b, (v) => (v ? "1" : "0")).join("");

/**
 * One party's `Correlations`. Every correlation handed out is appended, as text, to `log`
 * (the party's view of its correlated randomness).
 */
export class EnumCorrelations implements Correlations {
  readonly kind = "enumerated" as const;
  readonly supplies = ALL_CORRELATIONS;
  readonly offlineMs = 0;
  offlineWork<T>(f: () => T): T {
    return f();
  }
  private k = 0;
  constructor(private readonly role: Role, private readonly store: CorrelationStore, private readonly log: string[] | undefined) {}

  private get src(): Source {
    return this.store.source;
  }

  private vec(bits: number, n: number): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) out.push(this.src.draw(bits));
    return out;
  }

  async triples(bits: number, shape: number[]) {
    const n = numelOf(shape);
    const got = this.store.take(this.role, this.k++, `triples/${bits}/${n}`, () => {
      const [a0, a1, b0, b1, c0] = [this.vec(bits, n), this.vec(bits, n), this.vec(bits, n), this.vec(bits, n), this.vec(bits, n)];
      const c1 = a0.map((_, i) => BigInt.asUintN(bits, (a0[i]! + a1[i]!) * (b0[i]! + b1[i]!) - c0[i]!));
      return { client: [a0, b0, c0], server: [a1, b1, c1] };
    }) as bigint[][];
    const [a, b, c] = got.map((v) => shareOf(bits, shape, v)) as [Share, Share, Share];
    this.log?.push(`T:${ringText(a)}|${ringText(b)}|${ringText(c)}`);
    return { a, b, c };
  }

  async bilinear(bits: number, map: LinearMap) {
    const got = this.store.take(this.role, this.k++, `bilinear/${bits}/${map.w}/${map.x}/${map.y}`, () => {
      const A = shareOf(bits, map.w, this.vec(bits, numelOf(map.w)));
      const B = shareOf(bits, map.x, this.vec(bits, numelOf(map.x)));
      const c0 = shareOf(bits, map.y, this.vec(bits, numelOf(map.y)));
      const C = applyMap(map, A, B, bits);
      const c1 = constShare(bits, map.y, (i) => getRing(C, i) - getRing(c0, i));
      return { client: { mine: B, c: c0 }, server: { mine: A, c: c1 } };
    }) as { mine: Share; c: Share };
    const copy = (s: Share): Share => ({ ...s, shape: [...s.shape], data: s.data.slice() } as Share);
    const out = { mine: copy(got.mine), c: copy(got.c) };
    this.log?.push(`L:${ringText(out.mine)}|${ringText(out.c)}`);
    return out;
  }

  private bits(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.src.bit();
    return out;
  }

  async andTriples(n: number) {
    const got = this.store.take(this.role, this.k++, `and/${n}`, () => {
      const [a0, a1, b0, b1, c0] = [this.bits(n), this.bits(n), this.bits(n), this.bits(n), this.bits(n)];
      const c1 = new Uint8Array(n);
      for (let i = 0; i < n; i++) c1[i] = ((a0[i]! ^ a1[i]!) & (b0[i]! ^ b1[i]!)) ^ c0[i]!;
      return { client: [a0, b0, c0], server: [a1, b1, c1] };
    }) as Uint8Array[];
    const [a, b, c] = got.map((v) => v.slice()) as [Uint8Array, Uint8Array, Uint8Array];
    this.log?.push(`A:${bitText(a)}|${bitText(b)}|${bitText(c)}`);
    return { a: packWords(a), b: packWords(b), c: packWords(c) };
  }

  async bitPairs(bits: number, n: number) {
    const got = this.store.take(this.role, this.k++, `bitpairs/${bits}/${n}`, () => {
      const r0 = this.bits(n);
      const r1 = this.bits(n);
      const s0 = this.vec(bits, n);
      const s1 = s0.map((s, i) => BigInt.asUintN(bits, BigInt(r0[i]! ^ r1[i]!) - s));
      return { client: [r0, s0], server: [r1, s1] };
    }) as [Uint8Array, bigint[]];
    const bool = (got[0] as Uint8Array).slice();
    const arith = shareOf(bits, [n], got[1] as bigint[]);
    this.log?.push(`B:${bitText(bool)}|${ringText(arith)}`);
    return { bool, arith };
  }
}
