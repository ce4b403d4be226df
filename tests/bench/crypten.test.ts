// bench/crypten.ts: the committed CrypTen table equals docs/PEERS.md's CrypTen rows (the
// figures bench:2pc prints beside pq's are the documented ones), a table of another shape is
// refused with what is wrong, and the comparison's ratios are pq's figures over the peer's.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { comparisonRows, parsePeerTable, readPeerTable, type PeerTable } from "../../bench/crypten.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TABLE = join(ROOT, "bench", "crypten.json");

/** docs/PEERS.md's CrypTen rows: | network | mode | online | offline | rounds | time | CPU |. */
function documentedRows(): { network: string; mode: string; cells: string[] }[] {
  const doc = readFileSync(join(ROOT, "docs", "PEERS.md"), "utf8");
  const section = doc.slice(doc.indexOf("## CrypTen"), doc.indexOf("\n## ", doc.indexOf("## CrypTen") + 1));
  return section.split("\n").filter((l) => /^\| (LeNet|ResNet-20) \|/.test(l)).map((l) => {
    const cells = l.split("|").slice(1, -1).map((c) => c.trim());
    return { network: cells[0]!, mode: cells[1]!, cells: cells.slice(2) };
  });
}

const mb = (s: string) => (s === "0" ? 0 : Math.round(Number(s.replace(/ MB$/, "")) * 1e6));
const range = (s: string): [number, number] => {
  const [lo, hi] = s.replace(/ s$/, "").split("–").map(Number);
  return [lo!, hi ?? lo!];
};

describe("bench/crypten.json", () => {
  it("holds docs/PEERS.md's CrypTen rows, figure for figure", () => {
    const table = readPeerTable(TABLE);
    const doc = documentedRows();
    expect(doc.length).toBe(4);
    expect(table.rows.map((r) => [r.network, r.mode])).toEqual(doc.map((d) => [d.network, d.mode]));
    for (const [i, d] of doc.entries()) {
      const r = table.rows[i]!;
      const [online, offline, rounds, time, cpu] = d.cells as [string, string, string, string, string];
      expect([r.onlineBytes, r.offlineBytes, r.rounds, r.seconds, r.cpuSeconds]).toEqual([mb(online), mb(offline), Number(rounds), range(time), range(cpu)]);
    }
  });
});

describe("parsePeerTable", () => {
  const good = readFileSync(TABLE, "utf8");
  const edit = (f: (t: Record<string, unknown>) => void) => {
    const t = JSON.parse(good) as Record<string, unknown>;
    f(t);
    return JSON.stringify(t);
  };
  const row0 = (t: Record<string, unknown>) => (t.rows as Record<string, unknown>[])[0]!;
  it.each([
    ["not JSON", "{", /x\.json: not JSON/],
    ["no rows", edit((t) => (t.rows = [])), /"rows" must be a non-empty array/],
    ["a mode the table does not describe", edit((t) => (row0(t).mode = "MPC")), /row 0: "mode" must be one of "modes" \(TFP, TTP\)/],
    ["bytes as text", edit((t) => (row0(t).onlineBytes = "4.04 MB")), /row 0: "onlineBytes" must be a number ≥ 0/],
    ["a reversed range", edit((t) => (row0(t).cpuSeconds = [2, 1])), /row 0: "cpuSeconds" must be \[low, high\]/],
    ["no source", edit((t) => delete t.source), /"source" must be a non-empty string/],
  ])("refuses %s, saying what is wrong", (_what, text, message) => {
    expect(() => parsePeerTable(text, "x.json")).toThrow(message);
  });
});

describe("comparisonRows", () => {
  const table: PeerTable = parsePeerTable(readFileSync(TABLE, "utf8"), TABLE);
  it("prints pq's row, then each mode with pq's bytes and CPU over the peer's", () => {
    const { rows } = comparisonRows(table, [
      { network: "ResNet-20", onlineBytes: 19.04e6, cpuMs: 5200, totalMs: 6000, offlineMs: 1000, plainMs: 50 },
      { network: "ResNet-18", onlineBytes: 1e8, cpuMs: 1, totalMs: 1, offlineMs: 0, plainMs: 1 },
    ]);
    expect(rows).toEqual([
      ["ResNet-20", "pq", "19.04 MB", "5.20", "100.0×", "6.00", "", ""],
      ["", "CrypTen 0.4.0 TFP", "95.20 MB", "1.10–1.40", "", "0.83–1.05", "0.20×", "3.71–4.73×"],
      ["", "CrypTen 0.4.0 TTP", "95.20 MB", "1.80–2.60", "", "1.50–1.70", "0.20×", "2.00–2.89×"],
    ]);
  });
});
