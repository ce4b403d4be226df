#!/usr/bin/env node
// The `pq` command's entry (package.json "bin"; `node dist/cli/main.js`): runs the command
// line (cli.ts), loaded only after this file has decided where.
//
// A command that runs a party on its main thread — `connect` (the client), and `run` / `eval`
// with `--backend 2pc` (the client; the server is a worker thread) — runs in a child process
// given a larger initial old generation (V8's --initial-old-space-size, which a running
// process cannot change and NODE_OPTIONS does not accept). A party's heap holds about 25 MB
// live while its OTs allocate a few hundred MB of short-lived buffers, and with V8's default
// start the old generation is compacted every few hundred milliseconds: for LeNet under
// `--correlations he`, 29 mark-compacts in six sessions against 4 with the flag, and a warm
// session after its set-up 1.05–1.15 s against 1.22–1.32 s; ResNet-20 17.8 / 21.5 s against
// 22.1 / 24.2 s (2026-12-07, alternating runs, docs/COST.md). The child costs one more Node
// start (about 0.1 s here). Signals reach the child; the exit status is the child's. Under a
// debugger (`--inspect`) the command runs in this process.
import { spawn } from "node:child_process";

/** The flag, and its value in MB (the old generation starts there instead of growing from a few MB). */
export const HEAP_FLAG = "--initial-old-space-size=256";

/** Whether `argv` (without node and script) runs a party on the main thread. */
export function runsParty(argv: readonly string[]): boolean {
  const [name, ...rest] = argv;
  if (name === "connect") return true;
  if (name !== "run" && name !== "eval") return false;
  return rest.some((a, i) => a === "--backend=2pc" || (a === "2pc" && rest[i - 1] === "--backend"));
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:main\.js|pq)$/.test(process.argv[1]);
if (invokedDirectly) {
  const argv = process.argv.slice(2);
  // Not under a debugger (`node --inspect …`): the child would fight it for the port, so the command runs here.
  const child = runsParty(argv) && !process.execArgv.some((a) => a.startsWith("--initial-old-space-size") || a.startsWith("--inspect"));
  if (child) {
    const proc = spawn(process.execPath, [...process.execArgv, HEAP_FLAG, process.argv[1]!, ...argv], { stdio: "inherit" });
    const forward = (s: NodeJS.Signals) => () => proc.kill(s);
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const handlers = signals.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    proc.on("error", (e) => {
      process.stderr.write(`pq: could not start node (${e.message})\n`);
      process.exitCode = 1;
    });
    proc.on("exit", (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) process.kill(process.pid, signal);
      else process.exitCode = code ?? 1;
    });
  } else {
    const { runCli } = await import("./cli.js");
    runCli();
  }
}
