// What pq's OT provider puts on the wire, as pure functions of public sizes: the message
// sizes of the OT engine (interpreter/ot/) and the plans of the OT kernels (which OT batches
// a kernel runs). The runtime imports them from here and checks its messages against them,
// and the `ot` forecast (ot-provider.ts) prices with them, so the two cannot drift apart
// (the shared-plan habit of compiler/requant-plan.ts). Nothing here touches data.
import { LAMBDA } from "./wire.js";

/** IKNP's κ: base OTs per direction, bits of the receiver's column per OT. */
export const KAPPA = LAMBDA;

/** Bytes of an IKNP batch header: its first OT index mod 2^32 and its size (iknp.ts). */
const IKNP_HEADER = 8;

/** Bytes of an IKNP receiver's message for a batch of n OTs (κ/8 bytes per 8 OTs, plus the header): a run's first pooled COTs and Ferret's bootstrap reserve are made so. */
export function iknpMsgBytes(n: number): number {
  return IKNP_HEADER + (KAPPA / 8) * 8 * Math.ceil(n / 8);
}

/** Bytes of a silent-OT batch of n, receiver → sender (ot/silent.ts): the header and one derandomizing bit per OT. */
export function silentMsgBytes(n: number): number {
  return IKNP_HEADER + Math.ceil(n / 8);
}

/** A primal-LPN parameter set of Ferret's iteration (ot/ferret.ts): n = t·2^h outputs, k secret COTs, t noise positions. */
export interface LpnParams {
  readonly n: number;
  readonly k: number;
  readonly t: number;
  readonly h: number;
}

/** Bytes of one Ferret iteration's message, sender → receiver: header, seed, two masked sums per GGM level, one per tree. */
export function ferretMsgBytes(p: LpnParams): number {
  return 8 + 16 + 32 * p.t * p.h + 16 * p.t;
}

/** Ferret's bootstrap parameters (emp-ot N_REG_PRIMAL_RD1): 75,520 COTs from a reserve of 8,911 + 590·7. */
export const FERRET_BOOT: LpnParams = { n: 75520, k: 8911, t: 590, h: 7 };
/** Ferret's main parameters (emp-ot N_REG_PRIMAL_RD2): 607,232 COTs from a reserve of 69,454 + 593·10. */
export const FERRET_MAIN: LpnParams = { n: 607232, k: 69454, t: 593, h: 10 };
/** COTs an iteration with p consumes (and sets aside from its output for the next). */
export const reserveOf = (p: LpnParams): number => p.k + p.t * p.h;

/** A direction's COT pool (ot/silent.ts), as far as its sizes go: no Ferret reserve yet (0), Ferret's bootstrap level (1) or main level (2), the COTs ready to use, and (level 0) those IKNP made for the pool in this run. */
export interface PoolState {
  readonly level: 0 | 1 | 2;
  readonly available: number;
  readonly made: number;
}

/** An empty pool: how every run starts. */
export const EMPTY_POOL: PoolState = { level: 0, available: 0, made: 0 };

/** COTs a run may take from IKNP straight into the pool before it bootstraps Ferret, and the least IKNP refill (so at most IKNP_CAP / IKNP_CHUNK of them). */
export const IKNP_CAP = 4096;
export const IKNP_CHUNK = 512;

/**
 * One step of a refill: IKNP random OTs straight into the pool (`iknp-pool`, n of them), IKNP for
 * Ferret's first reserve (`iknp`), or a Ferret iteration keeping `keep` of its outputs as the next reserve.
 */
export type RefillStep =
  | { readonly run: "iknp-pool"; readonly n: number }
  | { readonly run: "iknp" }
  | { readonly run: "ferret"; readonly params: LpnParams; readonly keep: number };

/**
 * How a direction's pool gets `need` COTs ready (both parties and the forecast compute it from
 * the same public sizes). A run that takes few COTs gets them from IKNP (128 bits each, but no
 * fixed cost): up to IKNP_CAP in all, in refills of at least IKNP_CHUNK. Beyond that, IKNP makes
 * Ferret's bootstrap reserve, one bootstrap-size iteration follows, and any more COTs move the
 * pool to the main size for the run (a second bootstrap-size iteration whose outputs become the
 * main reserve), whose iterations then serve every refill.
 * `after`: the pool once refilled (before the need is taken from it).
 */
export function refillPlan(state: PoolState, need: number): { steps: RefillStep[]; after: PoolState } {
  let { level, available, made } = state;
  const steps: RefillStep[] = [];
  if (available >= need) return { steps, after: state };
  if (level === 0) {
    const n = Math.max(need - available, IKNP_CHUNK);
    if (made + n <= IKNP_CAP) {
      steps.push({ run: "iknp-pool", n });
      return { steps, after: { level, available: available + n, made: made + n } };
    }
    steps.push({ run: "iknp" }, { run: "ferret", params: FERRET_BOOT, keep: reserveOf(FERRET_BOOT) });
    available += FERRET_BOOT.n - reserveOf(FERRET_BOOT);
    level = 1;
  }
  if (available < need && level === 1) {
    steps.push({ run: "ferret", params: FERRET_BOOT, keep: reserveOf(FERRET_MAIN) });
    available += FERRET_BOOT.n - reserveOf(FERRET_MAIN);
    level = 2;
  }
  while (available < need) {
    steps.push({ run: "ferret", params: FERRET_MAIN, keep: reserveOf(FERRET_MAIN) });
    available += FERRET_MAIN.n - reserveOf(FERRET_MAIN);
  }
  return { steps, after: { level, available, made } };
}

/** Bytes of one iteration's message in a refill, with its frame header (each iteration is one message). */
const framed = (p: LpnParams): number => ferretMsgBytes(p) + 10;

/**
 * A separable bound of a direction's refills in one run, frame headers included: at most
 * POOL_FIXED + POOL_PER_COT·N bytes for a total need of N COTs (IKNP's refills before the
 * bootstrap, at most IKNP_CAP / IKNP_CHUNK messages of at most 8 + 16·n + 112 bytes each for n
 * COTs; the bootstrap's IKNP message and two bootstrap-size iterations; one main-size iteration
 * for rounding; and a main iteration's bytes per COT it makes). What a per-layer cost model
 * charges for the pool (examples/mnist/mixed.ts).
 */
export const POOL_FIXED = 16 * IKNP_CAP + (IKNP_CAP / IKNP_CHUNK) * (120 + 10) + iknpMsgBytes(reserveOf(FERRET_BOOT)) + 10 + 2 * framed(FERRET_BOOT) + framed(FERRET_MAIN);
export const POOL_PER_COT = framed(FERRET_MAIN) / (FERRET_MAIN.n - reserveOf(FERRET_MAIN));

/** The bytes of a refill each way: the receiver's IKNP message (a refill from IKNP, or Ferret's bootstrap) and the sender's iteration messages (one message each). */
export function refillBytes(steps: readonly RefillStep[]): { toSender: number; toReceiver: number } {
  let toSender = 0;
  let toReceiver = 0;
  for (const s of steps) {
    if (s.run === "iknp-pool") toSender += iknpMsgBytes(s.n);
    else if (s.run === "iknp") toSender += iknpMsgBytes(reserveOf(FERRET_BOOT));
    else toReceiver += ferretMsgBytes(s.params);
  }
  return { toSender, toReceiver };
}

/** One OT batch's two flights, and the pooled COTs it takes. */
export interface OtBytes {
  /** COTs the batch takes from its direction's pool (silent.ts). */
  ots: number;
  /** Receiver → sender (the derandomizing bits). */
  toSender: number;
  /** Sender → receiver (0 for random OT). */
  toReceiver: number;
}

/** Correlated OT over Z_2^ℓ (cot.ts): ℓ bits of correction per OT. */
export function cotBytes(n: number, ell: number): OtBytes {
  return { ots: n, toSender: silentMsgBytes(n), toReceiver: Math.ceil((n * ell) / 8) };
}

/** Random OT (rot.ts): nothing from the sender. */
export function rotBytes(n: number): OtBytes {
  return { ots: n, toSender: silentMsgBytes(n), toReceiver: 0 };
}

/** Chosen-message OT with b-bit messages (rot.ts): both messages masked, 2b bits per OT. */
export function chosenOtBytes(n: number, b: number): OtBytes {
  return { ots: n, toSender: silentMsgBytes(n), toReceiver: Math.ceil((2 * n * b) / 8) };
}

/** Vector correlated OT (vcot.ts): L values of ℓ bits per OT. */
export function vcotBytes(n: number, L: number, ell: number): OtBytes {
  return { ots: n, toSender: silentMsgBytes(n), toReceiver: Math.ceil((n * L * ell) / 8) };
}

/**
 * 1-out-of-2^w OT with k-bit messages (nchoose1.ts, the table trick): w pooled OTs per
 * instance, then N·k masked bits per instance.
 */
export function nChoose1Bytes(n: number, N: number, k: number): OtBytes {
  const ots = n * Math.log2(N);
  return { ots, toSender: silentMsgBytes(ots), toReceiver: Math.ceil((n * N * k) / 8) };
}

/**
 * Set-up flights of each party (session.ts): its A, then its κ B's (Chou–Orlandi base OT over
 * P-256, 33 bytes per compressed point). The pools' first refills come later, when a round needs them.
 */
export const SETUP_FLIGHTS: readonly number[] = [33, 33 * KAPPA];

export const SETUP_BYTES_PER_PARTY = SETUP_FLIGHTS.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------- the millionaire's plan

/** Bits of a leaf digit of the OT millionaire (protocols/millionaire.ts compareDigits). */
export const DIGIT = 4;

/** One level of the comparison tree: `pairs` nodes per element, `cnt` of them computed (the rest shared across blocks). */
export interface TreeLevel {
  pairs: number;
  next: number;
  root: boolean;
  /** Shared leaves of the level below (`sc`) and nodes of this one (`sp`) per element of blocks j ≥ 1. */
  sp: number;
  cnt: number;
}

/** The levels of the AND tree over `width` leaves per element, n elements in blocks of g, `sc` low leaves shared. */
export function treeLevels(n: number, g: number, width: number, sc: number): TreeLevel[] {
  const out: TreeLevel[] = [];
  for (; width > 1; width = Math.ceil(width / 2), sc >>= 1) {
    const pairs = Math.floor(width / 2);
    const next = Math.ceil(width / 2);
    const sp = sc >> 1;
    out.push({ pairs, next, root: pairs === 1 && next === 1, sp, cnt: g * pairs + (n - g) * (pairs - sp) });
  }
  return out;
}

/** One 1-of-2^w OT batch of the leaves: digits of width w sending k-bit messages, `count` instances. */
export interface LeafBatch {
  w: number;
  k: number;
  count: number;
}

export interface DigitPlan {
  /** Digits per value. */
  q: number;
  /** Digits wholly inside the shared low bits. */
  sd: number;
  /** Leaf batches in the order the kernel sends them (first seen walking elements, then digits). */
  leaves: LeafBatch[];
  /** Computed tree nodes over all levels. */
  T: number;
  /** Of them, nodes whose eq is needed: one paired triple each (a random OT each way). */
  P: number;
  /** The others (the low spine): one single bit triple each, two per 1-of-16 OT. */
  S: number;
  levels: TreeLevel[];
}

/** The OT millionaire on n m-bit values in blocks of g, `low` bits shared (compareDigits). */
export function digitPlan(n: number, g: number, m: number, low: number): DigitPlan {
  const q = Math.ceil(m / DIGIT);
  const sd = Math.floor(low / DIGIT);
  const width = (d: number) => Math.min(DIGIT, m - DIGIT * d);
  const batches = new Map<string, LeafBatch>();
  // Block 0 holds every digit, later blocks digits sd..q−1: count per (width, message bits).
  const add = (d: number, times: number) => {
    const w = width(d);
    const k = d === 0 ? 1 : 2;
    const key = `${w}/${k}`;
    let b = batches.get(key);
    if (!b) batches.set(key, (b = { w, k, count: 0 }));
    b.count += times;
  };
  if (n > 0) for (let d = 0; d < q; d++) add(d, g);
  if (n > g) for (let d = sd; d < q; d++) add(d, n - g);
  const levels = treeLevels(n, g, q, sd);
  const T = levels.reduce((a, l) => a + l.cnt, 0);
  const P = levels.reduce((a, l) => a + eqNodes(n, g, l), 0);
  return { q, sd, leaves: [...batches.values()], T, P, S: T - P, levels };
}

/** Nodes of a level of the OT tree whose eq is needed (node index q > 0: the low spine never needs it). */
export function eqNodes(n: number, g: number, l: TreeLevel): number {
  return g * (l.pairs - 1) + (n - g) * (l.pairs - Math.max(l.sp, 1));
}

// ---------------------------------------------------------------- the server-weight product's plan

/** What the OT product needs of a LinearMap (interpreter/twopc/linear-map.ts): the map, shapes, element types, orientation. */
export type ProductShape = (
  | { op: "conv2d"; stride: number; pad: number; groups: number }
  | { op: "linear" }
  | { op: "scale" }
  | { op: "winoconv"; geometry: { th: number; tw: number } }
) & {
  w: readonly number[];
  x: readonly number[];
  y: readonly number[];
  wElem: { bits: number; signed: boolean };
  xElem: { bits: number; signed: boolean };
  receiver: 0 | 1;
  /**
   * EQO's bit re-weighting (ops.ts `split`, `support`): W = W_lo + 2^split·W_hi, W_lo dense of
   * `split` bits (none when 0), W_hi zero outside the support (absent: everywhere). With the
   * weights as receiver the product runs one plan per plane (productPlanes).
   */
  split?: number;
  support?: readonly number[];
};

export interface ProductPlan {
  /** The OT receiver: the server (weights receive) or the client (activations receive). */
  receiver: "client" | "server";
  /** Instances per batch: weight entries, or activation entries off the padding. */
  n: number;
  /** Values per instance: output positions per weight, or outputs per activation. */
  L: number;
  /** Choice bits per instance: one batch per bit k, of ℓ = N − k bits. */
  m: number;
  /** The top bit of a signed receiver reading weighs −2^(m−1). */
  negTop: boolean;
}

/** In-bounds positions of a stride-s window offset u over `out` outputs in `size` inputs with padding `pad`. */
function inside(out: number, s: number, u: number, pad: number, size: number): number {
  let c = 0;
  for (let i = 0; i < out; i++) {
    const h = i * s + u - pad;
    if (h >= 0 && h < size) c++;
  }
  return c;
}

/** The matrix-block view of a map (linear-map.ts matBlocks): blocks of O×Q weights against Q×P activations. */
export function productBlocks(map: ProductShape): { blocks: number; O: number; Q: number; P: number; xEntries: number } {
  switch (map.op) {
    case "linear": {
      const [O, K] = map.w as [number, number];
      return { blocks: 1, O, Q: K, P: 1, xEntries: K };
    }
    case "scale": {
      const C = map.x[0] ?? 1;
      const P = map.x.reduce((a, v) => a * v, 1) / C;
      return { blocks: C, O: 1, Q: 1, P, xEntries: C * P };
    }
    case "conv2d": {
      const [, H, W] = map.x as [number, number, number];
      const [O, Cg, kh, kw] = map.w as [number, number, number, number];
      const [, OH, OW] = map.y as [number, number, number];
      let rows = 0;
      let cols = 0;
      for (let u = 0; u < kh; u++) rows += inside(OH, map.stride, u, map.pad, H);
      for (let v = 0; v < kw; v++) cols += inside(OW, map.stride, v, map.pad, W);
      return { blocks: map.groups, O: O / map.groups, Q: Cg * kh * kw, P: OH * OW, xEntries: map.groups * Cg * rows * cols };
    }
    case "winoconv": {
      const [a2, O, C] = map.w as [number, number, number];
      const T = map.geometry.th * map.geometry.tw;
      return { blocks: a2, O, Q: C, P: T, xEntries: a2 * C * T };
    }
  }
}

/** The OT product's batches in Z_2^N (protocols/linear.ts linearOt): m batches of n vector COTs, L values of N − k bits in batch k. */
export function productPlan(map: ProductShape, N: number): ProductPlan {
  const { blocks, O, Q, P, xEntries } = productBlocks(map);
  const wRecv = map.receiver === 1;
  const e = wRecv ? map.wElem : map.xElem;
  return {
    receiver: wRecv ? "server" : "client",
    // Every weight index occurs in exactly one block position, so a support of k entries is k instances.
    n: wRecv ? (map.support ? map.support.length : blocks * O * Q) : xEntries,
    L: wRecv ? P : O,
    m: e.bits < N ? e.bits : N,
    negTop: e.bits < N && e.signed,
  };
}

/** The signed width of the high plane ⌊(w + 2^(l−1))/2^l⌋ of m-bit signed weights (m itself when l = 0). */
export function highPlaneBits(m: number, l: number): number {
  if (l === 0) return m;
  const hi = (w: number) => Math.floor((w + 2 ** (l - 1)) / 2 ** l);
  let b = 1;
  while (hi(-(2 ** (m - 1))) < -(2 ** (b - 1)) || hi(2 ** (m - 1) - 1) > 2 ** (b - 1) - 1) b++;
  return b;
}

/**
 * The planes a product runs (protocols/linear.ts): with the weights as receiver and a split
 * W = W_lo + 2^l·W_hi (l > 0), the dense l-bit plane then the sparse high plane (each its own
 * OT round, the high plane's results shifted by l); otherwise the one product of productPlan,
 * over the support when there is one.
 */
export function productPlanes(map: ProductShape): { map: ProductShape; shift: number }[] {
  const l = map.split ?? 0;
  if (map.receiver !== 1 || (l === 0 && !map.support)) return [{ map, shift: 0 }];
  const { split: _s, support, ...dense } = map;
  // l = 0 (a pruned layer): the high plane is W itself, read as W's type.
  const hi: ProductShape = { ...dense, wElem: l === 0 ? map.wElem : { bits: highPlaneBits(map.wElem.bits, l), signed: true }, ...(support ? { support } : {}) };
  if (l === 0) return [{ map: hi, shift: 0 }];
  return [{ map: { ...dense, wElem: { bits: l, signed: true } }, shift: 0 }, { map: hi, shift: l }];
}

/**
 * The largest frame an OT flight is written in: a bigger flight (a large layer's vector-COT
 * corrections) goes as consecutive frames of at most this many payload bytes — the same
 * round (no receive in between), far under the transport's 1 GiB frame limit, no
 * whole-flight buffer on the sending side, and small enough that the peer works on the
 * first frames while the sender computes the next (round.ts). 1 MiB: a frame header is then
 * 10 bytes per MiB.
 */
export const OT_FRAME_BYTES = 1 << 20;

/** The payload sizes of the frames a flight of `bytes` is written in (none for an empty flight). */
export function otFrames(bytes: number, cap = OT_FRAME_BYTES): number[] {
  const out: number[] = [];
  for (let left = bytes; left > 0; left -= cap) out.push(Math.min(left, cap));
  return out;
}
