// HAProxy (Debian's package, `.ci/run` installs it) in front of several `pq serve` processes,
// for bench/serve.ts --haproxy and its test: TCP mode (TLS passes through to pq, so clients pin
// pq's key end to end), least-connections balancing (sessions are long and uneven), and a
// health check against each server's probe (`--health-port`, GET /healthz: 503 while a
// server drains). The configuration is deploy/haproxy.cfg, the one docs/DEPLOY.md shows, with
// loopback addresses: the tests run the documented file.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
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
export async function startHaproxy(dir: string, backends: readonly Backend[], ports: () => Promise<number> = freePort): Promise<Haproxy> {
  // A free port may be taken (by another test's ephemeral socket) before HAProxy binds it: that
  // failure, and only that one, is retried on a new port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(dir, backends, await ports());
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt >= 5) throw e;
    }
  }
}

class PortTaken extends Error {}

/**
 * Whether process `pid` has a TCP socket listening on `port` (Linux's /proc). Asking the port
 * itself would not do: a connection would reach a pq server as a session, and a port bound by
 * some other process would look like HAProxy's.
 */
function listensOn(pid: number, port: number): boolean {
  let inodes: Set<string>;
  try {
    inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ""; } catch { return ""; }
    }));
  } catch {
    return false; // exited
  }
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try { text = readFileSync(table, "utf8"); } catch { continue; }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address rem_address st ... inode: state 0A is LISTEN.
      if (f.length > 9 && f[1]!.endsWith(`:${hex}`) && f[3] === "0A" && inodes.has(f[9]!)) return true;
    }
  }
  return false;
}

async function startOnce(dir: string, backends: readonly Backend[], port: number): Promise<Haproxy> {
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, haproxyConfig(port, backends));
  const proc = spawn("haproxy", ["-db", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  // Listening is all we wait for: servers start UP, and the first checks run within `inter`.
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) {
      await exited; // stderr is all in once its pipe closes
      const msg = `haproxy exited with ${proc.exitCode}: ${err}`;
      throw /Address already in use/.test(err) ? new PortTaken(msg) : new Error(msg);
    }
    if (listensOn(proc.pid!, port)) break;
    if (i > 100) {
      proc.kill("SIGTERM");
      throw new Error(`haproxy did not listen on ${port}: ${err}`);
    }
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
