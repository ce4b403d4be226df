// Golden before/after tests of the conversion and fusion passes: tests/passes/golden/PASS/NAME.pq is lowered, PASS runs on it,
// and the printed result (with the pass's note as a comment) must equal NAME.expected.pq.
// `npm run golden:update` (PQ_UPDATE_GOLDEN=1) rewrites the expected files; review the diff.
// Each case also runs before and after on the plaintext and two-party backends.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { printGraph } from "../../compiler/print.js";
import { expectGolden, goldenInputs } from "./golden.js";
import { compileOrThrow, inputsFor, PASS_BY_NAME, plainOutputs, runPass, twoPartyOutputs } from "./conversion-fusion.harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "golden");

describe("golden before/after", () => {
  // Only this suite's passes; other folders under golden/ belong to other suites.
  for (const passName of Object.keys(PASS_BY_NAME).sort()) {
    const pass = PASS_BY_NAME[passName]!;
    const dir = join(ROOT, passName);
    if (!existsSync(dir)) continue;
    for (const file of goldenInputs(dir)) {
      it(`${passName}/${file}`, async () => {
        const before = compileOrThrow(join(dir, file));
        const r = runPass(pass, before);
        // Absolute paths (the params file) are printed relative to the case's folder.
        const text = `// ${pass.name}: ${r.applied ? "applied" : "not applied"} — ${r.note}\n${printGraph(r.program.graph).split(dir + "/").join("")}`;
        expectGolden(dir, file, text);
        for (const seed of [1, 2, 3]) {
          const inputs = inputsFor(before, seed);
          const want = plainOutputs(before, inputs);
          expect(plainOutputs(r.program, inputs)).toEqual(want);
          expect(await twoPartyOutputs(r.program, inputs)).toEqual(want);
        }
      });
    }
  }
});
