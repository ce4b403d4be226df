// Checks for proofs/ot.md and the "Under OT" sections of select.md, b2a.md and linear.md.
// Two kinds:
// - `otIdentities`: the ring identities the OT kernels and the OT provider rest on, by brute
//   force at small widths (no protocol code: plain bigint arithmetic, the formulas as the
//   documents state them, with the code's reading rule for the operands' bits);
// - `otKernels`: the unchanged protocol code — base OT, IKNP, TCCR, COT/ROT/vector COT, the
//   `ot` provider and the OT-native kernels — run by both parties in one process over the
//   in-memory channel (twopc/local.ts runBoth with the `ot` provider). The OT randomness comes
//   from node:crypto and cannot be enumerated, so these are SAMPLED in the randomness; the
//   inputs are every sharing at the widths stated (packed as the elements of one vector);
// - `millionaireOtInputs`: the OT-native comparison (proofs/millionaire-ot.md) on every input
//   pair at small widths, with and without shared low digits, sampled in the randomness too.
import { randomBytes } from "node:crypto";
import { runBoth } from "../../interpreter/twopc/local.js";
import type { Party } from "../../interpreter/twopc/party.js";
import { select, selectMany } from "../../interpreter/protocols/select.js";
import { b2a } from "../../interpreter/protocols/b2a.js";
import { serverLinear } from "../../interpreter/protocols/linear.js";
import { millionaire } from "../../interpreter/protocols/millionaire.js";
import { applyMap, type LinearMap } from "../../interpreter/twopc/linear-map.js";
import { constShare, getRing, type Share } from "../../interpreter/twopc/ring.js";
import { bitAt, type Bits } from "../../interpreter/twopc/bits.js";
import { OtProvider } from "../../interpreter/providers/ot.js";
import type { Outcome } from "./engine.js";

const mod = (v: bigint, N: number): bigint => BigInt.asUintN(N, v);
const fail = (cases: number, what: string, detail: string): Outcome => ({ cases, failure: `COUNTEREXAMPLE (${what})\n  ${detail}` });

/** The code's reading of an operand (linear.ts `reading`): m bits, top bit −2^(m−1) when signed and m < N. */
function reading(bits: number, signed: boolean, N: number): { m: number; negTop: boolean } {
  return bits < N ? { m: bits, negTop: signed } : { m: N, negTop: false };
}

/** The values of a `bits`-wide type (capped at N bits: a wider type is read mod 2^N). */
function typeValues(bits: number, signed: boolean): bigint[] {
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const out: bigint[] = [];
  for (let v = lo; v <= hi; v++) out.push(v);
  return out;
}

/**
 * Exhaustive identities at N ≤ maxN:
 *  G  Σ_{k<m} 2^k·coef(k)·bit_k(w mod 2^N)·a ≡ w·a (mod 2^N), coef(m−1) = −1 for a signed reading:
 *     every N, every declared width/signedness, every w of the type, every a ∈ Z_2^N;
 *  T  2^k·((p + c·Δ) mod 2^(N−k)) − 2^k·p ≡ 2^k·c·Δ (mod 2^N): every k < N, p, Δ ∈ Z_2^(N−k), c;
 *  S  (b0 ⊕ b1)·(d0 + d1) ≡ out_C + out_S with out_P = b_P·d_P − x_P + x_Q + b_P·(1 − 2b_Q)·d_Q
 *     (selectOt): every bit pair, d0, d1, and COT pads x_C, x_S ∈ Z_2^N (N ≤ min(maxN, 4));
 *  B  (b_C + 2x) + (b_S − 2(x + b_S·b_C)) ≡ b_C ⊕ b_S: every bit pair, every x ∈ Z_2^N (xorToArith);
 *  A  c_C ⊕ c_S = (a_C ⊕ a_S)·(b_C ⊕ b_S) for c_C = c_S ⊕ (a_S ⊕ a_C)(b_S ⊕ b_C), the server's
 *     1-of-16 message at the client's choice (andTriples, each half of a pair): all 32 assignments;
 *  M  Gilboa: a_C·b_C + a_S·b_S + Σ_k (y_C,k − x_C,k) + Σ_k (y_S,k − x_S,k) ≡ (a_C + a_S)(b_C + b_S)
 *     with y_P,k = x_Q,k + bit_k(b_P)·a_Q·2^k: every a_C, a_S, b_C, b_S ∈ Z_2^N and x ≡ 0, then
 *     (the pads enter linearly, once with each sign) every single pad set to every value (N ≤ 3).
 */
export function otIdentities(maxN: number): Outcome {
  let cases = 0;
  for (let N = 1; N <= maxN; N++) {
    // G
    for (let bits = 1; bits <= N + 1; bits++) {
      for (const signed of [false, true]) {
        const { m, negTop } = reading(bits, signed, N);
        const ws = bits <= N ? typeValues(bits, signed) : typeValues(N, false);
        for (const w of ws) {
          const u = mod(w, N);
          for (let a = 0n; a < 1n << BigInt(N); a++) {
            let s = 0n;
            for (let k = 0; k < m; k++) {
              const c = (u >> BigInt(k)) & 1n;
              s += (negTop && k === m - 1 ? -1n : 1n) * (c << BigInt(k)) * a;
            }
            cases++;
            if (mod(s, N) !== mod(w * a, N)) return fail(cases, "G: signed Gilboa decomposition", `N=${N} type=${signed ? "i" : "u"}${bits} w=${w} a=${a}: Σ = ${mod(s, N)}, w·a = ${mod(w * a, N)}`);
          }
        }
      }
    }
    // T
    for (let k = 0; k < N; k++) {
      const l = N - k;
      for (let p = 0n; p < 1n << BigInt(l); p++) {
        for (let D = 0n; D < 1n << BigInt(l); D++) {
          for (const c of [0n, 1n]) {
            cases++;
            const lhs = mod((mod(p + c * D, l) << BigInt(k)) - (p << BigInt(k)), N);
            if (lhs !== mod((c * D) << BigInt(k), N)) return fail(cases, "T: messages mod 2^(N−k)", `N=${N} k=${k} p=${p} Δ=${D} c=${c}`);
          }
        }
      }
    }
    // B
    for (const bC of [0n, 1n]) for (const bS of [0n, 1n]) {
      for (let x = 0n; x < 1n << BigInt(N); x++) {
        cases++;
        if (mod(bC + 2n * x + bS - 2n * (x + bS * bC), N) !== mod(bC ^ bS, N)) return fail(cases, "B: xorToArith", `N=${N} b_C=${bC} b_S=${bS} x=${x}`);
      }
    }
    // S
    if (N <= 4) {
      const R = 1n << BigInt(N);
      for (const bC of [0n, 1n]) for (const bS of [0n, 1n]) for (let d0 = 0n; d0 < R; d0++) for (let d1 = 0n; d1 < R; d1++) for (let xC = 0n; xC < R; xC++) for (let xS = 0n; xS < R; xS++) {
        cases++;
        const outC = bC * d0 - xC + (xS + bC * (1n - 2n * bS) * d1);
        const outS = bS * d1 - xS + (xC + bS * (1n - 2n * bC) * d0);
        if (mod(outC + outS, N) !== mod((bC ^ bS) * (d0 + d1), N)) return fail(cases, "S: selectOt", `N=${N} b=(${bC},${bS}) d=(${d0},${d1}) pads=(${xC},${xS})`);
      }
    }
    // M
    if (N <= 5) {
      const R = 1n << BigInt(N);
      const cross = (aC: bigint, aS: bigint, bC: bigint, bS: bigint, pad: (who: 0 | 1, k: number) => bigint): bigint => {
        let s = aC * bC + aS * bS;
        for (let k = 0; k < N; k++) {
          const K = BigInt(k);
          const yC = pad(1, k) + ((bC >> K) & 1n) * (aS << K); // client receives from the server's sender
          const yS = pad(0, k) + ((bS >> K) & 1n) * (aC << K);
          s += yC - pad(0, k) + yS - pad(1, k);
        }
        return mod(s, N);
      };
      for (let aC = 0n; aC < R; aC++) for (let aS = 0n; aS < R; aS++) for (let bC = 0n; bC < R; bC++) for (let bS = 0n; bS < R; bS++) {
        const want = mod((aC + aS) * (bC + bS), N);
        const pads: [0 | 1, number, bigint][] = [[0, 0, 0n]];
        if (N <= 3) for (const who of [0, 1] as const) for (let k = 0; k < N; k++) for (let v = 1n; v < R; v++) pads.push([who, k, v]);
        for (const [who, k, v] of pads) {
          cases++;
          const got = cross(aC, aS, bC, bS, (w, j) => (w === who && j === k ? v : 0n));
          if (got !== want) return fail(cases, "M: Gilboa triple", `N=${N} a=(${aC},${aS}) b=(${bC},${bS}) pad ${who ? "x_S" : "x_C"},${k}=${v}: got ${got}, want ${want}`);
        }
      }
    }
  }
  // A
  for (let bitsA = 0; bitsA < 32; bitsA++) {
    const [aC, bC, aS, bS, cS] = [0, 1, 2, 3, 4].map((i) => (bitsA >> i) & 1) as [number, number, number, number, number];
    // The server's message for the client's choice (i, j) = (a_C, b_C): c_S ⊕ (a_S ⊕ i)(b_S ⊕ j).
    const cC = cS ^ ((aS ^ aC) & (bS ^ bC));
    cases++;
    if ((cC ^ cS) !== ((aC ^ aS) & (bC ^ bS))) return fail(cases, "A: AND triple from a 1-of-16 OT message", `a=(${aC},${aS}) b=(${bC},${bS}) c_S=${cS}`);
  }
  return { cases };
}

// ------------------------------------------------------------ the real OT code

const ring = (N: number, vals: readonly bigint[]): Share => constShare(N, [vals.length], (i) => vals[i]!);
const randomRingValue = (N: number): bigint => mod(randomBytes(8).readBigUInt64LE(0), N);

async function both<T>(client: (p: Party) => Promise<T>, server: (p: Party) => Promise<T>): Promise<[T, T]> {
  const r = await runBoth(client, server, { provider: { kind: "ot" }, transport: "memory" });
  if (!(r.parties[0].corr instanceof OtProvider) || !(r.parties[1].corr instanceof OtProvider)) throw new Error("checker: the ot provider did not run");
  return [r.client, r.server];
}

/** select (selectOt): every sharing of (b, x, y) at width N as one vector; a scalar condition; two pairs in two rings. */
async function selectAll(N: number): Promise<Outcome> {
  const R = 1 << N;
  const b0: number[] = [], b1: number[] = [], x0: bigint[] = [], x1: bigint[] = [], y0: bigint[] = [], y1: bigint[] = [];
  for (let c = 0; c < 4; c++) for (let i = 0; i < R ** 4; i++) {
    b0.push(c & 1); b1.push(c >> 1);
    x0.push(BigInt(i % R)); x1.push(BigInt(Math.floor(i / R) % R)); y0.push(BigInt(Math.floor(i / R ** 2) % R)); y1.push(BigInt(Math.floor(i / R ** 3)));
  }
  const n = b0.length;
  const [oc, os] = await both(
    (p) => select(p, Uint8Array.from(b0), ring(N, x0), ring(N, y0)),
    (p) => select(p, Uint8Array.from(b1), ring(N, x1), ring(N, y1)));
  for (let i = 0; i < n; i++) {
    const want = mod(b0[i]! ^ b1[i]! ? x0[i]! + x1[i]! : y0[i]! + y1[i]!, N);
    const got = mod(getRing(oc, i) + getRing(os, i), N);
    if (got !== want) return fail(i + 1, `select N=${N}`, `b=(${b0[i]},${b1[i]}) x=(${x0[i]},${x1[i]}) y=(${y0[i]},${y1[i]}): got ${got}, want ${want}`);
  }
  // One condition bit for several elements and two pairs in two rings (selectMany, as argmax uses it).
  const M = N + 3;
  const xs = [ring(N, x0.slice(0, 8)), ring(M, x1.slice(0, 8))];
  const ys = [ring(N, y0.slice(0, 8)), ring(M, y1.slice(0, 8))];
  let cases = n;
  for (const [c0, c1] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
    const [pc, ps] = await both(
      (p) => selectMany(p, Uint8Array.of(c0), [[xs[0]!, ys[0]!], [xs[1]!, ys[1]!]]),
      (p) => selectMany(p, Uint8Array.of(c1), [[ring(N, x0.slice(8, 16)), ring(N, y0.slice(8, 16))], [ring(M, x1.slice(8, 16)), ring(M, y1.slice(8, 16))]]));
    for (const [j, W] of [[0, N], [1, M]] as const) {
      for (let i = 0; i < 8; i++) {
        const xv = j === 0 ? x0[i]! + x0[8 + i]! : x1[i]! + x1[8 + i]!;
        const yv = j === 0 ? y0[i]! + y0[8 + i]! : y1[i]! + y1[8 + i]!;
        const want = mod(c0 ^ c1 ? xv : yv, W);
        cases++;
        if (mod(getRing(pc[j]!, i) + getRing(ps[j]!, i), W) !== want) return fail(cases, `selectMany N=${N}, ${M}`, `condition (${c0},${c1}) pair ${j} element ${i}`);
      }
    }
  }
  return { cases };
}

/** b2a (the OT kernel, xorToArith): every XOR sharing, at width N. */
async function b2aAll(N: number): Promise<Outcome> {
  const bC = [0, 0, 1, 1], bS = [0, 1, 0, 1];
  const [oc, os] = await both((p) => b2a(p, Uint8Array.from(bC), N, [4]), (p) => b2a(p, Uint8Array.from(bS), N, [4]));
  for (let i = 0; i < 4; i++) {
    if (mod(getRing(oc, i) + getRing(os, i), N) !== BigInt(bC[i]! ^ bS[i]!)) return fail(i + 1, `b2a N=${N}`, `b=(${bC[i]},${bS[i]})`);
  }
  return { cases: 4 };
}

/** linearOt: y = W·x (linear, W [O, 1] holding every value of its type) for every sharing of x; both orientations; shared and client-only x. */
async function linearAll(N: number, wBits: number, wSigned: boolean): Promise<Outcome> {
  const wv = typeValues(Math.min(wBits, N), wSigned);
  const O = wv.length;
  let cases = 0;
  for (const receiver of [0, 1] as const) {
    for (const clientOnly of [false, true]) {
      const xType = { bits: clientOnly ? Math.min(N, 2) : N, signed: clientOnly };
      const map: LinearMap = { op: "linear", w: [O, 1], x: [1], y: [O], wElem: { bits: Math.min(wBits, N), signed: wSigned }, xElem: xType, receiver };
      const W = constShare(N, [O, 1], (i) => wv[i]!);
      const sharings: [bigint, bigint][] = [];
      if (clientOnly) for (const v of typeValues(xType.bits, xType.signed)) sharings.push([v, 0n]);
      else for (let a = 0n; a < 1n << BigInt(N); a++) for (let b = 0n; b < 1n << BigInt(N); b++) sharings.push([a, b]);
      for (const [a, b] of sharings) {
        const [yc, ys] = await both(
          (p) => serverLinear(p, map, undefined, ring(N, [a]), clientOnly),
          (p) => serverLinear(p, map, W, ring(N, [b]), clientOnly));
        const want = applyMap(map, W, ring(N, [a + b]), N);
        for (let o = 0; o < O; o++) {
          cases++;
          if (mod(getRing(yc, o) + getRing(ys, o), N) !== mod(getRing(want, o), N)) {
            return fail(cases, `linear N=${N} W: ${wSigned ? "i" : "u"}${wBits} receiver=${receiver ? "weights" : "activations"}${clientOnly ? " client-only" : ""}`, `W=${wv[o]} x=(${a},${b})`);
          }
        }
      }
    }
  }
  return { cases };
}

/**
 * linearOt on re-weighted weights (ops.ts `split`, `support`; proofs/linear.md "Re-weighted
 * weights"): a one-column W holding every value of i_m, split at every l < m with the support
 * its outliers (l = 0: its non-zero values), the weights receiving, every sharing of x.
 */
async function linearReweighted(N: number, m: number): Promise<Outcome> {
  const wv = typeValues(m, true);
  const O = wv.length;
  const W = constShare(N, [O, 1], (i) => wv[i]!);
  let cases = 0;
  for (let l = 0; l < m; l++) {
    const half = l === 0 ? 0n : 1n << BigInt(l - 1);
    const support = wv.flatMap((v, i) => ((l === 0 ? v !== 0n : v < -half || v >= half) ? [i] : []));
    const map: LinearMap = { op: "linear", w: [O, 1], x: [1], y: [O], wElem: { bits: m, signed: true }, xElem: { bits: N, signed: false }, receiver: 1, split: l, support };
    for (let a = 0n; a < 1n << BigInt(N); a++) {
      for (let b = 0n; b < 1n << BigInt(N); b++) {
        const [yc, ys] = await both((p) => serverLinear(p, map, undefined, ring(N, [a])), (p) => serverLinear(p, map, W, ring(N, [b])));
        const want = applyMap(map, W, ring(N, [a + b]), N);
        for (let o = 0; o < O; o++) {
          cases++;
          if (mod(getRing(yc, o) + getRing(ys, o), N) !== mod(getRing(want, o), N)) return fail(cases, `re-weighted linear N=${N} W: i${m} split=${l}`, `W=${wv[o]} x=(${a},${b})`);
        }
      }
    }
  }
  return { cases };
}

/** linearOt on a padded convolution (padding skipped by the activation receiver, zero Δ for the weight receiver), sampled values. */
async function linearConv(N: number): Promise<Outcome> {
  let cases = 0;
  for (const receiver of [0, 1] as const) {
    const map: LinearMap = { op: "conv2d", stride: 1, pad: 1, groups: 2, w: [2, 1, 3, 3], x: [2, 3, 3], y: [2, 3, 3], wElem: { bits: 3, signed: true }, xElem: { bits: N, signed: false }, receiver };
    const W = constShare(N, map.w, () => BigInt.asIntN(3, randomRingValue(3)));
    const x0 = Array.from({ length: 18 }, () => randomRingValue(N));
    const x1 = Array.from({ length: 18 }, () => randomRingValue(N));
    const [yc, ys] = await both(
      (p) => serverLinear(p, map, undefined, constShare(N, map.x, (i) => x0[i]!)),
      (p) => serverLinear(p, map, W, constShare(N, map.x, (i) => x1[i]!)));
    const want = applyMap(map, W, constShare(N, map.x, (i) => x0[i]! + x1[i]!), N);
    for (let i = 0; i < 18; i++) {
      cases++;
      if (mod(getRing(yc, i) + getRing(ys, i), N) !== mod(getRing(want, i), N)) return fail(cases, `conv2d pad 1 N=${N} receiver=${receiver}`, `output ${i}`);
    }
  }
  return { cases };
}

/** The provider's correlations from the real OT code: AND triples, Beaver triples (Gilboa), bit pairs. */
async function providerCorrelations(N: number, n: number): Promise<Outcome> {
  const ot = (p: Party): OtProvider => p.corr as OtProvider;
  const [tc, ts] = await both((p) => ot(p).triples(N, [n]), (p) => ot(p).triples(N, [n]));
  for (let i = 0; i < n; i++) {
    const a = getRing(tc.a, i) + getRing(ts.a, i), b = getRing(tc.b, i) + getRing(ts.b, i);
    if (mod(getRing(tc.c, i) + getRing(ts.c, i), N) !== mod(a * b, N)) return fail(i + 1, `triples N=${N}`, `element ${i}`);
  }
  const [pc, ps] = await both((p) => ot(p).bitPairs(N, n), (p) => ot(p).bitPairs(N, n));
  for (let i = 0; i < n; i++) {
    if (mod(getRing(pc.arith, i) + getRing(ps.arith, i), N) !== BigInt(pc.bool[i]! ^ ps.bool[i]!)) return fail(n + i + 1, `bitPairs N=${N}`, `element ${i}`);
  }
  const [ac, as] = await both((p) => ot(p).andTriples(n), (p) => ot(p).andTriples(n));
  for (let i = 0; i < n; i++) {
    const bit = (v: Bits) => bitAt(v, i);
    if ((bit(ac.c) ^ bit(as.c)) !== ((bit(ac.a) ^ bit(as.a)) & (bit(ac.b) ^ bit(as.b)))) return fail(2 * n + i + 1, "andTriples", `element ${i}`);
  }
  return { cases: 3 * n };
}

/** Every piece in order; stop at the first failure. */
export async function otKernels(full: boolean): Promise<Outcome> {
  const steps: (() => Promise<Outcome>)[] = [];
  for (const N of full ? [1, 2, 3] : [1, 2]) steps.push(() => selectAll(N));
  for (const N of full ? [1, 2, 3, 4, 5, 6, 7, 8, 16, 31, 32, 33, 52, 53, 63, 64] : [1, 8, 53, 64]) steps.push(() => b2aAll(N));
  for (const [N, wb, ws] of (full ? [[2, 2, true], [2, 2, false], [3, 2, true], [3, 3, false], [3, 4, true]] : [[2, 2, true]]) as [number, number, boolean][]) steps.push(() => linearAll(N, wb, ws));
  for (const N of full ? [5, 32, 53, 64] : [5]) steps.push(() => linearConv(N));
  for (const [N, m] of (full ? [[3, 3], [4, 4]] : [[3, 3]]) as [number, number][]) steps.push(() => linearReweighted(N, m));
  for (const N of full ? [1, 2, 3, 8, 31, 32, 33, 52, 53, 64] : [3, 64]) steps.push(() => providerCorrelations(N, full ? 512 : 64));
  let cases = 0;
  for (const s of steps) {
    const r = await s();
    cases += r.cases;
    if (r.failure) return { cases, failure: r.failure };
  }
  return { cases };
}

/**
 * millionaire under OT (proofs/millionaire-ot.md) on every (u, v) of m bits, all pairs as one
 * vector; with `low`, two blocks: every (u, v) of block 0 times every pair of high parts of
 * block 1, which keeps block 0's low `low` bits.
 */
export async function millionaireOtInputs(m: number, low = 0): Promise<Outcome> {
  const M = 2 ** m;
  const u: number[] = [];
  const v: number[] = [];
  if (low === 0) {
    for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) u.push(a), v.push(b);
  } else {
    const L = 2 ** low;
    const H = 2 ** (m - low);
    const u1: number[] = [];
    const v1: number[] = [];
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < M; b++) {
        for (let ha = 0; ha < H; ha++) {
          for (let hb = 0; hb < H; hb++) {
            u.push(a), v.push(b);
            u1.push(ha * L + (a % L)), v1.push(hb * L + (b % L));
          }
        }
      }
    }
    u.push(...u1);
    v.push(...v1);
  }
  const share = low > 0 ? { k: 2, low } : undefined;
  const r = await runBoth((p) => millionaire(p, Float64Array.from(u), m, share), (p) => millionaire(p, Float64Array.from(v), m, share), { provider: { kind: "ot" } });
  for (let i = 0; i < u.length; i++) {
    const want = u[i]! > v[i]! ? 1 : 0;
    const got = r.client[i]! ^ r.server[i]!;
    if (got !== want) return { cases: i, failure: `m = ${m}, low = ${low}: u = ${u[i]}, v = ${v[i]}: expected ${want}, got ${got}` };
  }
  return { cases: u.length };
}
