// Silent OT extension: each direction's random COTs come from a pool that Ferret iterations
// (ferret.ts) refill, and a batch with chosen choice bits derandomizes pooled ones (Beaver's
// derandomization, Crypto 1995: the receiver sends d_j = c_j ⊕ b_j, the sender's row becomes
// q_j ⊕ d_j·Δ, so q = t ⊕ b·Δ). Sans-IO, the same interface as IKNP's (iknp.ts): the receiver's
// `extend(choices)` returns the one message and its rows, the sender's `extend(n, msg)` its rows,
// so the flavours (cot.ts, rot.ts, vcot.ts, nchoose1.ts) run on either unchanged.
// Refills: a direction's pool is refilled before a round needs more than it holds, by the plan
// both parties (and the forecast) compute from public sizes (ot-sizes.ts refillPlan): a run that
// takes few COTs gets IKNP random OTs (the session's base OTs' extension) straight into the pool;
// beyond IKNP_CAP, IKNP makes Ferret's bootstrap reserve, and every iteration sets aside the next
// one's reserve from its outputs (Ferret §5).
// Wire: a batch of n, receiver → sender, `silentMsgBytes(n)` = 8 + ⌈n/8⌉ bytes (header: first OT
// index mod 2^32 and n; the d bits); a refill, `refillBytes(plan)`.
import { randomBytes } from "node:crypto";
import type { IknpReceiver, IknpSender, ReceiverRows, SenderRows } from "./iknp.js";
import { ferretRecv, ferretSend, type FerretContext } from "./ferret.js";
import { FERRET_BOOT, ferretMsgBytes, refillBytes, refillPlan, reserveOf, silentMsgBytes, type LpnParams, type PoolState, type RefillStep } from "../../compiler/cost/ot-sizes.js";
import { checkBatch, checkLength, misuse, writeBatchHeader, type OtLabel } from "./wire.js";

/** A refill's Ferret iteration. */
type FerretStep = Extract<RefillStep, { run: "ferret" }>;

export { silentMsgBytes };

const HEADER = silentMsgBytes(0);
/** Ferret's TCCR domain for a direction: apart from the domains the flavours hash rows in. */
const ferretDomain = (domain: number) => 16 + domain;

/** Rows kept in order: the pool's unused part is rows [from, rows.length / 16). */
interface Pool {
  level: 0 | 1 | 2;
  /** The next iteration's reserve. */
  reserve: Uint8Array;
  rows: Uint8Array;
  from: number;
  /** COTs IKNP put straight into the pool this run (level 0). */
  made: number;
}

function emptyPool(): Pool {
  return { level: 0, reserve: new Uint8Array(0), rows: new Uint8Array(0), from: 0, made: 0 };
}

/** A direction's Ferret iterations so far: their count (the message header) and the level COTs hashed (the next TCCR tweak). */
class Iterations {
  private count = 0;
  private hashed = 0;
  next(p: LpnParams, domain: number, party: string): FerretContext {
    const ctx = { iteration: this.count++, first: this.hashed, domain: ferretDomain(domain), party };
    this.hashed += p.t * p.h;
    return ctx;
  }
}

function stateOf(p: Pool): PoolState {
  return { level: p.level, available: p.rows.length / 16 - p.from, made: p.made };
}

/** The pool's unused part followed by the fresh parts, in one copy (`per` bytes per OT: 16 for rows, 1 for choice bits). */
function append(old: Uint8Array, from: number, fresh: readonly Uint8Array[], per: number): Uint8Array {
  const rest = old.subarray(per * from);
  if (rest.length === 0 && fresh.length === 1) return fresh[0]!;
  const out = new Uint8Array(rest.length + fresh.reduce((a, f) => a + f.length, 0));
  out.set(rest);
  let o = rest.length;
  for (const f of fresh) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** The COT receiver of a direction: choice bits and rows t_j. */
export class SilentReceiver {
  private pool = emptyPool();
  private choices: Uint8Array = new Uint8Array(0);
  private reserveChoices: Uint8Array = new Uint8Array(0);
  private next = 0;
  private readonly iterations = new Iterations();
  private pending: RefillStep[] | undefined;
  private freshC: Uint8Array[] = [];
  private freshT: Uint8Array[] = [];

  constructor(private readonly iknp: IknpReceiver, readonly domain: number, private readonly party = "ot") {}

  state(): PoolState {
    return stateOf(this.pool);
  }

  /** Drop the pool and its reserve (a new run: the next refill bootstraps again); the counters go on. */
  reset(): void {
    this.pool = emptyPool();
    this.choices = new Uint8Array(0);
    this.reserveChoices = new Uint8Array(0);
    this.pending = undefined;
    this.freshC = [];
    this.freshT = [];
  }

  /**
   * Start a refill for `need` COTs: the plan, and the IKNP message to send if it has an IKNP
   * step (random OTs for the pool, or Ferret's bootstrap reserve). Then `absorb` for each of the
   * plan's Ferret iterations and `endRefill` (or `finishRefill` with all their messages at once).
   */
  startRefill(need: number): { steps: RefillStep[]; msg?: Uint8Array } {
    const { steps } = refillPlan(this.state(), need);
    this.pending = steps;
    const first = steps[0];
    if (first?.run === "iknp-pool") {
      const c = Uint8Array.from(randomBytes(first.n), (b) => b & 1);
      const { msg, rows } = this.iknp.extend(c);
      this.choices = append(this.choices, this.pool.from, [c], 1);
      this.pool.rows = append(this.pool.rows, this.pool.from, [rows.t], 16);
      this.pool.from = 0;
      this.pool.made += first.n;
      return { steps, msg };
    }
    if (first?.run !== "iknp") return { steps };
    const c = Uint8Array.from(randomBytes(reserveOf(FERRET_BOOT)), (b) => b & 1);
    const { msg, rows } = this.iknp.extend(c);
    this.pool.reserve = rows.t;
    this.reserveChoices = c;
    this.pool.level = 1;
    return { steps, msg };
  }

  /** One Ferret iteration of the started refill, with the sender's message for it (the plan's iterations in order). */
  absorb(step: FerretStep, msg: Uint8Array): void {
    if (!this.pending) misuse("SilentReceiver.absorb", "no refill was started");
    const out = ferretRecv(step.params, this.reserveChoices, this.pool.reserve, msg, this.iterations.next(step.params, this.domain, this.party));
    this.reserveChoices = out.c.slice(0, step.keep);
    this.pool.reserve = out.t.slice(0, 16 * step.keep);
    this.freshC.push(out.c.subarray(step.keep));
    this.freshT.push(out.t.subarray(16 * step.keep));
    if (step.params !== FERRET_BOOT || step.keep !== reserveOf(FERRET_BOOT)) this.pool.level = 2;
  }

  /** End the refill: the iterations' outputs join the pool. */
  endRefill(): void {
    this.pending = undefined;
    if (this.freshT.length === 0) return;
    this.choices = append(this.choices, this.pool.from, this.freshC, 1);
    this.pool.rows = append(this.pool.rows, this.pool.from, this.freshT, 16);
    this.pool.from = 0;
    this.freshC = [];
    this.freshT = [];
  }

  /** Finish the refill with all of the sender's iteration messages at once, in order (empty when it has none). */
  finishRefill(flight: Uint8Array): void {
    const steps = this.pending;
    if (!steps) misuse("SilentReceiver.finishRefill", "no refill was started");
    checkLength({ party: this.party, where: "silent OT refill" }, flight, refillBytes(steps).toReceiver, `the refill's iteration messages`);
    let o = 0;
    for (const s of steps) {
      if (s.run !== "ferret") continue;
      const len = ferretMsgBytes(s.params);
      this.absorb(s, flight.subarray(o, o + len));
      o += len;
    }
    this.endRefill();
  }

  /** A batch of choices.length OTs (one choice bit, 0 or 1, per byte) from the pool. */
  extend(choices: Uint8Array): { msg: Uint8Array; rows: ReceiverRows } {
    const n = choices.length;
    const have = this.state().available;
    if (have < n) misuse("SilentReceiver.extend", `${n} OTs asked of a pool of ${have} (a refill was skipped)`);
    const first = this.next;
    this.next += n;
    const msg = new Uint8Array(silentMsgBytes(n));
    writeBatchHeader(msg, first, n);
    const f = this.pool.from;
    for (let j = 0; j < n; j++) {
      const c = choices[j]!;
      if (c > 1) misuse("SilentReceiver.extend", `choice ${c} at ${j} is not a bit`);
      msg[HEADER + (j >>> 3)]! |= (c ^ this.choices[f + j]!) << (j & 7);
    }
    const t = this.pool.rows.slice(16 * f, 16 * (f + n));
    this.pool.from += n;
    return { msg, rows: { n, first, domain: this.domain, choices: choices.slice(), t } };
  }
}

/** The COT sender of a direction: rows q_j = t_j ⊕ c_j·Δ, Δ its IKNP Δ. */
export class SilentSender {
  private pool = emptyPool();
  private next = 0;
  private readonly iterations = new Iterations();
  private fresh: Uint8Array[] = [];
  readonly delta: Uint8Array;

  constructor(private readonly iknp: IknpSender, readonly domain: number, private readonly party = "ot") {
    this.delta = iknp.delta;
  }

  state(): PoolState {
    return stateOf(this.pool);
  }

  /** Drop the pool and its reserve (a new run); the counters go on. */
  reset(): void {
    this.pool = emptyPool();
    this.fresh = [];
  }

  /** The refill for `need` COTs: its plan (the receiver computes the same). */
  plan(need: number): RefillStep[] {
    return refillPlan(this.state(), need).steps;
  }

  /** Begin a refill: its IKNP step, if the plan has one, with the receiver's IKNP message. */
  beginRefill(steps: readonly RefillStep[], iknpMsg?: Uint8Array): void {
    for (const s of steps) {
      if (s.run === "ferret") continue;
      if (!iknpMsg) misuse("SilentSender.beginRefill", "an IKNP step without the receiver's IKNP message");
      if (s.run === "iknp") {
        this.pool.reserve = this.iknp.extend(reserveOf(FERRET_BOOT), iknpMsg).q;
        this.pool.level = 1;
      } else {
        this.fresh.push(this.iknp.extend(s.n, iknpMsg).q);
        this.pool.made += s.n;
      }
    }
  }

  /** One Ferret iteration of the refill (the plan's iterations in order): the message to send. */
  iterate(step: FerretStep): Uint8Array {
    const out = ferretSend(step.params, this.pool.reserve, this.delta, this.iterations.next(step.params, this.domain, this.party));
    this.pool.reserve = out.q.slice(0, 16 * step.keep);
    this.fresh.push(out.q.subarray(16 * step.keep));
    if (step.params !== FERRET_BOOT || step.keep !== reserveOf(FERRET_BOOT)) this.pool.level = 2;
    return out.msg;
  }

  /** End the refill: the new rows join the pool. */
  endRefill(): void {
    if (this.fresh.length === 0) return;
    this.pool.rows = append(this.pool.rows, this.pool.from, this.fresh, 16);
    this.pool.from = 0;
    this.fresh = [];
  }

  /** A whole refill at once: its iteration messages, concatenated (empty without iterations). */
  refill(steps: readonly RefillStep[], iknpMsg?: Uint8Array): Uint8Array {
    this.beginRefill(steps, iknpMsg);
    const flight = new Uint8Array(refillBytes(steps).toReceiver);
    let o = 0;
    for (const s of steps) {
      if (s.run !== "ferret") continue;
      const msg = this.iterate(s);
      flight.set(msg, o);
      o += msg.length;
    }
    this.endRefill();
    return flight;
  }

  /** A batch of n OTs with the receiver's message for it. */
  extend(n: number, msg: Uint8Array): SenderRows {
    const label: OtLabel = { party: this.party, where: "OT extension" };
    checkBatch(label, msg, silentMsgBytes(n), `the choice corrections for ${n} OTs`, this.next, n);
    const have = this.state().available;
    if (have < n) misuse("SilentSender.extend", `${n} OTs asked of a pool of ${have} (a refill was skipped)`);
    const first = this.next;
    this.next += n;
    const f = this.pool.from;
    const q = this.pool.rows.slice(16 * f, 16 * (f + n));
    this.pool.from += n;
    const d = this.delta;
    for (let j = 0; j < n; j++) {
      if ((msg[HEADER + (j >>> 3)]! >>> (j & 7)) & 1) for (let b = 0; b < 16; b++) q[16 * j + b]! ^= d[b]!;
    }
    return { n, first, domain: this.domain, delta: this.delta, q };
  }
}
