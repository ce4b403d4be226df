// A tiny model on disk for the REPL tests: 4 inputs, a 2×4 server weight, one hidden layer.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MODEL_TEXT =
  'model m {\n  input x: client u8[4]\n  params "m.params.json"\n  param w: i4[2, 4]\n  let h = relu(linear(x, w))\n  output argmax(h) to client\n}\n';

export function fixture(): { dir: string; model: string; input: string; bad: string } {
  const dir = mkdtempSync(join(tmpdir(), "pq-repl-"));
  writeFileSync(join(dir, "m.params.json"), JSON.stringify({
    format: "pq-params/1",
    tensors: { w: { shape: [2, 4], scale: 0.125, data: [1, 2, 3, 4, -1, -2, -3, -4] } },
  }));
  const model = join(dir, "m.pq");
  writeFileSync(model, MODEL_TEXT);
  const input = join(dir, "in.json");
  writeFileSync(input, JSON.stringify({ shape: [4], data: [1, 0, 0, 9] }));
  const bad = join(dir, "bad.pq");
  writeFileSync(bad, "model m {\n  input x: client u8[4]\n  output relu(y) to client\n}\n");
  return { dir, model, input, bad };
}
