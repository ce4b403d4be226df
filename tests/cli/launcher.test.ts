// The `pq` entry (cli/main.ts): the commands that run a party on their main thread run in a
// child process started with V8's --initial-old-space-size; signals reach it and its exit
// status is the command's. Runs the built entry (dist/), as a user does.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HEAP_FLAG, runsParty } from "../../cli/main.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "dist/cli/main.js");
const built = existsSync(BIN);

/** `pid`'s child processes and their command lines (Linux /proc). */
function children(pid: number): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const c of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) {
      out.push({ pid: Number(c), argv: readFileSync(`/proc/${c}/cmdline`, "utf8").split("\0").filter(Boolean) });
    }
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("which commands run in the child", () => {
  it("connect always; run and eval with the two-party backend; nothing else", () => {
    expect(runsParty(["connect", "127.0.0.1:7000"])).toBe(true);
    expect(runsParty(["run", "m.pq", "--input", "x.png", "--backend", "2pc"])).toBe(true);
    expect(runsParty(["eval", "m.pq", "--backend=2pc"])).toBe(true);
    expect(runsParty(["run", "m.pq", "--input", "x.png"])).toBe(false);
    expect(runsParty(["run", "m.pq", "--input", "2pc"])).toBe(false);
    expect(runsParty(["serve", "m.pq"])).toBe(false);
    expect(runsParty(["check", "m.pq"])).toBe(false);
    expect(runsParty([])).toBe(false);
  });
});

describe.skipIf(!built)("the child process", () => {
  it("has the heap flag, gets the signal, and its end is the command's", async () => {
    // A peer that accepts and never speaks: the client waits for the program.
    const server: Server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const p = spawn(process.execPath, [BIN, "connect", `127.0.0.1:${port}`, "--insecure-plaintext", "--input", join(ROOT, "examples/mnist/digits/digit-7.png")], { stdio: "ignore" });
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => p.on("exit", (code, signal) => r({ code, signal })));
      let kids: { pid: number; argv: string[] }[] = [];
      for (let i = 0; i < 100 && kids.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        kids = children(p.pid!);
      }
      expect(kids).toHaveLength(1);
      expect(kids[0]!.argv).toContain(HEAP_FLAG);
      expect(kids[0]!.argv).toContain("connect");
      p.kill("SIGTERM");
      expect(await ended).toEqual({ code: null, signal: "SIGTERM" });
      // The child ended first (the entry waits for it): no orphan left.
      expect(alive(kids[0]!.pid)).toBe(false);
    } finally {
      server.close();
    }
  }, 20_000);

  it("the command's exit status and output come through: a usage error is 2, a missing file 1", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        p.stderr.on("data", (d: Buffer) => (err += d.toString()));
        p.on("exit", (code) => resolve({ code, err }));
      });
    expect(await run(["run", "--backend", "2pc"])).toMatchObject({ code: 2, err: expect.stringContaining("PQ9001") });
    expect(await run(["run", "missing.pq", "--input", "x.json", "--backend", "2pc"])).toMatchObject({ code: 1, err: expect.stringContaining("PQ2026") });
  }, 20_000);
});
