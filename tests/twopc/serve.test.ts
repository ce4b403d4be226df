// `pq serve` as deployed (its own process, TLS, sessions in worker threads) under load and
// faults: bench/serve.ts at CI size — 16 concurrent LeNet clients (the dealer, for speed),
// every output correct, the server's peak RSS bounded; a stalled client, a slowloris and a
// client killed mid-run do not stop a good client; a 1 GiB declared frame is refused at once
// with the server's memory flat. SIGTERM drains: the live session completes, the health probe
// says 503, new connections are refused, exit 0. Two servers behind HAProxy (TCP mode, health
// checks on the probes) serve 32 clients, all correct. Needs the build (dist/), as CI's
// `npm ci` makes it, and HAProxy for the last tests (.ci/run installs it; skipped without).
// In tests/twopc, not tests/backend: the processes name their correlations, so the suites'
// PQ_PROVIDER / PQ_TRANSPORT reruns would repeat the same work.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { haproxyMissing } from "../../bench/haproxy.js";
import type { HaproxyBench, ServeBench } from "../../bench/serve.js";
import { health, startServe, writeKeys } from "../../bench/serve-process.js";
import { compileFile } from "../../compiler/lower.js";
import type { Graph } from "../../compiler/ir.js";
import { PqError } from "../../grammar/diagnostics.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { connectAndRun } from "../../interpreter/twopc/remote.js";

describe("pq serve under load and faults (dist/, worker threads)", () => {
  it("16 concurrent clients all correct, peak RSS < 512 MiB; faults refused or ended without delaying a good client", () => {
    const out = execFileSync(process.execPath, ["dist/bench/serve.js", "--clients", "16", "--sessions", "2", "--dealer", "--json"], { encoding: "utf8", timeout: 110_000 });
    const r = JSON.parse(out.trim().split("\n").pop()!) as ServeBench;
    expect(r.correct).toBe(16);
    expect(r.peakRssMiB).toBeLessThan(512);
    expect(r.faults.goodCorrect).toBe(true);
    expect(r.faults.goodClientMs).toBeLessThan(10_000);
    expect(r.faults.frameRefusedMs).toBeLessThan(1_000);
    expect(r.faults.rssAfterMiB - r.faults.rssBeforeMiB).toBeLessThan(64);
    expect(r.faults.outcomes).toContain("PQ5004"); // the 1 GiB frame
    expect(r.faults.outcomes).toContain("PQ5002"); // the killed client's session ended
    expect(r.faults.outcomes.filter((o) => o === "ok")).toHaveLength(17);
  }, 120_000);
});

describe("pq serve drains on SIGTERM (dist/)", () => {
  it("the live session completes and is correct, the probe says 503 draining, new connections are refused, exit 0", async () => {
    const model = "examples/mnist/lenet_w8a8.pq";
    const inputs = (graph: Graph) => {
      const n = graph.nodes.find((x) => x.op === "input")!;
      return new Map([[n.attrs.name as string, loadInput("examples/mnist/digits/digit-3.png", n.attrs.name as string, n.type)]]);
    };
    const g = compileFile(model).program!.graph;
    const want = toBigints(runPlain(g, inputs(g)).outputs[0]!);
    const dir = mkdtempSync(join(tmpdir(), "pq-drain-"));
    try {
      const s = await startServe(model, writeKeys(dir), ["--max-sessions", "1"], false);
      expect(await health(s)).toEqual({ status: 200, body: { live: 0, max: 1, pending: 0, draining: false } });
      const live = connectAndRun("127.0.0.1", s.port, inputs, s.opts);
      while ((await health(s)).body.live < 1) await new Promise((r) => setTimeout(r, 20));
      s.proc.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 100));
      expect(await health(s)).toEqual({ status: 503, body: { live: 1, max: 1, pending: 0, draining: true } });
      const refused = await connectAndRun("127.0.0.1", s.port, inputs, s.opts).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PqError);
      expect((refused as PqError).diagnostics[0]!.code).toBe("PQ5006"); // ECONNREFUSED: the listener is closed
      expect(toBigints((await live).outputs![0]!)).toEqual(want);
      expect(await s.exited).toBe(0);
      expect(s.err()).toMatch(/stopping: 1 live session\(s\) finish/);
      expect(s.lines.filter((l) => l.startsWith("{")).map((l) => (JSON.parse(l) as { outcome: string }).outcome)).toEqual(["ok"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

const noHaproxy = haproxyMissing();
if (noHaproxy) console.warn(`skipping the HAProxy scale-out test: ${noHaproxy}`);

describe("pq serve scales out behind HAProxy (dist/, haproxy)", () => {
  it.skipIf(noHaproxy !== undefined)("two servers (one key) behind HAProxy in TCP mode, health-checked on their probes: 32 clients all correct, both servers used, both exit 0 on SIGTERM", () => {
    const out = execFileSync(process.execPath, ["dist/bench/serve.js", "--haproxy", "--servers", "2", "--clients", "32", "--sessions", "2", "--dealer", "--model", "examples/mnist/mlp_w8a8.pq", "--json"], { encoding: "utf8", timeout: 110_000 });
    const r = JSON.parse(out.trim().split("\n").pop()!) as HaproxyBench;
    expect(r.correct).toBe(32);
    expect(r.perServer.map((p) => p.exit)).toEqual([0, 0]);
    expect(r.perServer.reduce((a, p) => a + p.ok, 0)).toBe(32);
    expect(Math.min(...r.perServer.map((p) => p.ok))).toBeGreaterThanOrEqual(8); // leastconn spreads them
  }, 120_000);

  it.skipIf(noHaproxy !== undefined)("deploy/haproxy.cfg, the documented configuration, is valid for HAProxy (haproxy -c)", () => {
    expect(execFileSync("haproxy", ["-c", "-f", "deploy/haproxy.cfg"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })).toMatch(/valid/);
  });
});
