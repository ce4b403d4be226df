// Every machine-checked statement: which document states it, what is enumerated, and how.
// `npm run proofs` (proofs/run.ts) runs the full parameters; the vitest suite
// (tests/proofs/proofs.test.ts) runs each entry's `quick` parameters.
import { check, type Mode as EngineMode, type Outcome, type Proto } from "./engine.js";
import { checkAlgebraic, type AlgebraicMode } from "./algebraic.js";
import * as P from "./protocols.js";
import * as X from "./passes.js";
import { millionaireOtInputs, otIdentities, otKernels } from "./ot.js";
import * as OT from "./ot-privacy.js";
import { range } from "./spec.js";

export type Scale = "full" | "quick";

export interface Result extends Outcome {
  witness?: string;
}

export interface Entry {
  /** Short id, named by the proof documents ("Checked by `mul/privacy`"). */
  id: string;
  doc: string;
  statement: string;
  /** The parameters covered, per scale. */
  params(scale: Scale): string;
  /** How the cases are chosen: exhaustive, or sampled with its size. */
  how: string;
  exhaustive: boolean;
  run(scale: Scale): Promise<Result>;
  /** A relative cost estimate (≈ seconds on one loaded core), to balance worker processes. */
  cost(scale: Scale): number;
}

/** Measured costs of the heavier entries (full scale); everything else counts 1. */
const COST: Record<string, number> = {
  "millionaire/exhaustive": 60, "trunc/inputs": 16, "requant/inputs": 16, "mul/exhaustive": 14, "mul/algebraic": 2,
  "linear/exhaustive": 11, "truncReduce/exhaustive": 9, "lift/inputs": 8, "maxpool/inputs": 8, "extend/exhaustive": 6,
  "extend/inputs": 6, "lessThan/inputs": 26, "wrap/inputs": 14, "clamp/inputs": 6, "argmax/inputs": 5, "avgpool/conv": 5, "linear/algebraic": 15,
  "open/exhaustive": 5, "select/algebraic": 10, "batchnorm/exhaustive": 4, "reveal/exhaustive": 3, "winograd2/binary": 8,
  "ot-privacy/select": 3, "ot-privacy/select-wide": 2, "ot-privacy/linear": 4, "ot-privacy/triples": 2, "ot-privacy/millionaire-tree": 10,
};

type Mode = EngineMode | AlgebraicMode;

/** Run a list of (label, proto, mode) in order; sum the cases, stop at the first failure. */
async function series(items: [string, Proto<any>, Mode][]): Promise<Result> {
  let cases = 0;
  for (const [label, proto, mode] of items) {
    const r = mode.kind === "algebraic"
      ? proto.layout ? await checkAlgebraic(proto, proto.layout, mode) : { cases: 0, failure: "checker: an algebraic check needs the protocol's frame layout" }
      : await check(proto, mode);
    cases += r.cases;
    if (r.failure) return { cases, failure: `[${label}] ${r.failure}` };
  }
  return { cases };
}

const EX: Mode = { kind: "exhaustive", privacy: true };
const ALL = (chunk = 4096): Mode => ({ kind: "inputs", shares: "all", chunk });
const VALUES = (chunk = 4096): Mode => ({ kind: "inputs", shares: "sampled", chunk });
const WIDE = (runs: number): Mode => ({ kind: "sampled", runs });
const upTo = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const pick = <T>(scale: Scale, full: T, quick: T): T => (scale === "full" ? full : quick);
const WIDTHS_WIDE = [16, 31, 32, 33, 52, 53, 63, 64];
/** Every element-wise leaf: all grid points as one vector; 64 random points corroborate Lemma M. */
const ALG: AlgebraicMode = { kind: "algebraic", vector: true, probes: 64 };
/** linear (one matrix product per run): one run per grid point. */
const ALG1: AlgebraicMode = { kind: "algebraic", vector: false, probes: 32 };
const WIDTHS_ALG = [...upTo(1, 16), 24, ...WIDTHS_WIDE.slice(1)];
const HOW_ALG = "by interpolation (Lemma M): the unchanged code at every point of a shifted 2^k grid over all k variables (input shares, free correlation values), Möbius-interpolated — every input × every value of the randomness; privacy by peeling the interpolated views; Lemma M corroborated at random points (sampled)";

// The OT-hybrid privacy checks (ot-privacy.ts): protocols under ideal OT and the provider's inputless correlations.
type OtItem = [string, () => Promise<Outcome>];
const proto = (label: string, p: Proto<any>, mode: Mode = EX): OtItem => [label, () => (mode.kind === "algebraic" ? Promise.reject(new Error("no algebraic mode under OT")) : check(p, mode))];
const corr = (c: OT.CorrelationSpec<any>): OtItem => [c.name, () => OT.correlationPrivacy(c)];
const HOW_OT = "in the OT-hybrid model: the unchanged kernel under an ot provider whose OTs are ideal functionalities (proofs/check/ideal-ot.ts); every input × every value of the randomness (the OT senders' uniform outputs, each party's own random bits); each party's (view, own output) histogram compared across every input of the other party";
const HOW_OT_CORR = "in the OT-hybrid model (proofs/check/ideal-ot.ts), every value of the randomness: the output pair's distribution, and each party's view histogram per own output compared across the other's outputs; the protocol on them as in the kernel checks";
const HOW_OT_SAMPLED = (own: number, other: number) => `inputs sampled, randomness exhaustive, in the OT-hybrid model (proofs/check/ideal-ot.ts): per party ${own} distinct own inputs × (the other's input 0 and ${other} distinct others, PRG), every value of the randomness for each; (view, own output) histograms compared exactly`;

function otRow(id: string, doc: string, statement: string, how: string, exhaustive: boolean, params: { full: string; quick: string }, items: (scale: Scale) => OtItem[]): Entry {
  return {
    id, doc, statement, how, exhaustive, params: (s) => params[s], cost: (s) => (s === "full" ? COST[id] ?? 1 : 1),
    run: async (s) => {
      let cases = 0;
      for (const [label, f] of items(s)) {
        const r = await f();
        cases += r.cases;
        if (r.failure) return { cases, failure: `[${label}] ${r.failure}` };
      }
      return { cases };
    },
  };
}

function row(
  id: string, doc: string, statement: string, how: string, exhaustive: boolean,
  params: { full: string; quick: string }, items: (scale: Scale) => [string, Proto<any>, Mode][],
): Entry {
  return { id, doc, statement, how, exhaustive, params: (s) => params[s], run: (s) => series(items(s)), cost: (s) => (s === "full" ? COST[id] ?? 1 : 1) };
}

const bounds = (N: number, signed: boolean): bigint[] => {
  const [lo, hi] = range(N, signed);
  const out: bigint[] = [];
  for (let v = lo; v <= hi; v++) out.push(v);
  return out;
};

/** Ranges [lo, hi] of iN and uN values spanning less than half the ring (all of them, or the widest at each lo). */
function offsetRanges(N: number, widestOnly = false): [boolean, bigint, bigint][] {
  const half = 1n << BigInt(N - 1);
  const out: [boolean, bigint, bigint][] = [];
  for (const signed of [true, false]) {
    const [dlo, dhi] = signed ? [-half, half - 1n] : [0n, 2n * half - 1n];
    for (let lo = dlo; lo <= dhi; lo++) {
      const top = lo + half - 1n < dhi ? lo + half - 1n : dhi;
      for (let hi = widestOnly ? top : lo; hi <= top; hi++) out.push([signed, lo, hi]);
    }
  }
  return out;
}

/** requant with `ring = K`: the saturated value delivered in K > width(T) bits (headroom). */
function requantRingItems(N: number): [string, Proto<any>, Mode][] {
  const out: [string, Proto<any>, Mode][] = [];
  for (const signed of [true, false]) {
    const [lo, hi] = range(N, signed);
    for (const to of [{ bits: 3, signed: false }, { bits: 3, signed: true }, { bits: 2, signed: false }]) {
      for (const [mult, shift] of [[1, 0], [1, 2], [3, 1], [5, 3], [1, -1]] as const) {
        for (const extra of [1, 2, 5]) {
          const q = { N, signed, nonneg: false, mult, shift, to, range: { lo, hi }, out: to.bits + extra };
          out.push([`requant ring ${JSON.stringify(q, (_, v) => (typeof v === "bigint" ? Number(v) : v))}`, P.requantProto(q), ALL()]);
        }
      }
    }
  }
  return out;
}

function clampItems(N: number, signed: boolean, all: boolean): [string, Proto<any>, Mode][] {
  const vs = bounds(N, signed);
  const [lo, hi] = range(N, signed);
  const edges = [lo, lo + 1n, -1n, 0n, 1n, hi - 1n, hi].filter((v) => v >= lo && v <= hi);
  // and bounds beyond the type on either side (never binding), where the result still fits it
  const use = [...(all ? vs : [...new Set(edges)]), lo - 2n, hi + 3n];
  const fits = (a: bigint, b: bigint) => (a > b ? b >= lo && b <= hi : a <= hi && b >= lo);
  const out: [string, Proto<any>, Mode][] = [];
  for (const a of use) for (const b of use) if (fits(a, b)) out.push([`clamp ${signed ? "i" : "u"}${N} [${a}, ${b}]`, P.clampProto(N, signed, a, b), ALL()]);
  return out;
}

function requantGrid(N: number, mults: number[], shifts: number[]): [string, Proto<any>, Mode][] {
  const out: [string, Proto<any>, Mode][] = [];
  const tos = [{ bits: 2, signed: true }, { bits: 3, signed: true }, { bits: 3, signed: false }, { bits: 5, signed: true }];
  for (const signed of [true, false]) {
    const [lo, hi] = range(N, signed);
    const half = (1n << BigInt(N - 1)) - 1n;
    const ranges = [
      { r: { lo, hi }, nonneg: false },
      { r: signed ? { lo: -3n, hi: 5n } : { lo: 2n, hi: hi - 2n }, nonneg: false },
      { r: { lo: 0n, hi: half }, nonneg: true },
    ];
    for (const { r, nonneg } of ranges) {
      for (const mult of mults) {
        for (const shift of shifts) {
          for (const to of tos) {
            const q = { N, signed, nonneg, mult, shift, to, range: r };
            out.push([`requant ${JSON.stringify(q, (_, v) => (typeof v === "bigint" ? Number(v) : v))}`, P.requantProto(q), ALL()]);
          }
        }
      }
    }
  }
  return out;
}

export const CATALOG: Entry[] = [
  // ------------------------------------------------------------ leaves
  row("open/exhaustive", "proofs/open.md", "open: both parties obtain x; each view = Sim(own share, x)", "every sharing (x0, x1); simulator check", true,
    { full: "N = 1..8, n = 1", quick: "N = 1..4" }, (s) => pick(s, upTo(1, 8), upTo(1, 4)).map((N) => [`N=${N}`, P.openProto(N), EX])),
  row("reveal/exhaustive", "proofs/open.md", "reveal: the client obtains x, the server nothing; views = Sim", "every sharing; simulator check", true,
    { full: "N = 1..8", quick: "N = 1..4" }, (s) => pick(s, upTo(1, 8), upTo(1, 4)).map((N) => [`N=${N}`, P.revealProto(N), EX])),
  row("mul/exhaustive", "proofs/mul.md", "mul (Beaver): correct; each view independent of the other's shares", "every sharing of x, y × every (a0,a1,b0,b1,c0)", true,
    { full: "N = 1, 2", quick: "N = 1" }, (s) => pick(s, [1, 2], [1]).map((N) => [`N=${N}`, P.mulProto(N), EX])),
  row("mul/algebraic", "proofs/mul.md", "mul: correct and private at every width, for every input sharing and every triple", HOW_ALG, true,
    { full: "N = 1..64; 9 variables, 512 grid points + 64 random points per width", quick: "N = 1, 5, 64" },
    (s) => pick(s, upTo(1, 64), [1, 5, 64]).map((N) => [`N=${N}`, P.mulProto(N), ALG])),
  row("and/exhaustive", "proofs/and.md", "and (GMW, bit triples): correct and private", "every sharing × every (a0,a1,b0,b1,c0)", true,
    { full: "n = 1", quick: "n = 1" }, () => [["n=1", P.andProto(), EX]]),
  row("and/vector", "proofs/and.md", "and: correct on vectors (bit packing across bytes)", "every sharing of (x, y) as one 16-element vector; triples sampled, 1 PRG draw per case", false,
    { full: "n = 16", quick: "n = 16" }, () => [["n=16", P.andProto(), ALL(16)]]),
  row("b2a/exhaustive", "proofs/b2a.md", "b2a: correct and private", "every XOR sharing × every (r0, r1, s0)", true,
    { full: "N = 1..8", quick: "N = 1..4" }, (s) => pick(s, upTo(1, 8), upTo(1, 4)).map((N) => [`N=${N}`, P.b2aProto(N), EX])),
  row("b2a/algebraic", "proofs/b2a.md", "b2a: correct and private at every width", HOW_ALG, true,
    { full: "N = 1..64; 5 variables", quick: "N = 1, 64" }, (s) => pick(s, upTo(1, 64), [1, 64]).map((N) => [`N=${N}`, P.b2aProto(N), ALG])),
  row("select/exhaustive", "proofs/select.md", "select (one round): correct and private", "every sharing of b, x, y × every bit pair and triple", true,
    { full: "N = 1 (y shared); N = 1 (y = literal 0)", quick: "N = 1 (y = 0)" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, [["N=1", P.selectProto(1), EX], ["N=1 y=0", P.selectProto(1, true), EX]], [["N=1 y=0", P.selectProto(1, true), EX]])),
  row("select/algebraic", "proofs/select.md", "select: correct and private for every input sharing, bit pair and triple", HOW_ALG, true,
    { full: `N = ${WIDTHS_ALG.join(", ")}: y shared (14 variables), y = literal 0 (12)`, quick: "N = 5: y shared and y = 0" },
    (s) => pick(s, WIDTHS_ALG, [5]).flatMap((N): [string, Proto<any>, Mode][] => [[`N=${N}`, P.selectProto(N), ALG], [`N=${N} y=0`, P.selectProto(N, true), ALG]])),
  row("linear/exhaustive", "proofs/linear.md", "linear (server weights): correct and private", "every W, every sharing of x × every (A, B, c0)", true,
    { full: "1×1 at N = 1, 2; 2×2 at N = 1; client-only x: 1×1 at N = 1, 2, 2×2 at N = 1", quick: "1×1 at N = 1, 2" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, [
      ["1x1 N=1", P.linearProto(1, 1, 1), EX], ["1x1 N=2", P.linearProto(2, 1, 1), EX], ["2x2 N=1", P.linearProto(1, 2, 2), EX],
      ["1x1 N=1 clientOnly", P.linearProto(1, 1, 1, true), EX], ["1x1 N=2 clientOnly", P.linearProto(2, 1, 1, true), EX], ["2x2 N=1 clientOnly", P.linearProto(1, 2, 2, true), EX],
    ], [["1x1 N=1", P.linearProto(1, 1, 1), EX], ["1x1 N=2", P.linearProto(2, 1, 1), EX]])),
  row("linear/algebraic", "proofs/linear.md", "linear: correct and private for every W, every input sharing and every (A, B, c0)", HOW_ALG, true,
    { full: `shapes 1×1, 2×1, 1×2, x shared and client-only, at N = ${WIDTHS_ALG.join(", ")}; 2×2 at N = 5 (16 variables)`, quick: "1×1 and 2×1 at N = 5" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, [
      ...WIDTHS_ALG.flatMap((N) => ([[1, 1], [2, 1], [1, 2]] as const).flatMap(([o, k]): [string, Proto<any>, Mode][] => [
        [`${o}x${k} N=${N}`, P.linearProto(N, o, k), ALG1], [`${o}x${k} N=${N} clientOnly`, P.linearProto(N, o, k, true), ALG1],
      ])),
      ["2x2 N=5", P.linearProto(5, 2, 2), ALG1],
    ], [["1x1 N=5", P.linearProto(5, 1, 1), ALG1], ["2x1 N=5", P.linearProto(5, 2, 1), ALG1]])),

  // ------------------------------------------------------------ comparisons
  row("millionaire/exhaustive", "proofs/millionaire.md", "millionaire: correct and private (also by composition of and)", "every (u, v) × every AND triple", true,
    { full: "m = 1, 2", quick: "m = 1" }, (s) => pick(s, [1, 2], [1]).map((m) => [`m=${m}`, P.millionaireProto(m), EX])),
  row("millionaire/inputs", "proofs/millionaire.md", "millionaire: [u > v] for every (u, v); frames only from and", "every (u, v); triples sampled, 1 PRG draw per case; provenance", false,
    { full: "m = 3..8", quick: "m = 3..5" }, (s) => pick(s, upTo(3, 8), upTo(3, 5)).map((m) => [`m=${m}`, P.millionaireProto(m), ALL()])),
  row("millionaire/shared", "proofs/millionaire.md", "millionaire with shared low bits: both comparisons [u_j > v_j] for every (u, v) agreeing below bit `low`; frames only from and", "every (u, v) pair of pairs; triples sampled, 1 PRG draw per case; provenance", false,
    { full: "m = 2..5, low = 1..m − 1", quick: "m = 2, 3, low = 1..m − 1" },
    (s) => pick(s, upTo(2, 5), [2, 3]).flatMap((m) => upTo(1, m - 1).map((low): [string, Proto<any>, Mode] => [`m=${m} low=${low}`, P.millionaireSharedProto(m, low), ALL()]))),
  {
    id: "millionaire-ot/inputs",
    doc: "proofs/millionaire-ot.md",
    statement: "millionaire, OT kernel (digits by 1-of-16 OT (table trick), paired and single triples): [u > v] for every (u, v); with shared low bits, every (u, v) × every pair of high parts",
    params: (s) => pick(s, "m = 1..8; shared (m, low) = (4, 4), (5, 3), (5, 4), (6, 4), (8, 8)", "m = 1..5; shared (5, 4)"),
    how: "every input, under the real ot provider (IKNP in memory): the OT randomness sampled, one run per parameter",
    exhaustive: false,
    cost: (s) => (s === "full" ? 6 : 1),
    run: async (s) => {
      const plain = pick(s, upTo(1, 8), upTo(1, 5)).map((m): [number, number] => [m, 0]);
      const shared: [number, number][] = pick(s, [[4, 4], [5, 3], [5, 4], [6, 4], [8, 8]], [[5, 4]]);
      let cases = 0;
      for (const [m, low] of [...plain, ...shared]) {
        const r = await millionaireOtInputs(m, low);
        cases += r.cases;
        if (r.failure) return { cases, failure: r.failure };
      }
      return { cases };
    },
  },
  row("msb/exhaustive", "proofs/msb.md", "msb: correct and private", "every sharing × every AND triple", true,
    { full: "N = 1, 2", quick: "N = 1, 2" }, () => [1, 2].map((N) => [`N=${N}`, P.msbProto(N), EX])),
  row("msb/inputs", "proofs/msb.md", "msb: correct for every sharing; frames only from and", "every sharing; triples sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 3..8", quick: "N = 3..5" }, (s) => pick(s, upTo(3, 8), upTo(3, 5)).map((N) => [`N=${N}`, P.msbProto(N), ALL()])),
  row("drelu/exhaustive", "proofs/drelu.md", "drelu: correct and private", "every sharing × every AND triple", true,
    { full: "N = 1, 2", quick: "N = 1, 2" }, () => [1, 2].map((N) => [`N=${N}`, P.dreluProto(N), EX])),
  row("drelu/inputs", "proofs/drelu.md", "drelu: correct for every sharing", "every sharing; triples sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 3..8", quick: "N = 3..5" }, (s) => pick(s, upTo(3, 8), upTo(3, 5)).map((N) => [`N=${N}`, P.dreluProto(N), ALL()])),
  row("relu/exhaustive", "proofs/relu.md", "relu = select(drelu(x), x, 0): correct and private", "every sharing × all randomness", true,
    { full: "N = 1", quick: "N = 1" }, () => [["N=1", P.reluProto(1), EX]]),
  row("relu/inputs", "proofs/relu.md", "relu: correct for every sharing; frames only from leaves", "every sharing; randomness sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 2..8", quick: "N = 2..4" }, (s) => pick(s, upTo(2, 8), upTo(2, 4)).map((N) => [`N=${N}`, P.reluProto(N), ALL()])),
  row("wrap/inputs", "proofs/wrap.md", "wrap: carry of x + y for every sharing; frames only from and", "every sharing (N ≤ 5) / every value, split sampled (N ≥ 6); triples sampled, 1 PRG draw per case", false,
    { full: "N = 1..5 all sharings; N = 6..8 all values", quick: "N = 1..3" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, [...upTo(1, 5).map((N): [string, Proto<any>, Mode] => [`N=${N}`, P.wrapProto(N), ALL()]), ...upTo(6, 8).map((N): [string, Proto<any>, Mode] => [`N=${N} values`, P.wrapProto(N), VALUES()])], upTo(1, 3).map((N) => [`N=${N}`, P.wrapProto(N), ALL()]))),
  row("lessThan/inputs", "proofs/lessThan.md", "lessThan: [x < y] (signed and unsigned) for every sharing", "every sharing (N ≤ 5) / every value, split sampled (N ≥ 6); triples sampled, 1 PRG draw per case", false,
    { full: "N = 1..5 all sharings; N = 6..8 all values; i and u", quick: "N = 1..3, i and u" },
    (s) => [true, false].flatMap((sg) => pick<[string, Proto<any>, Mode][]>(s, [...upTo(1, 5).map((N): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}${N}`, P.lessThanProto(N, sg), ALL()]), ...upTo(6, 8).map((N): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}${N} values`, P.lessThanProto(N, sg), VALUES()])], upTo(1, 3).map((N) => [`${sg ? "i" : "u"}${N}`, P.lessThanProto(N, sg), ALL()])))),
  row("clamp/inputs", "proofs/clamp.md", "clamp(x, lo, hi) for every sharing and every pair of bounds (incl. lo > hi)", "every sharing × every (lo, hi) (N ≤ 4) / edge bounds (N = 6); randomness sampled, 1 PRG draw per case", false,
    { full: "i/u N = 1..4 all bounds; i/u N = 6 bounds in {min, min+1, −1, 0, 1, max−1, max}", quick: "i/u N = 1..3 all bounds" },
    (s) => [true, false].flatMap((sg) => [...pick(s, upTo(1, 4), upTo(1, 3)).flatMap((N) => clampItems(N, sg, true)), ...(s === "full" ? clampItems(6, sg, false) : [])])),
  row("maxpool/inputs", "proofs/maxpool.md", "maxpool: window maxima for every sharing", "every sharing ([C,2,2], k 2, N = 2) / every value ([C,3,3] k 3 s 1, N = 1; [C,2,3] k 2 s 1, N = 2); randomness sampled, 1 PRG draw per case", false,
    { full: "i/u: [2,2] k2 N=2 (all sharings); [3,3] k3 N=1, [2,3] k2 s1 N=2 (all values)", quick: "i: [2,2] k2 N=1" },
    (s) => [true, false].flatMap((sg) => pick<[string, Proto<any>, Mode][]>(s, [
      [`${sg ? "i" : "u"}2 [2,2] k2`, P.maxpoolProto(2, sg, 2, 2, 2, 2), ALL()],
      [`${sg ? "i" : "u"}1 [3,3] k3`, P.maxpoolProto(1, sg, 3, 3, 3, 1), VALUES()],
      [`${sg ? "i" : "u"}2 [2,3] k2 s1`, P.maxpoolProto(2, sg, 2, 3, 2, 1), VALUES()],
    ], sg ? [[`i1 [2,2] k2`, P.maxpoolProto(1, true, 2, 2, 2, 2), ALL()]] : []))),
  row("argmax/inputs", "proofs/argmax.md", "argmax: first maximum for every sharing (ties to the smallest index)", "every sharing (3 values, N = 2) / every value (5 values, N = 2); one run per case, randomness sampled, 1 PRG draw per case", false,
    { full: "i/u: 3 values N=2 all sharings; 5 values N=2 all values", quick: "i: 3 values N=1 all sharings" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, [true, false].flatMap((sg): [string, Proto<any>, Mode][] => [
      [`${sg ? "i" : "u"}2 ×3`, P.argmaxProto(2, sg, 3), ALL(1)],
      [`${sg ? "i" : "u"}2 ×5 values`, P.argmaxProto(2, sg, 5), VALUES(1)],
    ]), [["i1 ×3", P.argmaxProto(1, true, 3), ALL(1)]])),

  // ------------------------------------------------------------ conversions
  row("lift/exhaustive", "proofs/lift.md", "lift: correct and private", "every sharing × all randomness", true,
    { full: "N = 1 → 2, 3; i and u", quick: "N = 1 → 2; i and u" },
    (s) => [true, false].flatMap((sg) => pick(s, [2, 3], [2]).map((to): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}1→${to}`, P.liftProto(1, sg, to), EX]))),
  row("lift/inputs", "proofs/lift.md", "lift: the value in the wider ring for every sharing", "every sharing; randomness sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 2..8 → N+1, N+4, 2N (≤ 64); i and u; plus N = 8 → 64", quick: "N = 2..4 → N+1, N+4" },
    (s) => [true, false].flatMap((sg) => pick(s, upTo(2, 8), upTo(2, 4)).flatMap((N) => [...new Set(pick(s, [N + 1, N + 4, 2 * N], [N + 1, N + 4]))].map((to): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}${N}→${to}`, P.liftProto(N, sg, to), ALL()])).concat(s === "full" ? [[`${sg ? "i" : "u"}8→64`, P.liftProto(8, sg, 64), ALL()]] : []))),
  row("extend/exhaustive", "proofs/extend.md", "extend with known MSB: correct and private", "every sharing of a value < 2^(N−1) × all randomness", true,
    { full: "N = 2 → 3, N = 3 → 5; i and u", quick: "N = 2 → 3" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, [true, false].flatMap((sg): [string, Proto<any>, Mode][] => [[`${sg ? "i" : "u"}2→3`, P.extendProto(2, sg, true, 3), EX], [`${sg ? "i" : "u"}3→5`, P.extendProto(3, sg, true, 5), EX]]), [["i2→3", P.extendProto(2, true, true, 3), EX]])),
  row("extend/inputs", "proofs/extend.md", "extend (known and unknown MSB) for every sharing", "every sharing; randomness sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 2..8 → N+1, N+5; i and u; nonneg and not", quick: "N = 2..4 → N+2" },
    (s) => [true, false].flatMap((sg) => [true, false].flatMap((nn) => pick(s, upTo(2, 8), upTo(2, 4)).flatMap((N) => pick(s, [N + 1, N + 5], [N + 2]).map((to): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}${N}→${to}${nn ? " nonneg" : ""}`, P.extendProto(N, sg, nn, to), ALL()]))))),
  row("extend/offset-exhaustive", "proofs/extend.md", "extend after a public offset (range spans < half the ring): correct and private", "every sharing of a value in the range × all randomness; every range of the widths", true,
    { full: "N = 2 → 3, every range with hi − lo < 2; i and u", quick: "N = 2 → 3, i, ranges [−2, −1] and [1, 1]" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, offsetRanges(2).map(([sg, lo, hi]): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}2→3 [${lo}, ${hi}]`, P.extendOffsetProto(2, sg, lo, hi, 3), EX]),
      [["i2→3 [-2, -1]", P.extendOffsetProto(2, true, -2n, -1n, 3), EX], ["i2→3 [1, 1]", P.extendOffsetProto(2, true, 1n, 1n, 3), EX]])),
  row("extend/offset-inputs", "proofs/extend.md", "extend after a public offset, for every sharing of every value in the range", "every sharing; randomness sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 3..6 → N+2, every range with hi − lo < 2^(N−1) (N ≤ 4), the widest ones at each lo (N = 5, 6); i and u", quick: "N = 3 → 5, every range" },
    (s) => pick(s, upTo(3, 6), [3]).flatMap((N) => offsetRanges(N, N >= 5).map(([sg, lo, hi]): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}${N}→${N + 2} [${lo}, ${hi}]`, P.extendOffsetProto(N, sg, lo, hi, N + 2), ALL()]))),
  row("truncReduce/exhaustive", "proofs/trunc.md", "truncReduce: correct and private", "every sharing × all randomness", true,
    { full: "N = 2, 3, s = 1; i and u", quick: "N = 2, s = 1; i" },
    (s) => pick<[string, Proto<any>, Mode][]>(s, [true, false].flatMap((sg): [string, Proto<any>, Mode][] => [[`${sg ? "i" : "u"}2 s1`, P.truncProto(2, 1, sg, false, true), EX], [`${sg ? "i" : "u"}3 s1`, P.truncProto(3, 1, sg, false, true), EX]]), [["i2 s1", P.truncProto(2, 1, true, false, true), EX]])),
  row("trunc/inputs", "proofs/trunc.md", "trunc and truncReduce: ⌊x / 2^s⌋ for every sharing and shift", "every sharing; randomness sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 2..6 every s; N = 8, s ∈ {1, 3, 7}; i and u; nonneg and not; trunc and truncReduce", quick: "N = 2..4 every s" },
    (s) => {
      const out: [string, Proto<any>, Mode][] = [];
      const plan: [number, number[]][] = pick(s, [...upTo(2, 6).map((N): [number, number[]] => [N, upTo(1, N - 1)]), [8, [1, 3, 7]]], upTo(2, 4).map((N): [number, number[]] => [N, upTo(1, N - 1)]));
      for (const [N, shifts] of plan) for (const sh of shifts) for (const sg of [true, false]) for (const nn of [true, false]) for (const red of [true, false]) {
        out.push([`${red ? "truncReduce" : "trunc"} ${sg ? "i" : "u"}${N} s${sh}${nn ? " nonneg" : ""}`, P.truncProto(N, sh, sg, nn, red), ALL()]);
      }
      return out;
    }),
  row("truncReduce/exact", "proofs/trunc.md", "truncReduce with exact = 1: x / 2^s for every sharing of a multiple of 2^s, nothing sent", "every sharing × all randomness", true,
    { full: "N = 2..7, every s; i and u", quick: "N = 2..4, every s; i and u" },
    (s) => pick(s, upTo(2, 7), upTo(2, 4)).flatMap((N) => upTo(1, N - 1).flatMap((sh) => [true, false].map((sg): [string, Proto<any>, Mode] => [`${sg ? "i" : "u"}${N} s${sh}`, P.truncProto(N, sh, sg, false, true, true), EX])))),
  row("requant/ring", "proofs/requant.md", "requant with ring = K: the saturated value in Z_2^K (K > width of T)", "every sharing × a parameter grid; randomness sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 5: i/u × T ∈ {u3, i3, u2} × 5 (M, s) × K − width(T) ∈ {1, 2, 5}", quick: "N = 4, the same grid" },
    (s) => requantRingItems(pick(s, 5, 4))),
  row("requant/inputs", "proofs/requant.md", "requant: clamp(⌊(x·M + 2^(s−1))/2^s⌋) (or x·M·2^−s) for every sharing within the interval", "every sharing in the interval × a parameter grid; randomness sampled, 1 PRG draw per case; provenance", false,
    { full: "N = 4: i/u × 3 intervals × M ∈ {1,3,5} × s ∈ {−1,0,1,2,3} × T ∈ {i2,i3,u3,i5}; N = 8: compiler-sized M, s", quick: "N = 4: M = 3, s ∈ {0, 2}" },
    (s) => {
      if (s === "quick") return requantGrid(4, [3], [0, 2]);
      const big: [string, Proto<any>, Mode][] = [
        { N: 8, signed: true, nonneg: false, mult: 46341, shift: 20, to: { bits: 8, signed: true }, range: { lo: -128n, hi: 127n } },
        { N: 8, signed: true, nonneg: true, mult: 40000, shift: 16, to: { bits: 8, signed: false }, range: { lo: 0n, hi: 127n } },
        { N: 8, signed: false, nonneg: false, mult: 65535, shift: 23, to: { bits: 4, signed: false }, range: { lo: 0n, hi: 255n } },
        { N: 8, signed: true, nonneg: false, mult: 32768, shift: 12, to: { bits: 8, signed: true }, range: { lo: -100n, hi: 90n } },
      ].map((q) => [`requant ${JSON.stringify(q, (_, v) => (typeof v === "bigint" ? Number(v) : v))}`, P.requantProto(q), ALL()]);
      return [...requantGrid(4, [1, 3, 5], [-1, 0, 1, 2, 3]), ...big];
    }),

  // ------------------------------------------------------------ the OT provider and kernels (proofs/ot.md)
  {
    id: "ot/identities", doc: "proofs/ot.md", statement: "the ring identities of the OT kernels and provider: signed Gilboa sum, messages mod 2^(N−k), selectOt, xorToArith, AND and Beaver triples from OTs",
    params: (s) => (s === "full" ? "N ≤ 8 (selectOt N ≤ 4, Gilboa triples N ≤ 5, with pads N ≤ 3)" : "N ≤ 4"), how: "every operand, type, bit and pad value at the widths covered (plain arithmetic, no protocol code)", exhaustive: true,
    run: async (s) => otIdentities(s === "full" ? 8 : 4), cost: () => 2,
  },
  {
    id: "ot/kernels", doc: "proofs/ot.md", statement: "the real OT code (base OT, IKNP, the silent-OT pool and Ferret where a run takes enough COTs, TCCR, COT, vector COT) under the ot provider: selectOt, b2a (xorToArith), linearOt (both orientations, client-only, padding, re-weighted weights) and the provider's triples, bit pairs and AND triples are correct",
    params: (s) => (s === "full" ? "select N = 1..3 every sharing (+ scalar condition, two rings); b2a N = 1..8, 16, 31..33, 52, 53, 63, 64; linear 1-column W of every value, every sharing of x, N = 2, 3; padded grouped conv N = 5, 32, 53, 64; re-weighted 1-column W of every i3 value at N = 3 and i4 at N = 4, every split, every sharing; correlations N ≤ 64, 512 each" : "select N = 1, 2; b2a N = 1, 8, 53, 64; linear N = 2 (i2); conv N = 5; re-weighted i3 at N = 3; correlations N = 3, 64, 64 each"),
    how: "every input sharing at the widths stated (as vector elements); the OT randomness (node:crypto) is fresh per run, not enumerated", exhaustive: false,
    run: async (s) => otKernels(s === "full"), cost: () => 6,
  },
  // ------------------------------------------------------------ privacy in the OT-hybrid model (ot-privacy.ts)
  otRow("ot-privacy/b2a", "proofs/b2a.md", "b2a under OT (one COT, client sender): correct; each party's (view, output) independent of the other's bit — Sim_P = the run with the other's input 0", HOW_OT, true,
    { full: "N = 1..8", quick: "N = 1..3" }, (s) => pick(s, upTo(1, 8), upTo(1, 3)).map((N) => proto(`N=${N}`, OT.b2aOt(N)))),
  otRow("ot-privacy/select", "proofs/select.md", "select under OT (CrypTFlow2 multiplexer, one COT each way): correct; each party's (view, output) independent of the other's shares", HOW_OT, true,
    { full: "N = 1, 2 (y shared); N = 1..3 (y = literal 0); one condition bit for 2 elements (N = 1); selectMany, one condition for pairs (x, 0) in Z_2 and in Z_4", quick: "N = 1 (y shared); N = 2 (y = 0)" },
    (s) => pick(s, [
      proto("N=1", OT.selectOtProto(1)), proto("N=2", OT.selectOtProto(2)),
      ...upTo(1, 3).map((N) => proto(`N=${N} y=0`, OT.selectOtProto(N, true))),
      proto("scalar condition, 2 elements, N=1", OT.selectScalarOt(1, 2)), proto("two rings 1, 2", OT.selectTwoRingsOt(1, 2)),
    ], [proto("N=1", OT.selectOtProto(1)), proto("N=2 y=0", OT.selectOtProto(2, true))])),
  otRow("ot-privacy/select-wide", "proofs/select.md", "select under OT at N = 3, 4: each party's (view, output) distribution the same for the other's input 0 and for sampled others", HOW_OT_SAMPLED(8, 8), false,
    { full: "N = 3, 4, y shared", quick: "N = 3, 2 own × (0 + 2 other) inputs" },
    (s) => pick(s, [3, 4], [3]).map((N) => proto(`N=${N}`, OT.selectOtProto(N), pick<Mode>(s, { kind: "randomness", own: 8, other: 8 }, { kind: "randomness", own: 2, other: 2 })))),
  otRow("ot-privacy/linear", "proofs/linear.md", "the server-weight product under OT (vector COTs, SiRNN): correct; each party's (view, output) independent of the other's operand, both orientations", HOW_OT, true,
    {
      full: "linear W: 1×1 u2 at N = 2, 1×1 i2 at N = 3, 2×1 u2 at N = 2, 1×2 and 2×2 u1 at N = 1, each with the weights and with the activations receiving; client-only x (u2, i2) 1×1 at N = 3, both orientations; conv2d pad 1 (padding skipped), activations receiving, N = 1",
      quick: "1×1 u2 at N = 2, both orientations",
    },
    (s) => [0, 1].flatMap((r) => {
      const receiver = r as 0 | 1;
      const L = (N: number, op: "linear" | "conv", o: number, k: number, w: { bits: number; signed: boolean }, clientOnly?: { bits: number; signed: boolean }) =>
        proto(`${op} ${o}x${k} N=${N} W ${w.signed ? "i" : "u"}${w.bits}${clientOnly ? ` client-only x ${clientOnly.signed ? "i" : "u"}${clientOnly.bits}` : ""} receiver=${receiver}`, OT.linearOtProto(N, { op, o, k, receiver, w, ...(clientOnly ? { clientOnly } : {}) }));
      const u = (bits: number) => ({ bits, signed: false });
      const i = (bits: number) => ({ bits, signed: true });
      return pick(s, [
        L(2, "linear", 1, 1, u(2)), L(3, "linear", 1, 1, i(2)), L(2, "linear", 2, 1, u(2)), L(1, "linear", 1, 2, u(1)), L(1, "linear", 2, 2, u(1)),
        L(3, "linear", 1, 1, i(2), u(2)), L(3, "linear", 1, 1, u(2), i(2)),
        ...(receiver === 0 ? [L(1, "conv", 1, 2, u(1))] : []),
      ], [L(2, "linear", 1, 1, u(2))]);
    })),
  otRow("ot-privacy/and", "proofs/ot.md", "AND triples, two per 1-of-16 OT (OtProvider.andTriples): F_corr's distribution, each view simulated from the party's own triple; and (GMW) on them: correct and private", HOW_OT_CORR, true,
    { full: "andTriples n = 1, 2; and, n = 1", quick: "andTriples n = 1; and, n = 1" },
    (s) => [...pick(s, [1, 2], [1]).map((n) => corr(OT.andTriplesOt(n))), proto("and n=1", OT.andOt())]),
  otRow("ot-privacy/triples", "proofs/ot.md", "Beaver triples by Gilboa's product from COTs (OtProvider.triples): F_corr's distribution, each view simulated from the party's own triple; mul on them: correct and private", HOW_OT_CORR, true,
    { full: "triples N = 1 (n = 1, 2), N = 2 (n = 1); mul N = 1", quick: "triples N = 1 (n = 1); mul N = 1" },
    (s) => [...pick(s, [[1, 1], [1, 2], [2, 1]], [[1, 1]]).map(([N, n]) => corr(OT.gilboaTriples(N!, n!))), proto("mul N=1", OT.mulOt(1))]),
  otRow("ot-privacy/bitpairs", "proofs/ot.md", "bit pairs by one COT (OtProvider.bitPairs): correct, uniform on the 2^(N+1) pairs with s0 ≡ r0 (mod 2) (ot.md, Open point 1); each view simulated from the party's own pair", HOW_OT_CORR, true,
    { full: "N = 1..8", quick: "N = 1..3" }, (s) => pick(s, upTo(1, 8), upTo(1, 3)).map((N) => corr(OT.bitPairsOt(N, 1)))),
  otRow("ot-privacy/millionaire", "proofs/millionaire-ot.md", "millionaire under OT, one digit (the leaf's 1-of-2^m OT, server's masks g): correct; each party's (view, output) independent of the other's value", HOW_OT, true,
    { full: "m = 1..4", quick: "m = 1..3" }, (s) => pick(s, upTo(1, 4), upTo(1, 3)).map((m) => proto(`m=${m}`, OT.millionaireOt(m)))),
  otRow("ot-privacy/millionaire-tree", "proofs/millionaire-ot.md", "millionaire under OT, two digits (1-of-16 and 1-of-2^w leaves, the root node with a single triple from a 1-of-16 OT; the paired triples of nodes whose eq is needed appear from four digits on, beyond the enumerator): each party's (view, output) distribution the same for the other's value 0 and for sampled others", HOW_OT_SAMPLED(2, 2), false,
    { full: "m = 5, 8", quick: "m = 5, 1 own × (0 + 1 other) values" },
    (s) => pick(s, [5, 8], [5]).map((m) => proto(`m=${m}`, OT.millionaireOt(m), pick<Mode>(s, { kind: "randomness", own: 2, other: 2 }, { kind: "randomness", own: 1, other: 1 })))),
  // ------------------------------------------------------------ full widths, sampled
  row("leaves/wide", "proofs/README.md", "mul, select, b2a at wide rings (the BigInt and 32-bit paths)", "40 runs per width (inputs and randomness from a seeded PRG)", false,
    { full: `N ∈ {${WIDTHS_WIDE.join(", ")}}`, quick: "N ∈ {32, 53, 64}, 10 runs" },
    (s) => pick(s, WIDTHS_WIDE, [32, 53, 64]).flatMap((N): [string, Proto<any>, Mode][] => [[`mul N=${N}`, P.mulProto(N), WIDE(pick(s, 40, 10))], [`select N=${N}`, P.selectProto(N), WIDE(pick(s, 40, 10))], [`b2a N=${N}`, P.b2aProto(N), WIDE(pick(s, 40, 10))]])),
  row("composites/wide", "proofs/README.md", "msb, wrap, lessThan, lift, extend, trunc, truncReduce at wide rings", "20 runs per width and protocol", false,
    { full: `N ∈ {${WIDTHS_WIDE.join(", ")}}`, quick: "N ∈ {53, 64}, 5 runs" },
    (s) => pick(s, WIDTHS_WIDE, [53, 64]).flatMap((N): [string, Proto<any>, Mode][] => {
      const k = pick(s, 20, 5);
      return [
        [`msb N=${N}`, P.msbProto(N), WIDE(k)], [`wrap N=${N}`, P.wrapProto(N), WIDE(k)], [`lessThan i${N}`, P.lessThanProto(N, true), WIDE(k)],
        [`lift i${N}→64`, P.liftProto(N, true, 64), WIDE(k)], [`extend u${N}→64 nonneg`, P.extendProto(N, false, true, 64), WIDE(k)],
        [`trunc i${N} s${N >> 1}`, P.truncProto(N, N >> 1, true, false, false), WIDE(k)], [`truncReduce i${N} s3`, P.truncProto(N, 3, true, false, true), WIDE(k)],
      ];
    })),
];

// ------------------------------------------------------------ passes

function passRow(id: string, doc: string, statement: string, how: string, exhaustive: boolean, params: { full: string; quick: string }, run: (s: Scale) => Result | Promise<Result>): Entry {
  return { id, doc, statement, how, exhaustive, params: (s) => params[s], run: async (s) => run(s), cost: (s) => (s === "full" ? COST[id] ?? 1 : 1) };
}

CATALOG.push(
  passRow("winograd2/basis", "proofs/passes/winograd.md", "F(2×2,3×3): Aᵀ[(G'gG'ᵀ)⊙(BᵀdB)]A = 4·(d ⋆ g) for all integer tiles", "on the 16 × 9 basis pairs (complete by bilinearity)", true,
    { full: "d ∈ Z^(4×4), g ∈ Z^(3×3)", quick: "same" }, () => X.winogradBasis(X.F2x2_3x3)),
  passRow("winograd2/binary", "proofs/passes/winograd.md", "F(2×2,3×3) on every {0,1} tile and filter", "every {0,1} tile × every {0,1} filter", true,
    { full: "d ∈ {0,1}^(4×4), g ∈ {0,1}^(3×3)", quick: "d ∈ {0,1}^12 × 0^4 (row-major), g ∈ {0,1}^(3×3)" }, (s) => X.winogradBinaryTiles(X.F2x2_3x3, pick(s, 16, 12))),
  passRow("winograd2/ring", "proofs/passes/winograd.md", "F(2×2,3×3) in Z_2^N: computed with 2 extra bits, >> 2 = conv mod 2^N", "fast-check", false,
    { full: "N ∈ [2, 64], 2000 runs", quick: "200 runs" }, (s) => X.winogradRing(X.F2x2_3x3, pick(s, 2000, 200))),
  passRow("winograd4/basis", "proofs/passes/winograd.md", "F(4×4,3×3): Aᵀ[(G'gG'ᵀ)⊙(BᵀdB)]A = 576·(d ⋆ g) for all integer tiles", "on the 36 × 9 basis pairs (complete by bilinearity)", true,
    { full: "d ∈ Z^(6×6), g ∈ Z^(3×3)", quick: "same" }, () => X.winogradBasis(X.F4x4_3x3)),
  passRow("winograd4/ring", "proofs/passes/winograd.md", "F(4×4,3×3) in Z_2^N: 6 extra bits, >> 6, × 9^(−1) = conv mod 2^N", "fast-check", false,
    { full: "N ∈ [2, 64], 1000 runs", quick: "100 runs" }, (s) => X.winogradRing(X.F4x4_3x3, pick(s, 1000, 100))),
  passRow("winograd4/divexact", "proofs/passes/winograd.md", "divexact by odd q is local: q·q⁻¹ ≡ 1 mod 2^N; x0·q⁻¹ + x1·q⁻¹ ≡ x/q for x a multiple of q", "q ∈ {1, 3, 5, 7, 9, 25}; D1 at every N ≤ 64; D2: every multiple x of q in iN and every sharing", true,
    { full: "D2 at N ≤ 9", quick: "D2 at N ≤ 6" }, (s) => X.divexactLocal(pick(s, 9, 6))),
  passRow("ext-ext/exhaustive", "proofs/passes/extend-folding.md", "e2_K ∘ e1_M folds per the table (or provably does not)", "every N ≤ M ≤ K, both extensions each, every x", true,
    { full: "K ≤ 10", quick: "K ≤ 6" }, (s) => X.extExt(pick(s, 10, 6))),
  passRow("trunc-ext/exhaustive", "proofs/passes/extend-folding.md", "trunc_s∘e_M = e_M∘trunc_s; truncreduce_s∘e_M = e_(M−s)∘truncreduce_s (s < N); = 0 / −msb (s ≥ N)", "every N ≤ M, s < M, both extensions, every x", true,
    { full: "M ≤ 10", quick: "M ≤ 6" }, (s) => X.truncExt(pick(s, 10, 6))),
  passRow("headroom/offset", "proofs/passes/headroom.md", "a range spanning < half of Z_2^N: x + (−lo) has MSB 0 and extends to x; one spare bit always gives such a span", "every N, every interval of iN and uN values, every x in it, M ≤ N + 3", true,
    { full: "N ≤ 7", quick: "N ≤ 4" }, (s) => X.headroomOffset(pick(s, 7, 4))),
  passRow("ext-folds/wide", "proofs/passes/extend-folding.md", "both folds at full widths", "fast-check", false,
    { full: "N, M, K ≤ 64, 5000 runs", quick: "500 runs" }, (s) => X.extFoldsWide(pick(s, 5000, 500))),
  passRow("requant-requant/RR1", "proofs/passes/requant-folding.md", "requant∘(exact requant) = one requant, under the clamp proviso", "every x × the parameter grid of the document", true,
    { full: "x ∈ i4, u4, i6; M1 ≤ 4, s1 ∈ {0,−1,−2}, M2 ≤ 5, s2 ∈ −1..4, T1, T2 ∈ 6 types", quick: "x ∈ i4 only" }, (s) => X.requantRequant(s === "full")),
  passRow("requant-requant/RR2", "proofs/passes/requant-folding.md", "trunc∘trunc: ⌊⌊x/2^a⌋/2^b⌋ = ⌊x/2^(a+b)⌋", "every x ∈ [−2^(N−1), 2^N), a + b ≤ N", true,
    { full: "N = 10", quick: "N = 6" }, (s) => X.truncTrunc(pick(s, 10, 6))),
  passRow("requant-requant/RR3", "proofs/passes/requant-folding.md", "refuted: two rounding requants are not one (double rounding)", "search for the smallest witness", true,
    { full: "|x| < 64, s1, s2 ≤ 3", quick: "same" }, () => X.doubleRounding()),
  passRow("batchnorm/exhaustive", "proofs/passes/batchnorm-folding.md", "batchnorm(conv2d(x,w,b),m,a) = conv2d(x, w·m, b·m + a)", "over the small grid of the document (plaintext kernels)", true,
    { full: "x ∈ {−1,0,1}^4, w ∈ {−1,0,1}^4, (b,m,a) ∈ 27 triples", quick: "(b, m, a) = (3, −2, 2) only" }, (s) => X.bnFoldExhaustive(pick(s, X.BMA, [[3n, -2n, 2n] as const]))),
  passRow("batchnorm/sampled", "proofs/passes/batchnorm-folding.md", "the fold at full shapes, exact and mod 2^N", "fast-check", false,
    { full: "groups, kernels, stride, pad; 300 runs", quick: "40 runs" }, (s) => X.bnFoldSampled(pick(s, 300, 40))),
  passRow("avgpool/conv", "proofs/passes/avgpool-folding.md", "avgpool(x,k,s) = depthwise conv2d with a ones kernel", "over the grids of the document (plaintext kernels)", true,
    { full: "x ∈ {−1,0,1}^(1×3×3), k, s ≤ 3; x ∈ {±1}^(2×2×3), k, s ≤ 2", quick: "x ∈ {±1}^(1×3×3), k, s ≤ 3" }, (s) => X.avgpoolAsConv(s === "full")),
  passRow("avgpool/divisor", "proofs/passes/avgpool-folding.md", "a power-of-two divisor k² folds into the requant shift (+log₂ k²)", "over the scale grid of the document (compiler's requantConstants)", true,
    { full: "53 input scales × 4 targets × k ∈ {2,4,8}", quick: "same" }, () => X.avgpoolDivisor()),
  passRow("residual/add", "proofs/passes/residual-add.md", "add at scales 2^d·s and s = (x << d) ± y, exact, in max(Nx + d, Ny) + 1 bits", "every x ∈ iNx, y ∈ iNy (Nx, Ny ≤ 5, d ≤ 3), + and −", true,
    { full: "Nx, Ny ≤ 5, d ≤ 3", quick: "same" }, () => X.residualAdd()),
  passRow("relu-extend/exhaustive", "proofs/passes/relu-extend.md", "zext(relu x) = sext(relu x) = relu(sext x); known-MSB carry lemma", "every x ∈ iN, M; every sharing of u < 2^(N−1)", true,
    { full: "N ≤ 9, M ≤ N + 2…11", quick: "N ≤ 6" }, (s) => X.reluExtend(pick(s, 9, 6))),
  passRow("requant-relu/W1", "proofs/passes/requant-relu.md", "x ≥ 0: requant(x, to = uA) = requant(x, to = i(A+1)) ∈ [0, 2^A)", "every x ≥ 0 × M × s × A", true,
    { full: "x ∈ [0, 2^8), M ∈ 13 values (1..9, 16, 2^15, 46341, 2^16 − 1, 2^16), s ∈ −2..6, A ≤ 6", quick: "x ∈ [0, 2^5), M ∈ {1, 3, 4, 46341}" }, (s) => X.requantReluW1(pick(s, 8, 5), pick(s, X.RQ_MULTS, [1n, 3n, 4n, 46341n]))),
  passRow("requant-relu/W2", "proofs/passes/requant-relu.md", "requant(relu(x), to = uA) = requant(x, to = uA) (M ≥ 1)", "every x ∈ iN × M × s × A", true,
    { full: "N ≤ 6, M ∈ 13 values, s ∈ −2..6, A ≤ 6", quick: "N ≤ 4, M ∈ {1, 3, 4, 46341}" }, (s) => X.requantReluW2(pick(s, 6, 4), pick(s, X.RQ_MULTS, [1n, 3n, 4n, 46341n]))),
  passRow("requant-relu/wide", "proofs/passes/requant-relu.md", "W1 and W2 at full widths", "fast-check", false,
    { full: "x ≤ 64 bits, M ∈ [1, 2^16], s ∈ −8..40, A ≤ 63; 5000 runs", quick: "500 runs" }, (s) => X.requantReluWide(pick(s, 5000, 500))),
  passRow("placement/lift", "proofs/passes/placement.md", "explicit zext/sext = the backend's lift; a value fitting n bits is the same in Z_2^W; reduction is a homomorphism", "every x, v, (a, b) at the widths covered", true,
    { full: "N ≤ 6, W ≤ 10 (PL1, PL2); W ≤ 8, N ≤ W, all a, b (PL3)", quick: "N ≤ 5, W ≤ 8; W ≤ 6 (PL3)" }, (s) => X.placementLift(pick(s, 6, 5), pick(s, 10, 8), pick(s, 8, 6))),
  passRow("orientation/same", "proofs/passes/orientation.md", "W·X = (Xᵀ·Wᵀ)ᵀ in Z_2^N; SiRNN cost of each orientation", "every small W, X in Z_4; every m ≤ ℓ ≤ 64", true,
    { full: "N = 2, r, k, c ≤ 2; m ≤ ℓ ≤ 64", quick: "same" }, () => X.orientationSame()),
);
