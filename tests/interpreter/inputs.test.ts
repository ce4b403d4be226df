// Reading a client input: a PNG's channels follow its colour type, not its pixels; nested
// arrays deeper than the input's dimensions are refused before they are followed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG, type ColorType } from "pngjs";
import { describe, expect, it } from "vitest";
import type { TensorType } from "../../compiler/types.js";
import { PqError } from "../../grammar/diagnostics.js";
import { loadInput, pngPixels } from "../../interpreter/inputs.js";

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
