// The enumeration engine shared by every protocol check.
//
// A protocol under test is described once, as a `Proto`: the per-case input draws (each
// owned by the client, the server, or a `shared` secret that is split into two shares), how
// each party runs the protocol on a *vector* of cases, how to reconstruct, and the
// specification. The engine then visits cases in one of these modes:
//
//   exhaustive       one run per case; ONE odometer draws the inputs and then every free
//                    correlated value (EnumCorrelations): every input sharing × every value
//                    of the dealer's randomness, each exactly once and with equal weight.
//   inputs           every input exhaustively — every sharing (`shares: "all"`), or every
//                    secret VALUE with its split into shares drawn from a PRG (`shares:
//                    "sampled"`) — and the correlations from a seeded PRG: randomness SAMPLED,
//                    one draw per case. `chunk` cases run as one vector (the cases are the
//                    elements of the vectors the protocol runs on); chunk 1 is one run per case.
//   sampled          inputs and randomness from a PRG, `runs` runs.
//   randomness       inputs sampled (per party: distinct own inputs × the other's input 0 and
//                    distinct others), every value of the randomness for each (an odometer
//                    over the randomness only): exact view distributions for those inputs.
// A Proto may run under ideal OT instead of the dealer (`provider: "ideal-ot"`, the OT-hybrid
// model of ideal-ot.ts) and name each party's own output (`ownShare`), which is then part of
// the view compared.
//
// Per case it checks, and stops at the first failure (the enumeration visits values in
// increasing order, so the first failure is the lexicographically smallest counterexample):
//   correctness   the reconstructed output equals the specification;
//   structure     (exhaustive) the pattern of messages — the sender's primitive path and the
//                 length of every frame — and the number of random bits drawn are the same
//                 in every case: they may not depend on any input;
//   provenance    (composites) every frame is sent from inside a leaf protocol whose privacy
//                 is checked on its own — the hypothesis of the composition lemma;
//   privacy       (exhaustive with `privacy`, randomness) for each party P and each value of P's own input,
//                 the histogram of P's view over the randomness is the same for every value
//                 of the other party's input. All leaves of the odometer carry the same weight
//                 (constant depth, checked), so equal count histograms are equal
//                 distributions, computed exactly; or, for a protocol that reveals (open,
//                 reveal), P's view equals a simulator's output computed from P's own input
//                 and what P is entitled to learn.
import type { Party } from "../../interpreter/twopc/party.js";
import { Odometer } from "./enumerated.js";
import { Sampler, type Source } from "../../interpreter/providers/enumerated.js";
import { runPair, type HarnessProvider, type View } from "./harness.js";
import type { Role } from "../../interpreter/twopc/channel.js";

export type Owner = "client" | "server" | "shared";

/** One segment of a received frame: `n` ring elements of `bits` bits, or `n` bits. */
export type Seg = { ring: number; n: number } | { bits: number };

/** For each frame a party receives, in order, its segments (n = the case count of the run). */
export type Layout = (role: Role, n: number) => Seg[][];

export interface Draw {
  name: string;
  bits: number;
  owner: Owner;
}

export interface Proto<O = unknown> {
  draws: Draw[];
  /**
   * Run as one party on n cases: `own[k]` is this party's k-th input over the cases (its
   * share of a `shared` draw, its value of an owned draw; the draws of the other party are
   * skipped).
   */
  run(p: Party, own: bigint[][], n: number): Promise<O>;
  /** The reconstructed output of case i. */
  output(client: O, server: O, i: number): string;
  /**
   * The specification for one case; `d` holds the drawn values in draw order, a `shared`
   * draw as its reconstructed value (unsigned in [0, 2^bits)). `undefined`: the case lies
   * outside the protocol's precondition and is skipped.
   */
  spec(d: bigint[]): string | undefined;
  /**
   * Simulators for protocols that reveal: each party's view (events joined by ";") from
   * its own inputs (in its draw order, shares included) and the output it learns.
   */
  simulate?: { client(own: bigint[], learned: string): string; server(own: bigint[], learned: string): string };
  /** A composite: every frame must be sent from inside one of these leaf primitives. */
  leaves?: readonly string[];
  /** A leaf checked algebraically (algebraic.ts): the segments of every frame each party receives. */
  layout?: Layout;
  /**
   * The correlations: the enumerated dealer (default, the F_corr-hybrid model) or ideal OT
   * (`ideal-ot`: the OT-hybrid model, ideal-ot.ts — the OT-native kernels run).
   */
  provider?: HarnessProvider;
  /**
   * A party's own output (its share) as text: appended to its view in the privacy
   * comparison, so what is compared is the joint distribution of (view, own output).
   */
  ownShare?(o: O): string;
}

/** Runaway guard for exhaustive mode: more runs than this is a mistake in the parameters. */
export const MAX_EXHAUSTIVE = 1 << 21;

export type Mode =
  | { kind: "exhaustive"; privacy: boolean }
  /**
   * Every value of the randomness for sampled inputs: for each party P, `own` distinct inputs
   * of P (PRG) and for each, the other party's all-zero input (the simulator's) and `other`
   * more distinct ones (PRG); P's view histograms compared exactly across them.
   */
  | { kind: "randomness"; own: number; other: number; seed?: number }
  | { kind: "inputs"; shares: "all" | "sampled"; chunk?: number; seed?: number }
  | { kind: "sampled"; runs: number; seed?: number };

export interface Outcome {
  /** Cases run (skipped cases, outside the precondition, are not counted). */
  cases: number;
  failure?: string;
  /** Free random bits per run (exhaustive). */
  randomBits?: number;
  /** Distinct views per party among which the histograms were compared. */
  views?: { client: number; server: number };
}

/** The default leaves: the base protocols whose privacy is checked directly. */
export const LEAVES = ["mul", "and", "b2a", "select", "linear"] as const;

// ------------------------------------------------------------------ case material

interface Case {
  /** Drawn values per draw: for a shared draw [share0, share1], else [value]. */
  raw: bigint[][];
}

const value = (d: Draw, r: bigint[]): bigint => (d.owner === "shared" ? BigInt.asUintN(d.bits, r[0]! + r[1]!) : r[0]!);

function ownOf(draws: Draw[], role: "client" | "server", cases: Case[]): bigint[][] {
  const out: bigint[][] = [];
  draws.forEach((d, k) => {
    if (d.owner === "shared") out.push(cases.map((c) => c.raw[k]![role === "client" ? 0 : 1]!));
    else if (d.owner === role) out.push(cases.map((c) => c.raw[k]![0]!));
  });
  return out;
}

function describe(draws: Draw[], c: Case): string {
  return draws
    .map((d, k) => {
      const r = c.raw[k]!;
      return d.owner === "shared" ? `${d.name}=${value(d, r)} (shares ${r[0]}, ${r[1]})` : `${d.name}=${r[0]} (${d.owner})`;
    })
    .join("; ");
}

/** Own input text of a party (its shares and owned values), for grouping views. */
function ownText(draws: Draw[], role: "client" | "server", c: Case): string {
  return ownOf(draws, role, [c]).map((v) => v[0]).join(",");
}

// ------------------------------------------------------------------ checks

type Hist = Map<string, Map<string, Map<string, number>>>;

function bump(h: Hist, own: string, other: string, view: string): void {
  let a = h.get(own);
  if (!a) h.set(own, (a = new Map()));
  let b = a.get(other);
  if (!b) a.set(other, (b = new Map()));
  b.set(view, (b.get(view) ?? 0) + 1);
}

function compareHist(h: Hist, role: string, otherRole: string): string | undefined {
  for (const [own, byOther] of h) {
    let ref: [string, Map<string, number>] | undefined;
    for (const entry of byOther) {
      if (!ref) {
        ref = entry;
        continue;
      }
      const [o1, h1] = ref;
      const [o2, h2] = entry;
      const keys = new Set([...h1.keys(), ...h2.keys()]);
      for (const k of [...keys].sort()) {
        const c1 = h1.get(k) ?? 0;
        const c2 = h2.get(k) ?? 0;
        if (c1 !== c2) {
          return `PRIVACY counterexample: the ${role}'s view distribution depends on the ${otherRole}'s input\n` +
            `  ${role}'s own input: ${own}\n  view: ${k}\n  occurs ${c1}× when the ${otherRole}'s input is ${o1}, ${c2}× when it is ${o2}`;
        }
      }
    }
  }
  return undefined;
}

const viewKey = (v: View): string => v.events.join(";");
const pattern = (c: View, s: View): string => `client[${c.sent.join(",")}] server[${s.sent.join(",")}]`;
const drawsText = (values: readonly bigint[]): string => (values.length === 0 ? "(none)" : values.join(" "));

function provenance(v: View, leaves: readonly string[]): string | undefined {
  for (const s of v.sent) {
    const path = s.slice(0, s.lastIndexOf(":"));
    const leaf = path.slice(path.lastIndexOf("/") + 1);
    if (!leaves.includes(leaf)) return path || "(outside every step)";
  }
  return undefined;
}

/** Read every draw of a case from a source (a shared draw is two draws: its shares). */
function drawCase(draws: Draw[], src: Source): Case {
  return { raw: draws.map((d) => (d.owner === "shared" ? [src.draw(d.bits), src.draw(d.bits)] : [src.draw(d.bits)])) };
}

async function runCases<O>(proto: Proto<O>, cases: Case[], src: Source, record = true) {
  const n = cases.length;
  const oc = ownOf(proto.draws, "client", cases);
  const os = ownOf(proto.draws, "server", cases);
  return runPair(src, (p) => proto.run(p, oc, n), (p) => proto.run(p, os, n), record, proto.provider);
}

/** A party's view as one string: its events, and its own output when the protocol names it. */
function viewOf<O>(proto: Proto<O>, v: View, out: O): string {
  return proto.ownShare ? `${viewKey(v)}|out:${proto.ownShare(out)}` : viewKey(v);
}

/** The message pattern and the randomness depth of the first run, which every later run must repeat. */
interface Seen {
  shape?: string;
  depth?: number;
}

/**
 * One run of case c with the odometer's randomness: its output checked against `expected`,
 * its message pattern and randomness depth against the first run's (`seen`, set by it).
 */
async function runOne<O>(proto: Proto<O>, c: Case, od: Odometer, expected: string, rand: () => string, seen: Seen): Promise<{ r: Awaited<ReturnType<typeof runCases<O>>> } | { failure: string }> {
  const draws = proto.draws;
  let r;
  try {
    r = await runCases(proto, [c], od);
  } catch (e) {
    return { failure: correctness(draws, c, rand(), expected, `error: ${(e as Error).message}`) };
  }
  const got = proto.output(r.client, r.server, 0);
  if (got !== expected) return { failure: correctness(draws, c, rand(), expected, got) };
  const sh = pattern(r.views.client, r.views.server);
  if (seen.shape === undefined) seen.shape = sh;
  else if (sh !== seen.shape) return { failure: `STRUCTURE: the message pattern depends on the inputs\n  inputs: ${describe(draws, c)}\n  pattern: ${sh}\n  earlier: ${seen.shape}` };
  if (seen.depth === undefined) seen.depth = od.depth;
  else if (od.depth !== seen.depth) return { failure: `STRUCTURE: the amount of randomness depends on the inputs (${od.depth} vs ${seen.depth} bits)\n  inputs: ${describe(draws, c)}` };
  return { r };
}

function correctness(draws: Draw[], c: Case, rand: string, expected: string, got: string): string {
  return `CORRECTNESS counterexample\n  inputs:     ${describe(draws, c)}\n  randomness: ${rand}\n  expected:   ${expected}\n  got:        ${got}`;
}

export async function check<O>(proto: Proto<O>, mode: Mode): Promise<Outcome> {
  const draws = proto.draws;
  const specOf = (c: Case) => proto.spec(draws.map((d, k) => value(d, c.raw[k]!)));

  if (mode.kind === "exhaustive") {
    const od = new Odometer();
    let cases = 0;
    const seen: Seen = {};
    let inBits = 0;
    const hc: Hist = new Map();
    const hs: Hist = new Map();
    do {
      od.reset();
      const c = drawCase(draws, od);
      const nIn = od.trace.values.length;
      inBits = od.depth;
      const expected = specOf(c);
      if (expected === undefined) {
        // outside the precondition: skip the whole subtree of this input (the randomness
        // draws are the odometer's last digits; one run with zeros visits nothing further)
        continue;
      }
      const rand = () => `free correlation values in draw order: ${drawsText(od.trace.values.slice(nIn))}`;
      const one = await runOne(proto, c, od, expected, rand, seen);
      if ("failure" in one) return { cases, failure: one.failure };
      const r = one.r;
      cases++;
      if (cases > MAX_EXHAUSTIVE) return { cases, failure: `checker: more than ${MAX_EXHAUSTIVE} exhaustive runs — choose smaller parameters` };
      if (proto.leaves) {
        const bad = provenance(r.views.client, proto.leaves) ?? provenance(r.views.server, proto.leaves);
        if (bad) return { cases, failure: `PROVENANCE: a frame is sent from ${bad}, not from a checked leaf (${proto.leaves.join(", ")})\n  inputs: ${describe(draws, c)}` };
      }
      if (mode.privacy) {
        const learned = expected;
        if (proto.simulate) {
          for (const role of ["client", "server"] as const) {
            const own = ownOf(draws, role, [c]).map((v) => v[0]!);
            const sim = proto.simulate[role](own, learned);
            const real = viewKey(r.views[role]);
            if (sim !== real) {
              return { cases, failure: `PRIVACY counterexample: the ${role}'s view is not the simulator's\n  inputs: ${describe(draws, c)}\n  view:      ${real}\n  simulated: ${sim}` };
            }
          }
        } else {
          bump(hc, ownText(draws, "client", c), ownText(draws, "server", c), viewOf(proto, r.views.client, r.client));
          bump(hs, ownText(draws, "server", c), ownText(draws, "client", c), viewOf(proto, r.views.server, r.server));
        }
      }
    } while (od.next());
    const out: Outcome = { cases, randomBits: (seen.depth ?? inBits) - inBits };
    if (mode.privacy && !proto.simulate) {
      const f = compareHist(hc, "client", "server") ?? compareHist(hs, "server", "client");
      if (f) return { ...out, failure: f };
      const distinct = (h: Hist) => {
        const s = new Set<string>();
        for (const a of h.values()) for (const b of a.values()) for (const k of b.keys()) s.add(k);
        return s.size;
      };
      out.views = { client: distinct(hc), server: distinct(hs) };
    }
    return out;
  }

  if (mode.kind === "randomness") return randomnessMode(proto, mode);

  if (mode.kind === "inputs") {
    // Enumerate the case digits with an odometer, `chunk` cases per run.
    const chunk = mode.chunk ?? 4096;
    const seed = mode.seed ?? 1;
    const od = new Odometer();
    const split = new Sampler(seed * 7_777_777 + 3);
    let cases = 0;
    let more = true;
    let runIndex = 0;
    while (more) {
      const batch: Case[] = [];
      const expect: string[] = [];
      while (more && batch.length < chunk) {
        od.reset();
        let c: Case;
        if (mode.shares === "all") c = drawCase(draws, od);
        else {
          c = {
            raw: draws.map((d) => {
              const v = od.draw(d.bits);
              if (d.owner !== "shared") return [v];
              const s0 = split.draw(d.bits);
              return [s0, BigInt.asUintN(d.bits, v - s0)];
            }),
          };
        }
        const e = specOf(c);
        if (e !== undefined) {
          batch.push(c);
          expect.push(e);
        }
        more = od.next();
      }
      if (batch.length === 0) continue;
      const src = new Sampler(seed * 1_000_003 + runIndex++);
      let r;
      try {
        r = await runCases(proto, batch, src, false);
      } catch (e) {
        return { cases, failure: correctness(draws, batch[0]!, `batched run (PRG seed ${seed}, run ${runIndex - 1}, ${batch.length} cases)`, expect[0]!, `error: ${(e as Error).message}`) };
      }
      if (proto.leaves) {
        const bad = provenance(r.views.client, proto.leaves) ?? provenance(r.views.server, proto.leaves);
        if (bad) return { cases, failure: `PROVENANCE: a frame is sent from ${bad}, not from a checked leaf (${proto.leaves.join(", ")})` };
      }
      for (let i = 0; i < batch.length; i++) {
        const got = proto.output(r.client, r.server, i);
        if (got !== expect[i]) {
          const c = batch[i]!;
          // Replay the case alone with explicit randomness for a minimal report.
          const solo = await firstSoloFailure(proto, c, expect[i]!);
          return { cases: cases + i, failure: solo ?? correctness(draws, c, `batched run (PRG seed ${seed}, run ${runIndex - 1}, case ${i} of ${batch.length})`, expect[i]!, got) };
        }
      }
      cases += batch.length;
    }
    return { cases };
  }

  // sampled
  let cases = 0;
  for (let k = 0; k < mode.runs; k++) {
    const inSrc = new Sampler((mode.seed ?? 7) * 999_983 + 2 * k);
    const c = drawCase(draws, inSrc);
    const expected = specOf(c);
    if (expected === undefined) continue;
    const sm = new Sampler((mode.seed ?? 7) * 999_983 + 2 * k + 1, true);
    let r;
    try {
      r = await runCases(proto, [c], sm);
    } catch (e) {
      return { cases, failure: correctness(draws, c, `PRG draws ${drawsText(sm.drawn)}`, expected, `error: ${(e as Error).message}`) };
    }
    cases++;
    const got = proto.output(r.client, r.server, 0);
    if (got !== expected) return { cases, failure: correctness(draws, c, `PRG draws ${drawsText(sm.drawn)}`, expected, got) };
  }
  return { cases };
}

/**
 * Mode `randomness`: sampled inputs, every value of the randomness for each (one run per
 * value, an odometer over the randomness only). For party P: `own` values of P's input; for
 * each, the other party's all-zero input and `other` sampled ones. Correctness and structure
 * in every run; P's (view, own output) histograms compared exactly across the other's inputs.
 */
async function randomnessMode<O>(proto: Proto<O>, mode: { own: number; other: number; seed?: number }): Promise<Outcome> {
  const draws = proto.draws;
  const prg = new Sampler((mode.seed ?? 5) * 4_242_421 + 17);
  let cases = 0;
  const seen: Seen = {};
  const distinct = { client: new Set<string>(), server: new Set<string>() };
  for (const role of ["client", "server"] as const) {
    const other = role === "client" ? "server" : "client";
    const side = (d: Draw, who: "client" | "server"): boolean => d.owner === who || d.owner === "shared";
    // One party's part of a case: its owned draws and its share of every shared one.
    const part = (who: "client" | "server", zero: boolean): bigint[] => draws.filter((d) => side(d, who)).map((d) => (zero ? 0n : prg.draw(d.bits)));
    // `count` distinct parts (a repeated input would add its runs to the same histogram twice).
    const distinctParts = (who: "client" | "server", count: number, seen: Set<string>): bigint[][] => {
      const out: bigint[][] = [];
      for (let tries = 0; out.length < count && tries < 64 * count; tries++) {
        const v = part(who, false);
        if (seen.has(v.join(","))) continue;
        seen.add(v.join(","));
        out.push(v);
      }
      return out;
    };
    const join = (mine: bigint[], theirs: bigint[]): Case => {
      let i = 0;
      let j = 0;
      return {
        raw: draws.map((d) => {
          if (d.owner === "shared") {
            const a = mine[i++]!;
            const b = theirs[j++]!;
            return role === "client" ? [a, b] : [b, a];
          }
          return d.owner === role ? [mine[i++]!] : [theirs[j++]!];
        }),
      };
    };
    const h: Hist = new Map();
    for (const mine of distinctParts(role, mode.own, new Set())) {
      const zero = part(other, true);
      const others = [zero, ...distinctParts(other, mode.other, new Set([zero.join(",")]))];
      for (const theirs of others) {
        const c = join(mine, theirs);
        const expected = proto.spec(draws.map((d, k) => value(d, c.raw[k]!)));
        if (expected === undefined) continue;
        const od = new Odometer();
        do {
          od.reset();
          const rand = () => `free values in draw order: ${drawsText(od.trace.values)}`;
          const one = await runOne(proto, c, od, expected, rand, seen);
          if ("failure" in one) return { cases, failure: one.failure };
          const r = one.r;
          cases++;
          const v = viewOf(proto, r.views[role], r[role]);
          distinct[role].add(v);
          bump(h, ownText(draws, role, c), ownText(draws, other, c), v);
        } while (od.next());
      }
    }
    const f = compareHist(h, role, other);
    if (f) return { cases, failure: f };
  }
  return { cases, randomBits: seen.depth ?? 0, views: { client: distinct.client.size, server: distinct.server.size } };
}

/** A failing batched case run alone: the first of 256 PRG randomness draws that fails it. */
async function firstSoloFailure<O>(proto: Proto<O>, c: Case, expected: string): Promise<string | undefined> {
  for (let k = 0; k < 256; k++) {
    const sm = new Sampler(424_242 + k, true);
    let got: string;
    try {
      const r = await runCases(proto, [c], sm);
      got = proto.output(r.client, r.server, 0);
    } catch (e) {
      got = `error: ${(e as Error).message}`;
    }
    if (got !== expected) return correctness(proto.draws, c, `free correlation values in draw order: ${drawsText(sm.drawn)}`, expected, got);
  }
  return undefined;
}
