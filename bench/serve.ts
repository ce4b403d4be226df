// `npm run bench:serve`: `pq serve` as an operator runs it — its own process, TLS with a
// pinned key, sessions in worker threads — under load and faults on loopback:
//   load:    C clients at once (in this process, each pinning the key and the model); every
//            output is checked against the plaintext run; wall time and the server's peak RSS.
//   faults:  while a stalled client (connected, silent), a slowloris (one byte a second) and a
//            client that is killed mid-run hold connections, a good client still finishes
//            in time; a 1 GiB declared frame is refused at once and the server's RSS stays flat.
//   --haproxy: --servers N (2) `pq serve` processes (one key) behind HAProxy in TCP mode with a
//            health check on their probes (bench/haproxy.ts); C clients through it at once,
//            every output checked; per server: sessions served, peak RSS, exit code on SIGTERM.
//   --consecutive N: one server, N clients one after another (each a whole inference): per
//            inference its wall time, the server's RSS and this process's (the client's) RSS
//            after it — memory must not grow across inferences (SEAL's WASM heap never shrinks:
//            a leak would show here).
// Options: --clients C (16), --sessions N (2) per server, --dealer (the INSECURE dealer: faster;
// CI uses it), --he (`pq serve --correlations he`), --json (one JSON object, for
// tests/backend/serve.test.ts), --model FILE --input IN.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { tmpdir, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { compileFile } from "../compiler/lower.js";
import type { Graph } from "../compiler/ir.js";
import { loadInput } from "../interpreter/inputs.js";
import { runPlain } from "../interpreter/plain/run.js";
import { toBigints } from "../interpreter/plain/tensor.js";
import { connectAndRun } from "../interpreter/twopc/remote.js";
import { haproxyMissing, startHaproxy } from "./haproxy.js";
import { ROOT, startServe, writeKeys, type ServeProcess } from "./serve-process.js";
import { table } from "../cli/table.js";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TLS connection that pins nothing (raw bytes after the handshake): the attacker's side. */
function rawTls(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(s));
    s.on("error", reject);
  });
}

export interface ServeBench {
  clients: number;
  sessions: number;
  correlations: string;
  loadMs: number;
  correct: number;
  peakRssMiB: number;
  idleRssMiB: number;
  faults: { goodClientMs: number; goodCorrect: boolean; frameRefusedMs: number; rssBeforeMiB: number; rssAfterMiB: number; killedFreed: boolean; outcomes: string[] };
}

export interface HaproxyBench {
  servers: number;
  sessions: number;
  clients: number;
  correlations: string;
  loadMs: number;
  correct: number;
  /** Per server: sessions it logged as ok, its peak RSS (MiB), its exit code after SIGTERM. */
  perServer: { ok: number; peakRssMiB: number; exit: number | null }[];
}

interface Setup {
  clients: number;
  sessions: number;
  dealer: boolean;
  /** `pq serve` flags for the correlations (`--correlations he` under --he). */
  flags: string[];
  correlations: string;
  model: string;
  /** A client through `port` pinning `s`'s key and model; true when its output is the plaintext one. */
  client: (port: number, s: ServeProcess) => Promise<boolean>;
  dir: string;
  keys: string[];
}

function setup(): Setup {
  const dealer = process.argv.includes("--dealer");
  const he = process.argv.includes("--he");
  if (dealer && he) throw new Error("--dealer and --he exclude each other");
  const model = join(ROOT, arg("model", "examples/mnist/lenet_w8a8.pq"));
  const inputFile = join(ROOT, arg("input", "examples/mnist/digits/digit-3.png"));
  const g = compileFile(model).program!.graph;
  const inputs = (graph: Graph) => {
    const n = graph.nodes.find((x) => x.op === "input")!;
    return new Map([[n.attrs.name as string, loadInput(inputFile, n.attrs.name as string, n.type)]]);
  };
  const want = toBigints(runPlain(g, inputs(g)).outputs[0]!).join(",");
  const dir = mkdtempSync(join(tmpdir(), "pq-serve-bench-"));
  return {
    clients: Number(arg("clients", "16")), sessions: Number(arg("sessions", "2")), dealer, model, dir, keys: writeKeys(dir),
    flags: he ? ["--correlations", "he"] : [], correlations: dealer ? "dealer" : he ? "he" : "ot",
    client: (port, s) => connectAndRun("127.0.0.1", port, inputs, s.opts).then((r) => toBigints(r.outputs![0]!).join(",") === want, () => false),
  };
}

const machine = () => `machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load average ${loadavg().map((x) => x.toFixed(2)).join(" / ")}; ${new Date().toISOString()}`;
const oks = (s: ServeProcess) => s.lines.filter((l) => l.startsWith("{") && (JSON.parse(l) as { outcome: string }).outcome === "ok").length;

/** One server; C clients at once, then the faults beside a good client. */
async function loadAndFaults(b: Setup): Promise<void> {
  const { clients, sessions, dealer } = b;
  const server = await startServe(b.model, b.keys, ["--max-sessions", String(sessions), "--handshake-timeout", "3000", ...b.flags], dealer);
  try {
    await sleep(300);
    const idle = server.rss().now;
    const client = () => b.client(server.port, server);
    // Load: C clients at once.
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: clients }, client));
    const loadMs = performance.now() - t0;
    const peak = server.rss().peak;

    // Faults, all at once, then one good client.
    const before = server.rss().now;
    const stalled = net.connect({ host: "127.0.0.1", port: server.port });
    stalled.on("error", () => undefined);
    const slow = net.connect({ host: "127.0.0.1", port: server.port });
    slow.on("error", () => undefined);
    const drip = setInterval(() => slow.write(Uint8Array.of(0x16)), 1_000);
    // A 1 GiB declared frame after a real TLS handshake: refused at its prefix.
    const big = await rawTls(server.port);
    big.on("error", () => undefined);
    const tBig = performance.now();
    const refused = new Promise<number>((resolve) => big.once("close", () => resolve(performance.now() - tBig)));
    big.write(Buffer.from([0x40, 0, 0, 0, ...new Uint8Array(1 << 16)]));
    // A client killed mid-run: its session must end and free its slot.
    const killed = await rawTls(server.port);
    killed.on("error", () => undefined);
    killed.once("data", () => killed.destroy());
    const frameRefusedMs = await refused;
    const tGood = performance.now();
    const good = await client();
    const goodClientMs = performance.now() - tGood;
    const after = server.rss().now;
    clearInterval(drip);
    stalled.destroy();
    slow.destroy();
    await sleep(3_500); // the handshake deadline (3 s) ends whatever is left
    const outcomes = server.lines.filter((l) => l.startsWith("{")).map((l) => (JSON.parse(l) as { outcome: string }).outcome);
    const r: ServeBench = {
      clients, sessions, correlations: b.correlations, loadMs: Math.round(loadMs), correct: results.filter(Boolean).length,
      peakRssMiB: Math.round(peak), idleRssMiB: Math.round(idle),
      faults: { goodClientMs: Math.round(goodClientMs), goodCorrect: good, frameRefusedMs: Math.round(frameRefusedMs), rssBeforeMiB: Math.round(before), rssAfterMiB: Math.round(after), killedFreed: outcomes.length >= clients + 4, outcomes },
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(`pq serve under load: ${arg("model", "examples/mnist/lenet_w8a8.pq")}, TLS, --max-sessions ${sessions}, correlations ${r.correlations}`);
    console.log(machine());
    console.log(`load:   ${clients} concurrent clients, ${r.correct} correct, wall ${(r.loadMs / 1000).toFixed(1)} s; server RSS idle ${r.idleRssMiB} MiB, peak ${r.peakRssMiB} MiB`);
    console.log(`faults: stalled + slowloris + killed client + 1 GiB declared frame (refused in ${r.faults.frameRefusedMs} ms); a good client meanwhile: ${r.faults.goodCorrect ? "correct" : "WRONG"} in ${r.faults.goodClientMs} ms; server RSS ${r.faults.rssBeforeMiB} → ${r.faults.rssAfterMiB} MiB`);
    console.log(`sessions logged: ${outcomes.join(" ")}`);
  } finally {
    server.proc.kill("SIGTERM");
    await server.exited;
  }
}

/** N servers (one key) behind HAProxy in TCP mode, health-checked on their probes; C clients through it at once. */
async function behindHaproxy(b: Setup): Promise<void> {
  const missing = haproxyMissing();
  if (missing) throw new Error(missing);
  const n = Number(arg("servers", "2"));
  const servers = await Promise.all(Array.from({ length: n }, () => startServe(b.model, b.keys, ["--max-sessions", String(b.sessions), ...b.flags], b.dealer)));
  const proxy = await startHaproxy(b.dir, servers);
  try {
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: b.clients }, () => b.client(proxy.port, servers[0]!)));
    const loadMs = performance.now() - t0;
    const peaks = servers.map((s) => s.rss().peak);
    await proxy.stop();
    for (const s of servers) s.proc.kill("SIGTERM");
    const exits = await Promise.all(servers.map((s) => s.exited));
    const r: HaproxyBench = {
      servers: n, sessions: b.sessions, clients: b.clients, correlations: b.correlations, loadMs: Math.round(loadMs), correct: results.filter(Boolean).length,
      perServer: servers.map((s, i) => ({ ok: oks(s), peakRssMiB: Math.round(peaks[i]!), exit: exits[i]! })),
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(`pq serve behind HAProxy (TCP mode, leastconn, httpchk GET /healthz): ${arg("model", "examples/mnist/lenet_w8a8.pq")}, ${n} servers × --max-sessions ${b.sessions}, TLS (one key), correlations ${r.correlations}`);
    console.log(machine());
    console.log(`load:   ${b.clients} concurrent clients through HAProxy, ${r.correct} correct, wall ${(r.loadMs / 1000).toFixed(1)} s`);
    console.log(`per server: ${r.perServer.map((p, i) => `pq${i + 1} ${p.ok} sessions, peak RSS ${p.peakRssMiB} MiB, exit ${p.exit}`).join("; ")}`);
  } finally {
    if (proxy.proc.exitCode === null) await proxy.stop();
    for (const s of servers) if (s.proc.exitCode === null) s.proc.kill("SIGTERM");
  }
}

export interface ConsecutiveBench {
  correlations: string;
  /** Per inference, in order: wall ms, the server's RSS and the client's (this process's) RSS after it, MiB. */
  runs: { ms: number; correct: boolean; serverRssMiB: number; clientRssMiB: number }[];
  serverPeakRssMiB: number;
}

/** One server, N clients one after another: memory after each inference. */
async function consecutive(b: Setup, n: number): Promise<void> {
  const server = await startServe(b.model, b.keys, ["--max-sessions", "1", ...b.flags], b.dealer);
  const runs: ConsecutiveBench["runs"] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const correct = await b.client(server.port, server);
      const ms = performance.now() - t0;
      await sleep(200); // the session's worker thread exits
      runs.push({ ms: Math.round(ms), correct, serverRssMiB: Math.round(server.rss().now), clientRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) });
    }
    const r: ConsecutiveBench = { correlations: b.correlations, runs, serverPeakRssMiB: Math.round(server.rss().peak) };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(`pq serve, ${n} consecutive inferences on one server: ${arg("model", "examples/mnist/lenet_w8a8.pq")}, TLS, correlations ${r.correlations}`);
    console.log(machine());
    console.log(table(["#", "wall ms", "correct", "server RSS MiB", "client RSS MiB"], runs.map((x, i) => [String(i + 1), String(x.ms), x.correct ? "yes" : "NO", String(x.serverRssMiB), String(x.clientRssMiB)])));
    const last = runs[runs.length - 1]!;
    const second = runs[Math.min(1, runs.length - 1)]!;
    console.log(`growth from inference 2 to ${n}: server ${last.serverRssMiB - second.serverRssMiB} MiB, client ${last.clientRssMiB - second.clientRssMiB} MiB; server peak RSS ${r.serverPeakRssMiB} MiB`);
  } finally {
    server.proc.kill("SIGTERM");
    await server.exited;
  }
}

const b = setup();
try {
  const n = process.argv.includes("--consecutive") ? Number(arg("consecutive", "20")) : 0;
  await (n > 0 ? consecutive(b, n) : process.argv.includes("--haproxy") ? behindHaproxy(b) : loadAndFaults(b));
} finally {
  rmSync(b.dir, { recursive: true, force: true });
}
