// Privacy of the OT-native kernels and of the `ot` provider's correlations in the OT-hybrid
// model, machine-checked: the checks `ot-privacy/…` (catalog.ts). The unchanged kernels
// (select.ts selectOt, b2a.ts through OtProvider.xorToArith, linear.ts linearOt,
// millionaire.ts compareDigits) and the unchanged provider code (andTriples, triples,
// bitPairs) run under `IdealOtProvider` (ideal-ot.ts): every OT is its ideal functionality,
// and every free value — the OT senders' uniform outputs and each party's own randomness —
// comes from an odometer, so each run is one point of the whole probability space, all with
// the same weight.
//
// A party's view is its input, its own randomness, its OT outputs (as receiver the chosen
// message; as sender its uniform pads, or nothing for 1-of-N) and every frame it receives
// (harness.ts); its own output is appended (Proto.ownShare). Two statements:
//   kernels        (engine.ts, modes `exhaustive` and `randomness`) for each party P and
//                  each input of P, the distribution of P's (view, output) is the same for
//                  every input of the other party — which is the statement that the
//                  simulator Sim_P(x_P, o_P) = "P's view in a run on (x_P, 0), conditioned on
//                  P's output being o_P" is perfect (the run with the other party's input 0
//                  is one of those compared);
//   correlations   (`correlationPrivacy`, inputless) the pair of outputs is distributed as
//                  the F_corr request (uniform on the stated support, and correct in every
//                  run), and P's view, grouped by P's output, has the same distribution for
//                  every output of the other party: Sim_P(o_P) = "P's view conditioned on o_P".
import type { Party } from "../../interpreter/twopc/party.js";
import { getRing, zeroShare, type Share } from "../../interpreter/twopc/ring.js";
import { unpackWords } from "../../interpreter/twopc/bits.js";
import { select, selectMany } from "../../interpreter/protocols/select.js";
import { serverLinear } from "../../interpreter/protocols/linear.js";
import { applyMap, type LinearMap } from "../../interpreter/twopc/linear-map.js";
import { OtProvider } from "../../interpreter/providers/ot.js";
import type { Draw, Outcome, Proto } from "./engine.js";
import { Odometer } from "./enumerated.js";
import { runPair, type View } from "./harness.js";
import { share } from "./shares.js";
import * as P from "./protocols.js";

const sh = (name: string, bits: number): Draw => ({ name, bits, owner: "shared" });
const cl = (name: string, bits: number): Draw => ({ name, bits, owner: "client" });
const sv = (name: string, bits: number): Draw => ({ name, bits, owner: "server" });

/** A share's elements, unsigned, as text. */
export const ringText = (s: Share): string => {
  let t = `${s.bits}:`;
  for (let i = 0; i < s.data.length; i++) t += (i ? "," : "") + BigInt.asUintN(s.bits, getRing(s, i)).toString(16);
  return t;
};
const bitsText = (b: Uint8Array): string => Array.from(b, (v) => (v ? "1" : "0")).join("");
const ringOut = (c: Share, s: Share, i: number): string => `${c.bits}:${BigInt.asUintN(c.bits, getRing(c, i) + getRing(s, i))}`;

/** A protocol of protocols.ts run in the OT-hybrid model, its own output share in the view; no provenance (the OT kernels are leaves). */
function underOt<O>(proto: Proto<O>, own: (o: O) => string): Proto<O> {
  const { leaves: _composite, ...rest } = proto;
  return { ...rest, provider: "ideal-ot", ownShare: own };
}

export const b2aOt = (N: number): Proto<Share> => underOt(P.b2aProto(N), ringText);
export const selectOtProto = (N: number, zeroY = false): Proto<Share> => underOt(P.selectProto(N, zeroY), ringText);
export const andOt = (): Proto<Uint8Array> => underOt(P.andProto(), bitsText);
export const mulOt = (N: number): Proto<Share> => underOt(P.mulProto(N), ringText);
export const millionaireOt = (m: number): Proto<Uint8Array> => underOt(P.millionaireProto(m), bitsText);

/** select with one condition bit for `n` elements (a scalar condition, broadcast), y = literal 0. */
export function selectScalarOt(N: number, n: number): Proto<Share> {
  const xs = Array.from({ length: n }, (_, j) => sh(`x${j}`, N));
  return {
    draws: [sh("b", 1), ...xs],
    run: (p, own) => select(p, Uint8Array.of(Number(own[0]![0]!)), share(N, own.slice(1).map((v) => v[0]!)), zeroShare(N, [1])),
    output: (c, s) => Array.from({ length: n }, (_, i) => ringOut(c, s, i)).join(","),
    spec: ([b, ...x]) => x.map((v) => `${N}:${b ? v : 0n}`).join(","),
    provider: "ideal-ot",
    ownShare: ringText,
  };
}

/** selectMany: one condition, two pairs in two rings (as argmax uses it): (x, 0) in Z_2^N1, (u, 0) in Z_2^N2. */
export function selectTwoRingsOt(N1: number, N2: number): Proto<Share[]> {
  return {
    draws: [sh("b", 1), sh("x", N1), sh("u", N2)],
    run: (p, [b, x, u]) => selectMany(p, Uint8Array.from(b!, Number), [[share(N1, x!), zeroShare(N1, [1])], [share(N2, u!), zeroShare(N2, [1])]]),
    output: (c, s) => `${ringOut(c[0]!, s[0]!, 0)},${ringOut(c[1]!, s[1]!, 0)}`,
    spec: ([b, x, u]) => `${N1}:${b ? x : 0n},${N2}:${b ? u : 0n}`,
    provider: "ideal-ot",
    ownShare: (o) => o.map(ringText).join("|"),
  };
}

export interface LinearOtShape {
  /** y = W·x (linear, W [o, k]) or a padded 1-channel convolution (W [1, 1, 1, k] over x [1, 1, k], pad 1). */
  op: "linear" | "conv";
  o: number;
  k: number;
  /** The OT receiver: 0 the activations (client), 1 the weights (server). */
  receiver: 0 | 1;
  /** W's declared type (its values are drawn from it). */
  w: { bits: number; signed: boolean };
  /** x is the client's plaintext of this type (x1 = 0) instead of shared. */
  clientOnly?: { bits: number; signed: boolean };
}

const readAs = (u: bigint, bits: number, signed: boolean): bigint => (signed ? BigInt.asIntN(bits, u) : u);

/** The server-weight product (linearOt) with W of a declared type, both orientations, shared or client-only x. */
export function linearOtProto(N: number, q: LinearOtShape): Proto<Share> {
  const conv = q.op === "conv";
  const wShape = conv ? [1, 1, 1, q.k] : [q.o, q.k];
  const xShape = conv ? [1, 1, q.k] : [q.k];
  const nw = wShape.reduce((a, b) => a * b, 1);
  const co = q.clientOnly;
  const map: LinearMap = {
    ...(conv ? { op: "conv2d" as const, stride: 1, pad: 1, groups: 1 } : { op: "linear" as const }),
    w: wShape, x: xShape, y: conv ? [1, 3, 3] : [q.o],
    wElem: q.w, xElem: co ?? { bits: N, signed: false }, receiver: q.receiver,
  };
  const ny = map.y.reduce((a, b) => a * b, 1);
  const ws = Array.from({ length: nw }, (_, j) => sv(`W${j}`, q.w.bits));
  const xs = Array.from({ length: q.k }, (_, j) => (co ? cl(`x${j}`, co.bits) : sh(`x${j}`, N)));
  const wVal = (u: bigint) => readAs(u, q.w.bits, q.w.signed);
  const xVal = (u: bigint) => (co ? readAs(u, co.bits, co.signed) : u);
  return {
    draws: [...ws, ...xs],
    run: async (p, own, n) => {
      if (n !== 1) throw new Error("linearOtProto runs one case at a time");
      const client = p.role === "client";
      const w = client ? undefined : share(N, own.slice(0, nw).map((v) => wVal(v[0]!)), wShape);
      const xv = client ? own.map((v) => xVal(v[0]!)) : co ? new Array<bigint>(q.k).fill(0n) : own.slice(nw).map((v) => v[0]!);
      return serverLinear(p, map, w, share(N, xv, xShape), co !== undefined);
    },
    output: (c, s) => Array.from({ length: ny }, (_, i) => ringOut(c, s, i)).join(","),
    spec: (d) => {
      const W = share(N, d.slice(0, nw).map(wVal), wShape);
      const x = share(N, d.slice(nw).map(xVal), xShape);
      const y = applyMap(map, W, x, N);
      return Array.from({ length: ny }, (_, i) => `${N}:${BigInt.asUintN(N, getRing(y, i))}`).join(",");
    },
    provider: "ideal-ot",
    ownShare: ringText,
  };
}

// ------------------------------------------------------------ correlations

export interface CorrelationSpec<T> {
  name: string;
  /** One party's request to the provider. */
  run(ot: OtProvider): Promise<T>;
  text(t: T): string;
  /** The pair is a valid correlation (c = a·b, …). */
  correct(c: T, s: T): boolean;
  /** The size of the output pair's support: it must be uniform on exactly this many pairs. */
  support: bigint;
}

/**
 * An inputless request to the provider, every value of its randomness (an odometer): each run
 * correct; the pair of outputs uniform on a support of the stated size (for F_corr's requests
 * with every valid pair possible, this is F_corr's distribution); and for each party P and
 * each output o_P, the histogram of P's view the same for every output of the other party.
 */
export async function correlationPrivacy<T>(c: CorrelationSpec<T>): Promise<Outcome> {
  const od = new Odometer();
  let cases = 0;
  let depth: number | undefined;
  const pairs = new Map<string, number>();
  type H = Map<string, Map<string, Map<string, number>>>;
  const hist: Record<"client" | "server", H> = { client: new Map(), server: new Map() };
  const bump = (h: H, own: string, other: string, view: string) => {
    let a = h.get(own);
    if (!a) h.set(own, (a = new Map()));
    let b = a.get(other);
    if (!b) a.set(other, (b = new Map()));
    b.set(view, (b.get(view) ?? 0) + 1);
  };
  const ot = (p: Party): OtProvider => {
    if (!(p.corr instanceof OtProvider)) throw new Error("checker: not under the ideal OT provider");
    return p.corr;
  };
  do {
    od.reset();
    let r;
    try {
      r = await runPair(od, (p) => c.run(ot(p)), (p) => c.run(ot(p)), true, "ideal-ot");
    } catch (e) {
      return { cases, failure: `${c.name}: error ${(e as Error).message}\n  free values in draw order: ${od.trace.values.join(" ")}` };
    }
    cases++;
    const tc = c.text(r.client);
    const ts = c.text(r.server);
    if (!c.correct(r.client, r.server)) return { cases, failure: `CORRECTNESS counterexample (${c.name})\n  free values in draw order: ${od.trace.values.join(" ")}\n  client: ${tc}\n  server: ${ts}` };
    if (depth === undefined) depth = od.depth;
    else if (depth !== od.depth) return { cases, failure: `STRUCTURE (${c.name}): ${od.depth} random bits in one run, ${depth} in another` };
    const key = `${tc}|${ts}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    const view = (v: View) => v.events.join(";");
    bump(hist.client, tc, ts, view(r.views.client));
    bump(hist.server, ts, tc, view(r.views.server));
  } while (od.next());
  const counts = new Set(pairs.values());
  if (BigInt(pairs.size) !== c.support || counts.size !== 1) {
    return { cases, failure: `DISTRIBUTION (${c.name}): the output pairs take ${pairs.size} values (expected ${c.support}), with multiplicities ${[...counts].sort((a, b) => a - b).join(", ")} (expected one)` };
  }
  for (const [role, other] of [["client", "server"], ["server", "client"]] as const) {
    for (const [own, byOther] of hist[role]) {
      let ref: [string, Map<string, number>] | undefined;
      for (const entry of byOther) {
        if (!ref) {
          ref = entry;
          continue;
        }
        for (const k of new Set([...ref[1].keys(), ...entry[1].keys()])) {
          const a = ref[1].get(k) ?? 0;
          const b = entry[1].get(k) ?? 0;
          if (a !== b) {
            return {
              cases,
              failure: `PRIVACY counterexample (${c.name}): the ${role}'s view, given its output, depends on the ${other}'s output\n  ${role}'s output: ${own}\n  view: ${k}\n  occurs ${a}× when the ${other}'s output is ${ref[0]}, ${b}× when it is ${entry[0]}`,
            };
          }
        }
      }
    }
  }
  return { cases, randomBits: depth ?? 0 };
}

const u = (s: Share, i: number): bigint => BigInt.asUintN(s.bits, getRing(s, i));

/** Beaver triples by Gilboa's product (OtProvider.triples), n elements of Z_2^N. */
export function gilboaTriples(N: number, n: number): CorrelationSpec<{ a: Share; b: Share; c: Share }> {
  return {
    name: `triples N=${N} n=${n}`,
    run: (ot) => ot.triples(N, [n]),
    text: (t) => `${ringText(t.a)}/${ringText(t.b)}/${ringText(t.c)}`,
    correct: (c, s) => Array.from({ length: n }, (_, i) => BigInt.asUintN(N, (u(c.a, i) + u(s.a, i)) * (u(c.b, i) + u(s.b, i)) - u(c.c, i) - u(s.c, i)) === 0n).every(Boolean),
    // F_corr: a0, a1, b0, b1, c0 free
    support: 1n << BigInt(5 * N * n),
  };
}

/** AND triples from two random OTs (OtProvider.andTriples), n of them. */
export function andTriplesOt(n: number): CorrelationSpec<{ a: Uint8Array; b: Uint8Array; c: Uint8Array }> {
  return {
    name: `andTriples n=${n}`,
    run: async (ot) => {
      const t = await ot.andTriples(n);
      return { a: unpackWords(t.a, n), b: unpackWords(t.b, n), c: unpackWords(t.c, n) };
    },
    text: (t) => `${bitsText(t.a)}/${bitsText(t.b)}/${bitsText(t.c)}`,
    correct: (c, s) => Array.from({ length: n }, (_, i) => (c.c[i]! ^ s.c[i]!) === ((c.a[i]! ^ s.a[i]!) & (c.b[i]! ^ s.b[i]!))).every(Boolean),
    support: 1n << BigInt(5 * n),
  };
}

/**
 * Bit pairs by one COT each (OtProvider.bitPairs). Not F_corr's distribution (ot.md, Open
 * point 1): s0 = r0 + 2x has s0 ≡ r0 (mod 2), so the pair is uniform on 2^(N+1) values per
 * element (r0, r1 and the top N − 1 bits of s0), not 2^(N+2).
 */
export function bitPairsOt(N: number, n: number): CorrelationSpec<{ bool: Uint8Array; arith: Share }> {
  return {
    name: `bitPairs N=${N} n=${n}`,
    run: (ot) => ot.bitPairs(N, n),
    text: (t) => `${bitsText(t.bool)}/${ringText(t.arith)}`,
    correct: (c, s) => Array.from({ length: n }, (_, i) => BigInt.asUintN(N, u(c.arith, i) + u(s.arith, i)) === BigInt(c.bool[i]! ^ s.bool[i]!)).every(Boolean),
    support: 1n << BigInt((N + 1) * n),
  };
}
