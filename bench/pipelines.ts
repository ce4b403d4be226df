// `npm run bench:pipelines`: the forecast communication of every example under the `sirnn`
// baseline, the exact `pq` pipeline and the APPROXIMATE `eqo` one (quantized Winograd
// filters: not the same model's values, see winograd-quant.ts), for each correlation
// backend, by operator class, with the ratio to the baseline; then the ablations — each
// pipeline pass by pass (communication after each pass) — under ot-iknp. Figures are compile-time forecasts (compiler/cost); for the
// dealer backend they equal the bytes the runtime measures (tests/cost).
import { dirname, join } from "node:path";
import { compileFile } from "../compiler/lower.js";
import type { Program } from "../compiler/ir.js";
import { STDLIB_DIR } from "../compiler/modules.js";
import { forecast, type PassTarget } from "../compiler/cost/model.js";
import type { CostRow } from "../compiler/cost/rows.js";
import { runPipeline } from "../compiler/passes/pipeline.js";
import { winogradQuantize } from "../compiler/passes/winograd-quant.js";
import { formatDiagnostic } from "../grammar/diagnostics.js";
import { table } from "../cli/table.js";

const ROOT = dirname(STDLIB_DIR);
const NETS: [string, string][] = [
  ["LeNet W8A8", "examples/mnist/lenet_w8a8.pq"],
  ["ResNet-20 W8A8", "examples/cifar/resnet20.pq"],
  ["ResNet-32 W2A6", "examples/cifar/resnet32.pq"],
  ["ResNet-18 W8A8", "examples/cifar/resnet18.pq"],
  ["MobileNetV2 W8A8", "examples/cifar/mobilenetv2.pq"],
];
const BACKENDS: PassTarget[] = ["dealer", "ot-iknp", "ot-silent"];
/** The pipelines compared with the `sirnn` baseline. */
const PIPELINES = ["pq", "eqo"];

/** Operator classes for the per-class columns. */
function classOf(row: CostRow): string {
  if (row.op === "conv2d" || row.op === "winoconv" || row.op === "linear" || row.op === "batchnorm") return "linear";
  if (row.primitive.startsWith("relu") || row.op === "drelu" || row.op === "select") return "relu";
  if (row.op === "requant") return "requant";
  if (row.op === "maxpool" || row.op === "avgpool" || row.op === "gavgpool" || row.op === "argmax") return "pool/argmax";
  if (row.op === "zext" || row.op === "sext" || row.op === "trunc" || row.op === "truncreduce") return "conversion";
  return "other";
}
const CLASSES = ["linear", "relu", "requant", "conversion", "pool/argmax", "other"];

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
const bytesOf = (rows: readonly CostRow[]) => rows.reduce((a, r) => a + r.online.clientBytes + r.online.serverBytes, 0);

function compile(file: string): Program {
  const r = compileFile(join(ROOT, file));
  if (!r.program) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  return r.program;
}

function main(): void {
  const only = process.argv.slice(2);
  const nets = only.length > 0 ? NETS.filter(([n]) => only.some((o) => n.toLowerCase().includes(o.toLowerCase()))) : NETS;
  const rows: string[][] = [];
  for (const [name, file] of nets) {
    const base = compile(file);
    for (const backend of BACKENDS) {
      const s = forecast(runPipeline(base, "sirnn", { target: backend }).program, backend);
      const per = (f: typeof s) => CLASSES.map((c) => mb(bytesOf(f.rows.filter((r) => classOf(r) === c))));
      const total = (f: typeof s) => f.totals.online.clientBytes + f.totals.online.serverBytes;
      rows.push([name, backend, "sirnn", mb(total(s)), String(s.totals.online.rounds), ...per(s), ""]);
      for (const pipeline of PIPELINES) {
        const q = forecast(runPipeline(base, pipeline, { target: backend }).program, backend);
        rows.push([name, backend, pipeline === "eqo" ? "eqo ≈" : pipeline, mb(total(q)), String(q.totals.online.rounds), ...per(q), `${(total(s) / total(q)).toFixed(2)}×`]);
      }
    }
  }
  console.log(table(["network", "backend", "pipeline", "MiB", "rounds", ...CLASSES, "sirnn/X"], rows));
  console.log("MiB: forecast online bytes of both parties (frame headers included); rounds: max over the parties; class columns: MiB by operator class; " +
    "eqo ≈: APPROXIMATE (3×3 convolutions with quantized Winograd filters; each layer's error bound in the pass note).\n");

  for (const [name, file] of nets) for (const pipeline of PIPELINES) {
    const base = compile(file);
    const abl: string[][] = [];
    const first = forecast(runPipeline(base, "sirnn", { target: "ot-iknp" }).program, "ot-iknp");
    const firstBytes = first.totals.online.clientBytes + first.totals.online.serverBytes;
    abl.push(["sirnn (baseline)", mb(firstBytes), String(first.totals.online.rounds), "1.00×"]);
    // Where pq starts: the program as lowered (pipeline none), not the baseline.
    const lowered = forecast(base, "ot-iknp");
    const lowBytes = lowered.totals.online.clientBytes + lowered.totals.online.serverBytes;
    abl.push(["as lowered (none)", mb(lowBytes), String(lowered.totals.online.rounds), `${(firstBytes / lowBytes).toFixed(2)}×`]);
    // One run of the pipeline; the program after each pass (a reverted pass leaves it as it was).
    const { log } = runPipeline(base, pipeline, {
      target: "ot-iknp",
      onPass: (pass, p) => {
        const f = forecast(p, "ot-iknp");
        const b = f.totals.online.clientBytes + f.totals.online.serverBytes;
        abl.push([`+ ${pass}`, mb(b), String(f.totals.online.rounds), `${(firstBytes / b).toFixed(2)}×`]);
      },
    });
    // Mark the passes that did not apply (reverted by the cost guard, or nothing to do).
    let k = 2;
    for (const l of log) {
      if (l.note === "disabled") continue;
      if (!l.applied) abl[k]![0] += " (not applied)";
      k++;
    }
    console.log(`${name}: ablation under ot-iknp (the ${pipeline} pipeline pass by pass)`);
    console.log(table(["after", "MiB", "rounds", "vs baseline"], abl));
    if (pipeline === "eqo") {
      // What the approximation costs: each rewritten layer's worst-case error, relative to its result's range.
      const rel = winogradQuantize(base, { accounting: "iknp" }).layers.filter((l) => l.bound !== undefined).map((l) => (100 * l.bound!) / Math.max(1, l.range!)).sort((a, b) => a - b);
      if (rel.length > 0) console.log(`winograd-quant: ${rel.length} layers; worst-case |Δy| / max|y| per layer: min ${rel[0]!.toFixed(1)} %, median ${rel[Math.floor(rel.length / 2)]!.toFixed(1)} %, max ${rel[rel.length - 1]!.toFixed(1)} %`);
    }
    console.log();
  }
}

main();
