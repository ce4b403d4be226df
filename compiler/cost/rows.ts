// The forecast's rows: one per (IR node, primitive path), in the units of the runtime's
// meter (docs/REPORT.md) — bytes including the 10-byte frame header of every message,
// messages, and rounds (a party's maximal runs of sends between waits).
import type { Call } from "./trace.js";

export interface OnlineCost {
  /** Bytes the client wrote on the channel. */
  clientBytes: number;
  /** Bytes the server wrote on the channel. */
  serverBytes: number;
  /** max(clientRounds, serverRounds). */
  rounds: number;
  clientRounds: number;
  serverRounds: number;
  clientMessages: number;
  serverMessages: number;
}

export interface OfflineCost {
  /**
   * Bytes that made correlated randomness, both directions: the dealer's corrections to the
   * server, or both parties' OT flights under pq's OT provider (base OTs included); 0 for the
   * reference OT backends, which count everything online.
   */
  bytes: number;
  messages: number;
  /** Per party, as its meter counts the offline phase: bytes received, messages (sent; the dealer's on receipt), rounds. */
  clientRecv: number;
  serverRecv: number;
  clientMessages: number;
  serverMessages: number;
  clientRounds: number;
  serverRounds: number;
}

export interface CostRow {
  layer: string;
  /** The meter's primitive path, e.g. `relu/drelu/msb/compare/and`. */
  primitive: string;
  op: string;
  nodeId: number;
  online: OnlineCost;
  offline: OfflineCost;
}

export const zeroOnline = (): OnlineCost => ({ clientBytes: 0, serverBytes: 0, rounds: 0, clientRounds: 0, serverRounds: 0, clientMessages: 0, serverMessages: 0 });
export const zeroOffline = (): OfflineCost => ({ bytes: 0, messages: 0, clientRecv: 0, serverRecv: 0, clientMessages: 0, serverMessages: 0, clientRounds: 0, serverRounds: 0 });

/** Rows keyed by node and primitive path, in first-touched order. */
export class RowSink {
  private readonly rows = new Map<string, CostRow>();

  row(call: Pick<Call, "nodeId" | "op" | "layer" | "path">, suffix: readonly string[]): CostRow {
    const primitive = [...call.path, ...suffix].join("/") || "(local)";
    const key = `${call.nodeId}\u0000${call.layer}\u0000${primitive}`;
    let r = this.rows.get(key);
    if (!r) {
      r = { layer: call.layer, primitive, op: call.op, nodeId: call.nodeId, online: zeroOnline(), offline: zeroOffline() };
      this.rows.set(key, r);
    }
    return r;
  }

  list(): CostRow[] {
    const out = [...this.rows.values()];
    for (const r of out) r.online.rounds = Math.max(r.online.clientRounds, r.online.serverRounds);
    return out;
  }
}

export function addOnline(a: OnlineCost, b: OnlineCost): void {
  a.clientBytes += b.clientBytes;
  a.serverBytes += b.serverBytes;
  a.clientRounds += b.clientRounds;
  a.serverRounds += b.serverRounds;
  a.clientMessages += b.clientMessages;
  a.serverMessages += b.serverMessages;
  a.rounds = Math.max(a.clientRounds, a.serverRounds);
}

export function addOffline(a: OfflineCost, b: OfflineCost): void {
  for (const k of Object.keys(a) as (keyof OfflineCost)[]) a[k] += b[k];
}
