// The per-layer communication report of a two-party run: the table under `pq run
// --backend 2pc` and the JSON of `--json` (docs/REPORT.md defines every field).
import { HEADER_BYTES } from "../compiler/cost/wire.js";
import type { Graph } from "../compiler/ir.js";
import { formatType, type TensorType } from "../compiler/types.js";
import { layerOrder, layersOf, layerType } from "../compiler/layers.js";
import type { PlainResult } from "./repl/backends.js";
import { toBigints, type Tensor } from "../interpreter/plain/tensor.js";
import { totals, type Counters, type MeterRow } from "../interpreter/twopc/meter.js";
import type { TwoPartyResult } from "../interpreter/twopc/session.js";
import { outputRecords, type OutputRecord } from "./result.js";
import { table } from "./table.js";

interface PartyCounts {
  online: Counters;
  offline: Counters;
}

/** Milliseconds of homomorphic-encryption work each party spent (runs under the he provider). */
export interface HeTime {
  client: number;
  server: number;
}

export interface LayerReport {
  layer: string;
  ops: string[];
  ms: number;
  /** Under the he provider: each party's HE work in the layer (keys in `setup`, the HE kernel's products). */
  heMs?: HeTime;
  client: PartyCounts;
  server: PartyCounts;
}

/** The body of `pq run --backend 2pc --json` (the envelope around it: cli/result.ts). */
export interface RunReport {
  outputs: OutputRecord[];
  layers: LayerReport[];
  primitives: (MeterRow & { party: "client" | "server" })[];
  totals: { client: PartyCounts; server: PartyCounts; ms: number; heMs?: HeTime };
}

function counts(rows: MeterRow[]): PartyCounts {
  return { online: totals(rows, "online"), offline: totals(rows, "offline") };
}

export function buildReport(g: Graph, r: TwoPartyResult, labels?: readonly string[]): RunReport {
  const order = layerOrder(g);
  // A provider's set-up (the base OTs, the HE keys) comes first, as its own row.
  const setup = [...new Set([...r.client, ...r.server].filter((x) => x.layer === "setup").map((x) => x.primitive))];
  if (setup.length > 0) order.unshift({ layer: "setup", ops: setup });
  const he = r.correlations === "he";
  const heOf = (layer?: string): HeTime => {
    const sum = (m: Map<string, number>) => (layer === undefined ? [...m.values()].reduce((a, b) => a + b, 0) : m.get(layer) ?? 0);
    return { client: +sum(r.heMs.client).toFixed(3), server: +sum(r.heMs.server).toFixed(3) };
  };
  const layers = order.map(({ layer, ops }) => ({
    layer, ops, ms: +(r.layerMs.get(layer) ?? 0).toFixed(3),
    ...(he ? { heMs: heOf(layer) } : {}),
    client: counts(r.client.filter((x) => x.layer === layer)),
    server: counts(r.server.filter((x) => x.layer === layer)),
  }));
  return {
    outputs: outputRecords(g, r.outputs, labels),
    layers,
    primitives: [...r.client.map((x) => ({ ...x, party: "client" as const })), ...r.server.map((x) => ({ ...x, party: "server" as const }))],
    totals: { client: counts(r.client), server: counts(r.server), ms: +r.totalMs.toFixed(3), ...(he ? { heMs: heOf() } : {}) },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export const LEGEND =
  `client→/server→: online bytes each party wrote on the channel (${HEADER_BYTES}-byte frame headers included); msgs: messages both sent; ` +
  "rounds: client's / server's maximal runs of sends between waits; offline: bytes that made correlations (the dealer's, or OT with the peer, base OTs included); ms: client wall clock.";

const HE_LEGEND = " HE ms: client's / server's milliseconds of homomorphic-encryption work (keys under setup, the HE products' encryption, products and decryption).";

export function reportTable(rep: RunReport): string {
  const row = (l: { client: PartyCounts; server: PartyCounts }) => [
    formatBytes(l.client.online.sent), formatBytes(l.server.online.sent),
    String(l.client.online.messages + l.server.online.messages),
    `${l.client.online.rounds}/${l.server.online.rounds}`,
    formatBytes(l.client.offline.recv + l.server.offline.recv),
  ];
  // Under the he provider, a column of each party's HE work (client/server ms).
  const he = rep.totals.heMs !== undefined;
  const heCell = (t?: HeTime) => (he ? [t ? `${t.client.toFixed(0)}/${t.server.toFixed(0)}` : ""] : []);
  const rows = rep.layers.map((l) => [l.layer, l.ops.join(" "), ...row(l), l.ms.toFixed(1), ...heCell(l.heMs)]);
  return table(["layer", "ops", "client→", "server→", "msgs", "rounds", "offline", "ms", ...(he ? ["HE ms"] : [])], rows, ["total", "", ...row(rep.totals), rep.totals.ms.toFixed(1), ...heCell(rep.totals.heMs)])
    + `\n${LEGEND}${he ? HE_LEGEND : ""}`;
}

/** One party's view of a run over TCP (`pq serve` / `pq connect`): what it sent and received per layer. */
export function partyTable(rows: readonly MeterRow[]): string {
  const order: string[] = [];
  for (const r of rows) if (!order.includes(r.layer)) order.push(r.layer);
  const line = (rs: readonly MeterRow[]) => {
    const on = totals(rs, "online");
    const off = totals(rs, "offline");
    return [formatBytes(on.sent), formatBytes(on.recv), String(on.messages), String(on.rounds), formatBytes(off.sent + off.recv)];
  };
  const body = order.map((l) => [l, ...line(rows.filter((r) => r.layer === l))]);
  return table(["layer", "sent", "received", "msgs", "rounds", "offline"], body, ["total", ...line(rows)]) +
    "\nsent/received: online bytes on this party's channel (frame headers included); rounds: maximal runs of sends between waits; offline: bytes this party sent and received to make correlations (dealer, or OT with the peer).";
}

export const PLAIN_LEGEND = "time ms: wall-clock time of the plaintext backend for the layer's nodes.";

/**
 * A plaintext run as `pq run` and the REPL's `:run` print it: the outputs and a row per
 * computing layer with its ops, its declared result type (`declaredTypes`: what the source
 * says, not the passes' internal width) and its time; and the same as JSON (`pq run --json`).
 */
export function plainRun(g: Graph, declared: ReadonlyMap<string, TensorType>, r: PlainResult, labels?: readonly string[]): { text: string; json: object } {
  const layers = layersOf(g).map((l) => ({
    layer: l.path, ops: [...new Set(l.nodes.map((n) => n.op))], type: formatType(layerType(declared, l)), ms: r.layerMs.get(l.path) ?? 0,
  }));
  const outputs = outputLines(g, r.outputs, labels);
  const rows = layers.map((l) => [l.layer, l.ops.join(" "), l.type, l.ms.toFixed(2)]);
  return {
    text: `${outputs}\n${table(["layer", "ops", "output type", "time ms"], rows, ["total", "", "", r.totalMs.toFixed(2)])}\n${PLAIN_LEGEND}`,
    json: {
      outputs: outputRecords(g, r.outputs, labels),
      layers: layers.map((l) => ({ ...l, ms: +l.ms.toFixed(3) })),
      totals: { ms: +r.totalMs.toFixed(3) },
    },
  };
}

/**
 * `output i: VALUES` per output, as `pq run` and `pq connect` print them; an output with a
 * scale other than 1 (logits) also shows its real values, and with --labels the class it names.
 */
export function outputLines(g: Graph, outputs: readonly Tensor[], labels?: readonly string[]): string {
  return outputRecords(g, outputs, labels).map((o, i) => {
    const real = o.scale !== 1 ? ` (real: ${o.shape.length === 0 ? realText(o.real[0]!) : `[${o.real.slice(0, 16).map(realText).join(", ")}${o.real.length > 16 ? `, … (${o.real.length - 16} more)` : ""}]`})` : "";
    return `output ${i}: ${tensorText(outputs[i]!)}${real}${o.label !== undefined ? ` label ${o.label}` : ""}`;
  }).join("\n");
}

/** A real for display: 4 significant digits. */
function realText(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** A tensor's values for display: a scalar bare, else a list, cut after `limit` values. */
export function tensorText(t: Tensor, limit = Infinity): string {
  const v = toBigints(t);
  if (t.shape.length === 0) return String(v[0]);
  const shown = v.slice(0, limit).join(", ");
  return v.length > limit ? `[${shown}, … (${v.length - limit} more)]` : `[${shown}]`;
}
