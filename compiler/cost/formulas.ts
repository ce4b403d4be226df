// The cost of each building block (a trace.ts unit) per correlation backend, as formulas
// in bits and rounds — one table that the model prices with, and the REPL's `:protocols`
// and docs/COST.md print. λ = 128 throughout (docs/PROTOCOLS.md's security parameter).
//
// Sources: docs/PROTOCOLS.md (its table of reference costs unless a line says otherwise,
// and the sources it cites); the dealer column is read off interpreter/protocols/*.ts (each
// file's header states it and the code is the reference — compiler/cost/dealer.ts mirrors
// the code to the byte, these texts are its closed form).
//
// The OT backends price the same unit sequence as the dealer backend runs (what pq does),
// with the per-element bits that CrypTFlow2/SiRNN (IKNP) and Cheetah (silent OT) pay for
// that building block. Their formulas count both directions together; a unit's bits are
// split between the parties by who sends them when the protocol fixes it (the linear
// layer: OT receiver = the activation's owner, sender = the server), evenly otherwise.
import type { Unit } from "./trace.js";
import { productPlan, productPlanes } from "./ot-sizes.js";
import { HEADER_BYTES, LAMBDA } from "./wire.js";

/**
 * `dealer`, `ot` and `he`: pq's providers, priced to the byte (`he`: OT for everything but the
 * server-weight products HE runs); `ot-iknp`, `ot-silent`: the SCI/Cheetah reference accounting.
 */
export type Backend = "dealer" | "ot" | "he" | "ot-iknp" | "ot-silent";
export const BACKENDS: readonly Backend[] = ["dealer", "ot", "he", "ot-iknp", "ot-silent"];

/**
 * What the passes optimise for: any backend the forecast prices. `ot` (pq's OT provider, priced
 * to the byte) is what `pq run` and `pq serve` compile for; the per-layer choices of orientation
 * and Winograd use the SiRNN (IKNP) accounting under every OT target.
 */
export type PassTarget = Backend;
export const PASS_TARGETS: readonly PassTarget[] = BACKENDS;

export type UnitKind = Unit["kind"];

/** What one unit costs under an OT backend: payload bits per party and rounds per party. */
export interface OtCost {
  clientBits: number;
  serverBits: number;
  clientRounds: number;
  serverRounds: number;
}

export interface Formula {
  unit: UnitKind;
  /** The building block in words and its parameters. */
  block: string;
  /** Per backend: bits on the wire (both parties) for the whole unit, and rounds. */
  dealer: { online: string; offline: string; rounds: string; source: string };
  iknp: { bits: string; rounds: string; source: string };
  silent: { bits: string; rounds: string; source: string };
}

const ceilLog2 = (v: number): number => (v <= 1 ? 0 : Math.ceil(Math.log2(v)));

/** Rounds of a comparison on m bits with 4-bit digits and an AND tree (docs/PROTOCOLS.md row "millionaires' comparison"). */
export function compareRounds(m: number): number {
  return m <= 0 ? 0 : 1 + ceilLog2(Math.ceil(m / 4));
}

/**
 * SiRNN's `cross_term_cost` (docs/PROTOCOLS.md "Linear layers", [code: SCI LinearOT]) for a
 * (d1×d2)·(d2×d3) product whose d1×d2 operand (m-bit shares) is the OT receiver and whose
 * output has ℓ bits: d1·d2·(m·λ + d3·(m·ℓ − m(m−1)/2)). `receivers` = d1·d2. `otBits` is the
 * per-OT overhead: λ for IKNP; ≈ 1 for silent OT (docs/PROTOCOLS.md "correlated OT, ℓ-bit
 * message": λ + ℓ vs ≈ ℓ + 1 — the λ becomes 1) [derived].
 * Returned apart: the receiver's part (m·otBits per element) and the sender's (the messages).
 */
export function crossTerm(receivers: number, d3: number, m: number, l: number, otBits: number): { receiver: number; sender: number } {
  return { receiver: receivers * m * otBits, sender: receivers * d3 * (m * l - (m * (m - 1)) / 2) };
}

/** The per-OT overhead of each OT backend (see crossTerm). */
function otOverhead(backend: "ot-iknp" | "ot-silent"): number {
  return backend === "ot-iknp" ? LAMBDA : 1;
}

const even = (bits: number, rounds: number): OtCost => ({ clientBits: bits / 2, serverBits: bits / 2, clientRounds: rounds, serverRounds: rounds });

/** Bits compared by a comparison unit: n·m, less the shared whole digits of the later blocks (see otCost). */
function comparedBits(u: Extract<Unit, { kind: "compare" }>): number {
  if (!u.share) return u.n * u.m;
  const digits = 4 * Math.floor(u.share.low / 4);
  const g = u.n / u.share.k;
  return g * u.m + (u.n - g) * (u.m - digits);
}

/** A unit's cost under an OT backend. */
export function otCost(u: Unit, backend: "ot-iknp" | "ot-silent"): OtCost {
  const iknp = backend === "ot-iknp";
  const L = LAMBDA;
  switch (u.kind) {
    case "compare":
      // docs/PROTOCOLS.md row "millionaires' comparison on ℓ bits": IKNP < λℓ + 14ℓ [code: SCI
      // Millionaire]; silent < 11ℓ (maintainer, OpenCheetah issue 12). Rounds 1 + ⌈log₂⌈ℓ/4⌉⌉.
      // With `share` (k blocks agreeing on their low bits), the blocks after the first reuse
      // the first's leaves and nodes over the d = 4⌊t/4⌋ bits of whole 4-bit digits among the
      // t shared bits (SCI's digit tree pairs digits from the low end, so at each level the
      // first ⌊(d/4)/2^level⌋ nodes lie inside them) and pay the per-bit price for the
      // other m − d bits only [derived].
      if (u.m <= 0 || u.n === 0) return even(0, 0);
      return even(comparedBits(u) * (iknp ? L + 14 : 11), compareRounds(u.m));
    case "carryKnown":
      // docs/PROTOCOLS.md row "wrap from a known MSB (1-of-4 OT, 1-bit messages)": IKNP 2λ + 4,
      // silent ≈ 6, 1 round. (pq's dealer computes the same bit with one AND.)
      return even(u.n * (iknp ? 2 * L + 4 : 6), u.n === 0 ? 0 : 1);
    case "b2a":
      // docs/PROTOCOLS.md row "bit → arithmetic (B2A) into ℓ bits": IKNP λ + ℓ, silent ≈ ℓ + 1, 1 round.
      return even(u.n * (iknp ? L + u.bits : u.bits + 1), 1);
    case "select": {
      // docs/PROTOCOLS.md row "select (shared bit × ℓ-bit value)": IKNP 2(λ + ℓ), silent ≈ 2ℓ + 2,
      // 1 round — two correlated OTs per condition bit. With several pairs under one bit
      // (argmax's value and index) or one bit for many elements, the bit's OTs carry the
      // concatenated messages: 2(conds·λ + n·Σℓ) [derived].
      if (u.rings.length === 0) return even(0, 0);
      const sum = u.rings.reduce((a, b) => a + b, 0);
      return even(2 * (u.conds * (iknp ? L : 1) + u.n * sum), 1);
    }
    case "mul": {
      // Element-wise product of two shared values: the cross terms x0·y1 and x1·y0, each SiRNN's
      // cross_term_cost with d1 = d2 = d3 = 1 per element and m = ℓ (docs/PROTOCOLS.md "Linear
      // layers"); a square x·x needs one (2·x0·x1) [derived]. Each party receives in one term.
      const terms = u.square ? 1 : 2;
      const c = crossTerm(u.n, 1, u.bits, u.bits, otOverhead(backend));
      return even(terms * (c.receiver + c.sender), 1);
    }
    case "linear": {
      // docs/PROTOCOLS.md "OT-based matrix product" (SiRNN cross_term_cost), server-known weights:
      // one cross term, the activation as OT receiver (the default; its owner, the client,
      // holds x0 — x1·W is the server's local term) with its own width m = xBits, output ℓ =
      // the layer's ring. Convolutions via im2col: receivers = H'W'·C·k², d3 = Cout/groups.
      // A re-weighted W with the weights as receiver (ops.ts `split`, `support`): one cross term
      // per plane, over its receiver elements (every weight, or the support's) with its width.
      const planes = u.product ? productPlanes(u.product) : [];
      const terms = planes.length <= 1 && planes[0]?.map === u.product
        ? [crossTerm(u.receivers, u.d3, u.xBits, u.bits, otOverhead(backend))]
        : planes.map(({ map }) => crossTerm(productPlan(map, u.bits).n, u.d3, Math.min(map.wElem.bits, u.bits), u.bits, otOverhead(backend)));
      const sum = (f: (c: { receiver: number; sender: number }) => number) => terms.reduce((a, c) => a + f(c), 0);
      return { clientBits: sum((c) => c.receiver), serverBits: sum((c) => c.sender), clientRounds: terms.length, serverRounds: terms.length };
    }
    case "reveal":
      // The server sends its shares: n·ℓ bits, 1 round (the same in every backend).
      return { clientBits: 0, serverBits: u.n * u.bits, clientRounds: 0, serverRounds: 1 };
    default: {
      const never: never = u;
      throw new Error(`cost: unknown unit ${JSON.stringify(never)}`);
    }
  }
}

/** The formula table: what `:protocols` and docs/COST.md show. */
export const FORMULAS: readonly Formula[] = [
  {
    unit: "compare",
    block: "millionaires' comparison, n pairs of m-bit values (msb, drelu, lift, trunc, wrap, lessThan, clamp)",
    dealer: {
      online: "per party Σ over the AND batches k of (⌈2k/8⌉ + 10) bytes: leaves k = n·m, then per level of width w > 1: k = n·⌊w/2⌋·(2, or 1 at the root)",
      offline: "Σ ⌈k/8⌉ bytes (one bit triple per AND)",
      rounds: "1 + ⌈log₂ m⌉",
      source: "interpreter/protocols/millionaire.ts, and.ts; with shared low bits t (k blocks, requant's clamp), blocks after the first skip the t leaves and the subtree's nodes",
    },
    iknp: { bits: "n·(λm + 14m); with k blocks sharing t low bits: (λ + 14)·(n/k)·(m + (k−1)(m − d)), d = 4⌊t/4⌋ (whole digits)", rounds: "1 + ⌈log₂⌈m/4⌉⌉", source: "docs/PROTOCOLS.md, millionaires' comparison row [code: SCI Millionaire]; the shared subtree [derived]" },
    silent: { bits: "n·11m; shared: 11·(n/k)·(m + (k−1)(m − d))", rounds: "1 + ⌈log₂⌈m/4⌉⌉", source: "docs/PROTOCOLS.md, millionaires' comparison row (maintainer, OpenCheetah issue 12); the shared subtree [derived]" },
  },
  {
    unit: "carryKnown",
    block: "carry msb(u0) ∨ msb(u1) of a known-MSB value, n elements (extend, trunc with known MSB)",
    dealer: { online: "one AND of n bits: per party ⌈2n/8⌉ + 10 bytes", offline: "⌈n/8⌉ bytes", rounds: "1", source: "interpreter/protocols/extend.ts knownMsbCarry, and.ts" },
    iknp: { bits: "n·(2λ + 4)", rounds: "1", source: "docs/PROTOCOLS.md, wrap from a known MSB (1-of-4 OT) row" },
    silent: { bits: "n·6", rounds: "1", source: "docs/PROTOCOLS.md, wrap from a known MSB row" },
  },
  {
    unit: "b2a",
    block: "bit → arithmetic into ℓ bits, n bits",
    dealer: { online: "per party ⌈n/8⌉ + 10 bytes", offline: "⌈n·ℓ/8⌉ bytes", rounds: "1", source: "interpreter/protocols/b2a.ts" },
    iknp: { bits: "n·(λ + ℓ)", rounds: "1", source: "docs/PROTOCOLS.md, B2A row" },
    silent: { bits: "n·(ℓ + 1)", rounds: "1", source: "docs/PROTOCOLS.md, B2A row" },
  },
  {
    unit: "select",
    block: "select b ? x : y, c condition bits, n elements per pair, pairs in rings ℓ_j (relu, clamp, maxpool, argmax)",
    dealer: { online: "per party ⌈c/8⌉ + Σ_j 2⌈n·ℓ_j/8⌉ + 10 bytes", offline: "⌈c·max ℓ_j/8⌉ + Σ_j ⌈n·ℓ_j/8⌉ bytes", rounds: "1", source: "interpreter/protocols/select.ts" },
    iknp: { bits: "2(c·λ + n·Σℓ_j)", rounds: "1", source: "docs/PROTOCOLS.md, select row: 2(λ + ℓ) per element [derived for several pairs]" },
    silent: { bits: "2(c + n·Σℓ_j)", rounds: "1", source: "docs/PROTOCOLS.md, select row: ≈ 2ℓ + 2 per element" },
  },
  {
    unit: "mul",
    block: "multiplication of two shared values, n elements of ℓ bits (mul)",
    dealer: { online: "per party 2⌈n·ℓ/8⌉ + 10 bytes", offline: "⌈n·ℓ/8⌉ bytes", rounds: "1", source: "interpreter/protocols/mul.ts" },
    iknp: { bits: "t·n·(ℓλ + ℓ² − ℓ(ℓ−1)/2), t = 2 cross terms (1 for a square)", rounds: "1", source: "docs/PROTOCOLS.md, OT-based matrix product (SiRNN cross_term_cost, d1 = d2 = d3 = 1, m = ℓ) [derived]" },
    silent: { bits: "t·n·(ℓ + ℓ² − ℓ(ℓ−1)/2)", rounds: "1", source: "as IKNP with the per-OT λ replaced by ≈ 1 (correlated OT row) [derived]" },
  },
  {
    unit: "linear",
    block: "conv2d / linear / batchnorm with server-held weights W, shared activation x (m bits), output y in ℓ bits; sqplus's cross term x0·x1 as the element-wise map (W = x1, protocols/square.ts)",
    dealer: { online: "client ⌈|x|·ℓ/8⌉ + 10 bytes (and the server ⌈|W|·ℓ/8⌉ + 10 for sqplus's cross term)", offline: "⌈|y|·ℓ/8⌉ bytes from the dealer; the server ⌈|W|·ℓ/8⌉ + 10 bytes to the client (W − A: the model's weights do not depend on the input)", rounds: "1", source: "interpreter/protocols/linear.ts" },
    iknp: { bits: "d1·d2·(m·λ + d3·(m·ℓ − m(m−1)/2)), d1·d2 = receiver elements (|x|, or H'W'·C·k² by im2col), d3 = outputs per element (O, Cout/groups, 1)", rounds: "1", source: "docs/PROTOCOLS.md, OT-based matrix product [code: SCI LinearOT cross_term_cost], activation as receiver" },
    silent: { bits: "d1·d2·(m + d3·(m·ℓ − m(m−1)/2))", rounds: "1", source: "as IKNP with λ → ≈ 1 (correlated OT row) [derived]" },
  },
  {
    unit: "reveal",
    block: "reveal n elements of ℓ bits to the client",
    dealer: { online: "server ⌈n·ℓ/8⌉ + 10 bytes", offline: "0", rounds: "1 (server)", source: "interpreter/protocols/open.ts" },
    iknp: { bits: "n·ℓ", rounds: "1 (server)", source: "the server sends its shares" },
    silent: { bits: "n·ℓ", rounds: "1 (server)", source: "the server sends its shares" },
  },
];

/**
 * Composites, as pq runs them (for the docs and `:protocols`): each is a sequence of the
 * units above, and its OT total matches the docs/PROTOCOLS.md row named.
 */
export const COMPOSITES: readonly { name: string; units: string; iknp: string; silent: string; source: string }[] = [
  { name: "msb / drelu on N bits", units: "compare(m = N − 1)", iknp: "λ(N−1) + 14(N−1)", silent: "11(N−1)", source: "docs/PROTOCOLS.md, DReLU row (comparison on ℓ−1 bits)" },
  { name: "relu on N bits", units: "drelu + select", iknp: "λN + λ + 16N − 14", silent: "13N − 9", source: "docs/PROTOCOLS.md, DReLU/ReLU row (≈ λℓ + 18ℓ / ≈ 13ℓ)" },
  { name: "extension m → n, MSB unknown (lift)", units: "compare(m) + b2a(n − m)", iknp: "λ(m+1) + 13m + n", silent: "11m + (n−m) + 1", source: "docs/PROTOCOLS.md, extension row, MSB unknown" },
  { name: "extension m → n, MSB known", units: "carryKnown + b2a(n − m)", iknp: "3λ + 4 + (n−m)", silent: "(n−m) + 7", source: "docs/PROTOCOLS.md, extension row, MSB known" },
  { name: "truncate-and-reduce ℓ → ℓ−s", units: "compare(s) + b2a(ℓ − s)", iknp: "λ(s+1) + ℓ + 13s", silent: "11s + (ℓ−s) + 1", source: "docs/PROTOCOLS.md, truncate-and-reduce row" },
  { name: "exact truncation by s in the same ring, MSB unknown", units: "truncreduce + lift(ℓ−s → ℓ)", iknp: "λ(ℓ+2) + 15ℓ", silent: "12ℓ + 2", source: "docs/PROTOCOLS.md, exact truncation row (≈ λ(ℓ+3) + 15ℓ + s)" },
  { name: "lessThan / wrap on N bits", units: "compare(3 pairs of N bits)", iknp: "3(λN + 14N)", silent: "33N", source: "interpreter/protocols/wrap.ts (3 carries batched)" },
  { name: "requant", units: "extension + truncreduce + (clamp: msb + select) + extension", iknp: "sum of the parts", silent: "sum of the parts", source: "interpreter/protocols/requant.ts" },
];

/** The table as text, one block per unit (for `:protocols` and `pq cost --formulas`). */
export function formulasText(): string {
  const out: string[] = [`cost formulas per building block (λ = ${LAMBDA}; bits on the wire, both parties; bytes add a ${HEADER_BYTES}-byte frame header per message):`];
  for (const f of FORMULAS) {
    out.push(`  ${f.unit}: ${f.block}`);
    out.push(`    dealer     online ${f.dealer.online}; offline ${f.dealer.offline}; rounds ${f.dealer.rounds}  [${f.dealer.source}]`);
    out.push(`    ot-iknp    ${f.iknp.bits}; rounds ${f.iknp.rounds}  [${f.iknp.source}]`);
    out.push(`    ot-silent  ${f.silent.bits}; rounds ${f.silent.rounds}  [${f.silent.source}]`);
  }
  out.push("  composites (OT totals per element):");
  for (const c of COMPOSITES) out.push(`    ${c.name} = ${c.units}: IKNP ${c.iknp}; silent ${c.silent}  [${c.source}]`);
  return out.join("\n");
}
