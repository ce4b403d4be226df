// Both parties' meters (interpreter/twopc/meter.ts), simulated for a forecast: every message
// costs its payload plus the 10-byte frame header and counts on its sender's row, online or
// offline; a send opens a round only if its party has received since its last send, and that
// state (`waited`, initially true) is one per party across both phases, as in the meter. The
// pricers (dealer.ts, ot-provider.ts) replay each protocol's sends and receives, in each
// party's own order, through `send` and `recv`.
import type { CostRow } from "./rows.js";
import { HEADER_BYTES } from "./wire.js";

export type Who = "client" | "server";
export type Phase = "online" | "offline";

export class Parties {
  private readonly waited: Record<Who, boolean> = { client: true, server: true };
  /** The largest message (payload and frame header) each party has written: the frame bound of `pq serve` / `pq connect`. */
  readonly largest: Record<Who, number> = { client: 0, server: 0 };

  /** `who` writes one message of `payload` bytes; under `offline` its peer's receipt is counted too. */
  send(row: CostRow, who: Who, payload: number, phase: Phase = "online"): void {
    const bytes = payload + HEADER_BYTES;
    this.largest[who] = Math.max(this.largest[who], bytes);
    const opens = this.waited[who] ? 1 : 0;
    this.waited[who] = false;
    if (phase === "online") {
      if (who === "client") {
        row.online.clientBytes += bytes;
        row.online.clientMessages += 1;
        row.online.clientRounds += opens;
      } else {
        row.online.serverBytes += bytes;
        row.online.serverMessages += 1;
        row.online.serverRounds += opens;
      }
      return;
    }
    const o = row.offline;
    o.bytes += bytes;
    o.messages += 1;
    if (who === "client") {
      o.serverRecv += bytes;
      o.clientMessages += 1;
      o.clientRounds += opens;
    } else {
      o.clientRecv += bytes;
      o.serverMessages += 1;
      o.serverRounds += opens;
    }
  }

  /** `who` reads a message: its next send opens a round. */
  recv(who: Who): void {
    this.waited[who] = true;
  }

  /** party.ts `exchange`: both send, then both read. */
  exchange(row: CostRow, clientPayload: number, serverPayload: number): void {
    this.send(row, "client", clientPayload);
    this.recv("client");
    this.send(row, "server", serverPayload);
    this.recv("server");
  }
}
