// The OT-hybrid model, executable: an `ot` provider whose oblivious transfers are the ideal
// functionalities of proofs/ot.md §1, with every free value drawn from a `Source` (an
// odometer: the whole probability space, each point once), for the privacy checks
// `ot-privacy/…` (ot-privacy.ts).
//
// `IdealOtProvider` is an `OtProvider` (so `kernelOf` picks the OT-native kernels and `otOf`
// finds it) with three things replaced, nothing else:
//   round       both parties' round k meet at an `IdealOtHub`, which pairs each party's sender
//               batches with the other's receiver batches (list order, as otRound does) and
//               evaluates each pair as its functionality, read from the batch's `ideal`
//               description (interpreter/ot/batches.ts) — never its IKNP callbacks:
//                 F_ROT^b        sender gets m0_j, m1_j uniform b-bit; receiver m_{c_j, j}
//                 F_COT^ℓ        sender gets x_j uniform in Z_2^ℓ; receiver x_j + c_j·Δ_j
//                 F_VCOT^{L,ℓ}   the same, L values per OT
//                 F_(N choose 1)^k  sender gets nothing; receiver m_{j, v_j}
//               So a kernel's OT traffic is no part of any view; 1-of-N is ideal whatever
//               construction realizes it.
//   randomBits / randomRing   the party's own randomness, from the same source.
// Each party's view log (the harness's `View.events`, beside the frames it receives) gets,
// in order: `own:` its own random values, `ot>kind:` its outputs as an OT sender (none for
// 1-of-N: an ideal sender learns nothing), `ot<kind:` its outputs as an OT receiver.
// The draw order is fixed (client-sender batches, then server-sender batches, each in list
// order; per OT m0 then m1, per vector element in order), so the odometer sees the same
// sequence of widths in every run of the same sizes.
import type { Endpoint } from "../../interpreter/providers/correlations.js";
import type { Source } from "../../interpreter/providers/enumerated.js";
import { OtProvider } from "../../interpreter/providers/ot.js";
import type { IdealReceive, IdealSend } from "../../interpreter/ot/batches.js";
import type { ReceiveIn, SendIn } from "../../interpreter/ot/round.js";
import type { OtPair } from "../../interpreter/ot/session.js";
import { vecZeros, type Vec } from "../../interpreter/ot/vec.js";
import { isWide } from "../../interpreter/plain/tensor.js";
import type { Role } from "../../interpreter/twopc/channel.js";
import { constShare, type Share } from "../../interpreter/twopc/ring.js";

/** No IKNP session: an ideal provider never extends OTs (any use is a checker bug). */
const NO_SESSION = new Proxy({}, {
  get() {
    throw new Error("checker: the ideal OT provider has no IKNP session");
  },
}) as OtPair;

interface Call {
  role: Role;
  receive: readonly ReceiveIn<unknown>[];
  send: readonly SendIn<unknown>[];
  log: string[] | undefined;
  done: (r: { received: unknown[]; sent: unknown[] }) => void;
  fail: (e: Error) => void;
}

const vecText = (v: Vec): string => Array.from(v as ArrayLike<number | bigint>, (x) => x.toString(16)).join(",");
const bytesText = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16)).join(",");

/** b-bit values to ⌈b/8⌉ bytes each, little-endian (rot.ts's packing). */
function packMessages(vals: readonly bigint[], b: number): Uint8Array {
  const B = Math.ceil(b / 8);
  const out = new Uint8Array(B * vals.length);
  vals.forEach((v, j) => {
    for (let k = 0; k < B; k++) out[B * j + k] = Number((v >> BigInt(8 * k)) & 0xffn);
  });
  return out;
}

function setVec(v: Vec, i: number, x: bigint): void {
  if (v instanceof BigUint64Array) v[i] = x;
  else v[i] = Number(x);
}

const getVec = (v: Vec, i: number): bigint => (v instanceof BigUint64Array ? v[i]! : BigInt(v[i]!));

/** Where both parties' OT rounds meet; one per run, shared by the two providers. */
export class IdealOtHub {
  private waiting: Call | undefined;
  /** Rounds evaluated so far. */
  rounds = 0;
  constructor(readonly source: Source) {}

  round(call: Omit<Call, "done" | "fail">): Promise<{ received: unknown[]; sent: unknown[] }> {
    return new Promise((done, fail) => {
      const me: Call = { ...call, done, fail };
      const other = this.waiting;
      if (!other) {
        this.waiting = me;
        return;
      }
      this.waiting = undefined;
      if (other.role === me.role) {
        const e = new Error(`checker: the ${me.role} entered OT round ${this.rounds} twice`);
        other.fail(e);
        fail(e);
        return;
      }
      const [c, s] = me.role === "client" ? [me, other] : [other, me];
      try {
        const client = { received: new Array<unknown>(c.receive.length), sent: new Array<unknown>(c.send.length) };
        const server = { received: new Array<unknown>(s.receive.length), sent: new Array<unknown>(s.send.length) };
        this.direction(c, s, client.sent, server.received);
        this.direction(s, c, server.sent, client.received);
        this.rounds++;
        c.done(client);
        s.done(server);
      } catch (e) {
        c.fail(e as Error);
        s.fail(e as Error);
      }
    });
  }

  /** The batches `from` sends to `to`, in list order. */
  private direction(from: Call, to: Call, sent: unknown[], received: unknown[]): void {
    if (from.send.length !== to.receive.length) throw new Error(`OT round ${this.rounds}: the ${from.role} sends ${from.send.length} batches, the ${to.role} receives ${to.receive.length}`);
    from.send.forEach((sb, j) => {
      const rb = to.receive[j]!;
      const where = `OT round ${this.rounds}, ${from.role} → ${to.role} batch ${j}`;
      if (!sb.ideal || !rb.ideal) throw new Error(`${where}: a batch without an ideal description (build it with interpreter/ot/batches.ts)`);
      if (sb.n !== rb.choices.length) throw new Error(`${where}: the sender extends ${sb.n} OTs, the receiver ${rb.choices.length}`);
      const e = this.evaluate(sb.ideal, rb.ideal, where);
      sent[j] = e.out;
      received[j] = e.got;
      from.log?.push(`ot>${e.kind}:${e.outText}`);
      to.log?.push(`ot<${e.kind}:${e.gotText}`);
    });
  }

  /** One batch pair: the sender's output, the receiver's, and both as view text. */
  private evaluate(s: IdealSend, r: IdealReceive, where: string): { kind: string; out: unknown; got: unknown; outText: string; gotText: string } {
    if (s.kind !== r.kind) throw new Error(`${where}: the sender runs ${s.kind}, the receiver ${r.kind}`);
    const src = this.source;
    if (s.kind === "rot" && r.kind === "rot") {
      if (s.b !== r.b || s.n !== r.choices.length) throw new Error(`${where}: random OT of ${s.n}×${s.b} bits against ${r.choices.length}×${r.b}`);
      const m0: bigint[] = [];
      const m1: bigint[] = [];
      for (let j = 0; j < s.n; j++) {
        m0.push(src.draw(s.b));
        m1.push(src.draw(s.b));
      }
      const out = { m0: packMessages(m0, s.b), m1: packMessages(m1, s.b) };
      const got = packMessages(m0.map((v, j) => (r.choices[j] ? m1[j]! : v)), s.b);
      return { kind: "rot", out, got, outText: `${bytesText(out.m0)}|${bytesText(out.m1)}`, gotText: bytesText(got) };
    }
    if ((s.kind === "cot" && r.kind === "cot") || (s.kind === "vcot" && r.kind === "vcot")) {
      const L = s.kind === "vcot" && r.kind === "vcot" ? s.L : 1;
      if (s.ell !== r.ell || (r.kind === "vcot" && r.L !== L)) throw new Error(`${where}: ${s.kind} widths differ`);
      const n = r.choices.length;
      const delta = s.kind === "cot" ? s.delta : s.delta();
      if (delta.length !== n * L || isWide(s.ell) !== delta instanceof BigUint64Array) throw new Error(`${where}: Δ of ${delta.length} values for ${n}×${L} of ${s.ell} bits`);
      const x = vecZeros(n * L, s.ell);
      const y = vecZeros(n * L, s.ell);
      for (let j = 0; j < n; j++) {
        for (let v = 0; v < L; v++) {
          const i = j * L + v;
          const xi = src.draw(s.ell);
          setVec(x, i, xi);
          setVec(y, i, BigInt.asUintN(s.ell, xi + (r.choices[j] ? getVec(delta, i) : 0n)));
        }
      }
      return { kind: s.kind, out: x, got: y, outText: vecText(x), gotText: vecText(y) };
    }
    if (s.kind === "1ofN" && r.kind === "1ofN") {
      const { N, k } = s;
      if (r.N !== N || r.k !== k || s.messages.length !== r.v.length * N) throw new Error(`${where}: 1-of-${N} (${k} bits, ${s.messages.length / N} instances) against 1-of-${r.N} (${r.k} bits, ${r.v.length})`);
      const got = new Uint32Array(r.v.length);
      r.v.forEach((c, i) => {
        if (c >= N) throw new Error(`${where}: choice ${c} ≥ N = ${N}`);
        const m = s.messages[i * N + c]!;
        if (k < 32 && m >= 2 ** k) throw new Error(`${where}: message ${m} does not fit in ${k} bits`);
        got[i] = m;
      });
      return { kind: `1of${N}`, out: null, got, outText: "", gotText: Array.from(got, (x) => x.toString(16)).join(",") };
    }
    throw new Error(`${where}: unknown functionality`);
  }
}

/** The `ot` provider in the OT-hybrid model (header). `log`: the party's view, appended to. */
export class IdealOtProvider extends OtProvider {
  private readonly who: Role;
  constructor(io: Endpoint, private readonly hub: IdealOtHub, private readonly log: string[] | undefined) {
    super(io, NO_SESSION);
    this.who = io.role;
  }

  override round<R, S>(receive: readonly ReceiveIn<R>[], send: readonly SendIn<S>[], meanwhile?: () => void): Promise<{ received: R[]; sent: S[] }> {
    meanwhile?.();
    return this.hub.round({ role: this.who, receive, send, log: this.log }) as Promise<{ received: R[]; sent: S[] }>;
  }

  override randomBits(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.hub.source.bit();
    this.log?.push(`own:${bytesText(out)}`);
    return out;
  }

  override randomRing(bits: number, shape: number[]): Share {
    const n = shape.reduce((a, b) => a * b, 1);
    const v: bigint[] = [];
    for (let i = 0; i < n; i++) v.push(this.hub.source.draw(bits));
    this.log?.push(`own:${v.map((x) => x.toString(16)).join(",")}`);
    return constShare(bits, shape, (i) => v[i]!);
  }
}
