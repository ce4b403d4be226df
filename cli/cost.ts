// `pq cost FILE.pq [--pipeline NAME] [--correlations dealer|ot|he|ot-iknp|ot-silent] [--json]`:
// the forecast per layer and per building block, totals and rounds, in the units and
// legend style of the run report (cli/report.ts), so a forecast and a `pq run --backend
// 2pc` table read side by side. Loaded on demand by cli/commands.ts.
import { compileWithPipeline, type Io } from "./common.js";
import { formatBytes } from "./report.js";
import { resultJson } from "./result.js";
import { table } from "./table.js";
import { formulasText } from "../compiler/cost/formulas.js";
import { forecast, type Backend, type Forecast } from "../compiler/cost/model.js";
import type { OfflineCost, OnlineCost } from "../compiler/cost/rows.js";
import { HEADER_BYTES, LAMBDA } from "../compiler/cost/wire.js";

export interface CostOptions {
  pipeline: string;
  disable: string[];
  budget?: number;
  /** Every pass's note on stderr, not just the one-line summary. */
  verbose: boolean;
  model?: string;
  correlations: Backend;
  json: boolean;
  /** Print the formula table after the forecast. */
  formulas?: boolean;
}

const BACKEND_NOTE: Record<Backend, string> = {
  dealer: "dealer: the runtime's protocols to the byte (trusted dealer; offline = its corrections to the server, and the server's masked weights to the client)",
  ot: "ot: pq's OT provider to the byte (its OT kernels; offline = correlations made by OT with the peer, and the base OTs under setup)",
  he: "he: pq's HE provider to the byte (HE for the server-weight products where it moves fewer bytes, pq's OT provider for the rest; the client's public key under setup)",
  "ot-iknp": `ot-iknp: CrypTFlow2/SiRNN accounting with IKNP OT extension, λ = ${LAMBDA} (no offline phase)`,
  "ot-silent": "ot-silent: Cheetah accounting with silent (VOLE) OT (no offline phase)",
};

export const COST_LEGEND =
  `client→/server→: forecast online bytes each party writes on the channel (${HEADER_BYTES}-byte frame headers included); msgs: messages both send; ` +
  "rounds: client's / server's maximal runs of sends between waits; offline: bytes that make correlated randomness (the dealer's, or OT with the peer, base OTs included).";

function cells(c: { online: OnlineCost; offline: OfflineCost }): string[] {
  return [
    formatBytes(c.online.clientBytes), formatBytes(c.online.serverBytes),
    String(c.online.clientMessages + c.online.serverMessages),
    `${c.online.clientRounds}/${c.online.serverRounds}`,
    formatBytes(c.offline.bytes),
  ];
}

/** The two tables (per layer, per building block) and the legend. */
export function costTable(f: Forecast): string {
  const layers = table(
    ["layer", "ops", "client→", "server→", "msgs", "rounds", "offline"],
    f.layers.map((l) => [l.layer, l.ops.join(" "), ...cells(l)]),
    ["total", "", ...cells(f.totals)],
  );
  const prims = table(
    ["primitive", "client→", "server→", "msgs", "rounds", "offline"],
    f.primitives.map((p) => [p.primitive, ...cells(p)]),
    ["total", ...cells(f.totals)],
  );
  return [`${f.model}: communication forecast, ${BACKEND_NOTE[f.backend]}`, layers, "", prims, COST_LEGEND].join("\n");
}

export async function costCommand(file: string, opts: CostOptions, io: Io): Promise<number> {
  const program = compileWithPipeline(io, file, {
    pipeline: opts.pipeline, disable: opts.disable, target: opts.correlations, verbose: opts.verbose,
    ...(opts.model !== undefined ? { model: opts.model } : {}), ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
  })?.program;
  if (!program) return 1;
  const f = forecast(program, opts.correlations);
  if (opts.json) {
    const { model, ...forecastBody } = f;
    io.out(resultJson({ command: "cost", file, model, pipeline: opts.pipeline, disabled: opts.disable, backend: null, correlations: opts.correlations, seed: null, inputs: [] }, { forecast: forecastBody }));
    return 0;
  }
  io.out(costTable(f));
  if (opts.formulas) io.out(`\n${formulasText()}`);
  return 0;
}
