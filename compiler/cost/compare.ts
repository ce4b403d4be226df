// Forecast against measurement: the design promises that the compiler's forecast and the
// runtime's measurement use the same units and that the runtime says when they differ by
// more than 5%. `compareForecast` finds those layers (and the total); `pq run --backend 2pc`
// prints `forecastWarnings` to stderr. `agreement` gives every figure the tests check.
import type { Program } from "../ir.js";
import { forecast } from "./model.js";
import type { CostRow } from "./rows.js";

/** The 5% of the issue: a larger relative difference in online bytes is reported. */
export const TOLERANCE = 0.05;

interface PartyMeasured {
  online: { sent: number; messages: number; rounds: number };
  offline: { recv: number; messages: number };
}

/** What is read of a run report (cli/report.ts RunReport, format pq-report/1). */
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

function perLayer(rows: readonly CostRow[]): Map<string, CostRow["online"] & { offline: number; offlineMessages: number }> {
  const m = new Map<string, CostRow["online"] & { offline: number; offlineMessages: number }>();
  for (const r of rows) {
    let a = m.get(r.layer);
    if (!a) {
      a = { clientBytes: 0, serverBytes: 0, rounds: 0, clientRounds: 0, serverRounds: 0, clientMessages: 0, serverMessages: 0, offline: 0, offlineMessages: 0 };
      m.set(r.layer, a);
    }
    a.clientBytes += r.online.clientBytes;
    a.serverBytes += r.online.serverBytes;
    a.clientRounds += r.online.clientRounds;
    a.serverRounds += r.online.serverRounds;
    a.clientMessages += r.online.clientMessages;
    a.serverMessages += r.online.serverMessages;
    a.offline += r.offline.bytes;
    a.offlineMessages += r.offline.messages;
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
    const p = f.get(l.layer);
    check(l.layer, l.client.online.sent + l.server.online.sent, p ? p.clientBytes + p.serverBytes : 0);
  }
  for (const [layer, p] of f) if (!seen.has(layer)) check(layer, 0, p.clientBytes + p.serverBytes);
  let total = 0;
  for (const p of f.values()) total += p.clientBytes + p.serverBytes;
  check("total", report.totals.client.online.sent + report.totals.server.online.sent, total);
  return out;
}

export function formatWarning(w: ForecastWarning): string {
  const pct = Number.isFinite(w.deviation) ? `${w.deviation >= 0 ? "+" : ""}${(100 * w.deviation).toFixed(1)}%` : "forecast 0";
  return `pq: warning: ${w.layer}: measured ${w.measured} bytes, forecast ${w.forecast} (${pct})`;
}

/** The lines `pq run --backend 2pc` prints: the dealer forecast of the program against its run. */
export function forecastWarnings(program: Program, report: MeasuredReport): string[] {
  try {
    return compareForecast(forecast(program, "dealer").rows, report).map(formatWarning);
  } catch (e) {
    // The forecast must never stop a run; say that it is missing instead.
    return [`pq: warning: no cost forecast for this program: ${e instanceof Error ? e.message : String(e)}`];
  }
}

export interface Agreement {
  layer: string;
  party: "client" | "server";
  metric: "online bytes" | "online messages" | "online rounds" | "offline bytes" | "offline messages";
  measured: number;
  forecast: number;
  deviation: number;
}

/** Every per-layer, per-party figure of the report beside its forecast (tests and docs). */
export function agreement(rows: readonly CostRow[], report: MeasuredReport): Agreement[] {
  const f = perLayer(rows);
  const out: Agreement[] = [];
  const layers = [...report.layers.map((l) => ({ layer: l.layer, client: l.client, server: l.server })), { layer: "total", ...report.totals }];
  const tot = { clientBytes: 0, serverBytes: 0, clientRounds: 0, serverRounds: 0, clientMessages: 0, serverMessages: 0, rounds: 0, offline: 0, offlineMessages: 0 };
  for (const p of f.values()) {
    tot.clientBytes += p.clientBytes;
    tot.serverBytes += p.serverBytes;
    tot.clientRounds += p.clientRounds;
    tot.serverRounds += p.serverRounds;
    tot.clientMessages += p.clientMessages;
    tot.serverMessages += p.serverMessages;
    tot.offline += p.offline;
    tot.offlineMessages += p.offlineMessages;
  }
  for (const l of layers) {
    const p = l.layer === "total" ? tot : f.get(l.layer);
    const push = (party: "client" | "server", metric: Agreement["metric"], measured: number, predicted: number) =>
      out.push({ layer: l.layer, party, metric, measured, forecast: predicted, deviation: deviation(measured, predicted) });
    push("client", "online bytes", l.client.online.sent, p?.clientBytes ?? 0);
    push("server", "online bytes", l.server.online.sent, p?.serverBytes ?? 0);
    push("client", "online messages", l.client.online.messages, p?.clientMessages ?? 0);
    push("server", "online messages", l.server.online.messages, p?.serverMessages ?? 0);
    push("client", "online rounds", l.client.online.rounds, p?.clientRounds ?? 0);
    push("server", "online rounds", l.server.online.rounds, p?.serverRounds ?? 0);
    // The dealer's offline messages go to the server; the client's part comes from a shared seed.
    push("client", "offline bytes", l.client.offline.recv, 0);
    push("server", "offline bytes", l.server.offline.recv, p?.offline ?? 0);
    push("server", "offline messages", l.server.offline.messages, p?.offlineMessages ?? 0);
  }
  return out;
}
