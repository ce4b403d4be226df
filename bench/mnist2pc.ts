// `npm run bench:mnist [-- --limit N] [-- --model FILE ...]`: the two-party backend on the
// whole MNIST test split (examples/mnist/dataset.ts: 2004 images), one two-party run per
// image, every prediction checked against the plaintext backend's. Prints per model the
// counts, the accuracy, the mean wall-clock time per image and the bytes per image (online
// per party, offline). Exit code 1 if any prediction differs. Defaults: LeNet W8A8 and the
// W8A8 MLP; --model (repeatable) replaces them.
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Graph } from "../compiler/ir.js";
import type { Interval } from "../compiler/ops.js";
import { compileFile } from "../compiler/lower.js";
import { STDLIB_DIR } from "../compiler/modules.js";
import { numel } from "../compiler/types.js";
import { formatDiagnostic } from "../grammar/diagnostics.js";
import { loadMnist, type Sample } from "../examples/mnist/dataset.js";
import { runPlain } from "../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../interpreter/plain/tensor.js";
import { totals } from "../interpreter/twopc/meter.js";
import { runTwoParty } from "../interpreter/twopc/session.js";

const ROOT = dirname(STDLIB_DIR);
const DEFAULT_MODELS = ["lenet_w8a8.pq", "mlp_w8a8.pq"].map((f) => join(ROOT, "examples", "mnist", f));

interface Totals {
  images: number;
  correct: number;
  mismatches: number[];
  ms: number;
  clientSent: number;
  serverSent: number;
  offline: number;
  rounds: number;
}

function compileOrThrow(file: string): { g: Graph; ranges: Interval[] } {
  const r = compileFile(file);
  if (!r.program) throw new Error(`${file} does not compile:\n${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}`);
  return { g: r.program.graph, ranges: r.program.ranges };
}

async function evaluate(file: string, test: readonly Sample[]): Promise<Totals> {
  const { g, ranges } = compileOrThrow(file);
  const ins = g.nodes.filter((n) => n.op === "input");
  const input = ins[0];
  if (ins.length !== 1 || numel(input!.type.shape) !== 784) throw new Error(`${file}: expected one input of 784 pixels`);
  if (g.outputs.length !== 1 || numel(g.nodes[g.outputs[0]!.node]!.type.shape) !== 1) throw new Error(`${file}: expected one output, a class index`);
  const name = input!.attrs.name as string;
  const t: Totals = { images: 0, correct: 0, mismatches: [], ms: 0, clientSent: 0, serverSent: 0, offline: 0, rounds: 0 };
  const tty = process.stderr.isTTY === true;
  for (const [i, s] of test.entries()) {
    const x = tensorFromBigints([...input!.type.shape], input!.type.bits, input!.type.signed, Array.from(s.pixels, (v) => BigInt(v)));
    const inputs = new Map([[name, x]]);
    const want = toBigints(runPlain(g, inputs).outputs[0]!)[0]!;
    // A seed per image: each run gets fresh correlations, as separate inferences would.
    const r = await runTwoParty(g, ranges, inputs, { provider: { kind: "dealer", seed: `mnist-bench-${i}` } });
    const got = toBigints(r.outputs[0]!)[0]!;
    t.images++;
    t.ms += r.totalMs;
    if (got !== want) t.mismatches.push(i);
    if (got === BigInt(s.label)) t.correct++;
    const c = totals(r.client, "online");
    const sv = totals(r.server, "online");
    t.clientSent += c.sent;
    t.serverSent += sv.sent;
    t.rounds += c.rounds;
    t.offline += totals(r.client, "offline").recv + totals(r.server, "offline").recv;
    if (tty && (i % 10 === 0 || i === test.length - 1)) {
      process.stderr.write(`\r\x1b[K${relative(ROOT, file)}: ${i + 1}/${test.length}, ${t.correct} correct, ${t.mismatches.length} ≠ plaintext, ${(t.ms / t.images).toFixed(0)} ms/image`);
    }
  }
  if (tty) process.stderr.write("\r\x1b[K");
  return t;
}

function usage(problem: string): void {
  console.error(`${problem}\nusage: node dist/bench/mnist2pc.js [--limit N] [--model FILE.pq ...]`);
  process.exitCode = 2;
}

async function main(): Promise<void> {
  let values: { limit?: string | undefined; model?: string[] | undefined };
  try {
    ({ values } = parseArgs({ options: { limit: { type: "string" }, model: { type: "string", multiple: true } } }));
  } catch (e) {
    return usage((e as Error).message);
  }
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(limit === Infinity || (Number.isInteger(limit) && limit > 0))) return usage(`--limit must be a positive integer, got '${values.limit}'`);
  const models = values.model && values.model.length > 0 ? values.model : DEFAULT_MODELS;

  const cpu = cpus();
  console.log("pq two-party backend on the MNIST test split (both parties in one process, dealer correlations)");
  console.log(`machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`);
  console.log(`load average at start (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(" / ")}; date: ${new Date().toISOString()}`);
  const all = loadMnist().test;
  const test = all.slice(0, limit);
  console.log(`test split: ${all.length} images${test.length < all.length ? `, first ${test.length} (--limit)` : ""}`);
  console.log();

  let failed = false;
  for (const file of models) {
    const t0 = performance.now();
    const t = await evaluate(file, test);
    const wall = (performance.now() - t0) / 1000;
    const kib = (b: number) => `${(b / t.images / 1024).toFixed(1)} KiB`;
    console.log(`${relative(ROOT, file)}: ${t.images} images, ${t.correct} correct, accuracy ${((100 * t.correct) / t.images).toFixed(2)} %`);
    console.log(`  two-party prediction = plaintext prediction: ${t.images - t.mismatches.length}/${t.images}` +
      (t.mismatches.length ? `  MISMATCH at images ${t.mismatches.slice(0, 20).join(", ")}${t.mismatches.length > 20 ? ", …" : ""}` : ""));
    console.log(`  mean two-party time per image ${(t.ms / t.images).toFixed(0)} ms (wall clock of the whole benchmark ${wall.toFixed(0)} s, plaintext runs included)`);
    console.log(`  per image: client sent ${kib(t.clientSent)}, server sent ${kib(t.serverSent)} online (frame headers included), ` +
      `${(t.rounds / t.images).toFixed(0)} client rounds, offline ${kib(t.offline)}`);
    console.log(`  peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    if (t.mismatches.length) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
