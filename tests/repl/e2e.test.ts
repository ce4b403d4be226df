// The real `pq repl` binary (dist/): in a pseudo-terminal (tmux) with the Ink UI, and with
// stdin from a file (the line mode). Skipped, with the reason, when dist/ is not built or
// tmux is not installed (.ci/run installs it).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "dist/cli/main.js");
const built = existsSync(join(ROOT, "dist/cli/repl/index.js"));
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const cfg = mkdtempSync(join(tmpdir(), "pq-repl-cfg-"));

if (!built) console.warn("skipping the pq repl binary tests: dist/ is not built (run `npm run build`)");
if (!hasTmux) console.warn("skipping the pq repl terminal test: tmux is not installed (apt-get install -y tmux)");

describe.skipIf(!built || !hasTmux)("pq repl in a terminal (tmux)", () => {
  // A private tmux server (-L), so the test never touches the user's sessions.
  const socket = `pq-repl-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  const screen = () => tmux("capture-pane", "-t", "repl", "-p");
  const alive = () => spawnSync("tmux", ["-L", socket, "has-session", "-t", "repl"]).status === 0;
  async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      if (pred()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${alive() ? screen() : "(session ended)"}`);
  }

  it("runs a digit through the model and exits on Ctrl-D", async () => {
    // Ink renders nothing interactive when CI is set (as it is in CI runs): the person at
    // this terminal is not in CI, so the variable is cleared for the REPL.
    const cmd = `cd ${JSON.stringify(ROOT)} && env -u CI PQ_CONFIG_DIR=${JSON.stringify(cfg)} node dist/cli/main.js repl examples/mnist/mlp_w8a8.pq`;
    tmux("new-session", "-d", "-s", "repl", "-x", "160", "-y", "50", cmd);
    try {
      await until(() => /loaded examples\/mnist\/mlp_w8a8\.pq[\s\S]*\npq>/.test(screen()), "the prompt");
      // Text and Enter as separate keystrokes, as a person types them.
      tmux("send-keys", "-t", "repl", "-l", ":run examples/mnist/digits/digit-7.png plain");
      tmux("send-keys", "-t", "repl", "Enter");
      await until(() => screen().includes("output 0: 7"), "output 0: 7");
      const s = screen();
      expect(s).toContain("pq> :run examples/mnist/digits/digit-7.png plain");
      expect(s).toMatch(/mlp\/h1\s+flatten linear/);
      // The terminal's own Home and End keys and Ctrl-W edit the line.
      tmux("send-keys", "-t", "repl", "-l", "seed 7x");
      tmux("send-keys", "-t", "repl", "C-w", "Home", ":", "End", "7", "8", "Enter");
      await until(() => screen().includes("seed: 78 ("), "seed: 78");
      tmux("send-keys", "-t", "repl", "C-d");
      await until(() => !alive(), "the REPL to exit on Ctrl-D");
      expect(readFileSync(join(cfg, "history"), "utf8")).toContain(":run examples/mnist/digits/digit-7.png plain\n");
    } finally {
      if (alive()) tmux("kill-server");
    }
  });
});

describe.skipIf(!built)("pq repl < script (line mode)", () => {
  function pipe(script: string, ...args: string[]): { status: number | null; stdout: string } {
    const file = join(cfg, "script.txt");
    writeFileSync(file, script);
    const fd = openSync(file, "r");
    try {
      const r = spawnSync(process.execPath, [BIN, "repl", ...args], { cwd: ROOT, stdio: [fd, "pipe", "pipe"], encoding: "utf8", env: { ...process.env, PQ_CONFIG_DIR: cfg } });
      return { status: r.status, stdout: r.stdout };
    } finally {
      closeSync(fd);
    }
  }

  it("answers each line in order and exits 0", () => {
    const r = pipe("let y = relu(linear(flatten(x), fc1_w, fc1_b))\n:run examples/mnist/digits/digit-7.png\n", "examples/mnist/mlp_w8a8.pq");
    expect(r.stdout).toMatch(/^loaded examples\/mnist\/mlp_w8a8\.pq: model mlp/);
    expect(r.stdout).toContain("pq> let y = relu(linear(flatten(x), fc1_w, fc1_b))\ny: shared i23[128] scale");
    expect(r.stdout).toContain("pq> :run examples/mnist/digits/digit-7.png\noutput 0: 7\n");
    expect(r.status).toBe(0);
    // Piped lines are not typed history.
    expect(existsSync(join(cfg, "history")) ? readFileSync(join(cfg, "history"), "utf8") : "").not.toContain("let y =");
  });

  it("keeps going after an error, and exits 1", () => {
    const r = pipe(":load nope.pq\n:runn x\n:seed 9\n");
    expect(r.stdout).toContain("pq> :load nope.pq\nerror PQ2026: cannot read 'nope.pq': no such file");
    expect(r.stdout).toContain("did you mean :run?");
    expect(r.stdout).toContain("pq> :seed 9\nseed: 9");
    expect(r.status).toBe(1);
  });
});
