// The OT backends (ot-iknp: CrypTFlow2/SiRNN accounting; ot-silent: Cheetah accounting):
// the same unit sequence as the dealer backend runs, each unit priced with its formula
// (formulas.ts, with the docs/PROTOCOLS.md sources). Units are in bits; a row's bytes are
// ⌈bits/8⌉ per unit plus one 10-byte frame header per message, one message per party per
// round — the units of the runtime's meter, so an OT runtime could be checked against this
// the way the dealer runtime is. Everything is online: the parties make their correlations
// themselves during the run (the one-time base OTs, a few KB, are not counted).
import { otCost } from "./formulas.js";
import { RowSink, type CostRow } from "./rows.js";
import { HEADER_BYTES } from "./wire.js";
import type { Call, Unit } from "./trace.js";

/** The unit's own step name on the primitive path (as the dealer backend's meter shows it). */
function stepName(u: Unit): string {
  return u.kind === "carryKnown" ? "and" : u.kind;
}

export function priceOt(calls: readonly Call[], backend: "ot-iknp" | "ot-silent"): CostRow[] {
  const sink = new RowSink();
  for (const call of calls) {
    const c = otCost(call.unit, backend);
    if (c.clientBits === 0 && c.serverBits === 0 && c.clientRounds === 0 && c.serverRounds === 0) continue;
    const row = sink.row(call, [stepName(call.unit)]);
    row.online.clientBytes += Math.ceil(c.clientBits / 8) + HEADER_BYTES * c.clientRounds;
    row.online.serverBytes += Math.ceil(c.serverBits / 8) + HEADER_BYTES * c.serverRounds;
    row.online.clientRounds += c.clientRounds;
    row.online.serverRounds += c.serverRounds;
    row.online.clientMessages += c.clientRounds;
    row.online.serverMessages += c.serverRounds;
  }
  return sink.list();
}
