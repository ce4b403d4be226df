// std/nn: every block compiles inside a small model with the shape and type its comment
// promises, and the identity residual block computes what a hand-written reference of
// docs/LANGUAGE.md says it must.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";

const dir = mkdtempSync(join(tmpdir(), "pq-stdlib-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RANDOM = JSON.stringify({ format: "pq-params/1", random: { seed: 7 } });

/** Write a one-model program (and its params file) to the temp folder and compile it. */
function compile(name: string, body: string, params = RANDOM) {
  const file = join(dir, `${name}.pq`);
  writeFileSync(file, `import "std/nn"\nmodel ${name} {\n  params "${name}.params.json"\n${body}\n}\n`);
  writeFileSync(join(dir, `${name}.params.json`), params);
  const r = compileFile(file);
  const messages = r.diagnostics.map((d) => formatDiagnostic(d, r.sources));
  expect(messages).toEqual([]);
  return r.program!.graph;
}

describe("std/nn blocks compile in a small model", () => {
  // [block call, model input type, output type as printed: element type and shape]
  const cases: [string, string, string, number[]][] = [
    ["stem(x, cin = 3, cout = 8)", "u8[3, 8, 8] scale 2^-8", "u8", [8, 8, 8]],
    ["stem(x, cin = 3, cout = 8, W = 4, A = 6)", "u8[3, 8, 8] scale 2^-8", "u6", [8, 8, 8]],
    ["conv_bn_relu(x, cin = 4, cout = 8, k = 3, stride = 2, pad = 1)", "u8[4, 8, 8] scale 2^-4", "u8", [8, 4, 4]],
    ["conv_bn_relu(x, cin = 2, cout = 8, k = 3, pad = 1, groups = 2, W = 4, A = 4)", "u8[4, 8, 8] scale 2^-4", "u4", [8, 8, 8]],
    ["conv_bn(x, cin = 4, cout = 6, k = 1)", "u8[4, 8, 8] scale 2^-4", "acc", [6, 8, 8]],
    ["basic(x, cin = 4, cout = 4)", "u8[4, 8, 8] scale 2^-4", "u8", [4, 8, 8]],
    ["basic(x, cin = 4, cout = 4, W = 2, A = 6)", "u6[4, 8, 8] scale 2^-4", "u6", [4, 8, 8]],
    ["basic_proj(x, cin = 4, cout = 8)", "u8[4, 8, 8] scale 2^-4", "u8", [8, 4, 4]],
    ["basic_proj(x, cin = 4, cout = 8, stride = 1)", "u8[4, 8, 8] scale 2^-4", "u8", [8, 8, 8]],
    ["dw_bn_relu(x, c = 4, stride = 2)", "u8[4, 8, 8] scale 2^-4", "u8", [4, 4, 4]],
    ["inverted_residual(x, cin = 4, hid = 24, cout = 4)", "i8[4, 8, 8] scale 2^-4", "i8", [4, 8, 8]],
    ["inverted_residual_plain(x, cin = 4, hid = 24, cout = 6, stride = 2)", "u8[4, 8, 8] scale 2^-4", "i8", [6, 4, 4]],
    ["inverted_residual_t1(x, cin = 4, cout = 2)", "u8[4, 8, 8] scale 2^-4", "i8", [2, 8, 8]],
  ];
  cases.forEach(([call, input, elem, shape], i) => {
    it(call, () => {
      const g = compile(`m${i}`, `  input x: client ${input}\n  let y = ${call}\n  output y to client`);
      const out = g.nodes[g.outputs[0]!.node]!.type;
      expect(out.shape).toEqual(shape);
      // The blocks' contract: every activation leaves at 2^-4; conv_bn leaves the
      // accumulator at 2^-4·2^-6·2^-6 for the residual add.
      expect(out.scale).toEqual({ kind: "pow2", exp: call.startsWith("conv_bn(") ? -16 : -4 });
      if (elem !== "acc") expect(`${out.signed ? "i" : "u"}${out.bits}`).toBe(elem);
    });
  });

  it("keys a block's params by the let that calls it, nested blocks chained", () => {
    const g = compile("keys", "  input x: client u8[4, 8, 8] scale 2^-4\n  let blk = basic_proj(x, cin = 4, cout = 8)\n  output blk to client");
    expect([...g.params.keys()].sort()).toEqual(
      ["c1_a", "c1_m", "c1_w", "c2_a", "c2_m", "c2_w", "sc_a", "sc_m", "sc_w"].map((k) => `blk_${k}`),
    );
  });
});

describe("the identity residual block, by hand", () => {
  // One channel, 3×3 map, W = A = 8. x is u8 at 2^-4; each conv accumulates at 2^-10,
  // batchnorm at 2^-16; the add lifts x by 2^12 to 2^-16; both requantizations shift by 12.
  const x = [[16, 32, 48], [0, 255, 8], [100, 7, 64]];
  const w1 = [[1, 0, -1], [2, 1, 0], [0, -1, 3]];
  const m1 = 64; // 1.0 at 2^-6
  const a1 = 2048; // 2^-5 at 2^-16: half a step of the output scale, so rounding shows
  const w2 = [[0, 1, 0], [1, 4, 1], [0, 1, 0]];
  const m2 = 127; // 1.98
  const a2 = -2048; // −1/32

  /** 3×3 convolution with zero padding 1, written out over the 3×3 map. */
  const conv = (v: number[][], w: number[][]) =>
    v.map((row, i) => row.map((_, j) => {
      let s = 0;
      for (let u = 0; u < 3; u++) for (let t = 0; t < 3; t++) s += (v[i + u - 1]?.[j + t - 1] ?? 0) * w[u]![t]!;
      return s;
    }));
  /** `as u8` from 2^-16 to 2^-4: ⌊(v + 2^11) / 2^12⌋ (round half up), saturated to [0, 255]. */
  const requant = (v: number) => Math.min(255, Math.max(0, Math.floor((v + 2048) / 4096)));
  const relu = (v: number) => Math.max(0, v);

  it("matches relu(bn2(conv2(relu(bn1(conv1 x)))) + x) requantized", () => {
    const y = conv(x, w1).map((r) => r.map((v) => requant(relu(v * m1 + a1))));
    const expected = conv(y, w2).map((r, i) => r.map((v, j) => requant(relu(v * m2 + a2 + x[i]![j]! * 4096))));
    // Spot checks by hand. Centre of y: conv1 = 16·1 + 0 − 48 + 0·2 + 255 + 0 + 0 − 7 + 64·3 = 408;
    // 408·64 + 2048 = 28160 → ⌊(28160 + 2048) / 4096⌋ = 7. Its neighbours in y are 0, 0, 8, 4, so
    // the centre output: conv2 = 0 + 0 + 8 + 4 + 4·7 = 40; 40·127 − 2048 + 255·4096 = 1047512
    // → ⌊1049560 / 4096⌋ = 256, saturated to 255.
    expect(y[1]).toEqual([0, 7, 8]);
    expect(expected[1]![1]).toBe(255);

    const t = (shape: number[], data: number[]) => ({ shape, data });
    const params = {
      format: "pq-params/1",
      tensors: {
        b_c1_w: t([1, 1, 3, 3], w1.flat()), b_c1_m: t([1], [m1]), b_c1_a: t([1], [a1]),
        b_c2_w: t([1, 1, 3, 3], w2.flat()), b_c2_m: t([1], [m2]), b_c2_a: t([1], [a2]),
      },
    };
    const g = compile("hand", "  input x: client u8[1, 3, 3] scale 2^-4\n  let b = basic(x, cin = 1, cout = 1)\n  output b to client", JSON.stringify(params));
    const input = tensorFromBigints([1, 3, 3], 8, false, x.flat().map(BigInt));
    const out = runPlain(g, new Map([["x", input]])).outputs[0]!;
    expect(out.shape).toEqual([1, 3, 3]);
    expect(toBigints(out)).toEqual(expected.flat().map(BigInt));
  });
});
