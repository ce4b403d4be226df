// The REPL session without a terminal: every command, statements, bad input, cancellation,
// completion, history and the line mode.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Program } from "../../compiler/ir.js";
import { inProcess, type Backends } from "../../cli/repl/backends.js";
import { applyCompletion, complete } from "../../cli/repl/complete.js";
import { History, historyFile } from "../../cli/repl/history.js";
import { NO_PASSES, type Pass } from "../../cli/repl/passes.js";
import { runLines } from "../../cli/repl/plain.js";
import { parseHeader, readProtocols } from "../../cli/repl/protocols.js";
import { Session, type Output } from "../../cli/repl/session.js";
import { nearestTyped as nearest } from "../../grammar/suggest.js";
import { fixture, MODEL_TEXT } from "./fixture.js";
import { compileFile } from "../../compiler/lower.js";
import { forecast } from "../../compiler/cost/model.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { formatBytes } from "../../cli/report.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const f = fixture();

const text = (o: Output) => o.blocks.map((b) => b.text).join("\n");
const errors = (o: Output) => o.blocks.filter((b) => b.style === "error").map((b) => b.text).join("\n");

async function loaded(opts: ConstructorParameters<typeof Session>[0] = {}): Promise<Session> {
  const s = new Session(opts);
  const r = await s.execute(`:load ${f.model}`);
  expect(errors(r)).toBe("");
  return s;
}

describe("REPL statements", () => {
  it("a let shows its inferred type (visibility, width, shape, scale, nonneg) and stays in the model", async () => {
    const s = await loaded();
    const r = await s.execute("let y = relu(linear(x, w))");
    expect(text(r)).toMatch(/^y: shared i13\[2\] scale 2\^-3 nonneg\s+values in \[0, 2550\]$/);
    expect(s.added).toEqual(["let y = relu(linear(x, w))"]);
    expect(text(await s.execute("y"))).toContain("shared i13[2] scale 2^-3 nonneg");
  });

  it("a bare expression shows its type and is not kept", async () => {
    const s = await loaded();
    expect(text(await s.execute("linear(x, w)"))).toMatch(/^shared i13\[2\] scale 2\^-3\s+values in \[-2550, 2550\]$/);
    expect(s.added).toEqual([]);
  });

  it("builds a model from scratch: input, let, output, then runs it", async () => {
    const s = new Session();
    expect(text(await s.execute("input a: client i8[3]"))).toMatch(/^a: client i8\[3\]/);
    expect(text(await s.execute("let b = relu(a)"))).toMatch(/^b: client i8\[3\] nonneg/);
    expect(errors(await s.execute(":ir"))).toContain("no output yet");
    expect(text(await s.execute("output b to client"))).toBe("output 0: client i8[3] nonneg");
    const inp = join(f.dir, "a.json");
    writeFileSync(inp, JSON.stringify([-3, 0, 5]));
    expect(text(await s.execute(`:run ${inp}`))).toContain("output 0: [0, 0, 5]");
    expect(text(await s.execute(":ir"))).toContain("model repl {");
  });

  it("a failing statement shows the CLI's diagnostic (code, caret) and is dropped", async () => {
    const s = await loaded();
    const r = await s.execute("let z = relu(q)");
    expect(errors(r)).toContain("error PQ2001: unknown name 'q'");
    // It points into the typed line, not at the line of the loaded file it was compiled into.
    expect(errors(r)).toMatch(/^<repl>:1:14: error PQ2001/);
    expect(errors(r)).toMatch(/ {3}1 \| let z = relu\(q\)\n\s+\| {14}\^\n?$/);
    expect(s.added).toEqual([]);
    expect(errors(await s.execute("let z = relu(linear(x, w))"))).toBe("");
    expect(errors(await s.execute("let broken = relu("))).toMatch(/error PQ1\d{3}/);
    expect(s.added).toEqual(["let z = relu(linear(x, w))"]);
  });

  it("declarations that belong in a file are refused with a reason", async () => {
    expect(errors(await new Session().execute("block b(x) { return x }"))).toContain("belong in a file");
  });
});

describe("REPL commands", () => {
  it(":load keeps the previous program when the new one fails", async () => {
    const s = await loaded();
    const r = await s.execute(`:load ${f.bad}`);
    expect(errors(r)).toContain("error PQ2001: unknown name 'y'");
    expect(errors(r)).toContain("^");
    expect(text(r)).toContain(`unchanged: ${f.model} is still loaded`);
    expect(errors(await s.execute(":load /nonexistent/x.pq"))).toContain("PQ2026");
    expect(text(await s.execute(`:run ${f.input}`))).toContain("output 0: 0");
    expect(errors(await s.execute(":load"))).toContain("usage");
  });

  it(":reload re-reads the file and re-applies typed statements", async () => {
    const dir = fixture();
    const s = new Session();
    await s.execute(`:load ${dir.model}`);
    await s.execute("let y = linear(x, w)");
    writeFileSync(dir.model, MODEL_TEXT.replace("let h = relu(linear(x, w))", "let h = linear(x, w)"));
    const r = await s.execute(":reload");
    expect(text(r)).toContain("1 typed statement(s) re-applied");
    expect(text(await s.execute(":ir h"))).not.toContain("drelu");
    writeFileSync(dir.model, "model m {\n  oops\n}\n");
    const bad = await s.execute(":reload");
    expect(errors(bad)).toMatch(/error PQ1\d{3}/);
    expect(text(bad)).toContain("still loaded");
    expect(errors(await new Session().execute(":reload"))).toContain("nothing to reload");
  });

  it(":ast prints the model's syntax tree, or one statement's", async () => {
    const s = await loaded();
    const all = JSON.parse(text(await s.execute(":ast"))) as { kind: string; name: string };
    expect(all).toMatchObject({ kind: "model", name: "m" });
    expect(text(await s.execute(":ast h"))).toContain('"callee": "relu"');
    expect(errors(await s.execute(":ast hh"))).toContain("did you mean h?");
  });

  it(":ir prints the IR, or one layer's nodes", async () => {
    const s = await loaded();
    expect(text(await s.execute(":ir"))).toContain("= drelu(h)");
    const layer = text(await s.execute(":ir h"));
    expect(layer.split("\n")[0]).toBe("m/h:");
    expect(layer).toContain("select(");
    expect(errors(await s.execute(":ir hx"))).toContain("unknown layer 'hx'; did you mean h?");
  });

  it(":passes lists the pq pipeline in order and rejects unknown passes", async () => {
    const s = await loaded();
    const list = text(await s.execute(":passes"));
    expect(list).toMatch(/fuse-batchnorm\s+on[\s\S]*winograd\s+on[\s\S]*elimination\s+on/);
    expect(errors(await s.execute(":passes enable fold"))).toContain("unknown pass 'fold'");
    expect(errors(await s.execute(":passes frob"))).toContain("usage: :passes");
    expect(text(await s.execute(":passes disable winograd"))).toContain("disabled");
    expect(text(await s.execute(":passes"))).toMatch(/winograd\s+off/);
  });

  it(":passes use and target pick the pipeline and the correlations it optimises for", async () => {
    const s = await loaded();
    expect(text(await s.execute(":passes"))).toContain("pipeline pq, optimising for ot; a pass the cost model forecasts to add bytes is reverted");
    expect(text(await s.execute(":passes use sirnn"))).toContain("pipeline sirnn: placement");
    const list = text(await s.execute(":passes"));
    expect(list).toContain("pipeline sirnn, optimising for ot");
    expect(list).not.toContain("reverted");
    expect(list).toMatch(/placement\s+on/);
    expect(errors(await s.execute(":passes use frob"))).toContain("unknown pipeline 'frob'");
    expect(errors(await s.execute(":passes use eq"))).toContain("did you mean eqo?");
    expect(errors(await s.execute(":passes target otx"))).toContain("unknown correlations 'otx'");
    expect(text(await s.execute(":passes target ot-iknp"))).toContain("the passes now optimise for ot-iknp");
    expect(text(await s.execute(":passes use none"))).toContain("pipeline none: no passes");
    expect(text(await s.execute(":passes"))).toContain(NO_PASSES);
  });

  it(":passes use eqo says that its approximate pass applied; :cost KIND prices what pq cost prices", async () => {
    const file = join(ROOT, "tests/passes/golden/winograd-quant/conv-bn.pq");
    const s = new Session();
    expect(errors(await s.execute(`:load ${file}`))).toBe("");
    // pq cost --correlations ot-iknp: the passes optimise for what is priced.
    const c = compileFile(file);
    const want = forecast(runPipeline(c.program!, "pq", { target: "ot-iknp" }).program, "ot-iknp").totals.online;
    const cost = text(await s.execute(":cost ot-iknp"));
    expect(cost).toContain("the passes re-run optimising for ot-iknp (the session's program optimises for ot)");
    expect(text(await s.execute(":cost ot"))).not.toContain("the passes re-run"); // what the session's program optimises for
    expect(cost).toMatch(new RegExp(`total\\s+${formatBytes(want.clientBytes + want.serverBytes).replace(".", "\\.")}`));
    await s.execute(":passes use eqo");
    const r = await s.execute(":passes target ot-iknp");
    expect(errors(r)).toBe("");
    const list = await s.execute(":passes");
    expect(text(list)).toMatch(/winograd-quant\s+on, applied/);
    expect(list.blocks.filter((b) => b.style === "notice").map((b) => b.text).join("\n")).toMatch(/^pass winograd-quant: APPROXIMATE: 1 of 1 3×3 convolutions/);
    expect(text(await s.execute(":ir"))).toContain("winoconv(");
    const show = text(await s.execute(":passes show winograd-quant"));
    expect(show).toMatch(/^winograd-quant: applied — APPROXIMATE/);
  }, 30_000);

  it(":save writes the session as .pq that loads back to the same program; it keeps an existing file unless :save!", async () => {
    const s = await loaded();
    expect(errors(await s.execute("let g = relu(h)"))).toBe("");
    const before = text(await s.execute(":ir"));
    // Another folder: the model's relative `params` path is rewritten to still name its file.
    const dest = join(mkdtempSync(join(tmpdir(), "pq-save-")), "saved.pq");
    expect(text(await s.execute(`:save ${dest}`))).toMatch(/^saved .*saved\.pq: 1 typed statement\(s\) after .*m\.pq; 1 relative path\(s\) rewritten/);
    const saved = readFileSync(dest, "utf8");
    expect(saved).toContain("  let g = relu(h)\n}");
    expect(saved).toMatch(/params "\.\.\/pq-repl-\w+\/m\.params\.json"/);
    const again = new Session();
    expect(errors(await again.execute(`:load ${dest}`))).toBe("");
    expect(text(await again.execute(":ir"))).toBe(before);
    expect(errors(await s.execute(`:save ${dest}`))).toContain("exists: :save! ");
    expect(errors(await s.execute(`:save! ${dest}`))).toBe("");
    expect(errors(await s.execute(":save"))).toContain("usage: :save FILE.pq");
  });

  it(":passes with no pass registered says so", async () => {
    const s = await loaded({ passes: [] });
    expect(text(await s.execute(":passes"))).toBe(`the session's own passes, optimising for ot\n${NO_PASSES}`);
  });

  it(":passes enable/disable/show work on registered passes", async () => {
    // A test pass: renames the graph, so its effect is visible in the IR.
    const rename: Pass = { name: "rename", summary: "renames the model", run: (p: Program) => ({ program: { ...p, graph: { ...p.graph, name: "renamed" } }, note: "renamed", applied: true }) };
    const s = await loaded({ passes: [rename] });
    expect(text(await s.execute(":passes list"))).toMatch(/the session's own passes, optimising for ot[\s\S]*rename\s+on, applied\s+renames the model/);
    expect(text(await s.execute(":ir"))).toContain("model renamed {");
    await s.execute(":passes disable rename");
    expect(text(await s.execute(":passes"))).toMatch(/rename\s+off/);
    expect(text(await s.execute(":ir"))).toContain("model m {");
    const show = text(await s.execute(":passes show rename"));
    // A diff, not the program twice: the changed line, and unchanged ones only as context.
    expect(show).toMatch(/--- before rename\n\+\+\+ after rename\n@@ -1,3 \+1,3 @@\n-model m \{\n\+model renamed \{\n {3}params /);
    expect(show).not.toContain("output");
    expect(errors(await s.execute(":passes show renam"))).toContain("did you mean rename?");
    expect(text(await s.execute(":passes enable rename"))).toContain("enabled");
  });

  it(":cost draws the forecast per layer as bars, one layer's primitives, and other backends", async () => {
    const s = await loaded();
    // by default the session's correlations (OT), priced to the byte
    const r = await s.execute(":cost");
    expect(text(r)).toContain("cost: forecast (ot)");
    expect(text(r)).toMatch(/m\/h\s+linear drelu select\s+[\d.]+ (?:B|KiB)\s+[\d.]+ (?:B|KiB)\s+\d+\/\d+\s+█+/);
    const one = text(await s.execute(":cost h"));
    expect(one).toContain("m/h:");
    expect(one).toMatch(/linear\s+linear\s+\d+ B/);
    expect(text(await s.execute(":cost ot-iknp"))).toContain("cost: forecast (ot-iknp)");
    expect(errors(await s.execute(":cost nope"))).toContain("unknown layer");
  });

  it(":run shows per-layer progress, the output and the per-layer table (plain and 2pc)", async () => {
    const s = await loaded();
    const progress: string[] = [];
    const plain = text(await s.execute(`:run ${f.input} plain`, { onProgress: (p) => progress.push(p) }));
    expect(plain).toContain("output 0: 0");
    expect(plain).toMatch(/m\/h\s+linear drelu select\s+shared i13\[2\] scale 2\^-3 nonneg\s+[\d.]+/);
    expect(progress).toEqual(["[1/2] m/h", "[2/2] m/output"]);
    const two = text(await s.execute(`:run ${f.input} 2pc`));
    expect(two).toContain("output 0: 0");
    expect(two).toContain("client→");
    // The last input is remembered.
    expect(text(await s.execute(":run"))).toContain("output 0: 0");
  });

  it("a failing :run shows its diagnostic and the REPL stays usable", async () => {
    const s = await loaded();
    expect(errors(await s.execute(":run /nonexistent.json"))).toContain("error PQ4010");
    const wrong = join(f.dir, "wrong.json");
    writeFileSync(wrong, JSON.stringify([1, 2]));
    expect(errors(await s.execute(`:run ${wrong}`))).toContain("error PQ4011");
    expect(text(await s.execute(`:run ${f.input}`))).toContain("output 0: 0");
  });

  it(":diff finds no difference between the backends", async () => {
    const s = await loaded();
    expect(text(await s.execute(`:diff ${f.input}`))).toContain("no difference: plain and 2pc give the same 1 output(s)");
  });

  it(":diff bisects to the first layer whose 2pc value differs (injected fault)", async () => {
    const dir = fixture();
    writeFileSync(dir.model, MODEL_TEXT.replace("let h = relu(linear(x, w))", "let a = linear(x, w)\n  let h = relu(a)"));
    // A faulty 2PC backend: any run that computes layer m/h returns a perturbed output.
    const faulty: Backends = {
      plain: inProcess.plain,
      async twoParty(g, ranges, inputs, opts) {
        const r = await inProcess.twoParty(g, ranges, inputs, opts);
        if (g.nodes.some((n) => n.origin.path === "m/h")) {
          const d = r.outputs[0]!.data as Float64Array;
          d[0] = d[0] === 0 ? 1 : 0;
        }
        return r;
      },
    };
    const s = new Session({ backends: faulty });
    await s.execute(`:load ${dir.model}`);
    const r = errors(await s.execute(`:diff ${dir.input}`));
    expect(r).toContain("first differing layer: m/h (drelu select)");
    expect(r).toMatch(/1 of 2 values differ; first at index 0: plain 37, 2pc 0/);
  });

  it(":trace reveals one layer's values behind a loud privacy banner", async () => {
    const s = await loaded();
    expect(errors(await s.execute(":trace h"))).toContain("no input");
    const r = await s.execute(`:trace h ${f.input}`);
    expect(r.blocks[0]).toMatchObject({ style: "notice" });
    expect(r.blocks[0]!.text).toContain("PRIVACY WARNING");
    expect(text(r)).toMatch(/node \d+ select: shared i13\[2\] scale 2\^-3 nonneg\n\s+values \[37, 0\]/);
    expect(errors(await s.execute(":trace hh"))).toContain("did you mean h?");
  });

  it(":correlations picks the provider of 2pc runs (ot by default); :seed the dealer's seed", async () => {
    const specs: string[] = [];
    const spy: Backends = { ...inProcess, twoParty: (g, r, i, opts) => (specs.push(opts.provider.kind === "dealer" ? `dealer:${opts.provider.seed}` : opts.provider.kind), inProcess.twoParty(g, r, i, opts)) };
    const s = await loaded({ backends: spy });
    expect(text(await s.execute(":correlations"))).toBe("correlations: ot");
    await s.execute(`:run ${f.input} 2pc`);
    expect(specs).toEqual(["ot"]);
    specs.length = 0;
    expect(text(await s.execute(":seed"))).toBe("seed: pq-default-seed");
    expect(text(await s.execute(":seed 42"))).toContain("seed: 42");
    expect(text(await s.execute(":correlations dealer"))).toContain("INSECURE");
    const a = await s.execute(`:run ${f.input} 2pc`);
    await s.execute(`:diff ${f.input}`);
    expect(specs).toEqual(["dealer:42", "dealer:42"]);
    expect(errors(await s.execute(":correlations frob"))).toContain("usage: :correlations ot|he|dealer");
    // Same seed, same run: the same outputs and the same bytes per layer.
    const bytes = (o: Output) => text(o).split("\n").filter((l) => l.startsWith("m/")).map((l) => l.split(/\s{2,}/).slice(0, 7).join("|"));
    expect(bytes(await s.execute(`:run ${f.input} 2pc`))).toEqual(bytes(a));
    expect(errors(await s.execute(":seed b$"))).toContain("usage");
    // HE for the products with server weights: private, the same outputs as the dealer's run
    specs.length = 0;
    expect(text(await s.execute(":correlations he"))).toContain("homomorphic encryption");
    const h = await s.execute(`:run ${f.input} 2pc`);
    expect(specs).toEqual(["he"]);
    expect(text(h).split("\n")[0]).toBe(text(a).split("\n")[0]);
    expect(text(await s.execute(":cost"))).toContain("cost: forecast (he)");
  }, 60_000);

  it(":protocols lists every op, every protocol's cost and proof, and the threat model", async () => {
    const t = text(await new Session().execute(":protocols"));
    expect(t).toMatch(/mul\s+interactive\s+element-wise product/);
    expect(t).toContain("mul: Element-wise multiplication of two shared values with a Beaver triple");
    expect(t).toMatch(/Cost \(dealer\): online each party sends 2·n·N bits/);
    expect(t).toContain("[proofs/mul.md]");
    expect(t).toContain("semi-honest");
    expect(t).toContain("trusted dealer");
    const files = readdirSync(join(import.meta.dirname, "../../interpreter/protocols")).filter((x) => x.endsWith(".ts"));
    expect(readProtocols().map((p) => p.name).sort()).toEqual(files.map((x) => x.replace(/\.ts$/, "")).sort());
  });

  it("parses a protocol header's summary, cost and proof", () => {
    const p = parseHeader("x", "// Does X. More.\n// Cost: n bits, 1 round. Proof: proofs/x.md.\nimport y;\n// not header");
    expect(p).toEqual({ name: "x", summary: "Does X.", cost: "Cost: n bits, 1 round.", proof: "proofs/x.md" });
  });

  it(":help lists every command; :quit quits; unknown commands suggest the nearest", async () => {
    const s = new Session();
    const h = text(await s.execute(":help"));
    for (const c of ["load", "reload", "ast", "ir", "passes", "cost", "run", "diff", "trace", "correlations", "seed", "protocols", "help", "quit"]) expect(h).toContain(`:${c}`);
    expect(text(await s.execute(":help run"))).toContain(":run INPUT... [plain|2pc]");
    expect((await s.execute(":quit")).quit).toBe(true);
    expect((await s.execute(":q")).quit).toBe(true);
    expect(errors(await s.execute(":lod x"))).toContain("unknown command ':lod'; did you mean :load?");
    expect(errors(await s.execute(":tarce"))).toContain("did you mean :trace?");
    expect(errors(await s.execute(":zzzzzz"))).not.toContain("did you mean");
    expect(nearest("pases", ["passes", "cost"])).toBe("passes");
  });

  it("cancelling a running job reports 'cancelled' and the session stays usable", async () => {
    const s = await loaded();
    for (const backend of ["plain", "2pc"]) {
      const r = await s.execute(`:run ${f.input} ${backend}`, { onProgress: () => s.cancel() });
      expect(text(r)).toBe("cancelled");
      expect(s.busy).toBe(false);
    }
    expect(s.cancel()).toBe(false);
    expect(text(await s.execute(`:run ${f.input}`))).toContain("output 0: 0");
  });
});

describe("REPL completion, history and line mode", () => {
  it("completes commands, layers, passes and file paths", async () => {
    const s = await loaded();
    expect(complete(":lo", s).candidates).toEqual([":load"]);
    expect(complete(":r", s).candidates).toEqual([":reload", ":run"]);
    expect(complete(":trace ", s).candidates).toEqual(["h", "output"]);
    expect(complete(":cost o", s).candidates).toEqual(["output"]);
    expect(complete(":passes e", s).candidates).toEqual(["enable"]);
    expect(complete(`:load ${f.dir}/m`, s).candidates).toEqual([`${f.dir}/m.pq`]);
    expect(complete(`:run ${f.dir}/i`, s).candidates).toEqual([`${f.dir}/in.json`]);
    expect(complete(":run 2", s).candidates).toEqual(["2pc"]);
    expect(complete("let", s).candidates).toEqual([]);
    expect(applyCompletion(":lo", complete(":lo", s))).toEqual({ line: ":load ", shown: [] });
    expect(applyCompletion(":r", complete(":r", s))).toEqual({ line: ":r", shown: [":reload", ":run"] });
    expect(applyCompletion(":re", complete(":re", s)).line).toBe(":reload ");
  });

  it("history persists in the config directory", () => {
    expect(historyFile({ PQ_CONFIG_DIR: "/x" })).toBe("/x/history");
    expect(historyFile({ XDG_CONFIG_HOME: "/c" })).toBe("/c/pq/history");
    expect(historyFile({ HOME: "/h" })).toMatch(/\.config\/pq\/history$/);
    const file = join(fixture().dir, "cfg", "history");
    const h = new History(file);
    h.add(":help");
    h.add(":help");
    h.add("let a = 1");
    expect(readFileSync(file, "utf8")).toBe(":help\nlet a = 1\n");
    expect(new History(file).entries).toEqual([":help", "let a = 1"]);
  });

  it("line mode echoes each line, prints its output, and exits 1 after an error", async () => {
    async function* lines(xs: string[]) {
      yield* xs;
    }
    let out = "";
    const code = await runLines(new Session(), lines(["input a: client i8[2]", ":bogus", ":quit", ":help"]), { out: (s) => (out += `${s}\n`) });
    expect(code).toBe(1);
    expect(out).toBe("pq> input a: client i8[2]\na: client i8[2]   values in [-128, 127]\npq> :bogus\nunknown command ':bogus' (:help lists the commands)\npq> :quit\n");
    let ok = "";
    expect(await runLines(new Session(), lines([":seed 1"]), { out: (s) => (ok += s) })).toBe(0);
  });
});
