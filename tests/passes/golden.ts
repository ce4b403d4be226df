// The one golden-file harness of the pass tests (tests/passes/golden/PASS/NAME.pq against
// NAME.expected.pq). `npm run golden:update` (PQ_UPDATE_GOLDEN=1) rewrites the expected
// files; review the diff.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Program } from "../../compiler/ir.js";
import { printGraph } from "../../compiler/print.js";

/** The golden inputs of a folder: its NAME.pq files (not the expected ones), sorted. */
export function goldenInputs(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".pq") && !f.endsWith(".expected.pq")).sort();
}

/** `text` must equal NAME.expected.pq beside input NAME.pq in `dir` (written first under PQ_UPDATE_GOLDEN=1). */
export function expectGolden(dir: string, input: string, text: string): void {
  const expectedPath = join(dir, input.replace(/\.pq$/, ".expected.pq"));
  if (process.env.PQ_UPDATE_GOLDEN === "1") writeFileSync(expectedPath, text);
  expect(existsSync(expectedPath), `${expectedPath} is missing: run npm run golden:update`).toBe(true);
  expect(text).toBe(readFileSync(expectedPath, "utf8"));
}

/** A pass's note as comment lines, then the printed program with paths relative to `dir`. */
export function noteAndProgram(note: string, program: Program, dir: string): string {
  return note.split("\n").map((l) => `// ${l.trimStart()}`).join("\n") + "\n" + printGraph(program.graph).replaceAll(`${dir}/`, "");
}
