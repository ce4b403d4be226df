// HAProxy (Debian's package, `.ci/run` installs it) in front of several `pq serve` processes,
// for bench/serve.ts --haproxy and its test: TCP mode (TLS passes through to pq, so clients pin
// pq's key end to end), least-connections balancing (sessions are long and uneven), and a
// health check against each server's probe (`--health-port`, GET /healthz: 503 while a
// server drains). The configuration is deploy/haproxy.cfg, the one docs/DEPLOY.md shows, with
// loopback addresses: the tests run the documented file.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { ROOT } from "./serve-process.js";

/** Why HAProxy cannot run here, or undefined when it can. */
export function haproxyMissing(): string | undefined {
  const r = spawnSync("haproxy", ["-v"], { encoding: "utf8" });
  return r.error ? `haproxy is not installed (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); .ci/run installs Debian's package` : undefined;
}

export interface Backend {
  port: number;
  healthPort: number;
}

/** deploy/haproxy.cfg, the documented configuration, with a loopback frontend and these backends. */
export function haproxyConfig(frontendPort: number, backends: readonly Backend[]): string {
  const doc = readFileSync(join(ROOT, "deploy", "haproxy.cfg"), "utf8");
  const servers = backends.map((b, i) => `    server pq${i + 1} 127.0.0.1:${b.port} check port ${b.healthPort}`).join("\n");
  const out = doc.replace(/^ {4}bind .*$/m, `    bind 127.0.0.1:${frontendPort}`).replace(/(^ {4}server .*\n)+/m, `${servers}\n`);
  if (!out.includes(`bind 127.0.0.1:${frontendPort}`) || !out.includes(servers)) throw new Error("deploy/haproxy.cfg has no `bind` or `server` lines to replace");
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Haproxy {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** HAProxy in the foreground with a generated configuration in `dir`; resolves once its frontend accepts connections. */
export async function startHaproxy(dir: string, backends: readonly Backend[]): Promise<Haproxy> {
  const port = await freePort();
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, haproxyConfig(port, backends));
  const proc = spawn("haproxy", ["-db", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  // Listening is all we wait for: servers start UP, and the first checks run within `inter`.
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}: ${err}`);
    // Bound when we cannot bind it: a test connection would reach a pq server as a session.
    const up = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(true));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(false)));
    });
    if (up) break;
    if (i > 100) throw new Error(`haproxy did not listen on ${port}: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, proc,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}
