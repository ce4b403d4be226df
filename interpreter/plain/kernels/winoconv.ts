// `winoconv` (compiler/winoconv.ts) in three steps, each exact in the ring of `out`: the input
// transform and the output transform are integer-linear maps (local on additive shares, as
// ring.ts explains for every local kernel), and the products are one bilinear map, which
// the plaintext backend evaluates directly and the two-party backend through serverLinear.
import { inputRows, outputRows, type WinoGeometry } from "../../../compiler/winoconv.js";
import type { Elem, Tensor } from "../tensor.js";
import { addSub, linmap, mulc } from "./arith.js";
import { conv2d } from "./layers.js";

const big = (m: number[][]) => m.map((r) => r.map(BigInt));

/** Rows of position a for every tile, for all positions: [α·tiles, n]. */
function allInputRows(g: WinoGeometry, n: number, tiles: number): bigint[][] {
  const rows: number[][] = [];
  for (let a = 0; a < g.t.alpha; a++) rows.push(...inputRows(g.t, n, tiles, g.pad, a));
  return big(rows);
}

function slice(x: Tensor, j: number, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, bits: x.bits, signed: x.signed, data: x.data.subarray(j * n, (j + 1) * n) };
}

function stack(parts: readonly Tensor[], out: Elem): Tensor {
  const n = parts[0]!.data.length;
  const data = parts[0]!.data instanceof Float64Array ? new Float64Array(n * parts.length) : new BigInt64Array(n * parts.length);
  parts.forEach((p, j) => (data as Float64Array).set(p.data as Float64Array, j * n));
  return { shape: [parts.length, ...parts[0]!.shape], bits: out.bits, signed: out.signed, data };
}

/** V [α², C, th, tw]: the tiles of x (zero padded) under Bᵀ·d·B. */
export function winoInput(x: Tensor, g: WinoGeometry, out: Elem): Tensor {
  const T = linmap(x, allInputRows(g, g.H, g.th), 1, out); // [C, α·th, W]
  const VW = linmap(T, allInputRows(g, g.W, g.tw), 2, out); // [C, α·th, α·tw]
  const a = g.t.alpha;
  const T2 = g.th * g.tw;
  const size = a * a * g.C * T2;
  const V: Tensor = { shape: [a * a, g.C, g.th, g.tw], bits: out.bits, signed: out.signed, data: VW.data instanceof Float64Array ? new Float64Array(size) : new BigInt64Array(size) };
  const cols = a * g.tw;
  for (let pa = 0; pa < a; pa++) {
    for (let pc = 0; pc < a; pc++) {
      const j = pa * a + pc;
      for (let i = 0; i < g.C; i++) {
        for (let ty = 0; ty < g.th; ty++) {
          const src = (i * a * g.th + pa * g.th + ty) * cols + pc * g.tw;
          const dst = ((j * g.C + i) * g.th + ty) * g.tw;
          (V.data as Float64Array).set((VW.data as Float64Array).subarray(src, src + g.tw), dst);
        }
      }
    }
  }
  return V;
}

/** M [α², O, th, tw]: per position j, the filters u[j] [O, C] times V[j] [C, th·tw] (bilinear in u and V). */
export function winoProducts(u: Tensor, v: Tensor, out: Elem): Tensor {
  const [a2, O, C] = u.shape as [number, number, number];
  const [, , th, tw] = v.shape as [number, number, number, number];
  const parts: Tensor[] = [];
  for (let j = 0; j < a2; j++) {
    parts.push(conv2d(slice(v, j, [C, th, tw]), slice(u, j, [O, C, 1, 1]), undefined, { stride: 1, pad: 0, groups: 1 }, out));
  }
  return stack(parts, out);
}

/** y [O, Ho, Wo]: the factors 2^k per (position, output channel), then Aᵀ·M·A placed tile by tile. */
export function winoOutput(m: Tensor, g: WinoGeometry, k: readonly (readonly number[])[], out: Elem): Tensor {
  const a = g.t.alpha;
  let Y: Tensor | undefined;
  for (let pa = 0; pa < a; pa++) {
    let Z: Tensor | undefined;
    for (let pc = 0; pc < a; pc++) {
      const j = pa * a + pc;
      const Mj = mulc(slice(m, j, [g.O, g.th, g.tw]), k[j]!.map((e) => 1n << BigInt(e)), out);
      const Zc = linmap(Mj, big(outputRows(g.t.AT, g.t, g.Wo, g.tw, pc)), 2, out);
      Z = Z ? addSub(Z, Zc, 0, 0, 1, out) : Zc;
    }
    const Ya = linmap(Z!, big(outputRows(g.t.AT, g.t, g.Ho, g.th, pa)), 1, out);
    Y = Y ? addSub(Y, Ya, 0, 0, 1, out) : Ya;
  }
  return Y!;
}

/** y + offset[o] over each channel o (the plaintext backend; the two-party one lets the offset's owner add it). */
export function withOffset(y: Tensor, off: Tensor, out: Elem): Tensor {
  const per = y.data.length / off.data.length;
  const data = off.data instanceof Float64Array ? new Float64Array(y.data.length) : new BigInt64Array(y.data.length);
  for (let i = 0; i < data.length; i++) (data as Float64Array)[i] = (off.data as Float64Array)[Math.floor(i / per)]!;
  return addSub(y, { shape: y.shape, bits: off.bits, signed: off.signed, data }, 0, 0, 1, out);
}
