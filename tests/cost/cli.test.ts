// `pq cost` and the runtime's warning when measurement and forecast differ by more than 5%.
import { runPipeline } from "../../compiler/passes/pipeline.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pq } from "../cli/harness.js";
import { parseResult } from "../cli/schema.js";
import { compileFile } from "../../compiler/lower.js";
import { forecast, type Forecast } from "../../compiler/cost/model.js";
import { compareForecast, forecastWarnings, formatWarning, type MeasuredReport } from "../../compiler/cost/compare.js";

const ROOT = join(import.meta.dirname, "..", "..");
const LENET = join(ROOT, "examples/mnist/lenet_w4a4.pq");

const dir = mkdtempSync(join(tmpdir(), "pq-cost-cli-"));
writeFileSync(join(dir, "m.params.json"), JSON.stringify({ format: "pq-params/1", tensors: { w: { shape: [2, 4], scale: 0.125, data: [1, 2, 3, 4, -1, -2, -3, -4] } } }));
const small = join(dir, "m.pq");
writeFileSync(small, 'model m {\n  input x: client u8[4]\n  params "m.params.json"\n  param w: i4[2, 4]\n  output argmax(relu(linear(x, w))) to client\n}\n');
const input = join(dir, "in.json");
writeFileSync(input, JSON.stringify({ shape: [4], data: [1, 0, 0, 9] }));

/** A measured report that says exactly what the forecast says (per layer, both parties). */
function reportOf(f: Forecast): MeasuredReport {
  const parties = ({ online: on, offline: off }: Pick<Forecast["totals"], "online" | "offline">) => ({
    client: { online: { sent: on.clientBytes, messages: on.clientMessages, rounds: on.clientRounds }, offline: { recv: off.clientRecv, messages: off.clientMessages, rounds: off.clientRounds } },
    server: { online: { sent: on.serverBytes, messages: on.serverMessages, rounds: on.serverRounds }, offline: { recv: off.serverRecv, messages: off.serverMessages, rounds: off.serverRounds } },
  });
  return { layers: f.layers.map((l) => ({ layer: l.layer, ...parties(l) })), totals: parties(f.totals) };
}

describe("pq cost", () => {
  it("prints the per-layer and per-primitive tables, totals and the legend for every backend", async () => {
    for (const b of ["dealer", "ot", "ot-iknp", "ot-silent"]) {
      const r = await pq("cost", LENET, "--correlations", b);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain("lenet/c1");
      expect(r.out).toContain("lenet/output");
      expect(r.out).toMatch(/^total /m);
      expect(r.out).toContain("client→/server→: forecast online bytes");
      expect(r.out).toContain(b);
    }
  });

  it("--json is the forecast in a pq-result/1 envelope (command, pipeline, correlations), with --pipeline", async () => {
    const r = await pq("cost", LENET, "--json", "--pipeline", "sirnn", "--correlations", "ot-silent");
    expect(r.code, r.err).toBe(0);
    const env = parseResult(r.out) as { command: string; model: string; pipeline: string; correlations: string; forecast: Omit<Forecast, "model"> };
    expect([env.command, env.model, env.pipeline, env.correlations]).toEqual(["cost", "lenet", "sirnn", "ot-silent"]);
    const j = env.forecast;
    expect(j.backend).toBe("ot-silent");
    const want = forecast(runPipeline(compileFile(LENET).program!, "sirnn", { target: "ot-silent" }).program, "ot-silent");
    expect(j.totals).toEqual(want.totals);
    expect(j.layers.map((l) => l.layer)).toEqual(want.layers.map((l) => l.layer));
  });

  it("--formulas prints the formula table; bad arguments are usage errors", async () => {
    const r = await pq("cost", small, "--formulas");
    expect(r.code).toBe(0);
    expect(r.out).toContain("cross_term_cost");
    expect((await pq("cost", small, "--correlations", "he")).code).toBe(0);
    expect((await pq("cost", small, "--correlations", "paillier")).code).toBe(2);
    expect((await pq("cost", small, "--pipeline", "nope")).code).toBe(2);
    expect((await pq("cost")).code).toBe(2);
    const bad = await pq("cost", small, "--pipeline", "eqo", "--budget", "lots");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--budget must be a number of bytes");
    const ok = await pq("cost", small, "--pipeline", "eqo", "--budget", "1.5MiB", "--correlations", "ot-iknp");
    expect(ok.code).toBe(0);
    // an approximate pass says so whenever it applies
    const conv = join(ROOT, "tests/passes/golden/winograd-quant/by-cost.pq");
    const eqo = await pq("cost", conv, "--pipeline", "eqo", "--correlations", "ot-iknp");
    expect(eqo.code).toBe(0);
    expect(eqo.err).toContain("pq: pass winograd-quant: APPROXIMATE");
    expect((await pq("cost", conv, "--pipeline", "pq", "--correlations", "ot-iknp")).err).not.toContain("APPROXIMATE");
  });
});

describe("forecast against measurement", () => {
  const f = forecast(compileFile(LENET).program!, "dealer");

  it("no warning when they agree; one line per layer (and the total) beyond 5%", () => {
    const rep = reportOf(f);
    expect(compareForecast(f.rows, rep)).toEqual([]);
    // within 5%: still quiet
    const c1 = rep.layers.find((l) => l.layer === "lenet/c1")!;
    const c1Bytes = c1.client.online.sent + c1.server.online.sent;
    c1.client.online.sent += Math.floor(0.04 * c1Bytes);
    expect(compareForecast(f.rows, rep)).toEqual([]);
    // beyond: the layer, and the total if it moves it enough
    c1.client.online.sent += Math.floor(0.5 * c1Bytes);
    const ws = compareForecast(f.rows, rep);
    expect(ws.map((w) => w.layer)).toContain("lenet/c1");
    const line = formatWarning(ws.find((w) => w.layer === "lenet/c1")!);
    expect(line).toMatch(/^pq: warning: lenet\/c1: measured \d+ bytes, forecast \d+ \(\+5\d\.\d%\)$/);
  });

  it("forecastWarnings (what pq run prints) turns a mismatch into lines, the total included", () => {
    const program = compileFile(LENET).program!;
    const rep = reportOf(f);
    expect(forecastWarnings(program, rep, "dealer")).toEqual([]);
    for (const l of rep.layers) l.server.online.sent *= 2;
    rep.totals.server.online.sent *= 2;
    const lines = forecastWarnings(program, rep, "dealer");
    expect(lines.some((l) => l.startsWith("pq: warning: lenet/h3: measured "))).toBe(true);
    expect(lines.at(-1)).toMatch(/^pq: warning: total: measured \d+ bytes, forecast \d+ \(\+\d+\.\d%\)$/);
  });

  it("forecastWarnings takes the run's provider: an OT run is held against the ot forecast", () => {
    const program = compileFile(LENET).program!;
    const ot = forecast(program, "ot");
    const rep = reportOf(ot);
    expect(forecastWarnings(program, rep, "ot")).toEqual([]);
    // the same run against the dealer's forecast differs by far more than 5%
    expect(forecastWarnings(program, rep, "dealer").length).toBeGreaterThan(0);
    rep.layers.find((l) => l.layer === "lenet/c1")!.client.online.sent *= 2;
    expect(forecastWarnings(program, rep, "ot").some((l) => l.startsWith("pq: warning: lenet/c1: measured "))).toBe(true);
  });

  it("pq run --backend 2pc prints no warning under either provider: the runtime's bytes are the forecast", async () => {
    for (const c of ["ot", "dealer"]) {
      const r = await pq("run", small, "--input", input, "--backend", "2pc", "--correlations", c);
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toContain("pq: warning");
    }
  });
});
