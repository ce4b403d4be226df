// A linear layer with server-held weights: y = f(W, x) for a bilinear f described by a
// LinearMap (linear-map.ts: conv2d, linear, per-channel scaling, Winograd's products), W
// known to the server in the clear, x shared (x0 at the client, x1 at the server), all in
// Z_{2^N}. With a dealer's bilinear triple (A at the server,
// B at the client, C = f(A, B) shared): the server sends E = W − A, the client sends
// F = x0 − B, and f(W, x0) = f(E, x0) + f(A, F) + C, so
//   client: y0 = f(E, x0) + C0,    server: y1 = f(A, F) + C1 + f(W, x1).
// E and F are uniformly masked, so neither learns the other's operand (CrypTen's Beaver
// matrix triples, specialised to a server-known operand). Proof: proofs/linear.md.
// Cost (dealer): online the server sends |W|·N bits and the client |x|·N bits, in one
// round each way; offline the dealer sends |y|·N bits to the server.
// Under OT its own kernel (SiRNN's matrix product, Rathee et al. 2021, §5): the server adds
// f(W, x1) locally; the cross term f(W, x0) comes from vector correlated OTs (ot/vcot.ts)
// over the map's matrix blocks Y[o, p] = Σ_q W[o, q]·X̂[q, p] (linear-map.ts matBlocks). With
// the weights as receiver (map.receiver = 1) the server chooses with each of the m bits of
// each W[o, q] (m = W's width; the top bit of a signed W counts −2^(m−1)) and the client's
// correlation is the row X̂0[q, ·] times ±1, mod 2^(N−k) for bit k; with the activations as
// receiver the client chooses with the bits of X̂0[q, p] (m = N for a share, x's width for the
// client's own input) and the server's correlation is the column W[·, q]. Padding positions
// are zeros and are skipped. The receiver adds 2^k·(its outputs), the sender subtracts 2^k·x.
// Cost (ot), both orientations, d1×d2 receiver elements with d3 products each:
// d1·d2·(m·128 + d3·(m·N − m(m − 1)/2)) bits (SiRNN cross_term_cost) plus 8-byte batch
// headers, 2 rounds, nothing offline.
import { step, type Party } from "../twopc/party.js";
import { add, packRing, sub, unpackRing, type Share } from "../twopc/ring.js";
import { numelOf, type Elem } from "../plain/tensor.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { applyMap, matBlocks, type LinearMap } from "../twopc/linear-map.js";
import { otOf, toVec, fromVec } from "../providers/ot.js";
import { vcotBytes, vcotRecv, vcotSend } from "../ot/vcot.js";
import type { Vec } from "../ot/vec.js";

type ServerLinear = (p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean) => Promise<Share>;

const kernels: Kernels<ServerLinear> = {
  generic: { consumes: ["bilinear"], proof: "proofs/linear.md", run: linearBeaver },
  native: { ot: { consumes: [], proof: "proofs/linear.md", run: linearOt } },
};

/**
 * `map` describes f and the shapes; `w` is the server's weight tensor in the ring
 * (undefined at the client); `x` this party's share of the input; `clientOnly` when x is the
 * client's plaintext (x1 = 0), which saves the server the f(W, x1) term.
 */
export function serverLinear(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly = false): Promise<Share> {
  return step(p, "linear", () => kernelOf(p, kernels).run(p, map, w, x, clientOnly));
}

async function linearBeaver(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean): Promise<Share> {
  const bits = x.bits;
  const f = (W: Share, X: Share): Share => applyMap(map, W, X, bits);
  const { mine, c } = await p.corr.bilinear(bits, map);
  if (p.role === "client") {
    p.ch.send(packRing(sub(x, mine)));
    const E = unpackRing(await p.ch.recv(Math.ceil((map.w.reduce((a, b) => a * b, 1) * bits) / 8)), bits, map.w);
    return add(f(E, x), c);
  }
  if (!w) throw new Error("serverLinear: the server needs its weights");
  p.ch.send(packRing(sub(w, mine)));
  const F = unpackRing(await p.ch.recv(Math.ceil((x.data.length * bits) / 8)), bits, x.shape);
  const y = add(f(mine, F), c);
  return clientOnly ? y : add(y, f(w, x));
}

/** How a party's operand is read as choice bits: m bits, the top one weighing −2^(m−1) when signed. */
function reading(e: Elem, N: number): { m: number; negTop: boolean } {
  return e.bits < N ? { m: e.bits, negTop: e.signed } : { m: N, negTop: false };
}

/** Bit k of the m-bit two's complement (or unsigned) reading of each element. */
function bitPlanes(v: Vec): (k: number, i: number) => number {
  if (v instanceof BigUint64Array) return (k, i) => Number((v[i]! >> BigInt(k)) & 1n);
  return (k, i) => Math.floor(v[i]! / 2 ** k) % 2;
}

async function linearOt(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean): Promise<Share> {
  const N = x.bits;
  const server = p.role === "server";
  if (server && !w) throw new Error("serverLinear: the server needs its weights");
  const blocks = matBlocks(map);
  const { O, Q, P } = blocks[0]!;
  const wRecv = map.receiver === 1;
  const { m, negTop } = reading(wRecv ? map.wElem : map.xElem, N);
  const receiving = wRecv === server;
  // Instances (public structure): weights (b, o, q) with vectors over p, or activations
  // (b, q, p) off the padding with vectors over o.
  const inst: number[] = [];
  if (wRecv) {
    for (let b = 0; b < blocks.length; b++) for (let t = 0; t < O * Q; t++) inst.push(b, t);
  } else {
    blocks.forEach((blk, b) => {
      for (let t = 0; t < Q * P; t++) if (blk.x[t]! >= 0) inst.push(b, t);
    });
  }
  const n = inst.length / 2;
  const L = wRecv ? P : O;
  const wide = N > 52;
  // This party's operand, unsigned mod 2^N: W at the server, x0 at the client.
  const mine = server ? toVec(w!) : toVec(x);
  // Mod 2^m the m-bit reading of a value mod 2^N is its low m bits.
  const bit = bitPlanes(mine);
  const operandAt = (b: number, t: number): number => (wRecv ? blocks[b]!.w[t]! : blocks[b]!.x[t]!);
  const ks = Array.from({ length: m }, (_, k) => k);
  const coef = (k: number): number => (negTop && k === m - 1 ? -1 : 1);

  const acc: Vec = wide ? new BigUint64Array(numelOf(map.y)) : new Float64Array(numelOf(map.y));
  /** acc[y index of (instance j, vector position v)] += sign·2^k·val. */
  const addInto = (vals: Vec, k: number, sign: number): void => {
    for (let j = 0; j < n; j++) {
      const blk = blocks[inst[2 * j]!]!;
      const t = inst[2 * j + 1]!;
      for (let v = 0; v < L; v++) {
        // weights: t = o·Q + q, v = p; activations: t = q·P + p, v = o.
        const yi = wRecv ? blk.y[Math.floor(t / Q) * P + v]! : blk.y[v * P + (t % P)]!;
        if (acc instanceof BigUint64Array) acc[yi] = BigInt.asUintN(N, acc[yi]! + BigInt(sign) * ((vals as BigUint64Array)[j * L + v]! << BigInt(k)));
        else {
          const top = 2 ** N;
          let a = acc[yi]! + sign * (vals as Float64Array)[j * L + v]! * 2 ** k;
          if (a >= top) a -= top;
          else if (a < 0) a += top;
          acc[yi] = a;
        }
      }
    }
  };
  /** The sender's correlation for bit k: ±(the other operand's vector) mod 2^(N−k). */
  const delta = (k: number): Vec => {
    const ell = N - k;
    const c = coef(k);
    const out: Vec = ell > 52 ? new BigUint64Array(n * L) : new Float64Array(n * L);
    for (let j = 0; j < n; j++) {
      const blk = blocks[inst[2 * j]!]!;
      const t = inst[2 * j + 1]!;
      for (let v = 0; v < L; v++) {
        // weights receive: the client's X̂0[q, p] (t = o·Q + q); activations receive: the server's W[o, q] (t = q·P + p).
        const src = wRecv ? blk.x[(t % Q) * P + v]! : blk.w[v * Q + Math.floor(t / P)]!;
        if (src < 0) continue;
        if (out instanceof BigUint64Array) {
          const val = mine instanceof BigUint64Array ? mine[src]! : BigInt(mine[src]!);
          out[j * L + v] = BigInt.asUintN(ell, BigInt(c) * val);
        } else {
          const top = 2 ** ell;
          const r = mine instanceof BigUint64Array ? Number(BigInt.asUintN(ell, mine[src]!)) : mine[src]! % top;
          out[j * L + v] = c < 0 && r !== 0 ? top - r : r;
        }
      }
    }
    return out;
  };
  const { received, sent } = await otOf(p).round(
    receiving ? ks.map((k) => {
      const choices = new Uint8Array(n);
      for (let j = 0; j < n; j++) choices[j] = bit(k, operandAt(inst[2 * j]!, inst[2 * j + 1]!));
      return { choices, reply: vcotBytes(n, L, N - k).toReceiver, finish: (rows, msg) => vcotRecv(rows, L, N - k, msg, p.role) };
    }) : [],
    receiving ? [] : ks.map((k) => ({ n, respond: (rows) => { const { x: pad, msg } = vcotSend(rows, L, N - k, delta(k)); return { msg, out: pad }; } })),
  );
  if (receiving) received.forEach((vals, k) => addInto(vals, k, 1));
  else sent.forEach((vals, k) => addInto(vals, k, -1));
  let y = fromVec(acc, N, map.y);
  if (server && !clientOnly) y = add(y, applyMap(map, w!, x, N));
  return y;
}
