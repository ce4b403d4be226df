// The enumerating harness: both parties of a protocol in one process, over the real framed
// `Channel` on an in-memory transport, with the enumerated provider in place of the dealer.
// Each party's *view* is recorded as it happens: every correlation it is handed (text) and
// every frame it receives (hex, header included — the header is a public function of the
// message count and lengths). Every frame sent is also tagged with the sender's primitive
// path (the meter's `step` stack) — the *provenance* used by the composition checks.
// With `provider = "ideal-ot"` the parties run under the OT-hybrid model instead
// (ideal-ot.ts): an `ot` provider whose OTs are ideal functionalities drawing from the source,
// their outputs and each party's own randomness appended to its view.
import { Channel, TransportClosed, type Role, type Transport } from "../../interpreter/twopc/channel.js";
import { Meter } from "../../interpreter/twopc/meter.js";
import type { Party } from "../../interpreter/twopc/party.js";
import { CorrelationStore, type Source } from "../../interpreter/providers/enumerated.js";
import { openProvider } from "../../interpreter/providers/provider.js";
import { IdealOtHub, IdealOtProvider } from "./ideal-ot.js";

/** Which correlations the harness hands out: the enumerated dealer (F_corr), or ideal OT (the OT-hybrid model). */
export type HarnessProvider = "enumerated" | "ideal-ot";

export interface View {
  /** Correlations and received frames, in the order the party met them. */
  events: string[];
  /** For each frame this party sent: the primitive path it was sent from, and its length. */
  sent: string[];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]!;
  return s;
}

/**
 * One end of an in-memory link that records the party's view. (Like `memoryPair` of
 * channel.ts, without a class per pair: the harness builds hundreds of thousands of pairs.)
 */
class Recording implements Transport {
  peer!: Recording;
  private readonly queue: Uint8Array[] = [];
  private waiting: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void } | undefined;
  private closed = false;
  constructor(private readonly view: View, private readonly meter: Meter, private readonly record: boolean) {}

  send(frame: Uint8Array): void {
    this.view.sent.push(`${this.meter.primitive}:${frame.length}`);
    const f = frame.slice();
    const q = this.peer;
    if (this.closed || q.closed) return;
    if (q.waiting) {
      const w = q.waiting;
      q.waiting = undefined;
      if (q.record) q.view.events.push(`R:${hex(f)}`);
      w.resolve(f);
    } else q.queue.push(f);
  }

  recv(): Promise<Uint8Array> {
    const f = this.queue.shift();
    if (f) {
      if (this.record) this.view.events.push(`R:${hex(f)}`);
      return Promise.resolve(f);
    }
    if (this.closed) return Promise.reject(new TransportClosed());
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  close(): void {
    for (const e of [this, this.peer]) {
      e.closed = true;
      const w = e.waiting;
      e.waiting = undefined;
      w?.reject(new TransportClosed());
    }
  }
}

export interface PairRun<C, S> {
  client: C;
  server: S;
  views: { client: View; server: View };
  store: CorrelationStore;
}

async function party(role: Role, meter: Meter, t: Transport, store: CorrelationStore, view: View | undefined, hub: IdealOtHub | undefined): Promise<Party> {
  const ch = new Channel(t, meter, role, { timeoutMs: 10_000 });
  if (hub) return { role, meter, ch, corr: new IdealOtProvider({ role, ch, meter }, hub, view?.events) };
  const log = view ? { [role]: view.events } : undefined;
  return { role, meter, ch, corr: await openProvider({ kind: "enumerated", store, ...(log ? { log } : {}) }, { role, ch, meter }) };
}

/**
 * Run client and server code concurrently with correlations (or ideal OTs) from `source`. With
 * `record = false` (batched correctness runs) the views keep only the provenance of sent
 * frames, not their contents.
 */
export async function runPair<C, S>(
  source: Source, client: (p: Party) => Promise<C>, server: (p: Party) => Promise<S>, record = true, provider: HarnessProvider = "enumerated",
): Promise<PairRun<C, S>> {
  const store = new CorrelationStore(source);
  const hub = provider === "ideal-ot" ? new IdealOtHub(source) : undefined;
  const vc: View = { events: [], sent: [] };
  const vs: View = { events: [], sent: [] };
  const mc = new Meter();
  const ms = new Meter();
  const a = new Recording(vc, mc, record);
  const b = new Recording(vs, ms, record);
  a.peer = b;
  b.peer = a;
  const pc = await party("client", mc, a, store, record ? vc : undefined, hub);
  const ps = await party("server", ms, b, store, record ? vs : undefined, hub);
  const guard = <T>(q: Promise<T>, p: Party) => q.catch((e: unknown) => {
    p.ch.close();
    throw e;
  });
  const [c, s] = await Promise.all([guard(client(pc), pc), guard(server(ps), ps)]);
  return { client: c, server: s, views: { client: vc, server: vs }, store };
}
