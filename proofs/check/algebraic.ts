// The algebraic mode: every input and every value of the randomness at any ring width, for
// the leaf protocols whose parties compute with ring operations only (mul, select, b2a,
// linear). Enumerating their probability space is out of reach beyond 2–3 bits (Beaver
// multiplication has 9 ring variables: 2^(9N) points), so this mode exploits its structure
// instead (Lemma M of proofs/README.md):
//
//   Lemma M. For every fixed value of the bit variables, every output share and every
//   component of every view (each correlation value handed out, each ring element or bit of
//   each received frame) is a polynomial function of the ring variables — the input shares
//   and the dealer's free values — of degree at most 1 in each.
//
// A function F: (Z_2^N)^k → Z_2^N that is multilinear in each variable is determined by
// its values on any grid ∏_j {t_j, t_j + 1}: writing v_j = t_j + g_j, F is a multilinear
// polynomial in g with integer coefficients, and the Möbius transform of the 2^k grid
// values gives those coefficients exactly (mod 2^N). So one run of the unchanged protocol
// code per grid point (or all grid points as the elements of one vector, for element-wise
// protocols) determines every output and view component as an explicit polynomial, for all
// inputs and all randomness:
//
//   correctness   the reconstructed output equals the specification at every grid point;
//                 both sides are multilinear (the specification by its formula), so they
//                 are equal everywhere;
//   privacy       for each party, its view components are removed one by one, each either
//                 a function of the party's own input alone, or a one-time pad: λ·u + w
//                 with u a free uniform ring value, λ odd, and u occurring in no other
//                 remaining component (for a bit: u ⊕ w) — Lemma P of proofs/README.md. A
//                 view that peels completely is uniform on its support whatever the other
//                 party's input: the distributions are equal, exactly.
//
// The shifts t_j are drawn from a PRG, so the grid runs through full-width values (the
// BigInt and limb-split paths at wide rings). Lemma M itself is an argument about the code
// (each document gives it line by line); it is corroborated here, not proved: the
// interpolated polynomials are compared with the code's outputs at `probes` random points
// of the whole space (sampled, and said so), and where the space is small the exhaustive
// mode checks everything directly.
import type { Role } from "../../interpreter/twopc/channel.js";
import { HEADER_BYTES } from "../../compiler/cost/wire.js";
import { getRing, unpackBits, unpackRing, type Share } from "../../interpreter/twopc/ring.js";
import { Sampler, type Source } from "../../interpreter/providers/enumerated.js";
import { runPair, type PairRun } from "./harness.js";
import type { Draw, Layout, Outcome, Proto } from "./engine.js";

/** How a variable ranges: a ring Z_2^bits (shifted grid {t, t + 1}) or a bit ({0, 1}). */
interface Var {
  name: string;
  /** Ring width; 0 for a bit. */
  bits: number;
  /** Whose input it is; undefined for the dealer's free randomness. */
  owner?: Role;
  /** The grid's shift t (0 for bits). */
  base: bigint;
}

/** A view or output component: its value per case, and its ring width (0: a bit). */
interface Comp {
  name: string;
  bits: number;
}

export interface AlgebraicMode {
  kind: "algebraic";
  /** All grid points as the elements of one vector (element-wise protocols). */
  vector: boolean;
  /** Random points of the whole space at which the interpolants are compared with the code. */
  probes: number;
  seed?: number;
}

const other = (r: Role): Role => (r === "client" ? "server" : "client");
const mod = (v: bigint, bits: number): bigint => (bits === 0 ? v : BigInt.asUintN(bits, v));

/** Input variables of the draws: a shared draw is its two shares, an owned draw one value. */
function inputVars(draws: Draw[], rng: Sampler): Var[] {
  const vars: Var[] = [];
  const add = (name: string, bits: number, owner: Role) => vars.push({ name, bits: bits === 1 ? 0 : bits, owner, base: bits === 1 ? 0n : rng.draw(bits) });
  for (const d of draws) {
    if (d.owner === "shared") {
      add(`${d.name}0`, d.bits, "client");
      add(`${d.name}1`, d.bits, "server");
    } else add(d.name, d.bits, d.owner);
  }
  return vars;
}

/**
 * The dealer's free values, drawn in request order: draw t of a run with n cases belongs to
 * variable ⌊t/n⌋ (every request draws its values element by element, n at a time) and to
 * case t mod n; `value(var, case)` chooses it.
 */
class VarSource implements Source {
  t = 0;
  readonly widths: number[] = [];
  constructor(private readonly n: number, private readonly value: (v: number, c: number, bits: number) => bigint) {}
  draw(bits: number): bigint {
    const v = Math.floor(this.t / this.n);
    const c = this.t % this.n;
    this.t++;
    const w = bits === 1 ? 0 : bits;
    if (this.widths[v] === undefined) this.widths[v] = w;
    else if (this.widths[v] !== w) throw new Error(`algebraic: free value ${v} drawn at ${w} and ${this.widths[v]} bits`);
    return this.value(v, c, bits);
  }
  bit(): number {
    return Number(this.draw(1));
  }
}

/** Components (name, width) and values per case, from a party's correlations and frames. */
function viewOf(run: PairRun<unknown, unknown>, role: Role, layout: Layout, n: number): { comps: Comp[]; values: bigint[][] } {
  const comps: Comp[] = [];
  const values: bigint[][] = []; // values[component][case]
  const push = (name: string, bits: number, per: (c: number) => bigint) => {
    comps.push({ name, bits });
    values.push(Array.from({ length: n }, (_, c) => per(c)));
  };
  /** A vector of n elements (one per case), or, with n = 1, any number of elements of the one case. */
  const vec = (name: string, bits: number, len: number, at: (i: number) => bigint) => {
    if (n === 1) for (let i = 0; i < len; i++) push(len === 1 ? name : `${name}[${i}]`, bits, () => at(i));
    else if (len === n) push(name, bits, (c) => at(c));
    else throw new Error(`algebraic: ${name} has ${len} elements in a run of ${n} cases`);
  };
  const ring = (s: Share) => (i: number) => BigInt.asUintN(s.bits, getRing(s, i));
  run.store.entries.forEach((e, k) => {
    const part = role === "client" ? e.parts.client : e.parts.server;
    const [kind, w] = e.what.split("/");
    const bits = Number(w);
    if (kind === "triples") {
      const [a, b, c] = part as bigint[][];
      for (const [nm, v] of [["a", a!], ["b", b!], ["c", c!]] as const) vec(`T${k}.${nm}`, bits, v.length, (i) => v[i]!);
    } else if (kind === "bilinear") {
      const { mine, c } = part as { mine: Share; c: Share };
      vec(`L${k}.${role === "client" ? "B" : "A"}`, bits, mine.data.length, ring(mine));
      vec(`L${k}.c`, bits, c.data.length, ring(c));
    } else if (kind === "and") {
      const [a, b, c] = part as Uint8Array[];
      for (const [nm, v] of [["a", a!], ["b", b!], ["c", c!]] as const) vec(`A${k}.${nm}`, 0, v.length, (i) => BigInt(v[i]!));
    } else if (kind === "bitpairs") {
      const [r, s] = part as [Uint8Array, bigint[]];
      vec(`B${k}.r`, 0, r.length, (i) => BigInt(r[i]!));
      vec(`B${k}.s`, bits, s.length, (i) => s[i]!);
    } else throw new Error(`algebraic: unknown correlation ${e.what}`);
  });
  const frames = run.views[role].events.filter((e) => e.startsWith("R:")).map((e) => Uint8Array.from(e.slice(2).match(/../g) ?? [], (h) => parseInt(h, 16)));
  const segs = layout(role, n);
  if (frames.length !== segs.length) throw new Error(`algebraic: the ${role} received ${frames.length} frames, the layout names ${segs.length}`);
  frames.forEach((f, k) => {
    let o = HEADER_BYTES;
    segs[k]!.forEach((s, j) => {
      const name = `M${k}.${j}`;
      if ("ring" in s) {
        const len = Math.ceil((s.n * s.ring) / 8);
        const sh = unpackRing(f.subarray(o, o + len), s.ring, [s.n]);
        o += len;
        vec(name, s.ring, s.n, ring(sh));
      } else {
        const len = Math.ceil(s.bits / 8);
        const b = unpackBits(f.subarray(o, o + len), s.bits);
        o += len;
        vec(name, 0, s.bits, (i) => BigInt(b[i]!));
      }
    });
    if (o !== f.length) throw new Error(`algebraic: frame ${k} to the ${role} has ${f.length - HEADER_BYTES} payload bytes, the layout ${o - HEADER_BYTES}`);
  });
  return { comps, values };
}

/** In-place Möbius transform over k variables: grid values → multilinear coefficients. */
function mobius(a: bigint[], k: number, bits: number): void {
  for (let j = 0; j < k; j++) {
    const bit = 1 << j;
    for (let c = 0; c < a.length; c++) if (c & bit) a[c] = mod(a[c]! - a[c ^ bit]!, bits);
  }
}

/** Sparse polynomial: monomial mask → nonzero coefficient. */
type Poly = Map<number, bigint>;

function sparse(a: bigint[]): Poly {
  const p: Poly = new Map();
  a.forEach((v, m) => {
    if (v !== 0n) p.set(m, v);
  });
  return p;
}

function evalPoly(p: Poly, g: bigint[], bits: number): bigint {
  let s = 0n;
  for (const [m, coef] of p) {
    let t = coef;
    for (let j = 0; m >> j; j++) if ((m >> j) & 1) t *= g[j]!;
    s += t;
  }
  return mod(s, bits);
}

function polyText(p: Poly, vars: Var[]): string {
  if (p.size === 0) return "0";
  return [...p].map(([m, c]) => {
    const names = vars.filter((_, j) => (m >> j) & 1).map((v) => `g(${v.name})`);
    return names.length === 0 ? `${c}` : `${c}·${names.join("·")}`;
  }).join(" + ");
}

/** Is component p (width bits) a one-time pad in variable j: λ·g_j + w (λ odd), or g_j ⊕ w for a bit? */
function padIn(p: Poly, j: number, bits: number): boolean {
  const bit = 1 << j;
  if (bits > 0) {
    for (const [m, c] of p) if (m & bit && (m !== bit || (c & 1n) === 0n)) return false;
    return p.has(bit);
  }
  // p(g_j = 1) = 1 − p(g_j = 0): the coefficient of g_j·X is [X = ∅] − 2·(coefficient of X)
  const masks = new Set<number>();
  for (const m of p.keys()) masks.add(m & ~bit);
  for (const m of masks) if ((p.get(m | bit) ?? 0n) !== (m === 0 ? 1n : 0n) - 2n * (p.get(m) ?? 0n)) return false;
  return true;
}

/** The peeling of Lemma P; undefined when the whole view peels, else the component left. */
function peel(comps: Comp[], polys: Poly[], vars: Var[], role: Role): number | undefined {
  const support = polys.map((p) => [...p.keys()].reduce((s, m) => s | m, 0));
  const ownOnly = vars.reduce((s, v, j) => (v.owner === role ? s | (1 << j) : s), 0);
  const random = vars.map((v, j) => (v.owner === undefined ? j : -1)).filter((j) => j >= 0);
  const left = new Set(comps.map((_, i) => i));
  let progress = true;
  while (left.size > 0 && progress) {
    progress = false;
    for (const i of left) {
      if ((support[i]! & ~ownOnly) === 0) {
        left.delete(i); // a function of the party's own input: the same for every input of the other
        progress = true;
        continue;
      }
      for (const j of random) {
        if (!((support[i]! >> j) & 1) || !padIn(polys[i]!, j, comps[i]!.bits)) continue;
        let elsewhere = false;
        for (const q of left) if (q !== i && (support[q]! >> j) & 1) elsewhere = true;
        if (elsewhere) continue;
        left.delete(i);
        progress = true;
        break;
      }
    }
  }
  return left.size === 0 ? undefined : [...left][0];
}

interface Grid<O> {
  vars: Var[];
  kIn: number;
  /** Per case: the value of every variable. */
  point: (c: number) => bigint[];
  run: PairRun<O, O>[];
  /** Case c lives in run runOf(c) at element elemOf(c). */
  at: (c: number) => [number, number];
}

async function runPoints<O>(proto: Proto<O>, vars: Var[], kIn: number, points: number, vector: boolean, value: (v: number, c: number) => bigint): Promise<Grid<O>> {
  const free = vars.length - kIn;
  const draws = proto.draws;
  const runs: PairRun<O, O>[] = [];
  const batches = vector ? [[0, points]] : Array.from({ length: points }, (_, c) => [c, 1]);
  for (const [first, n] of batches as [number, number][]) {
    const own = (role: Role): bigint[][] => {
      const out: bigint[][] = [];
      let j = 0;
      for (const d of draws) {
        const idx = d.owner === "shared" ? [j, j + 1] : [j];
        j += idx.length;
        const pick = d.owner === "shared" ? idx[role === "client" ? 0 : 1]! : d.owner === role ? idx[0]! : -1;
        if (pick >= 0) out.push(Array.from({ length: n }, (_, c) => value(pick, first + c)));
      }
      return out;
    };
    const src = new VarSource(n, (v, c) => value(kIn + v, first + c));
    runs.push(await runPair(src, (p) => proto.run(p, own("client"), n), (p) => proto.run(p, own("server"), n)));
    if (src.t !== free * n) throw new Error(`${src.t} free values drawn for ${n} cases, expected ${free} per case`);
  }
  return {
    vars, kIn, run: runs,
    point: (c) => vars.map((_, j) => value(j, c)),
    at: (c) => (vector ? [0, c] : [c, 0]),
  };
}

/** The specification at a point: shared draws reconstructed from their two share variables. */
function specOf(proto: Proto<unknown>, vals: bigint[]): string | undefined {
  const d: bigint[] = [];
  let j = 0;
  for (const dr of proto.draws) {
    if (dr.owner === "shared") {
      d.push(BigInt.asUintN(dr.bits, vals[j]! + vals[j + 1]!));
      j += 2;
    } else d.push(vals[j++]!);
  }
  return proto.spec(d);
}

const pointText = (vars: Var[], vals: bigint[]): string => vars.map((v, j) => `${v.name}=${vals[j]}`).join(" ");

/**
 * Check a leaf protocol algebraically at its ring width: interpolate on the grid, then
 * correctness, privacy (peeling), and `probes` random points against the interpolants.
 */
export async function checkAlgebraic<O>(proto: Proto<O>, layout: Layout, mode: AlgebraicMode): Promise<Outcome> {
  const rng = new Sampler((mode.seed ?? 11) * 65_537 + 5);
  const vars = inputVars(proto.draws, rng);
  const kIn = vars.length;
  // a dry run with one case counts the dealer's free values and their widths
  const dry = new VarSource(1, () => 0n);
  const zeros = (role: Role) => proto.draws.filter((d) => d.owner === "shared" || d.owner === role).map(() => [0n]);
  await runPair(dry, (p) => proto.run(p, zeros("client"), 1), (p) => proto.run(p, zeros("server"), 1));
  dry.widths.forEach((bits, v) => vars.push({ name: `r${v}`, bits, base: bits === 0 ? 0n : rng.draw(bits) }));
  const k = vars.length;
  if (k > 20) return { cases: 0, failure: `checker: ${k} variables — 2^${k} grid points is too many; choose smaller parameters` };
  const size = 1 << k;
  const gridValue = (j: number, c: number): bigint => {
    const v = vars[j]!;
    const g = BigInt((c >> j) & 1);
    return v.bits === 0 ? g : BigInt.asUintN(v.bits, v.base + g);
  };
  let grid: Grid<O>;
  try {
    grid = await runPoints(proto, vars, kIn, size, mode.vector, gridValue);
  } catch (e) {
    return { cases: 0, failure: `checker: the protocol failed on the grid: ${(e as Error).message}` };
  }

  // correctness on the grid
  for (let c = 0; c < size; c++) {
    const [r, i] = grid.at(c);
    const got = proto.output(grid.run[r]!.client, grid.run[r]!.server, i);
    const expected = specOf(proto as Proto<unknown>, grid.point(c));
    if (expected === undefined) return { cases: c, failure: "checker: the algebraic mode needs a specification defined on every input" };
    if (got !== expected) {
      return { cases: c + 1, failure: `CORRECTNESS counterexample (grid point ${c} of ${size})\n  variables:  ${pointText(vars, grid.point(c))}\n  expected:   ${expected}\n  got:        ${got}` };
    }
  }

  // interpolation of every view component, per party
  const polys: Record<Role, { comps: Comp[]; polys: Poly[] }> = { client: { comps: [], polys: [] }, server: { comps: [], polys: [] } };
  for (const role of ["client", "server"] as const) {
    let comps: Comp[] | undefined;
    const values: bigint[][] = [];
    for (let r = 0; r < grid.run.length; r++) {
      const v = viewOf(grid.run[r] as PairRun<unknown, unknown>, role, layout, mode.vector ? size : 1);
      const key = v.comps.map((q) => `${q.name}/${q.bits}`).join(",");
      if (comps === undefined) {
        comps = v.comps;
        v.values.forEach((col) => values.push(mode.vector ? col : [col[0]!]));
      } else if (key !== comps.map((q) => `${q.name}/${q.bits}`).join(",")) {
        return { cases: size, failure: `STRUCTURE: the ${role}'s view has different components at grid point ${r}: ${key}` };
      } else v.values.forEach((col, q) => values[q]!.push(col[0]!));
    }
    polys[role].comps = comps ?? [];
    polys[role].polys = values.map((col, q) => {
      const a = col.slice();
      mobius(a, k, comps![q]!.bits);
      return sparse(a);
    });
  }

  // privacy: each party's view peels completely
  for (const role of ["client", "server"] as const) {
    const { comps, polys: ps } = polys[role];
    const stuck = peel(comps, ps, vars, role);
    if (stuck !== undefined) {
      return {
        cases: size,
        failure: `PRIVACY: the ${role}'s view is not shown independent of the ${other(role)}'s input: component ${comps[stuck]!.name} (${comps[stuck]!.bits ? `Z_2^${comps[stuck]!.bits}` : "a bit"}) has no one-time pad left\n` +
          `  as a polynomial in g (each variable v = t + g, shifts ${pointText(vars, vars.map((v) => v.base))}): ${polyText(ps[stuck]!, vars)}`,
      };
    }
  }

  // Lemma M, corroborated: random points of the whole space against the interpolants
  const prng = new Sampler((mode.seed ?? 11) * 92_821 + 17);
  const probe: bigint[][] = Array.from({ length: mode.probes }, () => vars.map((v) => (v.bits === 0 ? BigInt(prng.bit()) : prng.draw(v.bits))));
  let probes: Grid<O>;
  try {
    probes = await runPoints(proto, vars, kIn, mode.probes, mode.vector, (j, c) => probe[c]![j]!);
  } catch (e) {
    return { cases: size, failure: `checker: the protocol failed at a random point: ${(e as Error).message}` };
  }
  for (let c = 0; c < mode.probes; c++) {
    const [r, i] = probes.at(c);
    const run = probes.run[r]!;
    const got = proto.output(run.client, run.server, i);
    const expected = specOf(proto as Proto<unknown>, probe[c]!);
    if (got !== expected) return { cases: size + c + 1, failure: `CORRECTNESS counterexample (random point)\n  variables:  ${pointText(vars, probe[c]!)}\n  expected:   ${expected}\n  got:        ${got}` };
    const g = vars.map((v, j) => (v.bits === 0 ? probe[c]![j]! : BigInt.asUintN(v.bits, probe[c]![j]! - v.base)));
    for (const role of ["client", "server"] as const) {
      const v = viewOf(run as PairRun<unknown, unknown>, role, layout, mode.vector ? mode.probes : 1);
      for (let q = 0; q < v.comps.length; q++) {
        const actual = v.values[q]![mode.vector ? i : 0]!;
        const want = evalPoly(polys[role].polys[q]!, g, v.comps[q]!.bits);
        if (actual !== want) {
          return {
            cases: size + c + 1,
            failure: `LEMMA M: the ${role}'s ${v.comps[q]!.name} is not the multilinear interpolant at a random point (${actual} vs ${want})\n  variables: ${pointText(vars, probe[c]!)}`,
          };
        }
      }
    }
  }
  return { cases: size + mode.probes, randomBits: vars.slice(kIn).reduce((s, v) => s + (v.bits || 1), 0) };
}
