// A fast-check generator of random valid .pq networks: random stacks of layers with
// random shapes, bit widths and (seeded) parameters. Shared by the property suites that
// compare printers, passes and backends on "any program".
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";

export interface GeneratedNet {
  source: string;
  seed: number;
  input: { shape: number[]; bits: number; signed: boolean };
}

type Layer =
  | { kind: "conv"; cout: number; k: 1 | 3; stride: 1 | 2; pad: 0 | 1; w: number; bias: boolean; groups: boolean }
  | { kind: "relu" }
  | { kind: "requant"; bits: number; signed: boolean; exp: number }
  | { kind: "avgpool" }
  | { kind: "maxpool" }
  | { kind: "sqplus" }
  | { kind: "residual" }
  | { kind: "batchnorm"; m: number[]; a: number[] }
  | { kind: "neg" }
  | { kind: "bnParam" }
  | { kind: "concat" }
  | { kind: "gavgpool" };

const layerArb: fc.Arbitrary<Layer> = fc.oneof(
  fc.record({
    kind: fc.constant("conv" as const), cout: fc.integer({ min: 1, max: 4 }), k: fc.constantFrom(1 as const, 3 as const),
    stride: fc.constantFrom(1 as const, 2 as const), pad: fc.constantFrom(0 as const, 1 as const), w: fc.integer({ min: 2, max: 8 }),
    bias: fc.boolean(), groups: fc.boolean(),
  }),
  fc.constant({ kind: "relu" as const }),
  fc.record({ kind: fc.constant("requant" as const), bits: fc.integer({ min: 2, max: 10 }), signed: fc.boolean(), exp: fc.integer({ min: -8, max: 0 }) }),
  fc.constant({ kind: "avgpool" as const }),
  fc.constant({ kind: "maxpool" as const }),
  fc.constant({ kind: "sqplus" as const }),
  fc.constant({ kind: "residual" as const }),
  fc.record({
    kind: fc.constant("batchnorm" as const),
    m: fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 4, maxLength: 4 }),
    a: fc.array(fc.integer({ min: -300, max: 300 }), { minLength: 4, maxLength: 4 }),
  }),
  fc.constant({ kind: "neg" as const }),
  fc.constant({ kind: "bnParam" as const }),
  fc.constant({ kind: "concat" as const }),
  fc.constant({ kind: "gavgpool" as const }),
);

/** Render a layer stack as a model, skipping layers that do not fit the current shape. */
function render(c0: number, h0: number, inBits: number, inSigned: boolean, inExp: number, layers: Layer[], head: "argmax" | "linear" | "tensor", classes: number): GeneratedNet["source"] {
  const lines: string[] = [];
  const params: string[] = [];
  let [c, h] = [c0, h0];
  let cur = "x";
  let prev = "x";
  const shapeOf = new Map<string, string>([["x", `${c},${h}`]]);
  let n = 0;
  let sinceRequant = 0;
  let gap = false;
  for (const l of layers) {
    const name = `l${n++}`;
    let expr: string | undefined;
    switch (l.kind) {
      case "conv": {
        const ho = Math.floor((h + 2 * l.pad - l.k) / l.stride) + 1;
        if (ho < 1 || sinceRequant > 1) break;
        const g = l.groups && l.cout === c ? c : 1;
        params.push(`  param ${name}_w: i${l.w}[${l.cout}, ${c / g}, ${l.k}, ${l.k}] scale 2^-${l.w - 1}`);
        if (l.bias) params.push(`  param ${name}_b: i12[${l.cout}]`);
        expr = `conv2d(${cur}, ${name}_w${l.bias ? `, ${name}_b` : ""}, stride = ${l.stride}, pad = ${l.pad}${g > 1 ? `, groups = ${g}` : ""})`;
        [c, h] = [l.cout, ho];
        sinceRequant++;
        break;
      }
      case "relu": expr = `relu(${cur})`; break;
      case "neg": expr = `neg(${cur})`; sinceRequant++; break;
      case "bnParam":
        if (sinceRequant > 0) break;
        params.push(`  param ${name}_m: i6[${c}]`, `  param ${name}_a: i12[${c}]`);
        expr = `batchnorm(${cur}, ${name}_m, ${name}_a)`;
        sinceRequant += 2;
        break;
      case "concat": if (c <= 4) { expr = `concat(${cur}, ${cur}, axis = 0)`; c *= 2; } break;
      case "gavgpool": if (!gap && (h & (h - 1)) === 0) { expr = `reshape(gavgpool(${cur}), shape = [${c}, 1, 1])`; h = 1; gap = true; sinceRequant++; } break;
      case "requant": expr = `${cur} as ${l.signed ? "i" : "u"}${l.bits} scale 2^${l.exp}`; sinceRequant = 0; break;
      case "avgpool": if (h >= 2) { expr = `avgpool(${cur}, 2)`; h = Math.floor(h / 2); } break;
      case "maxpool": if (h >= 2) { expr = `maxpool(${cur}, 2)`; h = Math.floor(h / 2); } break;
      case "sqplus": if (sinceRequant === 0) { expr = `sqplus(${cur})`; sinceRequant += 2; } break;
      case "residual": if (shapeOf.get(prev) === `${c},${h}` && prev !== cur) { expr = `add(${cur}, ${prev})`; sinceRequant++; } break;
      case "batchnorm": if (sinceRequant <= 1) { expr = `batchnorm(${cur}, [${l.m.slice(0, c).concat(Array(Math.max(0, c - 4)).fill(1)).join(", ")}], [${l.a.slice(0, c).concat(Array(Math.max(0, c - 4)).fill(0)).join(", ")}])`; sinceRequant++; } break;
    }
    if (expr === undefined) continue;
    lines.push(`  let ${name} = ${expr}`);
    shapeOf.set(name, `${c},${h}`);
    prev = cur;
    cur = name;
    // keep accumulators well inside 64 bits: requantize when two growing layers stack up
    if (sinceRequant >= 2) {
      const q = `q${n++}`;
      lines.push(`  let ${q} = ${cur} as u6 scale 2^-4`);
      shapeOf.set(q, `${c},${h}`);
      prev = cur;
      cur = q;
      sinceRequant = 0;
    }
  }
  let out = cur;
  if (head !== "tensor") {
    params.push(`  param fc_w: i6[${classes}, ${c * h * h}] scale 2^-5`, `  param fc_b: i12[${classes}]`);
    lines.push(`  let logits = linear(flatten(${cur}), fc_w, fc_b)`);
    out = head === "argmax" ? "argmax(logits)" : "logits";
  }
  return [
    "model net {",
    `  input x: client ${inSigned ? "i" : "u"}${inBits}[${c0}, ${h0}, ${h0}] scale 2^${inExp}`,
    '  params "net.params.json"',
    ...params,
    ...lines,
    `  output ${out} to client`,
    "}",
    "",
  ].join("\n");
}

export const networkArb: fc.Arbitrary<GeneratedNet> = fc
  .record({
    c: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 3, max: 8 }),
    bits: fc.integer({ min: 2, max: 8 }),
    signed: fc.boolean(),
    exp: fc.integer({ min: -8, max: 0 }),
    layers: fc.array(layerArb, { minLength: 1, maxLength: 7 }),
    head: fc.constantFrom("argmax" as const, "linear" as const, "tensor" as const),
    classes: fc.integer({ min: 2, max: 6 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map((r) => ({
    source: render(r.c, r.h, r.bits, r.signed, r.exp, r.layers, r.head, r.classes),
    seed: r.seed,
    input: { shape: [r.c, r.h, r.h], bits: r.bits, signed: r.signed },
  }));

/** Write the network and its seeded params file into a fresh temporary folder; return the .pq path. */
export function materialize(net: GeneratedNet): string {
  const dir = mkdtempSync(join(tmpdir(), "pq-net-"));
  writeFileSync(join(dir, "net.params.json"), JSON.stringify({ format: "pq-params/1", random: { seed: net.seed } }));
  const path = join(dir, "net.pq");
  writeFileSync(path, net.source);
  return path;
}

/** Random input values within the declared input type. */
export function inputArb(net: GeneratedNet): fc.Arbitrary<bigint[]> {
  const { shape, bits, signed } = net.input;
  const n = shape.reduce((a, b) => a * b, 1);
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return fc.array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }).map((a) => a.map(BigInt));
}
