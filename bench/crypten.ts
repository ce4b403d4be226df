// CrypTen's whole-network figures beside pq's in `npm run bench:2pc`: the committed table
// bench/crypten.json (docs/PEERS.md's CrypTen rows, measured on this kind of machine) or
// another file of the same shape (`--vs-crypten FILE`), read and checked here, and the
// comparison printed from it. The peer's figures are copied, not measured by the bench: the
// printout says so and names the table's source.
import { readFileSync } from "node:fs";

/** One network in one mode of the peer. Bytes are both parties' together; times are [low, high] over the peer's runs. */
export interface PeerRow {
  network: string;
  mode: string;
  onlineBytes: number;
  offlineBytes: number;
  rounds: number;
  seconds: [number, number];
  cpuSeconds: [number, number];
}

export interface PeerTable {
  peer: string;
  setup: string;
  source: string;
  bytes: string;
  modes: Record<string, string>;
  rows: PeerRow[];
}

/** pq's figures for one network, from one bench:2pc run. */
export interface PqRun {
  network: string;
  /** Both parties' online bytes (frame headers included). */
  onlineBytes: number;
  /** Process CPU time over the two-party run: both parties and their dealers, one process. */
  cpuMs: number;
  /** Wall clock of the run, and the dealers' (offline) part of it. */
  totalMs: number;
  offlineMs: number;
  plainMs: number;
}

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isRange = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && isCount(v[0]) && isCount(v[1]) && v[0] <= v[1];

/** Parse and check a peer table; `where` names it in errors. */
export function parsePeerTable(text: string, where: string): PeerTable {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return fail("expected an object");
  const t = raw as Record<string, unknown>;
  for (const k of ["peer", "setup", "source", "bytes"]) if (!isText(t[k])) fail(`"${k}" must be a non-empty string`);
  const modes = t.modes;
  if (modes === null || typeof modes !== "object" || Array.isArray(modes) || !Object.values(modes).every(isText)) fail(`"modes" must map each mode to its description`);
  if (!Array.isArray(t.rows) || t.rows.length === 0) fail(`"rows" must be a non-empty array`);
  const rows = (t.rows as unknown[]).map((r, i): PeerRow => {
    const at = `row ${i}`;
    if (r === null || typeof r !== "object") fail(`${at} is not an object`);
    const row = r as Record<string, unknown>;
    if (!isText(row.network)) fail(`${at}: "network" must be a non-empty string`);
    if (!isText(row.mode) || !(row.mode in (modes as object))) fail(`${at}: "mode" must be one of "modes" (${Object.keys(modes as object).join(", ")})`);
    for (const k of ["onlineBytes", "offlineBytes", "rounds"]) if (!isCount(row[k])) fail(`${at}: "${k}" must be a number ≥ 0`);
    for (const k of ["seconds", "cpuSeconds"]) if (!isRange(row[k])) fail(`${at}: "${k}" must be [low, high] with 0 ≤ low ≤ high`);
    return {
      network: row.network as string, mode: row.mode as string, onlineBytes: row.onlineBytes as number, offlineBytes: row.offlineBytes as number,
      rounds: row.rounds as number, seconds: row.seconds as [number, number], cpuSeconds: row.cpuSeconds as [number, number],
    };
  });
  return { peer: t.peer as string, setup: t.setup as string, source: t.source as string, bytes: t.bytes as string, modes: modes as Record<string, string>, rows };
}

export function readPeerTable(file: string): PeerTable {
  return parsePeerTable(readFileSync(file, "utf8"), file);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const num = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const span = ([lo, hi]: [number, number], unit: string) => (lo === hi ? `${num(lo)}${unit}` : `${num(lo)}–${num(hi)}${unit}`);

/** pq's figure over the peer's [low, high]: [x/high, x/low]. */
const ratio = (x: number, [lo, hi]: [number, number]): [number, number] => [x / hi, x / lo];

/**
 * The comparison: per network pq ran that the table has, pq's online bytes, CPU time and
 * online/plaintext, then each of the peer's modes with its figures and pq's over them.
 */
export function comparisonRows(table: PeerTable, runs: readonly PqRun[]): { head: string[]; rows: string[][] } {
  const head = ["network", "who", "online B", "CPU s", "online/plain", "wall s", "pq B / peer B", "pq CPU / peer CPU"];
  const rows: string[][] = [];
  for (const r of runs) {
    const peers = table.rows.filter((p) => p.network === r.network);
    if (peers.length === 0) continue;
    const online = r.totalMs - r.offlineMs;
    rows.push([r.network, "pq", mb(r.onlineBytes), num(r.cpuMs / 1000), `${(online / r.plainMs).toFixed(1)}×`, num(r.totalMs / 1000), "", ""]);
    for (const p of peers) {
      rows.push([
        "", `${table.peer} ${p.mode}`, mb(p.onlineBytes), span(p.cpuSeconds, ""), "", span(p.seconds, ""),
        `${(r.onlineBytes / p.onlineBytes).toFixed(2)}×`, span(ratio(r.cpuMs / 1000, p.cpuSeconds), "×"),
      ]);
    }
  }
  return { head, rows };
}
