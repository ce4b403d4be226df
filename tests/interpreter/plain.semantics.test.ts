// Hand-computed examples for every op of docs/LANGUAGE.md, run through runPlain.
import { describe, expect, it } from "vitest";
import { OPS, type Op } from "../../compiler/ir.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { getBig, tensorFromBigints, toBigints, wrapTo, type Tensor } from "../../interpreter/plain/tensor.js";
import { GraphBuilder, big, pow2, runOp, runOpTensor, tensor, ty } from "./graph.js";

const covered = new Set<Op>();
const op = (o: Op): Op => (covered.add(o), o);

describe("tensor representation", () => {
  it("wraps numbers and bigints modulo 2^N with the type's reading", () => {
    expect(wrapTo(128, 8, true)).toBe(-128);
    expect(wrapTo(-1, 8, false)).toBe(255);
    expect(wrapTo(-129, 8, true)).toBe(127);
    expect(wrapTo(2 ** 52, 52, false)).toBe(0);
    expect(wrapTo(1, 1, true)).toBe(-1);
    expect(wrapTo(-(2n ** 63n) - 1n, 64, true)).toBe(2n ** 63n - 1n);
    expect(wrapTo(-1n, 64, false)).toBe(2n ** 64n - 1n);
    expect(Object.is(wrapTo(-256, 8, false), 0)).toBe(true);
  });

  it("stores ≤ 52 bits as doubles and wider as BigInt64 (asIntN of the canonical value)", () => {
    const a = tensor("u52", [1], [2n ** 52n - 1n]);
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(a.data[0]).toBe(2 ** 52 - 1);
    const b = tensor("u64", [2], [2n ** 64n - 1n, 5n]);
    expect(b.data).toBeInstanceOf(BigInt64Array);
    expect(b.data[0]).toBe(-1n);
    expect(toBigints(b)).toEqual([2n ** 64n - 1n, 5n]);
    const c = tensor("i53", [1], [-(2n ** 52n)]);
    expect(getBig(c, 0)).toBe(-(2n ** 52n));
    expect(toBigints(tensorFromBigints([2], 33, true, [2n ** 32n, -1n]))).toEqual([-(2n ** 32n), -1n]);
  });
});

describe("sources", () => {
  it("input, param and const", () => {
    const b = new GraphBuilder();
    const x = b.input("x", ty("i8", [2]));
    const w = b.param("w", ty("i8", [2]), [3, -4]);
    const c = b.node(op("const"), ty("i16", [2]), [], { value: [1000n, -1000n] });
    b.output(b.node("mul", ty("i16", [2]), [x, w])).output(c).output(b.node("add", ty("i16", [2]), [w, c]));
    const r = runPlain(b.graph(), new Map([["x", tensor("i8", [2], [5, 6])]]));
    expect(r.outputs.map(toBigints)).toEqual([big([15, -24]), big([1000, -1000]), big([1003, -1004])]);
    covered.add("input").add("param");
  });

  it("rejects a missing input, an input of the wrong type and values outside a source's type", () => {
    const b = new GraphBuilder();
    b.output(b.input("x", ty("u4", [2])));
    expect(() => runPlain(b.graph(), new Map())).toThrow(/missing input x/);
    expect(() => runPlain(b.graph(), new Map([["x", tensor("u8", [2], [1, 2])]]))).toThrow(/expected/);
    const bad: Tensor = { shape: [2], bits: 4, signed: false, data: new Float64Array([1, 16]) };
    expect(() => runPlain(b.graph(), new Map([["x", bad]]))).toThrow(/outside u4/);
    const c = new GraphBuilder();
    c.output(c.node("const", ty("i4", [1]), [], { value: [8n] }));
    expect(() => runPlain(c.graph(), new Map())).toThrow(/outside i4/);
  });

  it("asserts each result has the node's declared element type", () => {
    expect(() => runOp("relu", [tensor("i8", [1], [1])], ty("i16", [1]))).toThrow(/internal error/);
  });
});

describe("layers", () => {
  const x33 = tensor("u8", [1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);

  it("conv2d without padding, with bias", () => {
    const w = tensor("i8", [1, 1, 2, 2], [1, 0, 0, -1]);
    const b = tensor("i8", [1], [10]);
    expect(runOp(op("conv2d"), [x33, w], ty("i16", [1, 2, 2]))).toEqual(big([-4, -4, -4, -4]));
    expect(runOp("conv2d", [x33, w, b], ty("i16", [1, 2, 2]))).toEqual(big([6, 6, 6, 6]));
  });

  it("winoconv: the Winograd filters of a corner tap, 4·U = [1, ½, ½, 0]⊗[1, ½, ½, 0]·4, factors 2, offset", () => {
    // F(2×2,3×3) of g = δ(0,0) is U = G g Gᵀ = c cᵀ with c = (1, ½, ½, 0); 4·U is integer and
    // gives 4·(the correlation with g): with pad 1 on a 2×2 input only pixel (1, 1) reads d[0][0].
    const x = tensor("i8", [1, 2, 2], [3, 1, 2, 7]);
    const c = [2, 1, 1, 0];
    const u = tensor("i4", [16, 1, 1], c.flatMap((a) => c.map((b) => a * b)));
    const off = tensor("i8", [1], [5]);
    const k = Array.from({ length: 16 }, () => [1]);
    expect(runOp(op("winoconv"), [x, u, off], ty("i16", [1, 2, 2]), { tile: 2, pad: 1, k })).toEqual(big([5, 5, 5, 2 * 4 * 3 + 5]));
  });

  it("conv2d with stride 2 and pad 1 reads zeros outside", () => {
    // y[i,j] = x[2i−1, 2j−1] − x[2i, 2j]
    const w = tensor("i8", [1, 1, 2, 2], [1, 0, 0, -1]);
    expect(runOp("conv2d", [x33, w], ty("i16", [1, 2, 2]), { stride: 2, pad: 1 })).toEqual(big([-1, -3, -7, -4]));
  });

  it("conv2d depthwise (groups = C) and grouped with several outputs per group", () => {
    const x = tensor("i8", [2, 2, 2], [1, 2, 3, 4, 10, 20, 30, 40]);
    const w = tensor("i8", [2, 1, 2, 2], [1, 1, 1, 1, 1, -1, 0, 2]);
    expect(runOp("conv2d", [x, w], ty("i16", [2, 1, 1]), { groups: 2 })).toEqual(big([10, 70]));
    const x2 = tensor("i8", [2, 1, 1], [5, 7]);
    const w2 = tensor("i8", [4, 1, 1, 1], [1, 2, 3, 4]);
    expect(runOp("conv2d", [x2, w2], ty("i16", [4, 1, 1]), { groups: 2 })).toEqual(big([5, 10, 21, 28]));
  });

  it("conv2d wraps into its result type", () => {
    const x = tensor("u8", [1, 1, 1], [100]);
    const w = tensor("i8", [1, 1, 1, 1], [3]);
    expect(runOp("conv2d", [x, w], ty("i8", [1, 1, 1]))).toEqual(big([44])); // 300 − 256
  });

  it("linear and batchnorm", () => {
    const x = tensor("i8", [2], [3, -4]);
    const w = tensor("i8", [2, 2], [1, 2, -1, 5]);
    const b = tensor("i8", [2], [7, -7]);
    expect(runOp(op("linear"), [x, w, b], ty("i16", [2]))).toEqual(big([2, -30]));
    const y = tensor("i8", [2, 2], [1, 2, 3, 4]);
    const m = tensor("i8", [2], [2, -1]);
    const a = tensor("i8", [2], [1, 100]);
    expect(runOp(op("batchnorm"), [y, m, a], ty("i16", [2, 2]))).toEqual(big([3, 5, 97, 96]));
  });

  it("relu", () => {
    expect(runOp(op("relu"), [tensor("i8", [4], [-5, 0, 7, -128])], ty("i8", [4]))).toEqual(big([0, 0, 7, 0]));
  });

  it("sqplus: q² + q·2^(−e) for e ≤ 0, q²·2^e + q for e > 0", () => {
    const x = tensor("i8", [2], [-3, 2]);
    expect(runOp(op("sqplus"), [{ t: x, scale: pow2(-2) }], ty("i16", [2], pow2(-4)))).toEqual(big([-3, 12]));
    expect(runOp("sqplus", [{ t: x, scale: pow2(1) }], ty("i16", [2], pow2(1)))).toEqual(big([15, 10]));
    expect(() => runOp("sqplus", [{ t: x, scale: { kind: "real", value: 0.3 } }], ty("i16", [2]))).toThrow(/power-of-two/);
  });

  it("avgpool sums windows and drops the partial last one", () => {
    expect(runOp(op("avgpool"), [x33], ty("i16", [1, 1, 1]), { k: 2 })).toEqual(big([12]));
    expect(runOp("avgpool", [x33], ty("i16", [1, 2, 2]), { k: 2, stride: 1 })).toEqual(big([12, 16, 24, 28]));
    const x = tensor("u8", [1, 5, 5], Array.from({ length: 25 }, (_, i) => i));
    // windows at rows/cols {0,1} and {2,3}; row/col 4 dropped
    expect(runOp("avgpool", [x], ty("i16", [1, 2, 2]), { k: 2 })).toEqual(big([12, 20, 52, 60]));
  });

  it("gavgpool sums each channel", () => {
    expect(runOp(op("gavgpool"), [tensor("i8", [2, 1, 2], [1, 2, -3, -4])], ty("i8", [2]))).toEqual(big([3, -7]));
  });

  it("maxpool", () => {
    const x = tensor("i8", [1, 3, 3], [-1, -5, 3, -2, -7, 0, 9, 9, 9]);
    expect(runOp(op("maxpool"), [x], ty("i8", [1, 1, 1]), { k: 2 })).toEqual(big([-1]));
    expect(runOp("maxpool", [x], ty("i8", [1, 2, 2]), { k: 2, stride: 1 })).toEqual(big([-1, 3, 9, 9]));
  });

  it("flatten, reshape, concat", () => {
    const x = tensor("i4", [2, 2], [1, 2, 3, 4]);
    const f = runOpTensor(op("flatten"), [x], ty("i4", [4]));
    expect(f.shape).toEqual([4]);
    expect(toBigints(f)).toEqual(big([1, 2, 3, 4]));
    expect(runOpTensor(op("reshape"), [x], ty("i4", [1, 4, 1]), { shape: [1, 4, 1] }).shape).toEqual([1, 4, 1]);
    const y = tensor("i8", [2, 1], [-100, 100]);
    expect(runOp(op("concat"), [x, y], ty("i8", [2, 3]), { axis: 1 })).toEqual(big([1, 2, -100, 3, 4, 100]));
    expect(runOp("concat", [x, x], ty("i4", [4, 2]), { axis: 0 })).toEqual(big([1, 2, 3, 4, 1, 2, 3, 4]));
  });

  it("requant rounds half up (also for negatives) and saturates", () => {
    // x·3 = 15, −15, −18, 6, −6, 3000; /4 rounded half up: 4, −4, −4, 2, −1, 750 → 127
    const x = tensor("i16", [6], [5, -5, -6, 2, -2, 1000]);
    expect(runOp(op("requant"), [x], ty("i8", [6]), { mult: 3, shift: 2 })).toEqual(big([4, -4, -4, 2, -1, 127]));
    expect(runOp("requant", [tensor("i16", [2], [3, -20])], ty("i8", [2]), { mult: 1, shift: -3 })).toEqual(big([24, -128]));
    expect(runOp("requant", [tensor("i16", [3], [-3, 7, 100])], ty("u4", [3]), { mult: 1, shift: 0 })).toEqual(big([0, 7, 15]));
  });

  it("argmax: first maximum, result u⌈log2 n⌉", () => {
    const a = runOpTensor(op("argmax"), [tensor("i8", [4], [3, 7, -1, 7])], ty("u2", []));
    expect(a.shape).toEqual([]);
    expect(toBigints(a)).toEqual([1n]);
    expect(runOp("argmax", [tensor("i8", [1], [-3])], ty("u1", []))).toEqual([0n]);
    expect(runOp("argmax", [tensor("i8", [5], [0, 0, 0, 0, 1])], ty("u3", []))).toEqual([4n]);
    expect(runOp("argmax", [tensor("u64", [3], [1n, 2n ** 64n - 1n, 2n ** 64n - 1n])], ty("u2", []))).toEqual([1n]);
  });
});

describe("local primitives", () => {
  it("add/sub align the coarser scale by a left shift", () => {
    const x = { t: tensor("i8", [2], [1, -3]), scale: pow2(-2) };
    const y = { t: tensor("i8", [2], [5, 5]), scale: pow2(-4) };
    expect(runOp(op("add"), [x, y], ty("i16", [2], pow2(-4)))).toEqual(big([9, -7]));
    expect(runOp(op("sub"), [x, y], ty("i16", [2], pow2(-4)))).toEqual(big([-1, -17]));
    expect(runOp("sub", [y, x], ty("i16", [2], pow2(-4)))).toEqual(big([1, 17]));
    const z = { t: tensor("i8", [2], [1, 1]), scale: { kind: "real", value: 0.3 } } as const;
    expect(() => runOp("add", [x, z], ty("i16", [2]))).toThrow(/power-of-two/);
  });

  it("neg, wrapping −(−128) in i8", () => {
    expect(runOp(op("neg"), [tensor("i8", [2], [-128, 5])], ty("i9", [2]))).toEqual(big([128, -5]));
    expect(runOp("neg", [tensor("i8", [2], [-128, 5])], ty("i8", [2]))).toEqual(big([-128, -5]));
  });

  it("mulc by a scalar and per channel", () => {
    expect(runOp(op("mulc"), [tensor("i8", [2], [1, 2])], ty("i8", [2]), { c: -3 })).toEqual(big([-3, -6]));
    expect(runOp("mulc", [tensor("i8", [2, 2], [1, 2, 3, 4])], ty("i8", [2, 2]), { c: [2, -1] })).toEqual(big([2, 4, -3, -4]));
  });

  it("divexact divides exact multiples of an odd q and refuses anything else", () => {
    expect(runOp(op("divexact"), [tensor("i12", [3], [-1152, 0, 45])], ty("i8", [3]), { by: 9 })).toEqual(big([-128, 0, 5]));
    expect(() => runOp(op("divexact"), [tensor("i12", [1], [10])], ty("i8", [1]), { by: 9 })).toThrow(/10 is not a multiple of 9/);
  });

  it("shl and sum", () => {
    expect(runOp(op("shl"), [tensor("i8", [2], [-1, 5])], ty("i12", [2]), { by: 3 })).toEqual(big([-8, 40]));
    const x = tensor("i8", [2, 2], [1, 2, 3, 4]);
    const all = runOpTensor(op("sum"), [x], ty("i8", []));
    expect(all.shape).toEqual([]);
    expect(toBigints(all)).toEqual([10n]);
    expect(runOp("sum", [x], ty("i8", [2]), { axis: 0 })).toEqual(big([4, 6]));
    expect(runOp("sum", [x], ty("i8", [2]), { axis: 1 })).toEqual(big([3, 7]));
  });

  it("linmap along either axis", () => {
    const x = tensor("i8", [2, 2], [1, 2, 3, 4]);
    const m = [[1, 1], [1, -1], [0, 2]];
    expect(runOp(op("linmap"), [x], ty("i8", [2, 3]), { m, axis: 1 })).toEqual(big([3, -1, 4, 7, -1, 8]));
    expect(runOp("linmap", [x], ty("i8", [3, 2]), { m, axis: 0 })).toEqual(big([4, 6, -2, -2, 6, 8]));
  });
});

describe("interactive primitives", () => {
  it("mul, wrapping in a narrow result", () => {
    const x = tensor("i8", [2], [3, -4]);
    const y = tensor("i8", [2], [-5, 6]);
    expect(runOp(op("mul"), [x, y], ty("i8", [2]))).toEqual(big([-15, -24]));
    expect(runOp("mul", [x, y], ty("i4", [2]))).toEqual(big([1, -8]));
  });

  it("msb and drelu", () => {
    expect(runOp(op("msb"), [tensor("i8", [4], [-1, 0, 127, -128])], ty("u1", [4]))).toEqual(big([1, 0, 0, 1]));
    expect(runOp("msb", [tensor("u8", [4], [127, 128, 255, 0])], ty("u1", [4]))).toEqual(big([0, 1, 1, 0]));
    expect(runOp(op("drelu"), [tensor("i8", [3], [-1, 0, 5])], ty("u1", [3]))).toEqual(big([0, 1, 1]));
    expect(runOp("drelu", [tensor("u8", [2], [200, 100])], ty("u1", [2]))).toEqual(big([0, 1]));
  });

  it("wrap is the carry bit of the unsigned N-bit addition", () => {
    const x = tensor("u8", [3], [200, 100, 255]);
    const y = tensor("u8", [3], [56, 100, 1]);
    expect(runOp(op("wrap"), [x, y], ty("u1", [3]))).toEqual(big([1, 0, 1]));
    const s = tensor("i8", [3], [-1, -128, 5]);
    const t = tensor("i8", [3], [1, -128, -6]);
    // unsigned: 255+1, 128+128, 5+250
    expect(runOp("wrap", [s, t], ty("u1", [3]))).toEqual(big([1, 1, 0]));
  });

  it("b2a", () => {
    const b = tensor("u1", [2], [0, 1]);
    expect(runOp(op("b2a"), [b], ty("i8", [2]), { to: { kind: "elem", bits: 8, signed: true } })).toEqual(big([0, 1]));
    expect(runOp("b2a", [b], ty("i1", [2]))).toEqual(big([0, -1]));
    expect(runOp("b2a", [b], ty("u64", [2]))).toEqual(big([0, 1]));
  });

  it("select with a broadcast scalar y and a scalar condition", () => {
    const x = tensor("i8", [3], [1, 2, 3]);
    const zero = tensor("i2", [], [0]);
    expect(runOp(op("select"), [tensor("u1", [3], [1, 0, 1]), x, zero], ty("i8", [3]))).toEqual(big([1, 0, 3]));
    expect(runOp("select", [tensor("u1", [], [0]), x, tensor("i8", [3], [-1, -2, -3])], ty("i8", [3]))).toEqual(big([-1, -2, -3]));
  });

  it("clamp", () => {
    const x = tensor("i8", [3], [-5, 0, 7]);
    expect(runOp(op("clamp"), [x], ty("i8", [3]), { lo: -2, hi: 3 })).toEqual(big([-2, 0, 3]));
    expect(runOp("clamp", [x], ty("i8", [3]), { lo: -(2n ** 60n), hi: 2n ** 60n })).toEqual(big([-5, 0, 7]));
  });

  it("trunc floors (arithmetic for iN, logical for uN)", () => {
    expect(runOp(op("trunc"), [tensor("i8", [3], [-5, 5, -128])], ty("i8", [3]), { by: 2 })).toEqual(big([-2, 1, -32]));
    expect(runOp("trunc", [tensor("u8", [1], [255])], ty("u8", [1]), { by: 2 })).toEqual(big([63]));
  });

  it("truncreduce lands in the ring of N − s bits", () => {
    const t = runOpTensor(op("truncreduce"), [tensor("i16", [2], [-1000, 1000])], ty("i12", [2]), { by: 4 });
    expect(t.bits).toBe(12);
    expect(toBigints(t)).toEqual(big([-63, 62]));
    expect(runOp("truncreduce", [tensor("i8", [1], [-128])], ty("i4", [1]), { by: 4 })).toEqual(big([-8]));
    expect(runOp("truncreduce", [tensor("u8", [1], [255])], ty("u4", [1]), { by: 4 })).toEqual(big([15]));
    expect(runOp("truncreduce", [tensor("i64", [1], [-(2n ** 63n)])], ty("i32", [1]), { by: 32 })).toEqual([-(2n ** 31n)]);
  });

  it("zext vs sext of a negative value", () => {
    const x = tensor("i8", [1], [-1]);
    expect(runOp(op("zext"), [x], ty("i16", [1]))).toEqual([255n]);
    expect(runOp(op("sext"), [x], ty("i16", [1]))).toEqual([-1n]);
    const u = tensor("u8", [1], [200]);
    expect(runOp("zext", [u], ty("i16", [1]))).toEqual([200n]);
    expect(runOp("sext", [u], ty("i16", [1]))).toEqual([-56n]);
    expect(runOp("sext", [x], ty("u64", [1]))).toEqual([2n ** 64n - 1n]);
    expect(runOp("zext", [tensor("i33", [1], [-1])], ty("u64", [1]))).toEqual([2n ** 33n - 1n]);
  });

  it("reveal passes the value through", () => {
    expect(runOp(op("reveal"), [tensor("i8", [2], [-1, 2])], ty("i8", [2]))).toEqual(big([-1, 2]));
  });
});

describe("wrap-around at the type boundary for widths 1, 8, 33, 52, 53, 64", () => {
  const cases: [string, bigint, bigint, bigint][] = [
    // type, x, y, x + y reduced
    ["i1", -1n, -1n, 0n],
    ["u1", 1n, 1n, 0n],
    ["i8", 127n, 1n, -128n],
    ["u8", 255n, 1n, 0n],
    ["i33", 2n ** 32n - 1n, 1n, -(2n ** 32n)],
    ["u33", 2n ** 33n - 1n, 2n, 1n],
    ["u52", 2n ** 52n - 1n, 1n, 0n],
    ["i52", -(2n ** 51n), -1n, 2n ** 51n - 1n],
    ["i53", 2n ** 51n, 2n ** 51n, -(2n ** 52n)],
    ["u53", 2n ** 53n - 1n, 2n ** 53n - 1n, 2n ** 53n - 2n],
    ["i64", 2n ** 63n - 1n, 1n, -(2n ** 63n)],
    ["u64", 2n ** 64n - 1n, 1n, 0n],
  ];
  it.each(cases)("add in %s", (e, x, y, sum) => {
    expect(runOp("add", [tensor(e, [1], [x]), tensor(e, [1], [y])], ty(e, [1]))).toEqual([sum]);
  });

  it("mul across representations", () => {
    expect(runOp("mul", [tensor("i64", [1], [2n ** 62n]), tensor("i64", [1], [4n])], ty("i64", [1]))).toEqual([0n]);
    expect(runOp("mul", [tensor("u33", [1], [2n ** 33n - 1n]), tensor("u33", [1], [2n ** 33n - 1n])], ty("u64", [1]))).toEqual([
      BigInt.asUintN(64, (2n ** 33n - 1n) ** 2n), // 2^66 − 2^34 + 1 wraps
    ]);
    expect(runOp("mul", [tensor("i52", [1], [-(2n ** 51n)]), tensor("i52", [1], [2n ** 51n - 1n])], ty("u64", [1]))).toEqual([
      BigInt.asUintN(64, -(2n ** 51n) * (2n ** 51n - 1n)),
    ]);
  });
});

describe("runPlain", () => {
  it("reports every node through onNode and keeps values only on request", () => {
    const b = new GraphBuilder();
    const x = b.input("x", ty("i8", [2]));
    const r = b.node("relu", ty("i8", [2]), [x]);
    const n = b.node("neg", ty("i9", [2]), [r]);
    b.output(n);
    const seen: number[] = [];
    const res = runPlain(b.graph(), new Map([["x", tensor("i8", [2], [-3, 4])]]), { onNode: (node) => seen.push(node.id) });
    expect(seen).toEqual([0, 1, 2]);
    expect(res.values).toBeUndefined();
    expect(toBigints(res.outputs[0]!)).toEqual(big([0, -4]));
    const all = runPlain(b.graph(), new Map([["x", tensor("i8", [2], [-3, 4])]]), { keepAll: true });
    expect(all.values!.map(toBigints)).toEqual([big([-3, 4]), big([0, 4]), big([0, -4])]);
  });

  it("covers every op", () => {
    expect(OPS.filter((o) => !covered.has(o))).toEqual([]);
  });
});
