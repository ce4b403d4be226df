// The calibration set of `--calibrate DIR`: every .png and .json file of DIR, in name order,
// as the float model's input. A PNG is read as `pq run` reads it ([C, H, W] 8-bit samples,
// interpreter/inputs.ts) and given to the float model as sample / 255, so the pq model's input
// is the PNG's bytes at scale 1/255; a JSON file is a float tensor ({"shape", "data"} or nested
// arrays) of the model input's shape.
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { diag, fileReason, PqError } from "../../grammar/diagnostics.js";
import { pngPixels } from "../../interpreter/inputs.js";
import { numelOf } from "../onnx/graph.js";
import type { Calibration } from "./float.js";

export function readCalibration(dir: string, shape: readonly number[]): Calibration {
  const bad = (path: string, detail: string): never => {
    throw new PqError(diag("PQ6009", { path, detail }));
  };
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => [".png", ".json"].includes(extname(f).toLowerCase())).sort();
  } catch (e) {
    return bad(dir, `cannot read the directory (${fileReason(e)})`);
  }
  if (files.length === 0) bad(dir, "holds no .png or .json file");
  const pngs = files.filter((f) => extname(f).toLowerCase() === ".png").length;
  if (pngs !== 0 && pngs !== files.length) bad(dir, "mixes PNG images and JSON tensors; their scales differ (bytes / 255 against floats)");
  const want = shape.join(", ");
  const inputs = files.map((f) => {
    const path = join(dir, f);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      return bad(path, `cannot read it (${fileReason(e)})`);
    }
    let got: number[];
    let data: number[];
    if (pngs > 0) {
      try {
        ({ shape: got, data } = pngPixels(bytes, path));
      } catch (e) {
        return bad(path, e instanceof PqError ? e.diagnostics[0]!.message : String(e));
      }
      data = data.map((v) => v / 255);
    } else {
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString("utf8"));
      } catch (e) {
        return bad(path, `not JSON (${(e as Error).message})`);
      }
      if (typeof json === "object" && json !== null && "data" in json && "shape" in json) {
        got = (json as { shape: number[] }).shape;
        data = (json as { data: number[] }).data;
      } else if (Array.isArray(json)) {
        got = [];
        for (let a: unknown = json; Array.isArray(a); a = a[0]) got.push(a.length);
        data = (json as unknown[]).flat(Infinity as 1) as number[];
      } else {
        return bad(path, "not a tensor ({\"shape\": [..], \"data\": [..]} or nested arrays)");
      }
      if (!data.every((v) => typeof v === "number" && Number.isFinite(v))) bad(path, "holds a value that is not a finite number");
    }
    if (got.join(", ") !== want || data.length !== numelOf(shape)) bad(path, `has shape [${got.join(", ")}], the model input is [${want}] (without the batch axis)`);
    return Float64Array.from(data);
  });
  return pngs > 0 ? { inputs, inputScale: 1 / 255 } : { inputs };
}
