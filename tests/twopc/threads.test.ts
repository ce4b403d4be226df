// Both parties on two threads (interpreter/twopc/threads.ts, what the compiled `pq run
// --backend 2pc` does): the server party in a worker thread over a MessageChannel. Under each
// private provider and the dealer, the outputs equal the plaintext backend's and every
// per-layer, per-party figure equals the forecast of a fresh session (base OTs and keys
// included), exactly; a failure in the server's thread reaches the caller as the server's
// own coded diagnostic, not as "the peer closed the connection". A server thread whose run
// succeeded takes the next run (warm); a failed one is not reused; it does not spend its
// time in full garbage collections.
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { forecast } from "../../compiler/cost/model.js";
import { agreement } from "../../compiler/cost/compare.js";
import { buildReport } from "../../cli/report.js";
import { PqError } from "../../grammar/diagnostics.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { runThreaded, threadsAvailable } from "../../interpreter/twopc/threads.js";

function load(file: string, target: "dealer" | "ot" | "he") {
  const program = runPipeline(compileFile(file).program!, "pq", { target }).program;
  const n = program.graph.nodes.find((x) => x.op === "input")!;
  const inputs = new Map([[n.attrs.name as string, loadInput("examples/mnist/digits/digit-7.png", n.attrs.name as string, n.type)]]);
  return { program, inputs };
}

describe("two parties on two threads", () => {
  it("the worker can start from the sources (through tsx)", () => {
    expect(threadsAvailable()).toBe(true);
  });

  for (const [kind, file] of [["dealer", "examples/mnist/mlp_w8a8.pq"], ["ot", "examples/mnist/mlp_w8a8.pq"], ["he", "examples/mnist/lenet_w8a8.pq"]] as const) {
    it(`${file} under ${kind}: the plaintext output, and every figure equal to a fresh session's forecast`, async () => {
      const { program, inputs } = load(file, kind);
      const r = await runTwoParty(program.graph, program.ranges, inputs, { provider: kind === "dealer" ? { kind, seed: "t" } : { kind }, threads: true, timeoutMs: 60_000 });
      expect(r.correlations).toBe(kind);
      expect(toBigints(r.outputs[0]!)).toEqual(toBigints(runPlain(program.graph, inputs).outputs[0]!));
      const report = buildReport(program.graph, r);
      const off = agreement(forecast(program, kind, { setup: true }).rows, report).filter((a) => a.measured !== a.forecast);
      expect(off).toEqual([]);
      if (kind !== "dealer") expect(r.server.some((m) => m.primitive === "base-ot")).toBe(true);
      if (kind === "he") expect([...r.heMs.server.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }, 120_000);
  }

  it("a failure in the server's thread is the server's diagnostic at the caller", async () => {
    const { program, inputs } = load("examples/mnist/mlp_w8a8.pq", "ot");
    // The server's thread gets a program without its weights: it fails, the client hears why.
    const graph = { ...program.graph, params: new Map() };
    const err = await runTwoParty(graph, program.ranges, inputs, { provider: { kind: "ot" }, threads: true, timeoutMs: 10_000 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PqError);
    const code = (err as PqError).diagnostics[0]!.code;
    expect(code).not.toBe("PQ5002");
    expect(code).not.toBe("PQ5003");
  }, 60_000);

  it("a server thread that ran well takes the next run; one that failed does not", async () => {
    const { program, inputs } = load("examples/mnist/mlp_w8a8.pq", "dealer");
    const run = (spec: { kind: "dealer"; seed: string }, graph = program.graph) => runThreaded(graph, program.ranges, inputs, spec, { timeoutMs: 10_000 });
    const a = await run({ kind: "dealer", seed: "a" });
    const b = await run({ kind: "dealer", seed: "b" });
    expect(b.serverThread).toBe(a.serverThread);
    expect(toBigints(b.outputs[0]!)).toEqual(toBigints(a.outputs[0]!));
    await expect(run({ kind: "dealer", seed: "c" }, { ...program.graph, params: new Map() })).rejects.toBeInstanceOf(PqError);
    const d = await run({ kind: "dealer", seed: "d" });
    expect(d.serverThread).not.toBe(a.serverThread);
  }, 60_000);

  it("the server's thread starts with the heap a party needs: a ResNet-20 run makes at most a few full collections there, not one every few layers", async () => {
    // party-worker.ts: without the 64 MiB start, 17–27 full collections per run were measured here.
    const program = compileFile("examples/cifar/resnet20.pq").program!;
    const n = program.graph.nodes.find((x) => x.op === "input")!;
    const inputs = new Map([[n.attrs.name as string, loadInput("examples/cifar/input.json", n.attrs.name as string, n.type)]]);
    const r = await runThreaded(program.graph, program.ranges, inputs, { kind: "dealer", seed: "gc" }, { timeoutMs: 60_000 });
    expect(r.server.majorGcs).toBeLessThanOrEqual(3);
  }, 120_000);
});
