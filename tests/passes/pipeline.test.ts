// The pipeline itself: names are checked, every pass says what it did, and a pass whose
// result the cost model forecasts to communicate more is reverted (in `pq`).
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { PASSES, PIPELINES, runPipeline } from "../../compiler/passes/pipeline.js";
import { rebuild } from "../../compiler/passes/builder.js";
import type { Pass } from "../../compiler/passes/pass.js";
import { PqError } from "../../grammar/diagnostics.js";
import { forecast } from "../../compiler/cost/model.js";

const LENET = "examples/mnist/lenet_w8a8.pq";

describe("pass pipeline", () => {
  it("rejects unknown pipeline and pass names with PQ9002 and a suggestion", () => {
    const p = compileFile(LENET).program!;
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof PqError ? `${e.diagnostics[0]!.code} ${e.diagnostics[0]!.message}` : String(e);
      }
      return "no error";
    };
    expect(code(() => runPipeline(p, "pqq"))).toMatch(/^PQ9002 .*did you mean 'pq'/);
    expect(code(() => runPipeline(p, "pq", { disable: ["winogrd"] }))).toMatch(/^PQ9002 .*did you mean 'winograd'/);
  });

  it("logs every pass of pq with a note, in order; --disable skips one", () => {
    const p = compileFile(LENET).program!;
    const { log } = runPipeline(p, "pq", { disable: ["winograd"] });
    expect(log.map((l) => l.pass)).toEqual(PIPELINES.pq);
    expect(log.find((l) => l.pass === "winograd")!.note).toBe("disabled");
    for (const l of log) expect(l.note.length).toBeGreaterThan(0);
  });

  it("reverts a pass that the forecast says adds communication", () => {
    const p = compileFile(LENET).program!;
    // A pass that widens the last linear layer (it feeds argmax): same values, more bytes.
    const bloat: Pass = {
      name: "test-bloat",
      summary: "widens an accumulator",
      run: (q) => {
        const target = [...q.graph.nodes].reverse().find((n) => n.op === "linear")!;
        const program = rebuild(q, (n, map, b) => (n.id === target.id ? b.add(n.op, n.inputs.map(map), n.attrs, n.origin, { bits: 60, signed: true, nonneg: false }) : undefined));
        return { program, note: "widened one linear layer to 60 bits", applied: true };
      },
    };
    PASSES["test-bloat"] = bloat;
    PIPELINES["test"] = ["test-bloat"];
    try {
      const kept = runPipeline(p, "test", { guard: false });
      const total = (q: typeof p) => forecast(q, "dealer").totals.online.clientBytes;
      expect(total(kept.program)).toBeGreaterThan(total(p));
      const guarded = runPipeline(p, "test", { guard: true });
      expect(guarded.program).toBe(p);
      expect(guarded.log[0]!.applied).toBe(false);
      expect(guarded.log[0]!.note).toMatch(/^reverted: the forecast \(dealer\) grows/);
    } finally {
      delete PASSES["test-bloat"];
      delete PIPELINES["test"];
    }
  });
});
