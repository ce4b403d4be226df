// pq keygen, pq serve and pq connect as an operator uses them: TLS by default with the
// server's key pinned and the model pinned; plaintext only with the flag on both sides;
// usage errors (missing keys or pins, a port out of range) exit 2. For operators: serve and
// connect move exactly what `pq run --backend 2pc` moves; the health probe; the session deadline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pq } from "./harness.js";
import { parseResult } from "./schema.js";

const model = "examples/mnist/lenet_w8a8.pq";
const input = "examples/mnist/digits/digit-3.png";
const dir = mkdtempSync(join(tmpdir(), "pq-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `pq serve MODEL … --port 0 --once` in this process, and the port, key and model it prints. */
async function serveFileOnce(file: string, ...flags: string[]) {
  const lines: string[] = [];
  let heard: (m: RegExpExecArray) => void = () => undefined;
  const listening = new Promise<RegExpExecArray>((r) => (heard = r));
  const { main } = await import("../../cli/cli.js");
  const done = main(["serve", file, "--port", "0", "--once", "--handshake-timeout", "5000", ...flags], {
    out: (s) => {
      lines.push(s);
      const m = /listening on [^:]+:(\d+) \((?:TLS, key sha256:([0-9a-f]{64})|plaintext, INSECURE); model sha256:([0-9a-f]{64})/.exec(s);
      if (m) heard(m);
    },
    err: (s) => lines.push(s),
  });
  const m = await Promise.race([listening, done.then(() => Promise.reject(new Error(lines.join("\n"))))]);
  return { port: m[1]!, key: m[2], model: m[3]!, done, lines };
}

const serveOnce = (...flags: string[]) => serveFileOnce(model, ...flags);
const keys = () => ["--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem")];

describe("pq keygen, serve and connect", () => {
  // keygen runs first: the other tests of this file use its keys.
  it("keygen writes a key pair; serve over TLS; connect pinning key and model gets the plaintext output; the session is logged", async () => {
    const k = await pq("keygen", "--out", dir);
    expect(k.code).toBe(0);
    const fp = /fingerprint sha256:([0-9a-f]{64})/.exec(k.out)![1]!;
    expect((await pq("keygen", "--out", dir)).code).toBe(1); // no silent overwrite (PQ5013)
    const hash = (await pq("serve", model, "--model-hash")).out.trim();
    const s = await serveOnce("--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem"), "--insecure-dealer", "--log-json");
    expect(s.key).toBe(fp);
    expect(`sha256:${s.model}`).not.toBe(hash); // the dealer's pipeline target differs from OT's: another program
    const c = await pq("connect", `127.0.0.1:${s.port}`, "--input", input, "--server-fingerprint", `sha256:${fp}`, "--expect-model", s.model, "--insecure-dealer");
    expect(c.code).toBe(0);
    expect(await s.done).toBe(0);
    const plain = await pq("run", model, "--input", input);
    expect(c.out.split("\n")[0]).toBe(plain.out.split("\n")[0]);
    const log = JSON.parse(s.lines.find((l) => l.startsWith("{"))!) as Record<string, unknown>;
    expect(log).toMatchObject({ client: expect.stringMatching(/^127\.0\.0\.1:\d+$/), model: s.model, outcome: "ok" });
    expect(log.sent as number).toBeGreaterThan(0);
    expect(log.rounds as number).toBeGreaterThan(0);
  });

  it("the OT program's hash is what --model-hash prints; a client expecting another model is refused (PQ5011)", async () => {
    const hash = (await pq("serve", model, "--model-hash")).out.trim();
    const s = await serveOnce("--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem"));
    expect(`sha256:${s.model}`).toBe(hash);
    const c = await pq("connect", `127.0.0.1:${s.port}`, "--input", input, "--server-fingerprint", s.key!, "--expect-model", "ab".repeat(32));
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/PQ5011/);
    expect(await s.done).toBe(1);
  });

  it("a wrong server fingerprint is refused before any protocol byte (PQ5009)", async () => {
    const s = await serveOnce("--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem"));
    const c = await pq("connect", `127.0.0.1:${s.port}`, "--input", input, "--server-fingerprint", "cd".repeat(32));
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/PQ5009/);
    expect(await s.done).toBe(1);
    expect(s.lines.join("\n")).toMatch(/PQ5012/);
  });

  it("usage errors exit 2: TLS without keys or pins, plaintext mixed with TLS flags, a port out of range, a bad fingerprint", async () => {
    const usage = async (...args: string[]) => {
      const r = await pq(...args);
      expect([r.code, r.err]).toEqual([2, expect.stringMatching(/PQ9001/)]);
    };
    await usage("serve", model);
    await usage("serve", model, "--insecure-plaintext", "--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem"));
    await usage("serve", model, "--port", "70000", "--insecure-plaintext");
    await usage("serve", model, "--max-sessions", "0", "--insecure-plaintext");
    await usage("serve", model, "--health-port", "70000", "--insecure-plaintext");
    await usage("connect", "127.0.0.1:7460", "--input", input);
    await usage("connect", "127.0.0.1:70000", "--input", input, "--insecure-plaintext");
    await usage("connect", "127.0.0.1:7460", "--input", input, "--server-fingerprint", "xyz");
    await usage("connect", "127.0.0.1:7460", "--input", input, "--insecure-plaintext", "--server-fingerprint", "ab".repeat(32));
    await usage("keygen");
  });
});

describe("pq serve for operators: the same traffic as pq run, a health probe, a whole-session deadline", () => {
  const mlp = "examples/mnist/mlp_w8a8.pq";
  type Totals = { sent: number; recv: number; messages: number; rounds: number };
  const sum = (rows: (Totals & { phase: string })[], phase: string) => rows.filter((r) => r.phase === phase).reduce(
    (t, r) => ({ sent: t.sent + r.sent, recv: t.recv + r.recv, messages: t.messages + r.messages, rounds: t.rounds + r.rounds }), { sent: 0, recv: 0, messages: 0, rounds: 0 });

  // (he on LeNet: its products c1, c2 and h3 run by HE, the MLP's by OT)
  for (const [correlations, pipeline, file] of [["dealer", "pq", mlp], ["ot", "sirnn", mlp], ["he", "pq", model]] as const) {
    it(`serve + connect move exactly what pq run --backend 2pc moves (${file}, ${correlations}, --pipeline ${pipeline}): per party and phase, bytes, messages and rounds`, async () => {
      const flags = ["--pipeline", pipeline, ...(correlations === "dealer" ? ["--insecure-dealer"] : correlations === "he" ? ["--correlations", "he"] : [])];
      const run = parseResult((await pq("run", file, "--input", input, "--backend", "2pc", "--correlations", correlations, "--pipeline", pipeline, "--json")).out) as {
        totals: Record<"client" | "server", Record<"online" | "offline", Totals>>; primitives: (Totals & { phase: string; primitive: string; party: string })[];
      };
      // In-process runs continue this process's OT session (twopc/local.ts): only the first has base OTs. A remote session always has them.
      const base = (party: string) => sum(run.primitives.filter((r) => r.party === party && r.primitive === "base-ot"), "offline");
      const minus = (a: Totals, b: Totals): Totals => ({ sent: a.sent - b.sent, recv: a.recv - b.recv, messages: a.messages - b.messages, rounds: a.rounds - b.rounds });
      const s = await serveFileOnce(file, ...keys(), "--log-json", ...flags);
      expect(s.lines.join("\n")).toContain(`correlations: ${correlations === "dealer" ? "dealer, INSECURE" : correlations}`);
      const c = await pq("connect", `127.0.0.1:${s.port}`, "--input", input, "--server-fingerprint", s.key!, "--expect-model", s.model, "--json", ...(correlations === "dealer" ? ["--insecure-dealer"] : []));
      expect([c.code, await s.done]).toEqual([0, 0]);
      const meter = (parseResult(c.out) as { primitives: (Totals & { phase: string; layer: string; primitive: string })[] }).primitives;
      // Only the remote session has the program and the handshake (setup rows of their own).
      const session = meter.filter((r) => r.primitive === "program" || r.primitive === "handshake");
      expect(session.map((r) => r.primitive).sort()).toEqual(["handshake", "program"]);
      const rest = meter.filter((r) => !session.includes(r) && r.primitive !== "base-ot");
      expect(meter.filter((r) => r.primitive === "base-ot").length).toBe(correlations === "dealer" ? 0 : 1);
      expect(sum(rest, "online")).toEqual(run.totals.client.online);
      expect(sum(rest, "offline")).toEqual(minus(run.totals.client.offline, base("client")));
      // The server's log line counts all of its traffic: the run's, plus the program and the handshake (one round of its own).
      const log = JSON.parse(s.lines.find((l) => l.startsWith("{"))!) as Totals;
      const srv = { online: run.totals.server.online, offline: minus(run.totals.server.offline, base("server")) };
      const extra = sum(session, "online");
      const baseOt = sum(meter.filter((r) => r.primitive === "base-ot"), "offline");
      expect(log.sent).toBe(srv.online.sent + srv.offline.sent + extra.recv + baseOt.recv);
      expect(log.recv).toBe(srv.online.recv + srv.offline.recv + extra.sent + baseOt.sent);
      expect(log.rounds).toBe(srv.online.rounds + srv.offline.rounds + 1 + baseOt.rounds);
      if (correlations === "he") expect(meter.some((r) => r.primitive === "he-keys")).toBe(true);
    }, 60_000);
  }

  it("--health-port: GET /healthz is 200 with live/max/pending/draining while serving; other paths 404", async () => {
    const s = await serveFileOnce(mlp, ...keys(), "--insecure-dealer", "--health-port", "0", "--max-sessions", "3");
    const url = /health probe on (http:\/\/\S+)/.exec(s.lines.join("\n"))![1]!;
    const r = await fetch(url);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ live: 0, max: 3, pending: 0, draining: false });
    expect((await fetch(url.replace("/healthz", "/"))).status).toBe(404);
    const c = await pq("connect", `127.0.0.1:${s.port}`, "--input", input, "--server-fingerprint", s.key!, "--insecure-dealer");
    expect([c.code, await s.done]).toEqual([0, 0]);
    await expect(fetch(url)).rejects.toThrow(); // the probe closes with the server
  });

  it("--session-timeout ends a session that runs too long (PQ5003 in the log, the client told PQ5002), exit 1 with --once", async () => {
    // LeNet under OT takes 1–2 s; the deadline must sit well below that on a fast machine too.
    const s = await serveOnce(...keys(), "--session-timeout", "300", "--log-json");
    const t0 = performance.now();
    const c = await pq("connect", `127.0.0.1:${s.port}`, "--input", input, "--server-fingerprint", s.key!);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/PQ5002/);
    expect(await s.done).toBe(1);
    expect(performance.now() - t0).toBeLessThan(5_000);
    const log = JSON.parse(s.lines.find((l) => l.startsWith("{"))!) as { outcome: string; detail: string };
    expect(log).toMatchObject({ outcome: "PQ5003", detail: expect.stringMatching(/whole-session deadline/) });
  });
});
