// The `ot` backend, priced to the byte: what pq's OT provider (interpreter/providers/ot.ts)
// and the kernels that run under it send, from the same trace units as the dealer backend.
// Every OT flight is a size from ot-sizes.ts — the functions the runtime itself builds and
// checks its messages with — replayed through both parties' simulated meters (parties.ts).
//
// What runs under OT (kernelOf picks the native kernel where there is one):
//   setup    base OTs, offline (layer `setup`, primitive `base-ot`): each party its A, then its κ B's.
//   compare  compareDigits: one OT round (leaves by 1-of-2^w OT from the client, the tree's
//            paired triples by one random OT each way), then one opening per tree level.
//   b2a      xorToArith: one correlated OT, the server receives.
//   select   selectOt: one correlated OT per pair each way, in one round.
//   linear   linearOt: m vector-COT batches from the receiver's side (productPlan).
//   and      (carryKnown) the generic kernel: AND triples made offline (two per 1-of-16 OT, the client receives), one exchange.
//   mul      the generic kernel: Beaver triples made offline (Gilboa: N correlated OTs per element each way), one exchange.
//   reveal   the server's shares, as under every provider.
// Under the `he` provider (providers/he.ts) the same, plus: the client's public key and both
// parties' hash of it in the set-up (primitive `he-keys`), and each server-weight product the
// HE kernel takes (he-sizes.ts heProduct: where it moves fewer bytes, or all it can carry) as the upload, the
// trimmed replies and the wrap's 1-of-W OT round (protocols/linear-he.ts).
import { bytesOf } from "./dealer.js";
import { digitPlan, EMPTY_POOL, eqNodes, ferretMsgBytes, nChoose1Bytes, cotBytes, otFrames, productPlan, productPlanes, refillBytes, refillPlan, rotBytes, SETUP_FLIGHTS, vcotBytes, type OtBytes, type PoolState, type RefillStep } from "./ot-sizes.js";
import { Parties, type Phase, type Who } from "./parties.js";
import { heBytes, heFlights, heProduct, type HeModuli } from "./he-sizes.js";

/** The HE provider's moduli and which products its kernel takes (providers/he.ts `products`). */
export interface HeChoice {
  moduli: HeModuli;
  products: "cheaper" | "all";
}
import { RowSink, type CostRow } from "./rows.js";
import type { Call } from "./trace.js";

const sum = (bs: readonly OtBytes[], k: keyof OtBytes): number => bs.reduce((a, b) => a + b[k], 0);

class OtPricer {
  /** Each direction's COT pool, by its receiver (a run's pools start empty: providers/ot.ts). */
  private readonly pools: Record<Who, PoolState> = { client: EMPTY_POOL, server: EMPTY_POOL };

  constructor(private readonly sink: RowSink, private readonly parties: Parties, private readonly he?: HeChoice, private readonly needs?: Map<string, Record<Who, number>>) {}

  /** A flight, written as the frames otFrames gives (one message each, the same round). */
  private flight(row: CostRow, who: Who, bytes: number, phase: Phase): void {
    for (const f of otFrames(bytes)) this.parties.send(row, who, f, phase);
  }

  /**
   * ot/session.ts `refill` before a round in which the client receives `need.client` OTs and the
   * server `need.server`, where a pool is short (offline, the layer `setup`, primitive `silent-ot`):
   * each party sends its IKNP message (as receiver, if its plan has one), reads the peer's (if
   * any) and sends its iterations (as sender, one message each), then reads the peer's (if any).
   */
  private refill(need: Record<Who, number>): void {
    const plans: Partial<Record<Who, RefillStep[]>> = {};
    for (const who of ["client", "server"] as const) {
      if (need[who] <= this.pools[who].available) continue;
      const plan = refillPlan(this.pools[who], need[who]);
      plans[who] = plan.steps;
      this.pools[who] = plan.after;
    }
    if (plans.client || plans.server) {
      const r = this.sink.row({ nodeId: -1, op: "silent-ot", layer: "setup", path: ["silent-ot"] }, []);
      for (const who of ["client", "server"] as const) {
        const peer = who === "client" ? "server" : "client";
        const mine = plans[who];
        const theirs = plans[peer];
        if (mine) this.flight(r, who, refillBytes(mine).toSender, "offline");
        if (theirs) {
          if (theirs.some((s) => s.run !== "ferret")) this.parties.recv(who);
          for (const s of theirs) if (s.run === "ferret") this.parties.send(r, who, ferretMsgBytes(s.params), "offline");
        }
        if (mine?.some((s) => s.run === "ferret")) this.parties.recv(who);
      }
    }
    for (const who of ["client", "server"] as const) this.pools[who] = { ...this.pools[who], available: this.pools[who].available - need[who] };
  }

  /**
   * ot/round.ts `otRound` for one party: its receiver batches' u columns in one message, then
   * (if it is a sender) it reads the peer's, answers with all corrections in one message
   * (none for random OT), then reads the replies to its own batches (if any).
   */
  private partyRound(row: CostRow, who: Who, receives: readonly OtBytes[], sends: readonly OtBytes[], phase: Phase): void {
    const flight = (bytes: number) => this.flight(row, who, bytes, phase);
    if (receives.length > 0) flight(sum(receives, "toSender"));
    if (sends.length > 0) this.parties.recv(who);
    flight(sum(sends, "toReceiver"));
    if (sum(receives, "toReceiver") > 0) this.parties.recv(who);
  }

  /** One OT round: the batches each party receives in (the peer is their sender). */
  private round(row: CostRow, client: readonly OtBytes[], server: readonly OtBytes[], phase: Phase = "online"): void {
    const need = { client: sum(client, "ots"), server: sum(server, "ots") };
    if (this.needs) {
      const n = this.needs.get(row.layer) ?? { client: 0, server: 0 };
      n.client += need.client;
      n.server += need.server;
      this.needs.set(row.layer, n);
    }
    this.refill(need);
    this.partyRound(row, "client", client, server, phase);
    this.partyRound(row, "server", server, client, phase);
  }

  /** session.ts setupOt: both parties send A, read the peer's, send their B's, read the peer's. */
  setup(): void {
    const row = this.sink.row({ nodeId: -1, op: "base-ot", layer: "setup", path: ["base-ot"] }, []);
    for (const who of ["client", "server"] as const) {
      for (const bytes of SETUP_FLIGHTS) {
        this.parties.send(row, who, bytes, "offline");
        this.parties.recv(who);
      }
    }
  }

  /** providers/he.ts open, after the OT provider's (fresh or continued): the client's keys, made anew per run. */
  keys(he: HeModuli): void {
    // providers/he.ts open: the client sends its public key and its hash; the server reads the key, sends its hash; each reads the peer's.
    const keys = this.sink.row({ nodeId: -1, op: "he-keys", layer: "setup", path: ["he-keys"] }, []);
    const sizes = heBytes(he.params);
    this.parties.send(keys, "client", sizes.pk, "offline");
    this.parties.send(keys, "client", sizes.confirm, "offline");
    this.parties.recv("server");
    this.parties.send(keys, "server", sizes.confirm, "offline");
    this.parties.recv("client");
    this.parties.recv("server");
  }

  price(call: Call): void {
    const u = call.unit;
    switch (u.kind) {
      case "compare": {
        if (u.m === 0 || u.n === 0) return;
        const row = this.sink.row(call, ["compare"]);
        const g = u.n / (u.share?.k ?? 1);
        const plan = digitPlan(u.n, g, u.m, u.share?.low ?? 0);
        const pairs = plan.P > 0 ? [rotBytes(plan.P)] : [];
        const singles = plan.S > 0 ? [nChoose1Bytes(Math.ceil(plan.S / 2), 16, 2)] : [];
        this.round(row, [...plan.leaves.map((b) => nChoose1Bytes(b.count, 2 ** b.w, b.k)), ...pairs, ...singles], pairs);
        // The tree: per level d and e of every node opened, and the second e where the node's eq is needed.
        if (plan.q > 1) for (const l of plan.levels) {
          const open = bytesOf(2 * l.cnt + eqNodes(u.n, g, l), 1);
          this.parties.exchange(row, open, open);
        }
        return;
      }
      case "carryKnown": {
        if (u.n === 0) return;
        this.round(this.sink.row(call, ["and", "and-triples"]), [nChoose1Bytes(Math.ceil(u.n / 2), 16, 2)], [], "offline");
        this.parties.exchange(this.sink.row(call, ["and"]), bytesOf(2 * u.n, 1), bytesOf(2 * u.n, 1));
        return;
      }
      case "b2a":
        this.round(this.sink.row(call, ["b2a"]), [], [cotBytes(u.n, u.bits)]);
        return;
      case "mul": {
        const cots = [cotBytes(u.n * u.bits, u.bits)];
        this.round(this.sink.row(call, ["mul", "triples"]), cots, cots, "offline");
        this.parties.exchange(this.sink.row(call, ["mul"]), 2 * bytesOf(u.n, u.bits), 2 * bytesOf(u.n, u.bits));
        return;
      }
      case "select": {
        if (u.rings.length === 0) return;
        const cots = u.rings.map((N) => cotBytes(u.n, N));
        this.round(this.sink.row(call, ["select"]), cots, cots);
        return;
      }
      case "linear": {
        const plan = this.he && heProduct(u.product, u.bits, this.he.moduli, this.he.products);
        if (plan) {
          // protocols/linear-he.ts: the upload, the reply, then the wrap by 1-of-wrapN OT (the client receives).
          const row = this.sink.row(call, ["linear"]);
          const f = heFlights(plan, u.bits, this.he!.moduli.params);
          this.parties.send(row, "client", f.up);
          this.parties.recv("server");
          this.parties.send(row, "server", f.reply);
          this.parties.recv("client");
          this.round(row, [nChoose1Bytes(plan.outputs, plan.wrapN, u.bits)], []);
          return;
        }
        // One OT round per plane of a re-weighted product (protocols/linear.ts linearOt).
        for (const plane of productPlanes(u.product)) {
          const p = productPlan(plane.map, u.bits);
          const batches = Array.from({ length: p.m }, (_, k) => vcotBytes(p.n, p.L, u.bits - k));
          this.round(this.sink.row(call, ["linear"]), p.receiver === "client" ? batches : [], p.receiver === "server" ? batches : []);
        }
        return;
      }
      case "reveal": {
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

/**
 * Price a trace with pq's OT provider into rows; `setup`: the session's base OTs first (a fresh
 * session); `parties`: the simulated meters; `he`: the HE provider's moduli (its keys are made
 * per run, continued OT session or not); `needs`, if given, gets each layer's pooled COTs by
 * the party that receives them.
 */
export function priceOtProvider(calls: readonly Call[], setup = true, parties = new Parties(), he?: HeChoice, needs?: Map<string, Record<Who, number>>): CostRow[] {
  const sink = new RowSink();
  const p = new OtPricer(sink, parties, he, needs);
  if (setup) p.setup();
  if (he) p.keys(he.moduli);
  for (const c of calls) p.price(c);
  return sink.list();
}
