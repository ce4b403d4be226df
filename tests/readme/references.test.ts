// Every `.md` file that the documentation (README.md, docs/) or the CLI's output (help, the
// cost formulas, the REPL's :help and :protocols) names exists in the repository — no
// citation of a file outside it (such as a design folder next to the checkout).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../cli/commands.js";
import { commandHelp } from "../../cli/cli.js";
import { helpText } from "../../cli/repl/commands.js";
import { protocolsText } from "../../cli/repl/protocols.js";
import { formulasText } from "../../compiler/cost/formulas.js";

const ROOT = join(import.meta.dirname, "..", "..");
const REF = /(?<![\w/.-])((?:\.{1,2}\/)*[\w][\w./-]*\.md)\b/g;

/** The references in `text` that name no file: tried from `base` (the document's folder) and from the repository's root. */
function missing(text: string, base: string): string[] {
  const out: string[] = [];
  for (const [, ref] of text.matchAll(REF)) {
    const found = [base, ROOT].some((dir) => {
      const p = resolve(dir, ref!);
      return !relative(ROOT, p).startsWith("..") && existsSync(p);
    });
    if (!found) out.push(ref!);
  }
  return out;
}

describe("references to .md files", () => {
  it("in README.md and docs/ name files of the repository", () => {
    const docs = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
    for (const d of docs) {
      const path = join(ROOT, d);
      expect([d, missing(readFileSync(path, "utf8"), dirname(path))]).toEqual([d, []]);
    }
  });

  it("in the CLI's help, pq cost --formulas and the REPL's :help and :protocols name files of the repository", () => {
    const outputs = [...COMMANDS.map(commandHelp), formulasText(), helpText(), protocolsText()];
    for (const o of outputs) expect(missing(o, ROOT)).toEqual([]);
    expect(formulasText()).toContain("docs/PROTOCOLS.md");
  });
});
