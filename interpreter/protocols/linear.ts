// A linear layer with server-held weights: y = f(W, x) for a bilinear f described by a
// LinearMap (linear-map.ts: conv2d, linear, per-channel scaling, Winograd's products), W
// known to the server in the clear, x shared (x0 at the client, x1 at the server), all in
// Z_{2^N}. With a dealer's bilinear triple (A at the server,
// B at the client, C = f(A, B) shared): the server sends E = W − A, the client sends
// F = x0 − B, and f(W, x) = f(E, B) + C + f(W, F + x1), so
//   client: y0 = f(E, B) + C0,    server: y1 = C1 + f(W, F + x1).
// E and F are uniformly masked, so neither learns the other's operand (CrypTen's Beaver
// matrix triples, specialised to a server-known operand). When W is the model's (`fixed`:
// not a share of the input), E and the client's f(E, B) do not depend on the input: they are
// offline (E counted so, f(E, B) timed as the provider's offline work), and the online phase
// is F and one product at the server, as in the plaintext. Proof: proofs/linear.md.
// Cost (dealer): the client sends |x|·N bits online, the server |W|·N bits (offline when
// `fixed`), both in the same round; the dealer sends |y|·N bits to the server, offline.
// Under OT its own kernel (SiRNN's matrix product, Rathee et al. 2021, §5): the server adds
// f(W, x1) locally; the cross term f(W, x0) comes from vector correlated OTs (ot/vcot.ts)
// over the map's matrix blocks Y[o, p] = Σ_q W[o, q]·X̂[q, p] (linear-map.ts matBlocks). With
// the weights as receiver (map.receiver = 1) the server chooses with each of the m bits of
// each W[o, q] (m = W's width; the top bit of a signed W counts −2^(m−1); a re-weighted W,
// ops.ts `split`/`support`, runs one such product per plane, `linearOt`) and the client's
// correlation is the row X̂0[q, ·] times ±1, mod 2^(N−k) for bit k; with the activations as
// receiver the client chooses with the bits of X̂0[q, p] (m = N for a share, x's width for the
// client's own input) and the server's correlation is the column W[·, q]. Padding positions
// are zeros and are skipped. The receiver adds 2^k·(its outputs), the sender subtracts 2^k·x.
// Cost (ot), both orientations, d1×d2 receiver elements with d3 products each:
// d1·d2·(m·128 + d3·(m·N − m(m − 1)/2)) bits (SiRNN cross_term_cost) plus 8-byte batch
// headers, 2 rounds, nothing offline.
// Under he its own kernel (linear-he.ts, Cheetah's coefficient encoding, exact by a wrap bit;
// Cost (he) and proof there), falling back to the OT kernel for a map the parameters cannot carry.
import { step, type Party } from "../twopc/party.js";
import { add, mulScalar, packRing, sub, unpackRing, type Share } from "../twopc/ring.js";
import { numelOf } from "../plain/tensor.js";
import { productPlan, productPlanes } from "../../compiler/cost/ot-sizes.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { applyMap, matBlocks, type LinearMap } from "../twopc/linear-map.js";
import { otOf, toVec, fromVec } from "../providers/ot.js";
import { receiveVcot, sendVcot } from "../ot/batches.js";
import type { Vec } from "../ot/vec.js";
import type { VcotAccumulate } from "../ot/vcot.js";
import { linearHe } from "./linear-he.js";

type ServerLinear = (p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean, fixed: boolean) => Promise<Share>;

const kernels: Kernels<ServerLinear> = {
  generic: { consumes: ["bilinear"], proof: "proofs/linear.md", run: linearBeaver },
  native: {
    ot: { consumes: [], proof: "proofs/linear.md", run: linearOt },
    he: { consumes: [], proof: "proofs/he-linear.md", run: (p, map, w, x, clientOnly) => linearHe(p, map, w, x, clientOnly, linearOt) },
  },
};

/**
 * `map` describes f and the shapes; `w` is the server's weight tensor in the ring
 * (undefined at the client); `x` this party's share of the input; `clientOnly` when x is the
 * client's plaintext (x1 = 0), which saves the server the f(W, x1) term; `fixed` when W is
 * the model's, known before the input (not, say, the server's share of it).
 */
export function serverLinear(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly = false, fixed = true): Promise<Share> {
  return step(p, "linear", () => kernelOf(p, kernels).run(p, map, w, x, clientOnly, fixed));
}

async function linearBeaver(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean, fixed: boolean): Promise<Share> {
  const bits = x.bits;
  const f = (W: Share, X: Share): Share => applyMap(map, W, X, bits);
  const { mine, c } = await p.corr.bilinear(bits, map);
  // E = W − A: offline when W is the model's (it does not depend on the input).
  const eBytes = Math.ceil((numelOf(map.w) * bits) / 8);
  const phase = <T>(g: () => Promise<T>): Promise<T> => (fixed ? p.meter.offline(g) : g());
  if (p.role === "client") {
    p.ch.send(packRing(sub(x, mine)));
    const E = await phase(async () => unpackRing(await p.ch.recv(eBytes), bits, map.w));
    // The client's share of f(W, B) = f(E, B) + f(A, B): input-independent work when fixed.
    const y0 = () => add(f(E, mine), c);
    return fixed ? p.corr.offlineWork(y0) : y0();
  }
  if (!w) throw new Error("serverLinear: the server needs its weights");
  await phase(async () => p.ch.send(packRing(sub(w, mine))));
  const F = unpackRing(await p.ch.recv(Math.ceil((x.data.length * bits) / 8)), bits, x.shape);
  return add(f(w, clientOnly ? F : add(F, x)), c);
}

/** 1 at the weight entries of the map's public support, or undefined for a dense W. */
function supportMask(map: LinearMap): Uint8Array | undefined {
  if (!map.support) return undefined;
  const m = new Uint8Array(numelOf(map.w));
  for (const i of map.support) m[i] = 1;
  return m;
}

/** Bit k of each element's unsigned reading (for k < m, also bit k of its m-bit reading). */
function bitPlanes(v: Vec): (k: number, i: number) => number {
  if (v instanceof BigUint64Array) return (k, i) => Number((v[i]! >> BigInt(k)) & 1n);
  // v[i] < 2^52 and v[i]/2^k is exact; `& 1` reads bit 0 of its integer part (mod 2^32).
  return (k, i) => (v[i]! / 2 ** k) & 1;
}

/**
 * The planes of a re-weighted W (ops.ts `split`): W_hi = ⌊(W + 2^(l−1))/2^l⌋ and
 * W_lo = W − 2^l·W_hi, elementwise on the signed reading (l = 0: W_hi = W, W_lo = 0). A weight
 * that fits i_l has W_hi = 0, so W_hi is zero outside the support the compiler checked.
 */
export function splitPlanes(w: Share, l: number): { lo: Share; hi: Share } {
  const lo = { ...w, data: w.data.slice() } as Share;
  const hi = { ...w, data: w.data.slice() } as Share;
  if (w.data instanceof BigInt64Array) {
    const L = BigInt(l);
    const half = l === 0 ? 0n : 1n << (L - 1n);
    const H = hi.data as BigInt64Array;
    const Lo = lo.data as BigInt64Array;
    for (let i = 0; i < H.length; i++) {
      const v = w.data[i]!;
      const h = l === 0 ? v : (v + half) >> L;
      H[i] = h;
      Lo[i] = v - (h << L);
    }
  } else {
    const P = 2 ** l;
    const half = l === 0 ? 0 : P / 2;
    const H = hi.data as Float64Array;
    const Lo = lo.data as Float64Array;
    for (let i = 0; i < H.length; i++) {
      const v = (w.data as Float64Array)[i]!;
      const h = l === 0 ? v : Math.floor((v + half) / P);
      H[i] = h;
      Lo[i] = v - h * P;
    }
  }
  return { lo, hi };
}

/**
 * The OT product, one product per plane of a re-weighted W (ot-sizes.ts productPlanes: with the
 * weights as receiver, the dense l-bit plane W_lo then the high plane W_hi over the support,
 * shifted by l); each plane's own term f(W_plane, x1) at the server sums to f(W, x1).
 */
async function linearOt(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean): Promise<Share> {
  const planes = productPlanes(map);
  if (planes.length === 1 && planes[0]!.map === map) return linearOtPlane(p, map, w, x, clientOnly);
  const parts = w && splitPlanes(w, map.split ?? 0);
  let y: Share | undefined;
  for (const { map: m, shift } of planes) {
    const W = parts && (shift === 0 && planes.length > 1 ? parts.lo : parts.hi);
    const part = await linearOtPlane(p, m as LinearMap, W, x, clientOnly);
    const shifted = shift === 0 ? part : mulScalar(part, 1n << BigInt(shift));
    y = y ? add(y, shifted) : shifted;
  }
  return y!;
}

async function linearOtPlane(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean): Promise<Share> {
  const N = x.bits;
  const server = p.role === "server";
  if (server && !w) throw new Error("serverLinear: the server needs its weights");
  const blocks = matBlocks(map);
  const { O, Q, P } = blocks[0]!;
  // Who receives, how many OTs of which widths: the plan the forecast prices (compiler/cost/ot-sizes.ts).
  const { receiver, n, L, m, negTop } = productPlan(map, N);
  // The server receives exactly when the weights are the receiver operand.
  const wRecv = receiver === "server";
  const receiving = receiver === p.role;
  // Instances (public structure): weights (b, o, q) with vectors over p, or activations
  // (b, q, p) off the padding with vectors over o.
  const inst: number[] = [];
  if (wRecv) {
    // A public support (map.support): only its entries, the rest of W being zero.
    const kept = supportMask(map);
    for (let b = 0; b < blocks.length; b++) {
      const wt = blocks[b]!.w;
      for (let t = 0; t < O * Q; t++) if (!kept || kept[wt[t]!]) inst.push(b, t);
    }
  } else {
    blocks.forEach((blk, b) => {
      for (let t = 0; t < Q * P; t++) if (blk.x[t]! >= 0) inst.push(b, t);
    });
  }
  if (inst.length !== 2 * n) throw new Error(`internal: the product has ${inst.length / 2} OT instances, its plan ${n}`);
  const wide = N > 52;
  // This party's operand, unsigned mod 2^N: W at the server, x0 at the client.
  const mine = server ? toVec(w!) : toVec(x);
  // Mod 2^m the m-bit reading of a value mod 2^N is its low m bits.
  const bit = bitPlanes(mine);
  const operandAt = (b: number, t: number): number => (wRecv ? blocks[b]!.w[t]! : blocks[b]!.x[t]!);
  const ks = Array.from({ length: m }, (_, k) => k);
  const coef = (k: number): number => (negTop && k === m - 1 ? -1 : 1);

  const acc: Vec = wide ? new BigUint64Array(numelOf(map.y)) : new Float64Array(numelOf(map.y));
  // Instance j's vector positions v = 0..L−1 map to y indices base + v·stride of its block's
  // y table (weights: row o = ⌊t/Q⌋ of y, contiguous; activations: column p = t mod P).
  const yBase = (t: number): number => (wRecv ? Math.floor(t / Q) * P : t % P);
  const yStride = wRecv ? 1 : P;
  /** acc[y index of (instance j, vector position v)] += sign·2^k·val, mod 2^N. */
  const addInto = (vals: Vec, k: number, sign: number): void => {
    if (acc instanceof Float64Array && vals instanceof Float64Array) {
      const f = sign * 2 ** k;
      const top = 2 ** N;
      for (let j = 0; j < n; j++) {
        const yt = blocks[inst[2 * j]!]!.y;
        const base = yBase(inst[2 * j + 1]!);
        const off = j * L;
        for (let v = 0; v < L; v++) {
          const yi = yt[base + v * yStride]!;
          // |f·val| < 2^N: one correction brings the sum back into [0, 2^N).
          const a = acc[yi]! + f * vals[off + v]!;
          acc[yi] = a >= top ? a - top : a < 0 ? a + top : a;
        }
      }
      return;
    }
    const A = acc as BigUint64Array;
    const S = BigInt(sign);
    const K = BigInt(k);
    for (let j = 0; j < n; j++) {
      const yt = blocks[inst[2 * j]!]!.y;
      const base = yBase(inst[2 * j + 1]!);
      for (let v = 0; v < L; v++) {
        // A wide ring's low bits (N − k ≤ 52) come as doubles.
        const val = vals instanceof BigUint64Array ? vals[j * L + v]! : BigInt(vals[j * L + v]!);
        const yi = yt[base + v * yStride]!;
        A[yi] = BigInt.asUintN(N, A[yi]! + S * (val << K));
      }
    }
  };
  /**
   * The sender's correlation for bit k: ±(the other operand's vector) mod 2^(N−k): with the
   * weights receiving, the client's row X̂0[q, ·] (q = t mod Q, through the block's x table;
   * −1 is padding, a zero); with the activations receiving, the server's column W[·, q]
   * (q = ⌊t/P⌋, through the block's w table with stride Q).
   */
  let gathered: Float64Array | undefined;
  const gather = (at: (blk: (typeof blocks)[number], t: number) => { table: Int32Array; base: number; stride: number }): Float64Array => {
    const G = new Float64Array(n * L);
    const M = mine as Float64Array;
    for (let j = 0; j < n; j++) {
      const { table, base, stride } = at(blocks[inst[2 * j]!]!, inst[2 * j + 1]!);
      for (let v = 0; v < L; v++) {
        const src = table[base + v * stride]!;
        if (src >= 0) G[j * L + v] = M[src]!;
      }
    }
    return G;
  };
  const delta = (k: number): Vec => {
    const ell = N - k;
    const neg = coef(k) < 0;
    const at = (blk: (typeof blocks)[number], t: number): { table: Int32Array; base: number; stride: number } =>
      (wRecv ? { table: blk.x, base: (t % Q) * P, stride: 1 } : { table: blk.w, base: Math.floor(t / P), stride: Q });
    if (ell <= 52 && mine instanceof Float64Array) {
      // The other operand's entries (below 2^N ≤ 2^52), gathered once for all k (padding: 0);
      // vcotSend reduces them mod 2^(N−k) itself, so only the negative bit needs its own copy.
      const G = gathered ??= gather(at);
      return neg ? G.map((g) => -g) : G;
    }
    if (ell <= 52) {
      const out = new Float64Array(n * L);
      const top = 2 ** ell;
      for (let j = 0; j < n; j++) {
        const { table, base, stride } = at(blocks[inst[2 * j]!]!, inst[2 * j + 1]!);
        for (let v = 0; v < L; v++) {
          const src = table[base + v * stride]!;
          if (src < 0) continue;
          const r = Number(BigInt.asUintN(ell, (mine as BigUint64Array)[src]!));
          out[j * L + v] = neg && r !== 0 ? top - r : r;
        }
      }
      return out;
    }
    const out = new BigUint64Array(n * L);
    for (let j = 0; j < n; j++) {
      const { table, base, stride } = at(blocks[inst[2 * j]!]!, inst[2 * j + 1]!);
      for (let v = 0; v < L; v++) {
        const src = table[base + v * stride]!;
        if (src < 0) continue;
        const val = mine instanceof BigUint64Array ? mine[src]! : BigInt(mine[src]!);
        out[j * L + v] = BigInt.asUintN(ell, neg ? -val : val);
      }
    }
    return out;
  };
  // Σ_k sign·2^k·vals_k per (instance, position), folded into one contiguous buffer as each
  // batch completes (while the peer computes the next), then one scatter into y. Each term
  // is below 2^N in magnitude, so the m-term sum is exact in a double when m·2^N ≤ 2^53 and
  // is reduced once; else one correction per term keeps it in [0, 2^N). Wide rings add into
  // y directly.
  const sign = receiving ? 1 : -1;
  const top = 2 ** N;
  const T = wide ? undefined : new Float64Array(n * L);
  const once = m * top <= 2 ** 53;
  // With N ≤ 32 the OTs add into T themselves (vcot.ts's VcotAccumulate: no vector per batch).
  const accOf = (k: number): VcotAccumulate | undefined => (T && N <= 32 ? { into: T, scale: sign * 2 ** k } : undefined);
  const fold = (k: number, vals: Vec): null => {
    if (!T) {
      addInto(vals, k, sign);
      return null;
    }
    const f = sign * 2 ** k;
    const V = vals as Float64Array;
    if (once) for (let i = 0; i < T.length; i++) T[i] += f * V[i]!;
    else for (let i = 0; i < T.length; i++) {
      const a = T[i]! + f * V[i]!;
      T[i] = a >= top ? a - top : a < 0 ? a + top : a;
    }
    return null;
  };
  // The server's own term f(W, x1) needs nothing from the client: computed while it answers.
  let local: Share | undefined;
  const { received, sent } = await otOf(p).round<Vec | null, Vec | null>(
    receiving ? ks.map((k) => {
      const choices = new Uint8Array(n);
      for (let j = 0; j < n; j++) choices[j] = bit(k, operandAt(inst[2 * j]!, inst[2 * j + 1]!));
      const acc = accOf(k);
      const b = receiveVcot(choices, L, N - k, p.role, acc);
      return acc ? b : { ...b, finish: (rows, msg) => fold(k, b.finish(rows, msg)!) };
    }) : [],
    receiving ? [] : ks.map((k) => {
      const acc = accOf(k);
      const b = sendVcot(n, L, N - k, () => delta(k), acc);
      return acc ? b : {
        ...b,
        respond: (rows) => {
          const r = b.respond(rows);
          return { msg: r.msg, out: fold(k, r.out!) };
        },
      };
    }),
    server && !clientOnly ? () => void (local = applyMap(map, w!, x, N)) : undefined,
  );
  // A provider that realizes the batches otherwise (the proofs' ideal OT) returns the values.
  (receiving ? received : sent).forEach((v, k) => v && fold(k, v));
  if (T) {
    if (once) {
      const inv = 1 / top;
      for (let i = 0; i < T.length; i++) T[i] -= Math.floor(T[i]! * inv) * top;
    }
    addInto(T, 0, 1);
  }
  const y = fromVec(acc, N, map.y);
  return local ? add(y, local) : y;
}
