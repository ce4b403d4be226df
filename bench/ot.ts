// `npm run bench:ot`: the OT engine's throughput with both parties in one process on one
// core (so a per-party rate on its own core is about twice the figure): base-OT session
// setup (both directions), Ferret's pool refills (the bootstrap, and main-size iterations),
// correlated OT over Z_2^ℓ (ℓ = 8, 16, 32) at n = 2^16 and 2^20, random OT with 128-bit
// messages, and 1-of-16 OT with 2-bit messages (millionaire leaves) — the flavours on COTs
// already pooled (their refill is the refill rows' cost).
// Each figure is the best of REPS runs (the box is shared; the load average is printed), and
// every run checks a sample of its outputs. Bytes are payloads, as the size functions state.
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { cotBytes, cotRecv, cotSend } from "../interpreter/ot/cot.js";
import type { SilentReceiver, SilentSender } from "../interpreter/ot/silent.js";
import { nChoose1Bytes, nChoose1Choices, nChoose1Recv, nChoose1Send } from "../interpreter/ot/nchoose1.js";
import { FERRET_MAIN, refillBytes, reserveOf } from "../compiler/cost/ot-sizes.js";
import { rotBytes, rotRecv, rotSend } from "../interpreter/ot/rot.js";
import { SETUP_BYTES_PER_PARTY, setupOt } from "../interpreter/ot/session.js";
import { vecGet, vecZeros } from "../interpreter/ot/vec.js";
import { Channel, memoryPair } from "../interpreter/twopc/channel.js";
import { Meter } from "../interpreter/twopc/meter.js";

const REPS = 3;

interface Times {
  /** Milliseconds of the sender's and the receiver's work in one batch. */
  s: number;
  r: number;
}

interface Row extends Times {
  what: string;
  n: number;
  bytesPerOt: number;
}

/** Runs `g`, adding its time to one party's account. */
type Clock = <T>(side: keyof Times, g: () => T) => T;

function bits(n: number, mod = 2): Uint8Array {
  const r = new Uint8Array(randomBytes(n));
  for (let i = 0; i < n; i++) r[i] = r[i]! % mod;
  return r;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench:ot: wrong result in ${what}`);
}

/** The fastest (by s + r) of REPS timed runs after one untimed warm-up run (JIT). */
function best(f: (clock: Clock) => void): Times {
  const run = (): Times => {
    const t: Times = { s: 0, r: 0 };
    f((side, g) => {
      const t0 = performance.now();
      const out = g();
      t[side] += performance.now() - t0;
      return out;
    });
    return t;
  };
  run();
  let top: Times = { s: Infinity, r: Infinity };
  for (let i = 0; i < REPS; i++) {
    const t = run();
    if (t.s + t.r < top.s + top.r) top = t;
  }
  return top;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  let setupMs = Infinity;
  let snd: SilentSender | undefined;
  let rcv: SilentReceiver | undefined;
  for (let r = 0; r < REPS; r++) {
    const [a, b] = memoryPair();
    const t0 = performance.now();
    const [client, server] = await Promise.all([setupOt(new Channel(a, new Meter(), "client"), "client"), setupOt(new Channel(b, new Meter(), "server"), "server")]);
    setupMs = Math.min(setupMs, performance.now() - t0);
    snd = server.sender; // the direction in which the client receives
    rcv = client.receiver;
  }
  if (!snd || !rcv) return;
  const S = snd;
  const R = rcv;
  /** A refill of the pool for n more OTs, timed per side; its flight's bytes. */
  const refill = (n: number, clock?: Clock): number => {
    const time: Clock = clock ?? ((_, g) => g());
    const need = R.state().available + n;
    const start = time("r", () => R.startRefill(need));
    const flight = time("s", () => S.refill(S.plan(need), start.msg));
    time("r", () => R.finishRefill(flight));
    return (start.msg?.length ?? 0) + flight.length;
  };
  // The bootstrap (IKNP reserve, bootstrap iterations, the upgrade), then main-size iterations.
  {
    const t: Times = { s: 0, r: 0 };
    const n = 300_000;
    const bytes = refill(n, (side, g) => {
      const t0 = performance.now();
      const out = g();
      t[side] += performance.now() - t0;
      return out;
    });
    rows.push({ what: "refill, first", n: R.state().available, ...t, bytesPerOt: bytes / R.state().available });
    const net = FERRET_MAIN.n - reserveOf(FERRET_MAIN);
    const ms = best((clock) => void refill(net, clock));
    rows.push({ what: "refill, main", n: net, ...ms, bytesPerOt: refillBytes([{ run: "ferret", params: FERRET_MAIN, keep: reserveOf(FERRET_MAIN) }]).toReceiver / net });
  }
  /** Pool n OTs (untimed) before a flavour's batch. */
  const pooled = (n: number) => {
    if (R.state().available < n) refill(n - R.state().available);
  };

  for (const n of [1 << 16, 1 << 20]) {
    for (const ell of [8, 16, 32]) {
      const delta = vecZeros(n, ell) as Float64Array;
      for (let j = 0; j < n; j++) delta[j] = j % 2 ** ell;
      const c = bits(n);
      const ms = best((clock) => {
        pooled(n);
        const { msg, rows } = clock("r", () => R.extend(c));
        const { x, msg: msg2 } = clock("s", () => cotSend(S.extend(n, msg), delta, ell));
        const y = clock("r", () => cotRecv(rows, msg2, ell));
        for (const j of [0, 1, n >>> 1, n - 1]) check(vecGet(y, j) === (vecGet(x, j) + BigInt(c[j]!) * vecGet(delta, j)) % (1n << BigInt(ell)), `COT ℓ=${ell}`);
      });
      const sz = cotBytes(n, ell);
      rows.push({ what: `COT ℓ=${ell}`, n, ...ms, bytesPerOt: (sz.toSender + sz.toReceiver) / n });
    }
  }

  {
    const n = 1 << 20;
    const c = bits(n);
    const ms = best((clock) => {
      pooled(n);
      const { msg, rows } = clock("r", () => R.extend(c));
      const { m0, m1 } = clock("s", () => rotSend(S.extend(n, msg), 128));
      const got = clock("r", () => rotRecv(rows, 128));
      for (const j of [0, n - 1]) check(Buffer.compare(got.subarray(16 * j, 16 * j + 16), (c[j] ? m1 : m0).subarray(16 * j, 16 * j + 16)) === 0, "ROT");
    });
    const sz = rotBytes(n);
    rows.push({ what: "ROT b=128", n, ...ms, bytesPerOt: (sz.toSender + sz.toReceiver) / n });
  }

  for (const n of [1 << 16, 1 << 18]) {
    const N = 16;
    const k = 2;
    const messages = Uint32Array.from(bits(n * N, 4));
    const v = bits(n, N);
    const ms = best((clock) => {
      pooled(4 * n);
      const { msg, rows } = clock("r", () => R.extend(nChoose1Choices(v, N)));
      const msg2 = clock("s", () => nChoose1Send(S.extend(4 * n, msg), messages, N, k));
      const got = clock("r", () => nChoose1Recv(rows, v, msg2, N, k));
      for (const i of [0, n - 1]) check(got[i] === messages[i * N + v[i]!], "1-of-16");
    });
    const sz = nChoose1Bytes(n, N, k);
    rows.push({ what: "1-of-16 table", n, ...ms, bytesPerOt: (sz.toSender + sz.toReceiver) / n });
  }

  const load = loadavg().map((x) => x.toFixed(2)).join(" ");
  console.log(`OT engine, both parties in one process (best of ${REPS}); load average ${load}\n`);
  console.log(`session setup, both directions (2 × 128 Chou–Orlandi OTs): ${setupMs.toFixed(0)} ms, ${SETUP_BYTES_PER_PARTY} payload bytes sent per party`);
  console.log("");
  console.log(`${"flavour".padEnd(14)} ${"n".padStart(8)} ${"S ms".padStart(8)} ${"R ms".padStart(8)} ${"M OT/s".padStart(8)} ${"bits/OT".padStart(8)}`);
  for (const r of rows) {
    const cells = [String(r.n).padStart(8), r.s.toFixed(1).padStart(8), r.r.toFixed(1).padStart(8), (r.n / (r.s + r.r) / 1000).toFixed(2).padStart(8), (8 * r.bytesPerOt).toFixed(1).padStart(8)];
    console.log(`${r.what.padEnd(14)} ${cells.join(" ")}`);
  }
  console.log("\nS ms / R ms: the sender's / receiver's time for one batch (extend + flavour); M OT/s = n / (S + R), one core for both;");
  console.log("bits/OT: payload both directions (for 1-of-16: per 1-of-16 instance; for a refill: per COT it adds to the pool, which the flavours' rows do not include).");
  console.log("refill, first: the bootstrap of an empty pool for 300,000 COTs (IKNP reserve, bootstrap iterations, upgrade). Throughput only: every run checks samples.");
}

await main();
