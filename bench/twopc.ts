// `npm run bench:2pc`: the two-party backend on whole networks (LeNet on MNIST, ResNet-20
// and ResNet-18 on CIFAR), both parties in this thread over the in-memory channel, with
// dealer correlations. Per network: plaintext time, two-party total time (the median of 3
// after a warm-up, as for plaintext), the dealers' (offline) share of it, online = total −
// offline, online / plaintext, online bytes and rounds per party, offline bytes, peak RSS;
// the same run on two threads as `pq run --backend 2pc` runs it (wall clock and CPU, the
// server's thread warm); and a check that every two-party output equals the plaintext output. Targets: online ≤ 10× plaintext on ResNet-20; the ResNet-18
// two-party run under 2 GB of peak RSS. Beside pq's ResNet-20 and LeNet figures, CrypTen's from
// a table (bench/crypten.json, docs/PEERS.md; `--vs-crypten FILE` for another): online bytes,
// CPU time (pq's: the process's CPU time over the two-party run, both parties and their
// dealers in this one process) and their ratios. `--pipeline NAME` runs the program after a
// pass pipeline (default: as lowered).
//
// Each network runs in a child process (this file with `--one NAME`): a process's peak RSS
// can only grow, so one process per network is the only way each peak is that network's.
// The children run one after the other (never two at once: they would share the cores and
// distort each other's timings), and every ratio is computed from figures of one child's run.
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Graph } from "../compiler/ir.js";
import type { Interval } from "../compiler/ops.js";
import { compileFile } from "../compiler/lower.js";
import { PIPELINES, runPipeline } from "../compiler/passes/pipeline.js";
import { STDLIB_DIR } from "../compiler/modules.js";
import { formatDiagnostic } from "../grammar/diagnostics.js";
import { loadInput } from "../interpreter/inputs.js";
import { runPlain } from "../interpreter/plain/run.js";
import { toBigints, type Tensor } from "../interpreter/plain/tensor.js";
import { runBoth } from "../interpreter/twopc/local.js";
import { totals } from "../interpreter/twopc/meter.js";
import { runParty } from "../interpreter/twopc/run.js";
import { runThreaded } from "../interpreter/twopc/threads.js";
import { comparisonRows, readPeerTable } from "./crypten.js";

const ROOT = dirname(STDLIB_DIR);

interface Net {
  name: string;
  file: string;
  input: string;
}

// ResNet-18 last: it is the slowest, and a failure there should not hide the others.
const NETS: Net[] = [
  { name: "LeNet", file: join(ROOT, "examples", "mnist", "lenet_w8a8.pq"), input: join(ROOT, "examples", "mnist", "digits", "digit-7.png") },
  { name: "ResNet-20", file: join(ROOT, "examples", "cifar", "resnet20.pq"), input: join(ROOT, "examples", "cifar", "input.json") },
  { name: "ResNet-18", file: join(ROOT, "examples", "cifar", "resnet18.pq"), input: join(ROOT, "examples", "cifar", "input.json") },
];

/** What a child reports to the parent, as one JSON line on stdout. */
interface Result {
  name: string;
  plainMs: number;
  totalMs: number;
  offlineMs: number;
  onlineMs: number;
  /** Process CPU time (user + system) over the two-party run: both parties and their dealers. */
  cpuMs: number;
  /** The same run on two threads (runThreaded, the server's thread warm): wall clock and process CPU time, dealers included. */
  threadsMs: number;
  threadsCpuMs: number;
  /** Online bytes each party wrote on the channel, 10-byte frame headers included. */
  clientSent: number;
  serverSent: number;
  clientRounds: number;
  serverRounds: number;
  messages: number;
  /** Correlated randomness the dealer delivered (to either party). */
  offlineBytes: number;
  /** Peak RSS after compiling and the plaintext runs, and at the end (after the 2PC run), MiB. */
  rssBefore2pcMiB: number;
  peakRssMiB: number;
  plainOutput: string;
  twopcOutput: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// maxRSS is in kilobytes (libuv's getrusage).
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

const outputText = (ts: readonly Tensor[]): string => ts.map((t) => toBigints(t).join(",")).join(" ");

/** The program as lowered (pipeline none), or after a pass pipeline for the dealer (as `pq run --backend 2pc --correlations dealer --pipeline NAME`). */
function compileOrThrow(file: string, pipeline: string): { graph: Graph; ranges: Interval[] } {
  const r = compileFile(file);
  if (!r.program) throw new Error(`${file} does not compile:\n${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}`);
  const p = pipeline === "none" ? r.program : runPipeline(r.program, pipeline, { target: "dealer" }).program;
  return { graph: p.graph, ranges: p.ranges };
}

async function measure(net: Net, pipeline: string): Promise<Result> {
  const { graph: g, ranges } = compileOrThrow(net.file, pipeline);
  const ins = g.nodes.filter((n) => n.op === "input");
  if (ins.length !== 1) throw new Error(`${net.name}: the benchmark expects one input, found ${ins.length}`);
  const name = ins[0]!.attrs.name as string;
  const inputs = new Map([[name, loadInput(net.input, name, ins[0]!.type)]]);

  // Plaintext: one warm-up run (JIT); its measurements are taken beside each two-party run below.
  let plainOutput = outputText(runPlain(g, inputs).outputs);
  const plainTime = (): number => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      plainOutput = outputText(runPlain(g, inputs).outputs);
      times.push(performance.now() - t0);
    }
    return median(times);
  };
  const rssBefore2pcMiB = peakRssMiB();

  // Two-party: runBoth + runParty rather than runTwoParty, to reach the parties' providers.
  // A warm-up run (JIT), then 3 measured runs, each right after a plaintext measurement (the
  // median of 3 plaintext runs), so that each ratio compares two figures taken moments apart
  // on a machine whose speed drifts; the row is the pair with the median ratio, every figure
  // of it from that pair.
  const layers = new Set(g.nodes.map((n) => n.origin.path)).size;
  const tty = process.stderr.isTTY === true;
  const twoParty = async (seed: string, label: string) => {
    let current = "";
    let done = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await runBoth(
      (p) => runParty(p, g, ranges, inputs, {
        onNode: (n) => {
          if (!tty || n.origin.path === current) return;
          current = n.origin.path;
          process.stderr.write(`\r\x1b[K${net.name} 2PC ${label} [${++done}/${layers}] ${current}`);
        },
      }),
      (p) => runParty(p, g, ranges, undefined),
      // A ResNet-18 layer can keep one party busy well past the default 30 s per message.
      { provider: { kind: "dealer", seed }, timeoutMs: 3_600_000 },
    );
    const totalMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // Both dealers run in this one thread, interleaved with the protocols: their times add.
    const offlineMs = r.parties[0].corr.offlineMs + r.parties[1].corr.offlineMs;
    return { r, totalMs, offlineMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  await twoParty("pq-bench-warm-up", "warm-up");
  const measured: ({ plainMs: number } & Awaited<ReturnType<typeof twoParty>>)[] = [];
  for (let k = 1; k <= 3; k++) {
    const plainMs = plainTime();
    measured.push({ plainMs, ...(await twoParty(`pq-bench-seed-${k}`, `${k}/3`)) });
  }
  if (tty) process.stderr.write("\r\x1b[K");
  const ratio = (m: (typeof measured)[number]): number => (m.totalMs - m.offlineMs) / m.plainMs;
  measured.sort((x, y) => ratio(x) - ratio(y));
  const { r, totalMs, offlineMs, cpuMs, plainMs } = measured[1]!;

  const [client, server] = r.parties;

  // (The peak of the runs in this thread; the threaded run's server has a heap of its own.)
  const peakRss = peakRssMiB();

  // The same on two threads, as `pq run --backend 2pc` runs it (threads.ts): the server's
  // thread warm from a first run, then one measured run (wall clock, both threads' CPU).
  await runThreaded(g, ranges, inputs, { kind: "dealer", seed: "pq-bench-threads-warm-up" }, { timeoutMs: 3_600_000 });
  const tt0 = performance.now();
  const tcpu0 = process.cpuUsage();
  const threaded = await runThreaded(g, ranges, inputs, { kind: "dealer", seed: "pq-bench-threads" }, { timeoutMs: 3_600_000 });
  const threadsMs = performance.now() - tt0;
  const tcpu = process.cpuUsage(tcpu0);
  if (outputText(threaded.outputs) !== outputText(r.client ?? [])) throw new Error(`${net.name}: the run on two threads gave another output`);
  const cRows = client.meter.report();
  const sRows = server.meter.report();
  const cOn = totals(cRows, "online");
  const sOn = totals(sRows, "online");
  return {
    name: net.name,
    plainMs,
    totalMs,
    offlineMs,
    onlineMs: totalMs - offlineMs,
    cpuMs,
    threadsMs,
    threadsCpuMs: (tcpu.user + tcpu.system) / 1000,
    clientSent: cOn.sent,
    serverSent: sOn.sent,
    clientRounds: cOn.rounds,
    serverRounds: sOn.rounds,
    messages: cOn.messages + sOn.messages,
    offlineBytes: totals(cRows, "offline").recv + totals(sRows, "offline").recv,
    rssBefore2pcMiB,
    peakRssMiB: peakRss,
    plainOutput,
    twopcOutput: outputText(r.client ?? []),
  };
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

/** `[NETWORK …] [--pipeline NAME] [--vs-crypten FILE]`, and `--one NETWORK` for a child. */
function parseArgs(argv: readonly string[]): { only: string[]; one?: string; pipeline: string; crypten: string } {
  const out: { only: string[]; one?: string; pipeline: string; crypten: string } = { only: [], pipeline: "none", crypten: join(ROOT, "bench", "crypten.json") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-")) {
      out.only.push(a);
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === "--one") out.one = v;
    else if (a === "--pipeline") out.pipeline = v;
    else if (a === "--vs-crypten") out.crypten = v;
    else throw new Error(`unknown option ${a}; options: --pipeline NAME, --vs-crypten FILE`);
  }
  if (!(out.pipeline in PIPELINES)) throw new Error(`unknown pipeline ${out.pipeline}; one of ${Object.keys(PIPELINES).join(", ")}`);
  for (const n of out.only) if (!NETS.some((x) => x.name === n)) throw new Error(`unknown network ${n}; one of ${NETS.map((x) => x.name).join(", ")}`);
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.one !== undefined) {
    const net = NETS.find((n) => n.name === args.one);
    if (!net) throw new Error(`unknown network ${args.one}; one of ${NETS.map((n) => n.name).join(", ")}`);
    process.stdout.write(`${JSON.stringify(await measure(net, args.pipeline))}\n`);
    return;
  }
  // Read before the runs: a bad table fails at once, not after minutes of two-party runs.
  const crypten = readPeerTable(args.crypten);

  const cpu = cpus();
  const la = loadavg();
  console.log("pq two-party benchmarks (both parties in one process, in-memory channel, dealer correlations)");
  console.log(`machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`);
  // Timings on a busy machine are not comparable: say how busy it was.
  console.log(`load average at start (1/5/15 min): ${la.map((x) => x.toFixed(2)).join(" / ")}`);
  console.log(`date: ${new Date().toISOString()}`);
  if (args.pipeline !== "none") console.log(`pipeline: ${args.pipeline} (passes for dealer correlations, as pq run --backend 2pc --correlations dealer --pipeline ${args.pipeline})`);
  console.log();

  const only = args.only;
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  let failed = false;
  for (const net of NETS) {
    if (only.length > 0 && !only.includes(net.name)) continue;
    console.log(`${net.name}: ${net.file.slice(ROOT.length + 1)} on ${net.input.slice(ROOT.length + 1)}`);
    let r: Result;
    try {
      const out = execFileSync(process.execPath, [self, "--one", net.name, "--pipeline", args.pipeline], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
      r = JSON.parse(out.toString().trim().split("\n").pop()!) as Result;
    } catch (e) {
      console.log(`  FAILED: ${(e as Error).message.split("\n")[0]}`);
      failed = true;
      continue;
    }
    const same = r.plainOutput === r.twopcOutput;
    if (!same) failed = true;
    console.log(`  plaintext output ${r.plainOutput}, two-party output ${r.twopcOutput}: ${same ? "equal" : "DIFFERENT"}`);
    console.log(`  plaintext ${r.plainMs.toFixed(1)} ms (median of 3); two-party ${(r.totalMs / 1000).toFixed(2)} s (the pair with the median ratio of 3, after warm-ups) = ` +
      `${(r.offlineMs / 1000).toFixed(2)} s dealer (offline) + ${(r.onlineMs / 1000).toFixed(2)} s online; online / plaintext ${(r.onlineMs / r.plainMs).toFixed(1)}×; ` +
      `CPU ${(r.cpuMs / 1000).toFixed(2)} s`);
    console.log(`  on two threads (as pq run --backend 2pc, the server's thread warm): ${(r.threadsMs / 1000).toFixed(2)} s wall, dealers included; CPU ${(r.threadsCpuMs / 1000).toFixed(2)} s`);
    console.log(`  online: client sent ${mib(r.clientSent)}, server sent ${mib(r.serverSent)}, ${r.clientRounds}/${r.serverRounds} rounds (client/server), ${r.messages} messages; offline ${mib(r.offlineBytes)}`);
    console.log(`  peak RSS ${r.peakRssMiB.toFixed(0)} MiB (${r.rssBefore2pcMiB.toFixed(0)} MiB after compiling and the plaintext runs)`);
    results.push(r);
  }

  console.log();
  console.log(table(
    ["network", "plain ms", "2PC s", "offline s", "online s", "online/plain", "client→", "server→", "rounds c/s", "offline B", "peak RSS", "output"],
    results.map((r) => [
      r.name, r.plainMs.toFixed(1), (r.totalMs / 1000).toFixed(2), (r.offlineMs / 1000).toFixed(2), (r.onlineMs / 1000).toFixed(2),
      `${(r.onlineMs / r.plainMs).toFixed(1)}×`, mib(r.clientSent), mib(r.serverSent), `${r.clientRounds}/${r.serverRounds}`,
      mib(r.offlineBytes), `${r.peakRssMiB.toFixed(0)} MiB`, r.plainOutput === r.twopcOutput ? `${r.twopcOutput} = plain` : "MISMATCH",
    ]),
  ));
  console.log("2PC s: wall clock of the two-party run; offline s: time both dealers spent making correlations, with the client's input-independent products (interleaved, same thread);");
  console.log("online s = 2PC − offline; client→/server→: online bytes each party sent, 10-byte frame headers included; offline B: dealer → parties;");
  console.log("peak RSS: the network's own process (compile + plaintext + 2PC in one thread). All figures of a row come from one run (of 3: the median ratio).");

  console.log();
  const r20 = results.find((r) => r.name === "ResNet-20");
  if (r20) {
    const x = r20.onlineMs / r20.plainMs;
    console.log(`target: ResNet-20 online ≤ 10× plaintext: ${x.toFixed(1)}×  ${x <= 10 ? "ok" : "OVER TARGET"}`);
  }
  const r18 = results.find((r) => r.name === "ResNet-18");
  if (r18) console.log(`target: ResNet-18 two-party run under 2 GB peak RSS: ${r18.peakRssMiB.toFixed(0)} MiB  ${r18.peakRssMiB < 2048 ? "ok" : "OVER TARGET"}`);

  const vs = comparisonRows(crypten, results.map((r) => ({
    network: r.name, onlineBytes: r.clientSent + r.serverSent, cpuMs: r.cpuMs, totalMs: r.totalMs, offlineMs: r.offlineMs, plainMs: r.plainMs,
  })));
  if (vs.rows.length > 0) {
    if (r20 || r18) console.log();
    console.log(`next to ${crypten.peer} (${crypten.setup}):`);
    console.log(table(vs.head, vs.rows));
    console.log(`${crypten.peer}'s figures are not measured by this bench: ${args.crypten.startsWith(ROOT) ? args.crypten.slice(ROOT.length + 1) : args.crypten}, from ${crypten.source}.`);
    console.log(`online B: both parties' online bytes (MB = 10^6 B; pq's with its 10-byte frame headers); CPU s: pq's is this process's CPU time over the two-party run`);
    console.log(`(both parties and both dealers, in one process), ${crypten.peer}'s both parties'; wall s: pq's two-party run (dealers included), ${crypten.peer}'s private inference;`);
    console.log(`online/plain: pq's online seconds over its plaintext run; the last two columns: pq's figure over the peer's (a range where the peer's is one).`);
    for (const [mode, what] of Object.entries(crypten.modes)) console.log(`${mode}: ${what}.`);
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
