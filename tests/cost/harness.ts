// Run a program under a provider (the dealer, or pq's OT provider) and set every measured
// figure beside that provider's forecast: per layer and party (online bytes, messages,
// rounds; offline bytes, messages and rounds) and per (layer, primitive path, party).
// In-process OT runs continue one session (twopc/local.ts), so only a process's first OT run
// has base OTs: the forecast prices the `setup` row when the run reports one.
import type { Program } from "../../compiler/ir.js";
import { forecast } from "../../compiler/cost/model.js";
import { agreement, type Agreement } from "../../compiler/cost/compare.js";
import { buildReport, type RunReport } from "../../cli/report.js";
import type { Tensor } from "../../interpreter/plain/tensor.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";

export interface Comparison {
  report: RunReport;
  figures: Agreement[];
  /** Per (layer, primitive): [client online sent, server online sent, offline bytes (both parties' receipts)], measured and forecast. */
  primitives: { key: string; measured: number[]; forecast: number[] }[];
  /** The largest |measured − forecast| / forecast over every figure (0 when all agree). */
  maxDeviation: number;
  /** The largest deviation of the online bytes (the 5% criterion), per layer and party. */
  maxOnlineBytesDeviation: number;
}

const dev = (m: number, f: number): number => (f === 0 ? (m === 0 ? 0 : Infinity) : Math.abs(m - f) / f);

/** `he-all`: the he provider with every product it can carry by HE (not only the cheaper ones). */
export async function measureAgainstForecast(program: Program, inputs: Map<string, Tensor>, seed = "cost", provider: "dealer" | "ot" | "he" | "he-all" = "dealer"): Promise<Comparison> {
  const spec = provider === "dealer" ? { kind: "dealer" as const, seed } : provider === "he-all" ? { kind: "he" as const, products: "all" as const } : { kind: provider };
  const run = await runTwoParty(program.graph, program.ranges, inputs, { provider: spec, timeoutMs: 120_000 });
  const report = buildReport(program.graph, run);
  // A continued OT session has no base OTs (the he provider's keys are made per run all the same).
  const f = forecast(program, provider === "he-all" ? "he" : provider, { setup: run.client.some((r) => r.primitive === "base-ot"), heProducts: provider === "he-all" ? "all" : "cheaper" });
  const figures = agreement(f.rows, report);

  const key = (layer: string, prim: string) => `${layer} :: ${prim}`;
  const fm = new Map<string, number[]>();
  for (const r of f.rows) {
    const v = fm.get(key(r.layer, r.primitive)) ?? [0, 0, 0];
    v[0]! += r.online.clientBytes;
    v[1]! += r.online.serverBytes;
    v[2]! += r.offline.bytes;
    fm.set(key(r.layer, r.primitive), v);
  }
  const mm = new Map<string, number[]>();
  for (const p of report.primitives) {
    const v = mm.get(key(p.layer, p.primitive)) ?? [0, 0, 0];
    if (p.phase === "online") v[p.party === "client" ? 0 : 1]! += p.sent;
    else v[2]! += p.recv;
    mm.set(key(p.layer, p.primitive), v);
  }
  const primitives = [...new Set([...fm.keys(), ...mm.keys()])].map((k) => ({ key: k, measured: mm.get(k) ?? [0, 0, 0], forecast: fm.get(k) ?? [0, 0, 0] }));

  let maxDeviation = 0;
  let maxOnlineBytesDeviation = 0;
  for (const a of figures) {
    const d = dev(a.measured, a.forecast);
    maxDeviation = Math.max(maxDeviation, d);
    if (a.metric === "online bytes") maxOnlineBytesDeviation = Math.max(maxOnlineBytesDeviation, d);
  }
  for (const p of primitives) for (let i = 0; i < 3; i++) maxDeviation = Math.max(maxDeviation, dev(p.measured[i]!, p.forecast[i]!));
  return { report, figures, primitives, maxDeviation, maxOnlineBytesDeviation };
}

/** The figures outside the tolerance, readable in a failure message. */
export function outside(c: Comparison, tolerance: number): string[] {
  const out: string[] = [];
  for (const a of c.figures) if (dev(a.measured, a.forecast) > tolerance) out.push(`${a.layer} ${a.party} ${a.metric}: measured ${a.measured}, forecast ${a.forecast}`);
  for (const p of c.primitives) {
    for (let i = 0; i < 3; i++) {
      if (dev(p.measured[i]!, p.forecast[i]!) > tolerance) out.push(`${p.key} ${["client online", "server online", "offline"][i]}: measured ${p.measured[i]}, forecast ${p.forecast[i]}`);
    }
  }
  return out;
}
