// `npm run bench:elements`: the per-element online cost of the non-linear building blocks
// under pq's dealer correlations, read off the meter, next to the published costs of the
// same blocks: CrypTFlow2/SiRNN (IKNP OT extension, λ = 128) and Cheetah (silent OT), as
// tabulated in ../shared/PROTOCOLS.md, and the dealer/FSS floor (a function-secret-sharing
// gate opens one masked ℓ-bit value per party: 2ℓ bits online in all).
// Blocks: signed ReLU on ℓ bits; truncate-and-reduce by s = ℓ/2 (ℓ → ℓ − s bits);
// extension ℓ → 2ℓ with the MSB unknown and with it known (a value after ReLU);
// at ℓ = 4, 8, 16, 32, on n = 8192 random elements at once (so the 10-byte frame headers,
// a few per round, are amortised; the table shows bits with and without them).
// Every run is also checked: the reconstructed output equals the plaintext function.
import { randomBytes } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { tensorFromBigints, toBigints } from "../interpreter/plain/tensor.js";
import { HEADER_BYTES } from "../interpreter/twopc/channel.js";
import { runBoth } from "../interpreter/twopc/local.js";
import { totals, type Counters } from "../interpreter/twopc/meter.js";
import { step, type Party } from "../interpreter/twopc/party.js";
import { add, inRing, ringFromBytes, sub, zeroShare, type Share } from "../interpreter/twopc/ring.js";
import { drelu } from "../interpreter/protocols/drelu.js";
import { select } from "../interpreter/protocols/select.js";
import { truncReduce } from "../interpreter/protocols/trunc.js";
import { extend } from "../interpreter/protocols/extend.js";

const N = 8192;
const LAMBDA = 128;
const WIDTHS = [4, 8, 16, 32];

interface Block {
  name: string;
  /** Inputs must be non-negative (below 2^(ℓ−1)): the known-MSB fact the protocol relies on. */
  nonneg: boolean;
  run: (p: Party, x: Share, l: number) => Promise<Share>;
  /** The plaintext meaning, on the signed reading of the input; the output's width. */
  want: (v: bigint, l: number) => bigint;
  outBits: (l: number) => number;
  /** Bits per element, both directions, from PROTOCOLS.md. */
  iknp: (l: number) => number;
  silent: (l: number) => number;
  /** Rounds of the SCI implementation (4-bit digits in the millionaires' tree), from PROTOCOLS.md. */
  sciRounds: (l: number) => number;
}

/**
 * Signed ReLU as the backend runs it: std/protocols' `relu` (stdlib/protocols.pq), DReLU then
 * select(b, x, 0), which the compiler inlines into the graph; composed here from the same
 * two primitives, under the same meter scope, so no graph is needed.
 */
function relu(p: Party, x: Share): Promise<Share> {
  return step(p, "relu", async () => select(p, await drelu(p, x), x, zeroShare(x.bits, [1])));
}

/** Rounds of SCI's millionaires' comparison on m bits: 1 + ⌈log₂⌈m/4⌉⌉. */
const cmpRounds = (m: number): number => 1 + Math.ceil(Math.log2(Math.max(1, Math.ceil(m / 4))));

const BLOCKS: Block[] = [
  {
    name: "ReLU (signed)",
    nonneg: false,
    run: relu,
    want: (v) => (v > 0n ? v : 0n),
    outBits: (l) => l,
    iknp: (l) => LAMBDA * l + 18 * l,
    silent: (l) => 13 * l,
    sciRounds: (l) => cmpRounds(l - 1) + 1,
  },
  {
    name: "truncReduce s=ℓ/2",
    nonneg: false,
    run: (p, x, l) => truncReduce(p, x, l / 2, true, false),
    want: (v, l) => v >> BigInt(l / 2),
    outBits: (l) => l - l / 2,
    iknp: (l) => LAMBDA * (l / 2 + 1) + l + 13 * (l / 2),
    silent: (l) => 11 * (l / 2) + (l - l / 2),
    sciRounds: (l) => cmpRounds(l / 2) + 1,
  },
  {
    name: "extend ℓ→2ℓ, MSB unknown",
    nonneg: false,
    run: (p, x, l) => extend(p, x, true, false, 2 * l),
    want: (v) => v,
    outBits: (l) => 2 * l,
    iknp: (l) => LAMBDA * (l + 1) + 13 * l + 2 * l,
    silent: (l) => 11 * l + l,
    sciRounds: (l) => cmpRounds(l) + 1,
  },
  {
    name: "extend ℓ→2ℓ, MSB known",
    nonneg: true,
    run: (p, x, l) => extend(p, x, true, true, 2 * l),
    want: (v) => v,
    outBits: (l) => 2 * l,
    iknp: (l) => 3 * LAMBDA + 4 + l,
    silent: (l) => l + 6,
    sciRounds: () => 2,
  },
];

/** n random values of the input type: signed ℓ-bit, or in [0, 2^(ℓ−1)) when the MSB is known to be 0. */
function randomValues(l: number, nonneg: boolean): bigint[] {
  const bytes = randomBytes(8 * N);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: bigint[] = [];
  for (let i = 0; i < N; i++) {
    const r = view.getBigUint64(8 * i);
    out.push(nonneg ? BigInt.asUintN(l - 1, r) : BigInt.asIntN(l, r));
  }
  return out;
}

/** Random additive shares of `values` in Z_2^l: the client's and the server's. */
function share(values: bigint[], l: number): [Share, Share] {
  const x = inRing(tensorFromBigints([N], l, true, values), l);
  const r = ringFromBytes(randomBytes(8 * N), l, [N]);
  return [sub(x, r), r];
}

interface Measured {
  client: Counters;
  server: Counters;
  offline: number;
  ok: boolean;
}

async function measure(b: Block, l: number): Promise<Measured> {
  const values = randomValues(l, b.nonneg);
  const [x0, x1] = share(values, l);
  const r = await runBoth((p) => b.run(p, x0, l), (p) => b.run(p, x1, l), { provider: { kind: "dealer", seed: `elements-${l}` } });
  const got = toBigints(add(r.client, r.server));
  const ob = b.outBits(l);
  // Reconstructed values are in signed canonical form in Z_2^ob; compare in that ring.
  const ok = got.length === N && got.every((v, i) => v === BigInt.asIntN(ob, b.want(values[i]!, l)));
  const [pc, ps] = r.parties;
  const offline = totals(pc.meter.report(), "offline").recv + totals(ps.meter.report(), "offline").recv;
  return { client: totals(pc.meter.report(), "online"), server: totals(ps.meter.report(), "online"), offline, ok };
}

const perElem = (bytes: number): number => (8 * bytes) / N;
const bits = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log("pq per-element costs of the non-linear building blocks (dealer correlations)");
  console.log(`machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`);
  console.log(`load average (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(" / ")}; n = ${N} elements per run`);
  console.log();

  const rows: string[][] = [];
  let failed = false;
  for (const b of BLOCKS) {
    for (const l of WIDTHS) {
      const m = await measure(b, l);
      if (!m.ok) failed = true;
      const sent = m.client.sent + m.server.sent;
      const headers = HEADER_BYTES * (m.client.messages + m.server.messages);
      rows.push([
        b.name, String(l),
        bits(perElem(m.client.sent)), bits(perElem(m.server.sent)), bits(perElem(sent)), bits(perElem(sent - headers)),
        `${m.client.rounds}/${m.server.rounds}`, bits(perElem(m.offline)),
        bits(b.iknp(l)), bits(b.silent(l)), String(2 * l), String(b.sciRounds(l)),
        m.ok ? "ok" : "WRONG",
      ]);
    }
  }
  console.log(table(
    ["block", "ℓ", "client", "server", "total", "total−hdr", "rounds c/s", "offline", "CrypTFlow2", "Cheetah", "FSS floor", "SCI rounds", "check"],
    rows,
  ));
  console.log("bits per element; client/server: online bits each party sent (10-byte frame headers included), total = both, total−hdr = without headers; " +
    "rounds c/s: client's/server's; offline: dealer bits; CrypTFlow2 (IKNP, λ = 128), Cheetah (silent OT): PROTOCOLS.md, both directions, same ℓ; " +
    "FSS floor: 2ℓ, one masked ℓ-bit opening per party; check: reconstructed output = plaintext.");
  process.exitCode = failed ? 1 : 0;
}

await main();
