// Forecast against measurement: the design promises that the compiler's forecast and the
// runtime's measurement use the same units and that the runtime says when they differ by
// more than 5%. `compareForecast` finds those layers (and the total); `pq run --backend 2pc`
// prints `forecastWarnings` to stderr. `agreement` gives every figure the tests check.
import type { Program } from "../ir.js";
import { forecast } from "./model.js";
import { addOffline, addOnline, zeroOffline, zeroOnline, type CostRow, type OfflineCost, type OnlineCost } from "./rows.js";

/** The 5% of the issue: a larger relative difference in online bytes is reported. */
export const TOLERANCE = 0.05;

interface PartyMeasured {
  online: { sent: number; messages: number; rounds: number };
  offline: { recv: number; messages: number; rounds: number };
}

/** What is read of a run report (cli/report.ts RunReport, the body of `pq run --backend 2pc --json`). */
export interface MeasuredReport {
  layers: readonly { layer: string; client: PartyMeasured; server: PartyMeasured }[];
  totals: { client: PartyMeasured; server: PartyMeasured };
}

export interface ForecastWarning {
  /** A layer path, or `total`. */
  layer: string;
  measured: number;
  forecast: number;
  /** (measured − forecast) / forecast; ±Infinity when the forecast is 0. */
  deviation: number;
}

function deviation(measured: number, predicted: number): number {
  if (predicted === 0) return measured === 0 ? 0 : Infinity;
  return (measured - predicted) / predicted;
}

interface Summed {
  online: OnlineCost;
  offline: OfflineCost;
}

const zero = (): Summed => ({ online: zeroOnline(), offline: zeroOffline() });

function add(a: Summed, r: Summed): void {
  addOnline(a.online, r.online);
  addOffline(a.offline, r.offline);
}

function perLayer(rows: readonly CostRow[]): Map<string, Summed> {
  const m = new Map<string, Summed>();
  for (const r of rows) {
    let a = m.get(r.layer);
    if (!a) m.set(r.layer, (a = zero()));
    add(a, r);
  }
  return m;
}

/** Layers (and the total) whose online bytes, both parties together, differ by more than `tolerance`. */
export function compareForecast(rows: readonly CostRow[], report: MeasuredReport, tolerance = TOLERANCE): ForecastWarning[] {
  const f = perLayer(rows);
  const out: ForecastWarning[] = [];
  const check = (layer: string, measured: number, predicted: number) => {
    const d = deviation(measured, predicted);
    if (Math.abs(d) > tolerance) out.push({ layer, measured, forecast: predicted, deviation: d });
  };
  const seen = new Set<string>();
  for (const l of report.layers) {
    seen.add(l.layer);
    const p = f.get(l.layer)?.online;
    check(l.layer, l.client.online.sent + l.server.online.sent, p ? p.clientBytes + p.serverBytes : 0);
  }
  for (const [layer, { online: p }] of f) if (!seen.has(layer)) check(layer, 0, p.clientBytes + p.serverBytes);
  let total = 0;
  for (const { online: p } of f.values()) total += p.clientBytes + p.serverBytes;
  check("total", report.totals.client.online.sent + report.totals.server.online.sent, total);
  return out;
}

export function formatWarning(w: ForecastWarning): string {
  const pct = Number.isFinite(w.deviation) ? `${w.deviation >= 0 ? "+" : ""}${(100 * w.deviation).toFixed(1)}%` : "forecast 0";
  return `pq: warning: ${w.layer}: measured ${w.measured} bytes, forecast ${w.forecast} (${pct})`;
}

/** The lines `pq run --backend 2pc` prints: the forecast of the program under the run's provider against its run. */
export function forecastWarnings(program: Program, report: MeasuredReport, backend: "dealer" | "ot" | "he"): string[] {
  try {
    return compareForecast(forecast(program, backend).rows, report).map(formatWarning);
  } catch (e) {
    // The forecast must never stop a run; say that it is missing instead.
    return [`pq: warning: no cost forecast for this program: ${e instanceof Error ? e.message : String(e)}`];
  }
}

export interface Agreement {
  layer: string;
  party: "client" | "server";
  metric: "online bytes" | "online messages" | "online rounds" | "offline bytes" | "offline messages" | "offline rounds";
  measured: number;
  forecast: number;
  deviation: number;
}

/** Every per-layer, per-party figure of the report beside its forecast (tests and docs). */
export function agreement(rows: readonly CostRow[], report: MeasuredReport): Agreement[] {
  const f = perLayer(rows);
  const out: Agreement[] = [];
  const layers = [...report.layers.map((l) => ({ layer: l.layer, client: l.client, server: l.server })), { layer: "total", ...report.totals }];
  const tot = zero();
  for (const p of f.values()) add(tot, p);
  for (const l of layers) {
    const { online: on, offline: off } = (l.layer === "total" ? tot : f.get(l.layer)) ?? zero();
    const push = (party: "client" | "server", metric: Agreement["metric"], measured: number, predicted: number) =>
      out.push({ layer: l.layer, party, metric, measured, forecast: predicted, deviation: deviation(measured, predicted) });
    push("client", "online bytes", l.client.online.sent, on.clientBytes);
    push("server", "online bytes", l.server.online.sent, on.serverBytes);
    push("client", "online messages", l.client.online.messages, on.clientMessages);
    push("server", "online messages", l.server.online.messages, on.serverMessages);
    push("client", "online rounds", l.client.online.rounds, on.clientRounds);
    push("server", "online rounds", l.server.online.rounds, on.serverRounds);
    // Offline as each party's meter counts it: received bytes, messages (sent by it, or the
    // dealer's on receipt: the client's part of the dealer comes from a shared seed), rounds.
    push("client", "offline bytes", l.client.offline.recv, off.clientRecv);
    push("server", "offline bytes", l.server.offline.recv, off.serverRecv);
    push("client", "offline messages", l.client.offline.messages, off.clientMessages);
    push("server", "offline messages", l.server.offline.messages, off.serverMessages);
    push("client", "offline rounds", l.client.offline.rounds, off.clientRounds);
    push("server", "offline rounds", l.server.offline.rounds, off.serverRounds);
  }
  return out;
}
