// `npm run bench:serve`: `pq serve` as an operator runs it — its own process, TLS with a
// pinned key, sessions in worker threads — under load and faults on loopback:
//   load:    C clients at once (in this process, each pinning the key and the model); every
//            output is checked against the plaintext run; wall time and the server's peak RSS.
//   faults:  while a stalled client (connected, silent), a slowloris (one byte a second) and a
//            client that is killed mid-run hold connections, a good client still finishes
//            in time; a 1 GiB declared frame is refused at once and the server's RSS stays flat.
// Options: --clients C (16), --sessions N (2), --dealer (the INSECURE dealer: faster; CI uses
// it), --json (one JSON object, for tests/backend/serve.test.ts), --model FILE --input IN.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { tmpdir, cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { STDLIB_DIR } from "../compiler/modules.js";
import { compileFile } from "../compiler/lower.js";
import type { Graph } from "../compiler/ir.js";
import { loadInput } from "../interpreter/inputs.js";
import { runPlain } from "../interpreter/plain/run.js";
import { toBigints } from "../interpreter/plain/tensor.js";
import { connectAndRun, type ConnectRunOptions } from "../interpreter/twopc/remote.js";
import { selfSigned } from "../interpreter/twopc/tls.js";

const ROOT = dirname(STDLIB_DIR);
const PQ = join(ROOT, "dist", "cli", "main.js");

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

interface Server {
  proc: ChildProcess;
  port: number;
  opts: ConnectRunOptions;
  lines: string[];
  /** Resident and peak resident set size, MiB (Linux /proc). */
  rss(): { now: number; peak: number };
}

async function startServer(model: string, sessions: number, dealer: boolean, dir: string): Promise<Server> {
  const id = selfSigned();
  writeFileSync(join(dir, "cert.pem"), id.cert);
  writeFileSync(join(dir, "key.pem"), id.key);
  const proc = spawn(process.execPath, [PQ, "serve", model, "--port", "0", "--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem"),
    "--max-sessions", String(sessions), "--handshake-timeout", "3000", "--log-json", ...(dealer ? ["--insecure-dealer"] : [])], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const head = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const parts = out.split("\n");
      out = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        const m = /listening on [^:]+:(\d+) \(TLS, key sha256:([0-9a-f]{64}); model sha256:([0-9a-f]{64})/.exec(l);
        if (m) resolve(m);
      }
    });
    proc.on("exit", (code) => reject(new Error(`pq serve exited with ${code} before listening`)));
  });
  const status = (field: string) => Number(/(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8").split("\n").find((l) => l.startsWith(field)) ?? "0 kB")![1]) / 1024;
  return {
    proc, port: Number(head[1]), lines,
    opts: { tls: { pins: [head[2]!] }, expectModel: head[3]!, insecureDealer: dealer, retries: 0 },
    rss: () => ({ now: status("VmRSS:"), peak: status("VmHWM:") }),
  };
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

async function main(): Promise<void> {
  const clients = Number(arg("clients", "16"));
  const sessions = Number(arg("sessions", "2"));
  const dealer = process.argv.includes("--dealer");
  const model = join(ROOT, arg("model", "examples/mnist/lenet_w8a8.pq"));
  const inputFile = join(ROOT, arg("input", "examples/mnist/digits/digit-3.png"));
  const g = compileFile(model).program!.graph;
  const inputs = (graph: Graph) => {
    const n = graph.nodes.find((x) => x.op === "input")!;
    return new Map([[n.attrs.name as string, loadInput(inputFile, n.attrs.name as string, n.type)]]);
  };
  const want = toBigints(runPlain(g, inputs(g)).outputs[0]!).join(",");
  const dir = mkdtempSync(join(tmpdir(), "pq-serve-bench-"));
  const server = await startServer(model, sessions, dealer, dir);
  try {
    await sleep(300);
    const idle = server.rss().now;
    const client = () => connectAndRun("127.0.0.1", server.port, inputs, server.opts).then((r) => toBigints(r.outputs![0]!).join(",") === want, () => false);

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
      clients, sessions, correlations: dealer ? "dealer" : "ot", loadMs: Math.round(loadMs), correct: results.filter(Boolean).length,
      peakRssMiB: Math.round(peak), idleRssMiB: Math.round(idle),
      faults: { goodClientMs: Math.round(goodClientMs), goodCorrect: good, frameRefusedMs: Math.round(frameRefusedMs), rssBeforeMiB: Math.round(before), rssAfterMiB: Math.round(after), killedFreed: outcomes.length >= clients + 4, outcomes },
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(`pq serve under load: ${arg("model", "examples/mnist/lenet_w8a8.pq")}, TLS, --max-sessions ${sessions}, correlations ${r.correlations}`);
    console.log(`machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load average ${loadavg().map((x) => x.toFixed(2)).join(" / ")}; ${new Date().toISOString()}`);
    console.log(`load:   ${clients} concurrent clients, ${r.correct} correct, wall ${(r.loadMs / 1000).toFixed(1)} s; server RSS idle ${r.idleRssMiB} MiB, peak ${r.peakRssMiB} MiB`);
    console.log(`faults: stalled + slowloris + killed client + 1 GiB declared frame (refused in ${r.faults.frameRefusedMs} ms); a good client meanwhile: ${r.faults.goodCorrect ? "correct" : "WRONG"} in ${r.faults.goodClientMs} ms; server RSS ${r.faults.rssBeforeMiB} → ${r.faults.rssAfterMiB} MiB`);
    console.log(`sessions logged: ${outcomes.join(" ")}`);
  } finally {
    server.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
