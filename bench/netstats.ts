// Prints the size and work of the CIFAR example networks as Markdown tables: the source of
// the figures in examples/cifar/README.md. Run: node dist/bench/netstats.js [FILE.pq ...]
import { dirname, join } from "node:path";
import { compileFile } from "../compiler/lower.js";
import { STDLIB_DIR } from "../compiler/modules.js";
import { networkStats, si } from "./stats.js";

const CIFAR = ["resnet20", "resnet32", "resnet18", "mobilenetv2"].map((n) => join(dirname(STDLIB_DIR), "examples", "cifar", `${n}.pq`));

let failed = false;
for (const file of process.argv.length > 2 ? process.argv.slice(2) : CIFAR) {
  const { program, diagnostics } = compileFile(file);
  if (!program) {
    console.error(`${file}: does not compile (${diagnostics.map((d) => d.code).join(", ")}); run pq check on it`);
    failed = true;
    continue;
  }
  const s = networkStats(program.graph);
  console.log(`### ${s.name}\n\n${s.params.toLocaleString("en")} parameters, ${s.macs.toLocaleString("en")} MACs (${si(s.macs)})\n`);
  console.log("| layer | op | kernel | input | output | weights | activations in | MACs |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const l of s.layers) {
    console.log(`| ${l.path} | ${l.op} | ${l.kernel} | ${l.input.join("×")} | ${l.output.join("×")} | ${l.weight} | ${l.activation} | ${si(l.macs)} |`);
  }
  console.log();
}
process.exitCode = failed ? 1 : 0;
