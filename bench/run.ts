// `npm run bench`: the speed targets of the compiler and the plaintext backend, measured
// on this machine and printed next to their targets. Not part of `npm test` (timings
// depend on the machine); the figures go into reports, the targets into issues.
//   - parse + compile of ResNet-18 (CIFAR, 11 M parameters): median of 5, target < 200 ms
//   - plaintext inference of LeNet (MNIST) for one input: median of 3, target < 50 ms
//   - plaintext inference of ResNet-18 for one input: median of 3, target < 3 s
//   - peak resident memory of the whole run
import { existsSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Graph } from "../compiler/ir.js";
import { compileFile } from "../compiler/lower.js";
import { STDLIB_DIR } from "../compiler/modules.js";
import { formatDiagnostic } from "../grammar/diagnostics.js";
import { loadInput } from "../interpreter/inputs.js";
import { runPlain } from "../interpreter/plain/run.js";
import { toBigints, type Tensor } from "../interpreter/plain/tensor.js";
import { networkStats, si } from "./stats.js";

const ROOT = dirname(STDLIB_DIR);
const RESNET18 = join(ROOT, "examples", "cifar", "resnet18.pq");
const CIFAR_INPUT = join(ROOT, "examples", "cifar", "input.json");
const LENET = join(ROOT, "examples", "mnist", "lenet_w8a8.pq");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timeMs(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

function report(what: string, ms: number, targetMs: number, runs: number): void {
  const verdict = ms < targetMs ? "ok" : "OVER TARGET";
  console.log(`${what.padEnd(40)} ${ms.toFixed(1).padStart(9)} ms   target < ${targetMs} ms   ${verdict}   (median of ${runs})`);
}

function compileOrThrow(file: string): Graph {
  const r = compileFile(file);
  if (!r.program) throw new Error(`${file} does not compile:\n${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}`);
  return r.program.graph;
}

/** The model's one input: from `file` when given, else a deterministic pattern within its type. */
function inputFor(g: Graph, file?: string): Map<string, Tensor> {
  const inputs = g.nodes.filter((n) => n.op === "input");
  if (inputs.length !== 1) throw new Error(`${g.name}: the benchmark expects one input, found ${inputs.length}`);
  const n = inputs[0]!;
  const name = n.attrs.name as string;
  if (file) return new Map([[name, loadInput(file, name, n.type)]]);
  // An unsigned ramp modulo 2^min(bits, 8): in range for any unsigned input of ≥ 1 bit.
  const size = n.type.shape.reduce((a, b) => a * b, 1);
  const period = 2 ** Math.min(n.type.bits - (n.type.signed ? 1 : 0), 8);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 37) % period;
  return new Map([[name, { shape: [...n.type.shape], bits: n.type.bits, signed: n.type.signed, data }]]);
}

/** Median plaintext time over `runs` runs; also returns the output of the last one. */
function inference(g: Graph, inputs: Map<string, Tensor>, runs: number): { ms: number; output: string } {
  const times: number[] = [];
  let output = "";
  for (let i = 0; i < runs; i++) {
    times.push(timeMs(() => {
      output = runPlain(g, inputs).outputs.map((t) => toBigints(t).join(",")).join(" ");
    }));
  }
  return { ms: median(times), output };
}

const cpu = cpus();
console.log("pq benchmarks");
console.log(`machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`);
// Timings on a busy machine are not comparable: say how busy it was.
console.log(`load average (1 min) at start: ${loadavg()[0]!.toFixed(2)}`);
console.log();

// Parse + compile: each run is a fresh compileFile (reading, parsing and importing the
// stdlib, lowering, binding and range-checking every parameter). The first run also pays
// for the JIT warming up; the median does not.
const compileTimes: number[] = [];
let resnet18: Graph | undefined;
for (let i = 0; i < 5; i++) compileTimes.push(timeMs(() => (resnet18 = compileOrThrow(RESNET18))));
const stats = networkStats(resnet18!);
console.log(`ResNet-18 (CIFAR, W8A8): ${si(stats.params)} parameters, ${si(stats.macs)} MACs, ${resnet18!.nodes.length} IR nodes`);
report("parse + compile ResNet-18", median(compileTimes), 200, 5);

if (existsSync(LENET)) {
  const lenet = compileOrThrow(LENET);
  const r = inference(lenet, inputFor(lenet), 3);
  report("plaintext inference LeNet (W8A8)", r.ms, 50, 3);
} else {
  console.log(`${"plaintext inference LeNet".padEnd(40)} skipped: ${LENET} does not exist yet`);
}

const r18 = inference(resnet18!, inputFor(resnet18!, CIFAR_INPUT), 3);
report("plaintext inference ResNet-18", r18.ms, 3000, 3);
console.log(`  (class ${r18.output} for examples/cifar/input.json; random weights, so the class means nothing)`);

// maxRSS is in kilobytes (libuv's getrusage).
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
