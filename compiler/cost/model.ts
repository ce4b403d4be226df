// The communication cost model: `forecast(program, backend)` predicts, per IR node and
// primitive, what a two-party run sends — online bytes per party, messages and rounds,
// and the offline correlations — in the units of the runtime's report (docs/REPORT.md).
// One trace of the building blocks the backend runs (trace.ts), priced per backend:
// `dealer`, `ot` and `he` exactly as the runtime does it with that provider (dealer.ts,
// ot-provider.ts, he-sizes.ts), `ot-iknp` and `ot-silent` with the docs/PROTOCOLS.md formulas of SCI and
// Cheetah (formulas.ts, ot.ts). docs/COST.md describes the model.
import type { Program } from "../ir.js";
import { priceDealer } from "./dealer.js";
import type { Backend } from "./formulas.js";
import { priceOt } from "./ot.js";
import { priceOtProvider } from "./ot-provider.js";
import { HE_MODULI } from "./he-sizes.js";
import { Parties, type Who } from "./parties.js";
import { addOffline, addOnline, zeroOffline, zeroOnline, type CostRow, type OfflineCost, type OnlineCost } from "./rows.js";
import { trace } from "./trace.js";
import { layerOrder } from "../layers.js";

export type { Backend, PassTarget } from "./formulas.js";
export { BACKENDS, PASS_TARGETS } from "./formulas.js";
export type { CostRow, OfflineCost, OnlineCost } from "./rows.js";

export interface LayerCost {
  layer: string;
  /** The layer's ops in node order (as the run report lists them). */
  ops: string[];
  online: OnlineCost;
  offline: OfflineCost;
}

export interface PrimitiveCost {
  /** The last step of the primitive path (`and`, `b2a`, `select`, `linear` …). */
  primitive: string;
  online: OnlineCost;
  offline: OfflineCost;
}

/** The forecast: the body of `pq cost --json` (format pq-result/1, cli/result.ts). */
export interface Forecast {
  model: string;
  backend: Backend;
  rows: CostRow[];
  layers: LayerCost[];
  /** Totals per building block (the leaf of the primitive path), largest online bytes first. */
  primitives: PrimitiveCost[];
  totals: { online: OnlineCost; offline: OfflineCost };
}

/** Sum rows per layer (every layer listed, in order, even those that send nothing). */
export function layersOf(program: Program, rows: readonly CostRow[]): LayerCost[] {
  const layers = layerOrder(program.graph).map((l) => ({ ...l, online: zeroOnline(), offline: zeroOffline() }));
  const byName = new Map(layers.map((l) => [l.layer, l]));
  for (const r of rows) {
    let l = byName.get(r.layer);
    if (!l) {
      l = { layer: r.layer, ops: [r.op], online: zeroOnline(), offline: zeroOffline() };
      byName.set(r.layer, l);
      // A provider's set-up comes first, as in the run report (cli/report.ts).
      if (r.layer === "setup") layers.unshift(l);
      else layers.push(l);
    } else if (r.layer === "setup" && !l.ops.includes(r.op)) l.ops.push(r.op);
    addOnline(l.online, r.online);
    addOffline(l.offline, r.offline);
  }
  return layers;
}

/** What a run's OT session has already done: `setup: false` when it continues an earlier one (no base OTs). */
export interface ForecastOptions {
  setup?: boolean;
  /** Under `he`: which products the HE kernel takes — `cheaper` (the provider's default) or `all` it can carry (its tests). */
  heProducts?: "cheaper" | "all";
  /**
   * Under `ot` and `he`, if given: filled with each layer's pooled COTs by the party that receives
   * them — what the session's silent-OT refills (layer `setup`, primitive `silent-ot`) are made for.
   */
  needs?: Map<string, Record<Who, number>>;
}

function price(program: Program, backend: Backend, opts: ForecastOptions): CostRow[] {
  const calls = trace(program);
  switch (backend) {
    case "dealer":
      return priceDealer(calls);
    case "ot":
      return priceOtProvider(calls, opts.setup ?? true, new Parties(), undefined, opts.needs);
    case "he":
      return priceOtProvider(calls, opts.setup ?? true, new Parties(), { moduli: HE_MODULI, products: opts.heProducts ?? "cheaper" }, opts.needs);
    case "ot-iknp":
    case "ot-silent":
      return priceOt(calls, backend);
  }
}

export function forecast(program: Program, backend: Backend, opts: ForecastOptions = {}): Forecast {
  const rows = price(program, backend, opts);
  const totals = { online: zeroOnline(), offline: zeroOffline() };
  const prims = new Map<string, PrimitiveCost>();
  for (const r of rows) {
    addOnline(totals.online, r.online);
    addOffline(totals.offline, r.offline);
    const leaf = r.primitive.slice(r.primitive.lastIndexOf("/") + 1);
    let p = prims.get(leaf);
    if (!p) {
      p = { primitive: leaf, online: zeroOnline(), offline: zeroOffline() };
      prims.set(leaf, p);
    }
    addOnline(p.online, r.online);
    addOffline(p.offline, r.offline);
  }
  const primitives = [...prims.values()].sort((a, b) => (b.online.clientBytes + b.online.serverBytes) - (a.online.clientBytes + a.online.serverBytes));
  return { model: program.graph.name, backend, rows, layers: layersOf(program, rows), primitives, totals };
}

/**
 * The largest message (payload and 10-byte frame header) each party writes in a run with the
 * dealer or pq's OT or HE provider (a fresh session: base OTs and keys included), as the pricers replay it.
 */
export function largestMessages(program: Program, backend: "dealer" | "ot" | "he"): Record<Who, number> {
  const parties = new Parties();
  const calls = trace(program);
  if (backend === "dealer") priceDealer(calls, parties);
  else priceOtProvider(calls, true, parties, backend === "he" ? { moduli: HE_MODULI, products: "cheaper" } : undefined);
  return parties.largest;
}

/** Forecast online bytes of both parties: what the passes that choose by cost compare. */
export function onlineBytes(program: Program, backend: Backend): number {
  const t = forecast(program, backend).totals.online;
  return t.clientBytes + t.serverBytes;
}
