// What a user sees around the results: the pipeline's notes (one line unless --verbose),
// per-layer progress (counted as the report counts layers; a terminal's status line, or sparse
// plain lines), tables fitted to a terminal's width, and per-layer types as the source declares them.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../cli/commands.js";
import { pipelineNotes } from "../../cli/common.js";
import { layerCounter, layerProgress, Status } from "../../cli/progress.js";
import { buildReport } from "../../cli/report.js";
import { elide, table, terminalWidth } from "../../cli/table.js";
import { declaredTypes, layerOrder } from "../../compiler/layers.js";
import { compileFile } from "../../compiler/lower.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { formatType } from "../../compiler/types.js";
import { readInputs } from "../../interpreter/inputs.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { Session } from "../../cli/repl/session.js";
import { pq } from "./harness.js";
import { parseResult } from "./schema.js";

const ROOT = join(import.meta.dirname, "..", "..");
const MLP = join(ROOT, "examples/mnist/mlp_w8a8.pq");
const DIGIT = join(ROOT, "examples/mnist/digits/digit-7.png");

describe("the pipeline's notes", () => {
  it("are one summary line by default and every pass's note with --verbose, for each command that compiles", async () => {
    for (const args of [["compile", MLP], ["cost", MLP], ["run", MLP, "--input", DIGIT]]) {
      const quiet = await pq(...args);
      expect(quiet.code).toBe(0);
      expect(quiet.err).toBe("pq: pipeline pq: 3 of 8 passes applied, 5 did not apply (--verbose says why)\n");
      const verbose = await pq(...args, "--verbose");
      expect(verbose.err).toMatch(/^pq: pass fuse-batchnorm did not apply: no batchnorm/m);
      expect(verbose.err).toMatch(/^pq: pass headroom applied: /m);
      expect(verbose.err).toMatch(/^ +mlp\/h1 \(requant, 8 → 9 bits\)$/m);
    }
    // Every command that runs the pipeline takes --verbose and documents it.
    for (const c of COMMANDS.filter((x) => "pipeline" in x.options)) expect(c.options.verbose?.help).toMatch(/every pass/);
    expect((await pq("compile", MLP, "--pipeline", "none")).err).toBe("");
  });

  it("count disabled passes apart, and always say an approximate pass applied", () => {
    const log = [
      { pass: "a", applied: true, note: "APPROXIMATE: error ≤ 1\nper layer" },
      { pass: "b", applied: false, note: "disabled" },
      { pass: "c", applied: false, note: "nothing to do" },
    ];
    expect(pipelineNotes("x", log, false)).toEqual(["pq: pipeline x: 1 of 3 passes applied, 1 did not apply, 1 disabled (--verbose says why)", "pq: pass a: APPROXIMATE: error ≤ 1"]);
    expect(pipelineNotes("x", log.slice(0, 2), false)).toEqual(["pq: pass a: APPROXIMATE: error ≤ 1"]);
    expect(pipelineNotes("x", log, true)).toEqual(["pq: pass a applied: APPROXIMATE: error ≤ 1", "      per layer", "pq: pass b disabled", "pq: pass c did not apply: nothing to do"]);
  });

  it("always say that a program discloses something of the weights (reweight), on pq run, cost and serve alike", async () => {
    expect(pipelineNotes("x", [{ pass: "r", applied: true, note: "DISCLOSES to the client …\nlayer 1" }], false)).toEqual(["pq: pass r: DISCLOSES to the client …"]);
    const r = await pq("cost", "examples/resnet/mnist_relu_w8a8.pq", "--pipeline", "reweight", "--correlations", "ot");
    expect(r.err).toMatch(/pq: pass reweight: DISCLOSES to the client the positions \(not the values\) of the weights in the high planes of \d+ re-weighted layers/);
  }, 60_000);
});

describe("progress", () => {
  const sink = (isTTY: boolean) => {
    const writes: string[] = [];
    return { isTTY, writes, write: (s: string) => writes.push(s) };
  };

  it("on a terminal repaints one status line and erases it at the end", () => {
    const s = sink(true);
    const p = layerProgress(["m/a", "m/b"], new Status(s));
    for (const path of ["m/w", "m/a", "m/a", "m/b"]) p.layer(path);
    p.done();
    expect(s.writes).toEqual(["\r\x1b[K[1/2] m/a", "\r\x1b[K[2/2] m/b", "\r\x1b[K"]);
  });

  it("elsewhere writes a plain line at most every 10 s: none for a short run", () => {
    let t = 0;
    const s = sink(false);
    const status = new Status(s, () => t);
    status.show("[1/3] m/a");
    t = 9_000;
    status.show("[2/3] m/b");
    t = 12_000;
    status.show("[3/3] m/c");
    status.done();
    expect(s.writes).toEqual(["pq: [3/3] m/c (12 s)\n"]);
  });

  it("of a two-party run counts the layers of its report (not parameters), and ends at N/N", async () => {
    const program = runPipeline(compileFile(join(ROOT, "examples/mnist/lenet_w8a8.pq")).program!, "pq", { target: "dealer" }).program;
    const g = program.graph;
    const layers = layerOrder(g).map((l) => l.layer);
    expect(new Set(g.nodes.map((n) => n.origin.path)).size).toBeGreaterThan(layers.length);
    const shown: string[] = [];
    const count = layerCounter(layers);
    const r = await runTwoParty(g, program.ranges, readInputs(g, [DIGIT]), {
      provider: { kind: "dealer", seed: "s" },
      onLayer: (path) => {
        const t = count(path);
        if (t !== undefined) shown.push(t);
      },
    });
    const rows = buildReport(g, r).layers.filter((l) => l.layer !== "setup");
    expect(shown.at(-1)).toBe(`[${rows.length}/${rows.length}] lenet/output`);
    expect(shown.map((t) => t.replace(/^\[\d+\/\d+\] /, ""))).toEqual(rows.map((l) => l.layer).filter((l) => shown.some((t) => t.endsWith(` ${l}`))));
  });
});

describe("tables", () => {
  const header = ["layer", "ops", "client→", "rounds"];
  const rows = [["m/conv1", "conv2d drelu select requant zext", "6.52 MiB", "16/19"], ["m/out", "linear argmax reveal", "1 B", "1/1"]];

  it("fit a terminal's width by eliding the widest text column with '…'; unchanged when not a terminal", () => {
    const full = table(header, rows, ["total", "", "6.52 MiB", "17/20"], undefined);
    expect(full).toContain("conv2d drelu select requant zext");
    const fitted = table(header, rows, ["total", "", "6.52 MiB", "17/20"], 40);
    for (const l of fitted.split("\n")) expect([...l].length).toBeLessThanOrEqual(40);
    expect(fitted).toContain("m/conv1  conv2d drelu…  6.52 MiB  16/19");
    expect(fitted).toContain("m/conv1");
    expect(fitted).toContain("6.52 MiB");
    expect(elide("abcdef", 4)).toBe("abc…");
    expect(terminalWidth({ isTTY: true, columns: 80 })).toBe(80);
    expect(terminalWidth({ isTTY: false, columns: 80 })).toBeUndefined();
  });
});

describe("per-layer types", () => {
  it("are the declared ones (`as u8`), not the passes' wider internal rings, in pq run, --json and the REPL", async () => {
    const lowered = compileFile(MLP).program!;
    const optimised = runPipeline(lowered, "pq").program;
    // headroom computes h1 with a spare bit; the layer is still declared u8.
    expect(formatType(optimised.graph.nodes.filter((n) => n.origin.path === "mlp/h1").at(-1)!.type)).toMatch(/^shared u9\[128\]/);
    expect(formatType(declaredTypes(lowered.graph).get("mlp/h1")!)).toMatch(/^shared u8\[128\]/);
    const j = parseResult((await pq("run", MLP, "--input", DIGIT, "--json")).out) as { layers: { type: string }[] };
    expect(j.layers.map((l) => l.type.split(" ").slice(0, 2).join(" "))).toEqual(["shared u8[128]", "shared u8[64]", "shared u4"]);
    const text = (await pq("run", MLP, "--input", DIGIT)).out;
    expect(text).toMatch(/mlp\/h1 .* shared u8\[128\]/);
    expect(text).not.toMatch(/u9/);
    const s = new Session();
    await s.execute(`:load ${MLP}`);
    const r = await s.execute(`:run ${DIGIT}`);
    expect(r.blocks.map((b) => b.text).join("\n")).toMatch(/mlp\/h2 .* shared u8\[64\]/);
  });
});
