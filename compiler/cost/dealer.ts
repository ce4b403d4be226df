// The dealer backend, priced to the byte: each unit is expanded into the messages its
// protocol in interpreter/protocols/*.ts writes (payloads packed ⌈bits/8⌉, plus the
// 10-byte frame header) and the corrections the dealer sends the server
// (interpreter/twopc/dealer.ts: one offline message per correlation request with bytes),
// and each party's meter is simulated (parties.ts) so rounds are counted exactly as
// measured: a send opens a round only if the party has received since its last send.
import { Parties } from "./parties.js";
import { RowSink, type CostRow } from "./rows.js";
import type { Call } from "./trace.js";

export const bytesOf = (n: number, bits: number): number => Math.ceil((n * bits) / 8);

class DealerPricer {
  constructor(private readonly sink: RowSink, private readonly parties: Parties) {}

  /** party.ts `exchange` (and linear.ts's send-then-receive): both send, then both read. */
  private exchange(row: CostRow, clientPayload: number, serverPayload: number): void {
    this.parties.exchange(row, clientPayload, serverPayload);
  }

  /** dealer.ts `onDealer`: one message to the server when there are bytes (the client's part comes from a shared seed). */
  private offline(row: CostRow, bytes: number): void {
    const n = bytes > 0 ? 1 : 0;
    row.offline.bytes += bytes;
    row.offline.messages += n;
    row.offline.serverRecv += bytes;
    row.offline.serverMessages += n;
  }

  /** and.ts: nothing for n = 0; else a triple request and one exchange of 2n packed bits. */
  private and(call: Call, suffix: string[], n: number): void {
    if (n === 0) return;
    const row = this.sink.row(call, [...suffix, "and"]);
    this.offline(row, bytesOf(n, 1));
    this.exchange(row, bytesOf(2 * n, 1), bytesOf(2 * n, 1));
  }

  price(call: Call): void {
    const u = call.unit;
    switch (u.kind) {
      case "compare": {
        // millionaire.ts: nothing for m = 0; leaves: one AND of n·m bits; then per level of
        // width w > 1, ⌊w/2⌋ pairs, two ANDs each (eq·gt and eq·eq) but one at the root. With
        // `share`, blocks after the first skip the leaves and pairs inside the shared subtree.
        if (u.m === 0) return;
        const k = u.share?.k ?? 1;
        const g = u.n / k;
        let sc = u.share?.low ?? 0;
        this.and(call, ["compare"], g * u.m + (u.n - g) * (u.m - sc));
        let width = u.m;
        while (width > 1) {
          const pairs = Math.floor(width / 2);
          const next = Math.ceil(width / 2);
          const last = pairs === 1 && next === 1;
          const sp = sc >> 1;
          this.and(call, ["compare"], (g * pairs + (u.n - g) * (pairs - sp)) * (last ? 1 : 2));
          sc = sp;
          width = next;
        }
        return;
      }
      case "carryKnown":
        this.and(call, [], u.n);
        return;
      case "b2a": {
        // b2a.ts: a bit pair per bit (⌈n·ℓ/8⌉ offline), one exchange of n packed bits (even for n = 0).
        const row = this.sink.row(call, ["b2a"]);
        this.offline(row, bytesOf(u.n, u.bits));
        this.exchange(row, bytesOf(u.n, 1), bytesOf(u.n, 1));
        return;
      }
      case "mul": {
        // mul.ts: a Beaver triple (c1: ⌈n·ℓ/8⌉ offline), e and f in one message.
        const row = this.sink.row(call, ["mul"]);
        this.offline(row, bytesOf(u.n, u.bits));
        this.exchange(row, 2 * bytesOf(u.n, u.bits), 2 * bytesOf(u.n, u.bits));
        return;
      }
      case "select": {
        // select.ts selectMany: bit pairs in the widest ring for the c conditions, a triple per
        // pair; one message of c packed bits and e, f per pair.
        if (u.rings.length === 0) return;
        const row = this.sink.row(call, ["select"]);
        this.offline(row, bytesOf(u.conds, Math.max(...u.rings)));
        let payload = bytesOf(u.conds, 1);
        for (const N of u.rings) {
          this.offline(row, bytesOf(u.n, N));
          payload += 2 * bytesOf(u.n, N);
        }
        this.exchange(row, payload, payload);
        return;
      }
      case "linear": {
        // linear.ts: the bilinear triple's C share (|y|·ℓ bits offline); the client sends
        // x0 − B (|x|·ℓ bits), the server W − A (|W|·ℓ bits; offline when W is the model's),
        // each then reads the other's.
        const row = this.sink.row(call, ["linear"]);
        this.offline(row, bytesOf(u.y, u.bits));
        this.parties.send(row, "client", bytesOf(u.x, u.bits));
        this.parties.recv("client");
        this.parties.send(row, "server", bytesOf(u.w, u.bits), u.fixed ? "offline" : "online");
        this.parties.recv("server");
        return;
      }
      case "reveal": {
        // open.ts reveal: the server sends its shares; the client reads them (unless it skips the output).
        const row = this.sink.row(call, ["reveal"]);
        this.parties.send(row, "server", bytesOf(u.n, u.bits));
        this.parties.recv("client");
        return;
      }
      default: {
        const never: never = u;
        throw new Error(`cost: unknown unit ${JSON.stringify(never)}`);
      }
    }
  }
}

/** Price a trace with the dealer backend into rows (`parties`: the simulated meters, to read more from them). */
export function priceDealer(calls: readonly Call[], parties = new Parties()): CostRow[] {
  const sink = new RowSink();
  const p = new DealerPricer(sink, parties);
  for (const c of calls) p.price(c);
  return sink.list();
}
