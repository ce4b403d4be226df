// Every bad command line is a coded diagnostic with exit code 2 (PQ9xxx), never Node's raw
// message; a typo of a command or an option is answered with the name it most likely meant.
// Mistakes about the program's inputs are coded too (PQ4015, PQ4016), with exit code 1.
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pq } from "./harness.js";
import { COMMANDS } from "../../cli/commands.js";

const dir = mkdtempSync(join(tmpdir(), "pq-usage-"));
const model = join(dir, "m.pq");
writeFileSync(model, "model m {\n  input x: client i8[4]\n  input y: client i8[4]\n  output add(x, -y) to client\n}\n");
const input = join(dir, "in.json");
writeFileSync(input, "[1, -2, 3, -4]");

/** One edit (delete, insert or substitute a letter) somewhere in `word`. */
const typo = (word: string) =>
  fc.record({ at: fc.nat({ max: word.length - 1 }), op: fc.constantFrom("delete", "insert", "replace"), ch: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz") }).map(({ at, op, ch }) =>
    op === "delete" ? word.slice(0, at) + word.slice(at + 1) : op === "insert" ? word.slice(0, at) + ch + word.slice(at) : word.slice(0, at) + ch + word.slice(at + 1));

/** A coded usage error: exit 2, every line of stderr a diagnostic's, no raw Node message. */
function expectUsage(r: { code: number; err: string }, code: string): void {
  expect(r.code).toBe(2);
  expect(r.err).toMatch(new RegExp(`^error ${code}: `));
  expect(r.err).not.toMatch(/ERR_PARSE_ARGS|Unknown option|argument missing|To specify an option/);
}

describe("command-line mistakes are coded usage errors", () => {
  it("a mistyped command is PQ9002 and names the nearest command when it is a plausible typo", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS.map((c) => c.name)).chain((c) => fc.tuple(fc.constant(c), typo(c))), async ([name, typed]) => {
        fc.pre(!COMMANDS.some((c) => c.name === typed));
        const r = await pq(typed, model);
        expectUsage(r, "PQ9002");
        expect(r.err).toContain(`no command named '${typed}'`);
        if (name.length >= 4) expect(r.err).toMatch(/did you mean '\w+'\?/);
      }),
      { numRuns: 60 },
    );
  });

  it("a mistyped option is PQ9002 with the nearest option; an option without its value is PQ9003", async () => {
    const withOptions = COMMANDS.filter((c) => Object.keys(c.options).length > 0);
    const pick = fc.constantFrom(...withOptions).chain((c) => fc.tuple(fc.constant(c), fc.constantFrom(...Object.keys(c.options))));
    await fc.assert(
      fc.asyncProperty(pick.chain(([c, o]) => fc.tuple(fc.constant(c), fc.constant(o), typo(o))), async ([c, o, typed]) => {
        fc.pre(!(typed in c.options) && typed !== "help" && typed.length > 0);
        const r = await pq(c.name, "x.pq", `--${typed}`);
        expectUsage(r, "PQ9002");
        expect(r.err).toContain(`no option of pq ${c.name} named '--${typed}'`);
        if (o.length >= 5) expect(r.err).toMatch(/did you mean '--[\w-]+'\?/);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(pick.filter(([c, o]) => c.options[o]!.type === "string"), fc.constantFrom([], ["--json"], ["--help"]), async ([c, o], after) => {
        const r = await pq(c.name, "x.pq", `--${o}`, ...after);
        expectUsage(r, "PQ9003");
        expect(r.err).toContain(`option --${o} needs a value`);
      }),
      { numRuns: 40 },
    );
  });

  it("a negative number is a value, a switch takes none, a seed is an integer", async () => {
    expect((await pq("eval", model, "--limit", "-3")).err).toContain("--limit must be a positive integer, got '-3'");
    expectUsage(await pq("check", model, "--quiet=yes"), "PQ9001");
    for (const seed of ["abc", "1.5", "-1", ""]) {
      const r = await pq("run", model, "--input", `x=${input}`, "--input", `y=${input}`, "--backend", "2pc", "--correlations", "dealer", `--seed=${seed}`);
      expectUsage(r, "PQ9001");
      expect(r.err).toContain("--seed must be a non-negative integer");
    }
  });
});

describe("input mistakes name the program's inputs", () => {
  it("an input the model lacks is PQ4015 with its inputs; one given twice is PQ4016; the named inputs run", async () => {
    let r = await pq("run", model, "--input", `z=${input}`, "--input", `y=${input}`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error PQ4015: model m has no input 'z'.*\n.*its inputs: x, y/);
    r = await pq("run", model, "--input", `x=${input}`, "--input", `x=${input}`);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error PQ4016: input 'x' is given twice");
    r = await pq("run", model, "--input", `x=${input}`, "--input", `y=${input}`);
    expect(r.code).toBe(0);
    expect(r.out).toContain("output 0: [0, 0, 0, 0]");
    r = await pq("run", model, "--input", `x=${join(dir, "nope.json")}`, "--input", `y=${input}`);
    expect(r.err).toContain("error PQ4010: cannot read input");
    expect(r.err).toContain("no such file");
  });
});

describe("pq check of a library", () => {
  it("checks the blocks and protocols of a file without a model; run still needs a model", async () => {
    let r = await pq("check", "stdlib/nn.pq");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/stdlib\/nn\.pq: ok: a library of \d+ blocks \(stem, conv_bn_relu/);
    expect((await pq("check", "stdlib/protocols.pq")).code).toBe(0);
    const lib = join(dir, "lib.pq");
    writeFileSync(lib, "block b(x, n: int) {\n  param w: iW[n, m]\n  let y = conv2d(x, w, padd = 1)\n  return reluu(yy)\n}\nprotocol p(x: shared iN) -> shared iM {\n  return x\n}\n");
    r = await pq("check", lib);
    expect(r.code).toBe(1);
    expect([...r.err.matchAll(/error (PQ\d+)/g)].map((m) => m[1])).toEqual(["PQ2022", "PQ2001", "PQ2005", "PQ2003", "PQ2001", "PQ2022"]);
    r = await pq("run", "stdlib/nn.pq", "--input", input);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error PQ2011");
  });

  it("pq check of a model also checks the blocks it does not use, and says a mistake once", async () => {
    const unused = join(dir, "unused.pq");
    writeFileSync(unused, "block broken(x) {\n  return reluu(x)\n}\nmodel m {\n  input x: client i8[4]\n  output relu(x)\n}\n");
    let r = await pq("check", unused);
    expect(r.code).toBe(1);
    expect([...r.err.matchAll(/error (PQ\d+)/g)].map((m) => m[1])).toEqual(["PQ2003"]);
    const used = join(dir, "used.pq");
    writeFileSync(used, "block broken(x) {\n  return reluu(x)\n}\nmodel m {\n  input x: client i8[4]\n  output broken(x)\n}\n");
    r = await pq("check", used);
    expect([...r.err.matchAll(/error (PQ\d+)/g)].map((m) => m[1])).toEqual(["PQ2003"]);
  });
});
