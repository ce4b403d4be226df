// `npm run bench:deploy`: two-party inference as a deployment runs it — `pq serve --once` and
// `pq connect` as two processes on loopback TCP with TLS (the server's key pinned), so each party has its own core — with OT
// correlations (the default), and with the insecure dealer for comparison when
// `--with-dealer` is given. Per network: the client's wall clock from connect to result
// (base OTs included), the bytes each party sent online and offline, rounds, the output.
// Target (issue 13): ResNet-20 with OT under 30 s on this machine.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { STDLIB_DIR } from "../compiler/modules.js";
import type { MeterRow } from "../interpreter/twopc/meter.js";
import { totals } from "../interpreter/twopc/meter.js";
import { selfSigned } from "../interpreter/twopc/tls.js";

const ROOT = dirname(STDLIB_DIR);
const PQ = join(ROOT, "dist", "cli", "main.js");

const NETS = [
  { name: "LeNet", file: "examples/mnist/lenet_w8a8.pq", input: "examples/mnist/digits/digit-7.png" },
  { name: "ResNet-20", file: "examples/cifar/resnet20.pq", input: "examples/cifar/input.json" },
];

interface Run {
  ms: number;
  output: string;
  meter: MeterRow[];
}

/** Start the server (TLS, a fresh key), wait for its port, run the client pinning the key; both as child processes. */
async function once(file: string, input: string, dealer: boolean): Promise<Run> {
  const flag = dealer ? ["--insecure-dealer"] : [];
  const dir = mkdtempSync(join(tmpdir(), "pq-deploy-"));
  const id = selfSigned();
  writeFileSync(join(dir, "cert.pem"), id.cert);
  writeFileSync(join(dir, "key.pem"), id.key);
  const server = spawn(process.execPath, [PQ, "serve", join(ROOT, file), "--port", "0", "--once", "--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem"), ...flag], { stdio: ["ignore", "pipe", "pipe"] });
  const [port, key] = await new Promise<[number, string]>((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^:]+:(\d+) \(TLS, key (sha256:[0-9a-f]{64})/.exec(out);
      if (m) resolve([Number(m[1]), m[2]!]);
    });
    server.on("exit", (code) => reject(new Error(`pq serve exited with ${code} before listening`)));
  });
  const t0 = performance.now();
  const client = spawn(process.execPath, [PQ, "connect", `127.0.0.1:${port}`, "--server-fingerprint", key, "--input", join(ROOT, input), "--json", ...flag], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  client.stdout.on("data", (d: Buffer) => (text += d.toString()));
  const code = await new Promise<number | null>((resolve) => client.on("exit", resolve));
  const ms = performance.now() - t0;
  server.kill();
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`pq connect exited with ${code}`);
  // pq-result/1 (docs/REPORT.md): the client's meter rows are its `primitives`.
  const r = JSON.parse(text) as { outputs: { data: string[] }[]; primitives: MeterRow[] };
  return { ms, output: r.outputs.map((o) => o.data.join(",")).join(" "), meter: r.primitives };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;

async function main(): Promise<void> {
  const withDealer = process.argv.includes("--with-dealer");
  const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  console.log("pq deployment benchmark: pq serve --once and pq connect as two processes on loopback TCP");
  console.log(`machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load average ${loadavg().map((x) => x.toFixed(2)).join(" / ")}; ${new Date().toISOString()}`);
  const rows: string[][] = [];
  for (const net of NETS) {
    if (only.length > 0 && !only.includes(net.name)) continue;
    for (const dealer of withDealer ? [false, true] : [false]) {
      const r = await once(net.file, net.input, dealer);
      const on = totals(r.meter, "online");
      const off = totals(r.meter, "offline");
      const setup = totals(r.meter.filter((x) => x.layer === "setup"));
      rows.push([net.name, dealer ? "dealer (INSECURE)" : "ot", (r.ms / 1000).toFixed(2), mib(on.sent), mib(on.recv), mib(off.sent + off.recv), mib(setup.sent + setup.recv), String(on.rounds), r.output]);
    }
  }
  const head = ["network", "correlations", "client s", "client→", "server→", "offline", "setup", "rounds", "output"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  console.log([line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n"));
  console.log("client s: wall clock of pq connect (connection, program, base OTs, run); client→/server→: online bytes each party sent (frame");
  console.log("headers included); offline: bytes the client sent and received making correlations; setup: program, handshake and base OTs; rounds: the client's.");
}

await main();
