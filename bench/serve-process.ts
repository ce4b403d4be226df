// `pq serve` as an operator runs it, for benchmarks and the tests that need a real process
// (signals, RSS, a load balancer in front): the compiled CLI (dist/) as a child process with
// a key pair of its own (TLS), its port, key and model read from its first lines, its health
// probe's port, its log lines, and its memory from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { STDLIB_DIR } from "../compiler/modules.js";
import type { ConnectRunOptions } from "../interpreter/twopc/remote.js";
import { selfSigned } from "../interpreter/twopc/tls.js";

export const ROOT = dirname(STDLIB_DIR);
export const PQ = join(ROOT, "dist", "cli", "main.js");

export interface ServeProcess {
  proc: ChildProcess;
  port: number;
  /** The health probe's port (`--health-port 0` is always passed). */
  healthPort: number;
  /** What a client passes to connectAndRun: the key and the model pinned. */
  opts: ConnectRunOptions;
  /** stdout lines so far (the session log, JSON). */
  lines: string[];
  /** stderr so far. */
  err: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resident and peak resident set size, MiB (Linux /proc). */
  rss(): { now: number; peak: number };
}

/** A key pair for `pq serve --cert --key` in `dir` (several servers may share it: one pin). */
export function writeKeys(dir: string): string[] {
  const id = selfSigned();
  writeFileSync(join(dir, "cert.pem"), id.cert);
  writeFileSync(join(dir, "key.pem"), id.key, { mode: 0o600 });
  return ["--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem")];
}

/** Start `pq serve MODEL --port 0 --health-port 0 --log-json KEYS FLAGS` and wait until it listens. */
export async function startServe(model: string, keys: string[], flags: string[], dealer: boolean): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [PQ, "serve", model, "--port", "0", "--health-port", "0", "--log-json", ...keys, ...flags, ...(dealer ? ["--insecure-dealer"] : [])], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", resolve));
  const heard = await new Promise<{ port: number; key: string; model: string; health: number }>((resolve, reject) => {
    let out = "";
    let listening: RegExpExecArray | undefined;
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const parts = out.split("\n");
      out = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        listening ??= /listening on [^:]+:(\d+) \(TLS, key sha256:([0-9a-f]{64}); model sha256:([0-9a-f]{64})/.exec(l) ?? undefined;
        const h = /health probe on http:\/\/[^:]+:(\d+)\/healthz/.exec(l);
        if (listening && h) resolve({ port: Number(listening[1]), key: listening[2]!, model: listening[3]!, health: Number(h[1]) });
      }
    });
    void exited.then((code) => reject(new Error(`pq serve exited with ${code} before listening: ${err}`)));
  });
  const status = (field: string) => Number(/(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8").split("\n").find((l) => l.startsWith(field)) ?? "0 kB")![1]) / 1024;
  return {
    proc, port: heard.port, healthPort: heard.health, lines, err: () => err, exited,
    opts: { tls: { pins: [heard.key] }, expectModel: heard.model, insecureDealer: dealer, retries: 0 },
    rss: () => ({ now: status("VmRSS:"), peak: status("VmHWM:") }),
  };
}

/** The health probe's answer: status and body. */
export async function health(s: ServeProcess): Promise<{ status: number; body: { live: number; max: number; pending: number; draining: boolean } }> {
  const r = await fetch(`http://127.0.0.1:${s.healthPort}/healthz`);
  return { status: r.status, body: await r.json() as { live: number; max: number; pending: number; draining: boolean } };
}
