// A fast-check generator of random straight-line programs over pq's element-wise ops
// (LANGUAGE.md, "Ops"): vectors and scalars of any element type from 1 to 64 bits, inputs
// at their extremes, literals, scalar and matrix params, requantizations by powers of two
// and by other ratios, clamps whose bounds lie outside the type, sign tests of unsigned
// values. Where networks.ts builds plausible networks, this one walks the corners of the
// type rules. The rule its suites check: what the compiler accepts, both backends run, under
// every pipeline, to the same values, which stay inside the range analysis' intervals.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";

export interface OpsInput {
  name: string;
  shape: number[];
  bits: number;
  signed: boolean;
}

export interface OpsProgram {
  source: string;
  params: Record<string, { shape: number[]; data: string[] }>;
  inputs: OpsInput[];
}

const VEC = 4;

/** An element type's bounds. */
export function bounds(bits: number, signed: boolean): [bigint, bigint] {
  return signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];
}

const elemName = (bits: number, signed: boolean) => `${signed ? "i" : "u"}${bits}`;

/** A value the program has named: its shape, its scale (a key: equal keys are equal scales) and, when fixed by an op, its element type. */
interface Val {
  name: string;
  vec: boolean;
  /** `p:e` for 2^e, anything else is a scale only equal to itself. */
  scale: string;
  type?: { bits: number; signed: boolean };
  bit?: boolean;
}

const OPS = [
  "relu", "drelu", "msb", "signSelect", "select0", "selectLit", "select", "clamp", "requant", "requantReal", "zext", "sext", "b2a",
  "trunc", "truncreduce", "add", "sub", "neg", "mulc", "shl", "mul", "wrap", "sum", "argmax", "linear", "divexact",
  "sqplus", "reveal", "scalarParam", "maxpool", "avgpool", "gavgpool", "conv", "batchnorm", "linmap",
] as const;
type OpName = (typeof OPS)[number];

interface Step {
  op: OpName;
  a: number;
  b: number;
  c: number;
  bits: number;
  signed: boolean;
  e: number;
  k: number;
  big: bigint;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.constantFrom(...OPS),
  a: fc.nat(), b: fc.nat(), c: fc.nat(),
  bits: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 64 }), fc.constantFrom(1, 2, 8, 16, 31, 32, 33, 48, 63, 64)),
  signed: fc.boolean(),
  e: fc.integer({ min: -12, max: 6 }),
  k: fc.integer({ min: 0, max: 70 }),
  big: fc.oneof(fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }), fc.bigInt({ min: -(1n << 52n), max: 1n << 52n }), fc.bigInt({ min: -300n, max: 300n })),
});

const inputArb = fc.record({ bits: fc.integer({ min: 1, max: 64 }), signed: fc.boolean(), vec: fc.boolean(), e: fc.integer({ min: -8, max: 2 }), seed: fc.nat() });

function render(ins: { bits: number; signed: boolean; vec: boolean; e: number; seed: number }[], steps: Step[], matrix: bigint[], scalarParam: bigint): OpsProgram {
  const lines: string[] = [];
  const pool: Val[] = [];
  const inputs: OpsInput[] = [];
  const params: OpsProgram["params"] = {};
  const decls: string[] = [];
  ins.forEach((t, i) => {
    const name = `x${i}`;
    decls.push(`  input ${name}: client ${elemName(t.bits, t.signed)}${t.vec ? `[${VEC}]` : ""} scale 2^${t.e}`);
    inputs.push({ name, shape: t.vec ? [VEC] : [], bits: t.bits, signed: t.signed });
    const v: Omit<Val, "name"> = { vec: t.vec, scale: `p:${t.e}`, type: { bits: t.bits, signed: t.signed }, ...(t.bits === 1 && !t.signed ? { bit: true } : {}) };
    pool.push({ name, ...v });
    // a shared value of the same type: per element, the input or a server value (a select on the server's bits)
    const shape = t.vec ? [VEC] : [];
    const n = t.vec ? VEC : 1;
    const [lo, hi] = bounds(t.bits, t.signed);
    params[`b${i}`] = { shape, data: Array.from({ length: n }, (_, k) => String((t.seed >> k) & 1)) };
    const picks = [lo, hi, 0n, hi >> 1n];
    params[`z${i}`] = { shape, data: Array.from({ length: n }, (_, k) => String(picks[(t.seed >> (8 + 2 * k)) & 3]!)) };
    decls.push(`  param b${i}: u1${t.vec ? `[${VEC}]` : ""}`, `  param z${i}: ${elemName(t.bits, t.signed)}${t.vec ? `[${VEC}]` : ""} scale 2^${t.e}`);
    lines.push(`  let s${i} = select(b${i}, ${name}, z${i})`);
    pool.push({ name: `s${i}`, ...v });
  });
  let fresh = 0;
  const pick = (n: number, ok: (v: Val) => boolean = () => true): Val | undefined => {
    const c = pool.filter(ok);
    return c.length ? c[n % c.length] : undefined;
  };
  const pow = (s: string, d: number) => (s.startsWith("p:") ? `p:${Number(s.slice(2)) + d}` : `s${fresh++}`);
  const emit = (expr: string, v: Omit<Val, "name">) => {
    const name = `v${fresh++}`;
    lines.push(`  let ${name} = ${expr}`);
    pool.push({ name, ...v });
  };
  for (const s of steps) {
    const x = pick(s.a);
    if (!x) break;
    const T = { bits: s.bits, signed: s.signed };
    switch (s.op) {
      case "relu":
        emit(`relu(${x.name})`, { vec: x.vec, scale: x.scale, ...(x.type ? { type: x.type } : {}) });
        break;
      case "drelu": case "msb":
        emit(`${s.op}(${x.name})`, { vec: x.vec, scale: "p:0", type: { bits: 1, signed: false }, bit: true });
        break;
      case "signSelect": {
        // std/protocols' relu: select(drelu(x), x, 0), then often a requantization (fuse-requant-relu's site)
        emit(`drelu(${x.name})`, { vec: x.vec, scale: "p:0", type: { bits: 1, signed: false }, bit: true });
        const sel = `select(${pool[pool.length - 1]!.name}, ${x.name}, 0)`;
        // mostly to a slightly wider unsigned type, as a ReLU before the next layer's input
        const U = x.type && s.k % 4 !== 3 ? { bits: Math.min(64, x.type.bits + (s.k % 3)), signed: false } : T;
        if (s.k % 2) emit(`${sel} as ${elemName(U.bits, U.signed)} scale ${x.scale.startsWith("p:") ? `2^${x.scale.slice(2)}` : "2^0"}`, { vec: x.vec, scale: x.scale.startsWith("p:") ? x.scale : "p:0", type: U });
        else emit(sel, { vec: x.vec, scale: x.scale, ...(x.type ? { type: x.type } : {}) });
        break;
      }
      case "select0": case "selectLit": {
        const b = pick(s.b, (v) => v.bit === true && (!v.vec || x.vec));
        if (!b) break;
        // a literal y must fit x's type: 0 always does; otherwise one of its bounds
        const lit = s.op === "select0" || !x.type ? 0n : bounds(x.type.bits, x.type.signed)[s.c % 2]!;
        emit(`select(${b.name}, ${x.name}, ${lit})`, { vec: x.vec, scale: x.scale, ...(x.type ? { type: x.type } : {}) });
        break;
      }
      case "select": {
        const b = pick(s.b, (v) => v.bit === true && (!v.vec || x.vec));
        const y = pick(s.c, (v) => v.vec === x.vec && v.scale === x.scale);
        if (!b || !y) break;
        const type = x.type && y.type ? { bits: Math.max(x.type.bits, y.type.bits), signed: x.type.signed || y.type.signed } : undefined;
        emit(`select(${b.name}, ${x.name}, ${y.name})`, { vec: x.vec, scale: x.scale, ...(type ? { type } : {}) });
        break;
      }
      case "clamp": {
        // bounds around the type's own (inside and outside it), or anywhere
        const [tlo, thi] = x.type ? bounds(x.type.bits, x.type.signed) : [-(1n << 20n), 1n << 20n];
        const near = [tlo - 3n, tlo, tlo + 1n, -1n, 0n, 1n, thi - 1n, thi, thi + 5n, s.big];
        let lo = near[s.b % near.length]!;
        let hi = near[s.c % near.length]!;
        if (lo > hi) [lo, hi] = [hi, lo];
        emit(`clamp(${x.name}, lo = ${lo}, hi = ${hi})`, { vec: x.vec, scale: x.scale, ...(x.type ? { type: x.type } : {}) });
        break;
      }
      case "requant": {
        // a power-of-two rescale, by up to 2^70 either way
        const e = x.scale.startsWith("p:") ? Number(x.scale.slice(2)) + (s.k - 35) : s.e;
        emit(`${x.name} as ${elemName(T.bits, T.signed)} scale 2^${e}`, { vec: x.vec, scale: `p:${e}`, type: T });
        break;
      }
      case "requantReal": {
        const r = (0.1 + (s.k % 37) / 7.3).toFixed(3);
        emit(`${x.name} as ${elemName(T.bits, T.signed)} scale ${r}`, { vec: x.vec, scale: `r:${r}`, type: T });
        break;
      }
      case "zext": case "sext": {
        if (!x.type) break;
        const to = { bits: Math.min(64, x.type.bits + (s.k % 8)), signed: s.signed };
        emit(`${s.op}(${x.name}, to = ${elemName(to.bits, to.signed)})`, { vec: x.vec, scale: x.scale, type: to });
        break;
      }
      case "b2a": {
        const b = pick(s.a, (v) => v.bit === true);
        if (!b) break;
        emit(`b2a(${b.name}, to = ${elemName(T.bits, T.signed)})`, { vec: b.vec, scale: "p:0", type: T, ...(T.bits === 1 && !T.signed ? { bit: true } : {}) });
        break;
      }
      case "trunc": case "truncreduce": {
        if (!x.type || x.type.bits < 2) break;
        const by = 1 + (s.k % (x.type.bits - 1));
        const type = { bits: s.op === "trunc" ? x.type.bits : x.type.bits - by, signed: x.type.signed };
        emit(`${s.op}(${x.name}, by = ${by})`, { vec: x.vec, scale: pow(x.scale, by), type });
        break;
      }
      case "add": case "sub": {
        const y = pick(s.b, (v) => v.vec === x.vec && (v.scale === x.scale || (v.scale.startsWith("p:") && x.scale.startsWith("p:"))));
        if (!y) break;
        const scale = x.scale === y.scale ? x.scale : `p:${Math.min(Number(x.scale.slice(2)), Number(y.scale.slice(2)))}`;
        emit(`${s.op}(${x.name}, ${y.name})`, { vec: x.vec, scale });
        break;
      }
      case "neg":
        emit(`neg(${x.name})`, { vec: x.vec, scale: x.scale });
        break;
      case "mulc": {
        const c = s.k % 3 === 0 ? s.big : BigInt(s.e);
        emit(`mulc(${x.name}, c = ${c})`, { vec: x.vec, scale: x.scale });
        break;
      }
      case "shl":
        emit(`shl(${x.name}, by = ${s.k % 12})`, { vec: x.vec, scale: pow(x.scale, -(s.k % 12)) });
        break;
      case "mul": {
        const y = pick(s.b, (v) => v.vec === x.vec);
        if (!y) break;
        const scale = x.scale.startsWith("p:") && y.scale.startsWith("p:") ? `p:${Number(x.scale.slice(2)) + Number(y.scale.slice(2))}` : `s${fresh++}`;
        emit(`mul(${x.name}, ${y.name})`, { vec: x.vec, scale });
        break;
      }
      case "wrap": {
        const y = pick(s.b, (v) => v.vec === x.vec && v.type?.bits === x.type?.bits && v.type !== undefined);
        if (!y) break;
        emit(`wrap(${x.name}, ${y.name})`, { vec: x.vec, scale: "p:0", type: { bits: 1, signed: false }, bit: true });
        break;
      }
      case "sum":
        if (!x.vec) break;
        emit(`sum(${x.name})`, { vec: false, scale: x.scale });
        break;
      case "argmax":
        if (!x.vec) break;
        emit(`argmax(${x.name})`, { vec: false, scale: "p:0", type: { bits: 2, signed: false } });
        break;
      case "linear": {
        const v = pick(s.a, (w) => w.vec);
        if (!v) break;
        if (!params.lw) {
          params.lw = { shape: [VEC, VEC], data: matrix.map(String) };
          decls.push(`  param lw: i5[${VEC}, ${VEC}] scale 2^-2`);
        }
        emit(`linear(${v.name}, lw)`, { vec: true, scale: pow(v.scale, -2) });
        break;
      }
      case "maxpool": case "avgpool": {
        // the vector tiled to [1, 4, 4], 2×2 windows, back to [4]
        if (!x.vec) break;
        const tiled = `reshape(concat(${x.name}, ${x.name}, ${x.name}, ${x.name}, axis = 0), shape = [1, 4, 4])`;
        emit(`flatten(${s.op}(${tiled}, 2))`, { vec: true, scale: s.op === "maxpool" ? x.scale : `s${fresh++}`, ...(s.op === "maxpool" && x.type ? { type: x.type } : {}) });
        break;
      }
      case "gavgpool":
        if (!x.vec) break;
        emit(`gavgpool(reshape(concat(${x.name}, ${x.name}, ${x.name}, ${x.name}, axis = 0), shape = [4, 2, 2]))`, { vec: true, scale: `s${fresh++}` });
        break;
      case "conv": {
        // a 1×1 convolution over the vector as [4, 1, 1] channels
        if (!x.vec) break;
        if (!params.cw) {
          params.cw = { shape: [VEC, VEC, 1, 1], data: matrix.map((v) => String(v === -16n ? 15n : -v)) };
          decls.push(`  param cw: i5[${VEC}, ${VEC}, 1, 1] scale 2^-1`);
        }
        emit(`flatten(conv2d(reshape(${x.name}, shape = [${VEC}, 1, 1]), cw))`, { vec: true, scale: pow(x.scale, -1) });
        break;
      }
      case "batchnorm":
        if (!x.vec) break;
        emit(`batchnorm(${x.name}, [${s.e}, 1, -1, ${s.k % 7}], [${s.big % 1000n}, 0, 1, -3])`, { vec: true, scale: x.scale });
        break;
      case "linmap":
        if (!x.vec) break;
        emit(`linmap(${x.name}, m = [[1, -2, 0, 3], [0, 1, 1, 1], [${s.e}, 0, 0, 0], [1, 1, 1, 1]], axis = 0)`, { vec: true, scale: x.scale });
        break;
      case "divexact": {
        const q = [1, 3, 5, 9][s.k % 4]!;
        // mostly a multiple of q (as the Winograd chain makes it); sometimes not
        const arg = s.c % 4 === 0 ? x.name : `mulc(${x.name}, c = ${q})`;
        emit(`divexact(${arg}, by = ${q})`, { vec: x.vec, scale: q === 1 ? x.scale : `s${fresh++}` });
        break;
      }
      case "sqplus":
        if (!x.scale.startsWith("p:")) break;
        emit(`sqplus(${x.name})`, { vec: x.vec, scale: `s${fresh++}` });
        break;
      case "reveal":
        emit(`reveal(${x.name})`, { vec: x.vec, scale: x.scale, ...(x.type ? { type: x.type } : {}) });
        break;
      case "scalarParam": {
        // a scalar server param as the other branch of a select
        const b = pick(s.b, (v) => v.bit === true && !v.vec);
        const y = pick(s.a, (v) => !v.vec && v.scale === "p:0");
        if (!b || !y) break;
        if (!params.ps) {
          params.ps = { shape: [], data: [String(scalarParam)] };
          decls.push("  param ps: i6 scale 2^0");
        }
        emit(`select(${b.name}, ${y.name}, ps)`, { vec: false, scale: "p:0" });
        break;
      }
    }
  }
  const defined = pool.filter((v) => v.name.startsWith("v"));
  const outs = defined.length ? defined.slice(-2) : pool.slice(0, 1);
  const source = [
    "model m {",
    ...decls.filter((d) => d.includes("input")),
    '  params "m.params.json"',
    ...decls.filter((d) => !d.includes("input")),
    ...lines,
    ...outs.map((o) => `  output ${o.name}`),
    "}",
    "",
  ].join("\n");
  return { source, params, inputs };
}

export const opsProgramArb: fc.Arbitrary<OpsProgram> = fc
  .record({
    ins: fc.array(inputArb, { minLength: 1, maxLength: 3 }),
    steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }),
    matrix: fc.array(fc.bigInt({ min: -16n, max: 15n }), { minLength: VEC * VEC, maxLength: VEC * VEC }),
    ps: fc.bigInt({ min: -32n, max: 31n }),
  })
  .map((r) => render(r.ins, r.steps, r.matrix, r.ps));

/** Values of one input: mostly its extremes and the points around 0, sometimes anything in range. */
function valueArb(bits: number, signed: boolean): fc.Arbitrary<bigint> {
  const [lo, hi] = bounds(bits, signed);
  const edges = [lo, hi, 0n, 1n, lo + 1n, hi - 1n, signed ? -1n : hi >> 1n, (hi >> 1n) + 1n].filter((v) => v >= lo && v <= hi);
  return fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: lo, max: hi }));
}

export function opsInputsArb(p: OpsProgram): fc.Arbitrary<bigint[][]> {
  return fc.tuple(...p.inputs.map((i) => fc.array(valueArb(i.bits, i.signed), { minLength: i.shape.length ? VEC : 1, maxLength: i.shape.length ? VEC : 1 })));
}

/** Write the program and its params into a fresh temporary folder; return the .pq path. */
export function materializeOps(p: OpsProgram): string {
  const dir = mkdtempSync(join(tmpdir(), "pq-ops-"));
  writeFileSync(join(dir, "m.params.json"), JSON.stringify({ format: "pq-params/1", tensors: p.params }));
  const path = join(dir, "m.pq");
  writeFileSync(path, p.source);
  return path;
}
