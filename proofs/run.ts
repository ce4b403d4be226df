// `npm run proofs`: run every machine check of proofs/ (proofs/check/catalog.ts) and print
// the table — check, statement, parameters covered, cases, how the cases were chosen
// (exhaustive, or SAMPLED with its size), result. Any counterexample is printed minimally
// (inputs, randomness, expected, got) and the process exits with status 1.
//   node dist/proofs/run.js [--quick] [--only PREFIX[,PREFIX…]] [--jobs K]
// The checks are spread over K worker processes (default: min(2, cores)), balanced by each
// entry's cost estimate; the table is printed in catalog order.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { CATALOG, type Entry, type Result, type Scale } from "./check/catalog.js";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const scale: Scale = args.includes("--quick") ? "quick" : "full";
const only = (opt("--only") ?? "").split(",").filter(Boolean);
const shard = opt("--shard");
const jobs = Math.max(1, Number(opt("--jobs") ?? Math.min(2, availableParallelism())));

const entries = CATALOG.filter((e) => only.length === 0 || only.some((p) => e.id.startsWith(p)));

interface Row {
  id: string;
  cases: number;
  failure?: string;
  witness?: string;
  ms: number;
}

async function runEntry(e: Entry): Promise<Row> {
  const t = performance.now();
  let r: Result;
  try {
    r = await e.run(scale);
  } catch (err) {
    r = { cases: 0, failure: `checker error: ${(err as Error).stack ?? String(err)}` };
  }
  const ms = Math.round(performance.now() - t);
  process.stderr.write(`${r.failure ? "FAIL" : "ok  "} ${e.id} ${r.cases} cases ${ms} ms\n`);
  return { id: e.id, cases: r.cases, ms, ...(r.failure ? { failure: r.failure } : {}), ...(r.witness ? { witness: r.witness } : {}) };
}

/** Longest-processing-time-first assignment of entries to k shards. */
function assign(k: number): Entry[][] {
  const shards: Entry[][] = Array.from({ length: k }, () => []);
  const load = new Array<number>(k).fill(0);
  for (const e of [...entries].sort((a, b) => b.cost(scale) - a.cost(scale))) {
    const i = load.indexOf(Math.min(...load));
    shards[i]!.push(e);
    load[i]! += e.cost(scale);
  }
  return shards;
}

async function inWorkers(k: number): Promise<Row[]> {
  const self = fileURLToPath(import.meta.url);
  const shards = assign(k);
  const outs = await Promise.all(shards.map((s) => new Promise<Row[]>((resolve, reject) => {
    if (s.length === 0) return resolve([]);
    const child = spawn(process.execPath, [self, ...(scale === "quick" ? ["--quick"] : []), "--shard", s.map((e) => e.id).join(",")], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve(text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row));
      } catch (e) {
        reject(new Error(`worker exited with ${code}: ${(e as Error).message}`));
      }
    });
  })));
  return outs.flat();
}

if (shard !== undefined) {
  // worker: run the named entries, one JSON line each
  const ids = shard.split(",");
  for (const e of CATALOG.filter((x) => ids.includes(x.id))) process.stdout.write(`${JSON.stringify(await runEntry(e))}\n`);
} else {
  const t0 = performance.now();
  let rows: Row[];
  if (jobs > 1 && entries.length > 1) rows = await inWorkers(jobs);
  else {
    rows = [];
    for (const e of entries) rows.push(await runEntry(e));
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  const table = entries.map((e) => {
    const r = byId.get(e.id) ?? { id: e.id, cases: 0, ms: 0, failure: "checker error: no result (worker died?)" };
    return { e, r };
  });
  const cols: [string, (x: (typeof table)[number]) => string][] = [
    ["check", ({ e }) => e.id],
    ["statement", ({ e }) => e.statement],
    ["parameters covered", ({ e }) => e.params(scale)],
    ["cases", ({ r }) => r.cases.toLocaleString("en-US")],
    ["how", ({ e }) => (e.exhaustive ? `exhaustive: ${e.how}` : `SAMPLED: ${e.how}`)],
    ["result", ({ r }) => (r.failure ? "FAIL" : r.witness ? `pass (witness: ${r.witness})` : "pass")],
    ["ms", ({ r }) => String(r.ms)],
  ];
  // A markdown table: readable in a terminal and pasteable into proofs/README.md.
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  console.log(line(cols.map(([h]) => h)));
  console.log(line(cols.map(() => "---")));
  for (const x of table) console.log(line(cols.map(([, f]) => f(x).replace(/\|/g, "\\|"))));
  const failures = table.filter(({ r }) => r.failure);
  const total = table.reduce((a, { r }) => a + r.cases, 0);
  const exhaustive = table.filter(({ e }) => e.exhaustive).length;
  console.log(`\n${table.length} checks (${exhaustive} exhaustive, ${table.length - exhaustive} sampled), ${total.toLocaleString("en-US")} cases, ${failures.length} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s wall (${scale}, ${jobs} job${jobs > 1 ? "s" : ""}).`);
  if (failures.length > 0) {
    console.log("\nCounterexamples:\n");
    for (const { e, r } of failures) console.log(`${e.id} (${e.doc})\n${r.failure}\n`);
    process.exitCode = 1;
  }
}
