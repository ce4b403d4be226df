// `pq serve` as deployed (its own process, TLS, sessions in worker threads) under load and
// faults: bench/serve.ts at CI size — 16 concurrent LeNet clients (the dealer, for speed),
// every output correct, the server's peak RSS bounded; a stalled client, a slowloris and a
// client killed mid-run do not stop a good client; a 1 GiB declared frame is refused at once
// with the server's memory flat. Needs the build (dist/), as CI's `npm ci` makes it.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { ServeBench } from "../../bench/serve.js";

describe("pq serve under load and faults (dist/, worker threads)", () => {
  it("16 concurrent clients all correct, peak RSS < 512 MiB; faults refused or ended without delaying a good client", () => {
    const out = execFileSync(process.execPath, ["dist/bench/serve.js", "--clients", "16", "--sessions", "2", "--dealer", "--json"], { encoding: "utf8", timeout: 110_000 });
    const r = JSON.parse(out.trim().split("\n").pop()!) as ServeBench;
    expect(r.correct).toBe(16);
    expect(r.peakRssMiB).toBeLessThan(512);
    expect(r.faults.goodCorrect).toBe(true);
    expect(r.faults.goodClientMs).toBeLessThan(10_000);
    expect(r.faults.frameRefusedMs).toBeLessThan(1_000);
    expect(r.faults.rssAfterMiB - r.faults.rssBeforeMiB).toBeLessThan(64);
    expect(r.faults.outcomes).toContain("PQ5004"); // the 1 GiB frame
    expect(r.faults.outcomes).toContain("PQ5002"); // the killed client's session ended
    expect(r.faults.outcomes.filter((o) => o === "ok")).toHaveLength(17);
  }, 120_000);
});
