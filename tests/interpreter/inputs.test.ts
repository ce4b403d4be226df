// Reading a client input: a PNG's channels follow its colour type, not its pixels, and are
// converted to the model's channel count; nested arrays deeper than the input's dimensions
// are refused before they are followed; real values are quantized by the input's declaration.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG, type ColorType } from "pngjs";
import { describe, expect, it } from "vitest";
import type { TensorType } from "../../compiler/types.js";
import { PqError } from "../../grammar/diagnostics.js";
import { loadInput, pngPixels, toChannels } from "../../interpreter/inputs.js";
import { toBigints } from "../../interpreter/plain/tensor.js";

/** A 2×1 PNG of colour type `colorType` whose two pixels are grey (R = G = B), the second half transparent where the type has alpha. */
function greyPixels(colorType: ColorType): Buffer {
  const png = new PNG({ width: 2, height: 1 });
  png.data = Buffer.from([10, 10, 10, 255, 200, 200, 200, colorType & 4 ? 128 : 255]);
  return PNG.sync.write(png, { colorType, inputHasAlpha: true });
}

const type = (shape: number[]): TensorType => ({ bits: 8, signed: false, shape, vis: "client", scale: { kind: "pow2", exp: 0 }, nonneg: true });

describe("PNG inputs", () => {
  it("grey and grey+alpha are one channel; RGB and RGBA three, even when every pixel is grey; alpha is dropped", () => {
    expect(pngPixels(greyPixels(0), "g.png")).toEqual({ shape: [1, 1, 2], data: [10, 200] });
    expect(pngPixels(greyPixels(4), "ga.png")).toEqual({ shape: [1, 1, 2], data: [10, 200] });
    expect(pngPixels(greyPixels(2), "rgb.png")).toEqual({ shape: [3, 1, 2], data: [10, 200, 10, 200, 10, 200] });
    expect(pngPixels(greyPixels(6), "rgba.png")).toEqual({ shape: [3, 1, 2], data: [10, 200, 10, 200, 10, 200] });
  });
});

describe("JSON inputs", () => {
  const dir = mkdtempSync(join(tmpdir(), "pq-inputs-"));
  it("arrays nested a little deeper than the input's dimensions are a shape error (PQ4011), far deeper PQ4013, however deep", () => {
    for (const [depth, expected] of [[2, "PQ4011"], [9, "PQ4011"], [10, "PQ4013"], [100_000, "PQ4013"]] as const) {
      const path = join(dir, `deep${depth}.json`);
      writeFileSync(path, `${"[".repeat(depth)}1${"]".repeat(depth)}`);
      let code = "";
      try {
        loadInput(path, "x", type([1]));
      } catch (e) {
        code = e instanceof PqError ? e.diagnostics[0]!.code : String(e);
      }
      expect(code).toBe(expected);
    }
  });
});

describe("PNG channels follow the model's channel count when they differ", () => {
  const dir = mkdtempSync(join(tmpdir(), "pq-channels-"));
  const write = (name: string, colorType: ColorType, rgba: number[]) => {
    const png = new PNG({ width: 2, height: 1 });
    png.data = Buffer.from(rgba);
    const path = join(dir, name);
    writeFileSync(path, PNG.sync.write(png, { colorType, inputHasAlpha: true }));
    return path;
  };
  it("a grey PNG for a 3-channel input is repeated into R, G and B", () => {
    const t = loadInput(write("g.png", 0, [10, 10, 10, 255, 200, 200, 200, 255]), "x", type([3, 1, 2]));
    expect(toBigints(t)).toEqual([10n, 200n, 10n, 200n, 10n, 200n]);
  });
  it("an RGB PNG for a 1-channel input becomes its BT.601 luma, even when its pixels are grey", () => {
    const t = loadInput(write("rgb.png", 2, [255, 0, 0, 255, 0, 0, 255, 255]), "x", type([1, 1, 2]));
    expect(toBigints(t)).toEqual([76n, 29n]); // round(0.299·255), round(0.114·255)
    const grey = loadInput(write("rgb-grey.png", 2, [10, 10, 10, 255, 200, 200, 200, 255]), "x", type([1, 1, 2]));
    expect(toBigints(grey)).toEqual([10n, 200n]);
  });
  it("a spatial size that differs stays a shape error naming the file (PQ4011)", () => {
    const path = write("small.png", 0, [10, 10, 10, 255, 200, 200, 200, 255]);
    expect(() => loadInput(path, "x", type([3, 2, 2]))).toThrow(/PQ4011|has shape/);
  });
  it("toChannels leaves matching or non-image shapes alone", () => {
    const img = { shape: [1, 1, 2], data: [1, 2] };
    expect(toChannels(img, [1, 1, 2])).toBe(img);
    expect(toChannels(img, [2])).toBe(img);
  });
});

describe("real values at the edge: quantized by the input's scale, zero point, mean and std", () => {
  const dir = mkdtempSync(join(tmpdir(), "pq-reals-"));
  const i8 = (shape: number[], scale: number): TensorType => ({ bits: 8, signed: true, shape, vis: "client", scale: { kind: "real", value: scale }, nonneg: false });
  it('{"real": ..} is round(r / scale) + zero, half away from zero, saturated to the type', () => {
    const path = join(dir, "r.json");
    writeFileSync(path, JSON.stringify({ real: [0.25, -0.25, 0.125, 100, -100, 0.0625] }));
    expect(toBigints(loadInput(path, "x", i8([6], 0.25)))).toEqual([1n, -1n, 1n, 127n, -128n, 0n]);
    expect(toBigints(loadInput(path, "x", i8([6], 0.25), { zero: 3n }))).toEqual([4n, 2n, 4n, 127n, -128n, 3n]);
    const shaped = join(dir, "s.json");
    writeFileSync(shaped, JSON.stringify({ shape: [2, 1], real: [0.5, -0.5] }));
    expect(toBigints(loadInput(shaped, "x", i8([2, 1], 0.5)))).toEqual([1n, -1n]);
  });
  it("a real where an integer is due says how to write reals; a non-number real is PQ4013", () => {
    const path = join(dir, "f.json");
    writeFileSync(path, "[0.5, 1]");
    expect(() => loadInput(path, "x", i8([2], 1))).toThrow(/PQ4013|real values go in \{"real"/);
    writeFileSync(path, JSON.stringify({ real: ["a", 1] }));
    expect(() => loadInput(path, "x", i8([2], 1))).toThrow(/not a real number/);
  });
  it("a PNG is (p/255 − mean[c]) / std[c] quantized when the input declares mean, std or zero; its raw samples otherwise", () => {
    const png = new PNG({ width: 2, height: 1 });
    png.data = Buffer.from([0, 0, 0, 255, 255, 255, 255, 255]);
    const path = join(dir, "bw.png");
    writeFileSync(path, PNG.sync.write(png, { colorType: 0, inputHasAlpha: true }));
    // [-1, 1] at scale 2^-7: mean 0.5, std 0.5.
    const t = loadInput(path, "x", i8([1, 1, 2], 2 ** -7), { mean: [0.5], std: [0.5] });
    expect(toBigints(t)).toEqual([-128n, 127n]); // -1 → -128; +1 → 128, saturated
    expect(toBigints(loadInput(path, "x", { ...type([1, 1, 2]), scale: { kind: "real", value: 1 / 255 } }, { zero: 0n }))).toEqual([0n, 255n]);
    expect(toBigints(loadInput(path, "x", type([1, 1, 2])))).toEqual([0n, 255n]);
  });
});
