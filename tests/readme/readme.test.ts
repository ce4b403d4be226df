// README.md as tested documentation. Rules (also stated in the README):
// - A transcript is a fenced block whose first line is `$ COMMAND`; the rest is what COMMAND
//   prints, stdout and stderr together as a terminal shows them. `pq` is `node dist/cli/main.js`,
//   `npm run NAME` is the package script NAME, and `pq repl … < session.txt` reads the lines
//   typed after the transcript's `pq> ` prompts.
// - A line `…` stands for any number of lines.
// - Timing columns (`ms`, `time ms`, the last column of their table) are left out: the test
//   cuts them from what the command prints. Progress lines (`pq: [k/N] … (T s)`, written only
//   by slow runs when stderr is not a terminal) are dropped.
// - Every other `pq` command the README shows (in ```sh blocks) must parse: it is run with
//   `--help` appended (in this process), which fails on an unknown command or flag.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "dist/cli/main.js");
const built = existsSync(BIN);
if (!built) console.warn("skipping the README transcripts: dist/ is not built (run `npm run build`)");

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));

interface Transcript {
  command: string;
  expected: string[];
}

function transcripts(): Transcript[] {
  return blocks.filter((b) => b.body.startsWith("$ ")).map((b) => {
    const [first, ...rest] = b.body.replace(/\n$/, "").split("\n");
    return { command: first!.slice(2), expected: rest };
  });
}

/** Run a transcript's command as the README means it; stdout and stderr in the order written. */
function run(t: Transcript): string {
  const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
  let cmd = t.command;
  let input = "";
  const npm = /^npm run (\S+)$/.exec(cmd);
  if (npm) cmd = scripts[npm[1]!]!;
  const repl = /^(.*) < session\.txt$/.exec(cmd);
  if (repl) {
    cmd = repl[1]!;
    input = t.expected.filter((l) => l.startsWith("pq> ")).map((l) => l.slice(4)).join("\n") + "\n";
  }
  cmd = cmd.replace(/^pq /, "node dist/cli/main.js ");
  // Both streams into one pipe, as a terminal interleaves them (pipe writes are synchronous).
  const r = spawnSync("sh", ["-c", `${cmd} 2>&1`], { cwd: ROOT, input, encoding: "utf8" });
  return r.stdout;
}

/** Cut the timing column (`ms`/`time ms`, last) of every table, and drop progress lines. */
function normalise(out: string): string[] {
  const lines = out.replace(/\n$/, "").split("\n").filter((l) => !/^pq: \[\d+\/\d+\] .* \(\d+ s\)$/.test(l));
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^(.*\S)\s+(time ms|ms)$/.exec(lines[i]!);
    if (!m || !/^-+( +-+)*$/.test(lines[i + 1]!)) continue;
    const rule = lines[i + 1]!;
    const at = rule.lastIndexOf(" -") + 1;
    let end = lines.indexOf(rule, i + 2);
    end = end < 0 ? i + 1 : Math.min(end + 1, lines.length - 1);
    for (let j = i; j <= end; j++) lines[j] = lines[j]!.slice(0, at).trimEnd();
    i = end;
  }
  return lines;
}

/** Does `actual` match `expected`, where an expected `…` line matches any number of lines? */
function matches(expected: readonly string[], actual: readonly string[]): boolean {
  if (expected.length === 0) return actual.length === 0;
  const [e, ...rest] = expected;
  if (e === "…") return actual.some((_, k) => matches(rest, actual.slice(k))) || matches(rest, []);
  return actual.length > 0 && actual[0] === e && matches(rest, actual.slice(1));
}

describe("README.md", () => {
  it("the comparison rules: `…` lines, timing columns, progress lines", () => {
    expect(matches(["a", "…", "d"], ["a", "b", "c", "d"])).toBe(true);
    expect(matches(["a", "…"], ["a"])).toBe(true);
    expect(matches(["a", "…", "d"], ["a", "b"])).toBe(false);
    const out = "x\nlayer  ops    ms\n-----  ---  ----\nm/a    add  1.2\n-----  ---  ----\ntotal       1.2\npq: [3/9] m/c (10 s)\nlegend\n";
    expect(normalise(out)).toEqual(["x", "layer  ops", "-----  ---", "m/a    add", "-----  ---", "total", "legend"]);
    expect(transcripts().length).toBeGreaterThanOrEqual(2);
  });

  describe.skipIf(!built)("transcripts", () => {
    for (const t of transcripts()) {
      it(`$ ${t.command}`, () => {
        const actual = normalise(run(t));
        if (!matches(t.expected, actual)) expect(actual.join("\n")).toBe(t.expected.join("\n"));
      }, 60_000);
    }
  });

  it("every other pq command it shows parses (unknown commands and flags fail)", async () => {
    const commands = blocks.filter((b) => b.lang === "sh").flatMap((b) => b.body.split("\n"))
      .map((l) => l.replace(/#.*$/, "").trim()).flatMap((l) => l.split(";")).map((l) => l.replace(/&$/, "").trim())
      .filter((l) => l.startsWith("pq "));
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) {
      let err = "";
      const code = await main([...c.split(/\s+/).slice(1), "--help"], { out: () => {}, err: (s) => (err += s) });
      expect([c, code, err]).toEqual([c, 0, ""]);
    }
  });
});
