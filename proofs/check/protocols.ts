// Every protocol of interpreter/protocols/ as a `Proto` for the engine: its input draws, the
// code each party runs (the protocol itself, unchanged), reconstruction, and the
// specification of docs/LANGUAGE.md (spec.ts). Factories take the public parameters.
import { getRing, packRing, zeroShare, type Share } from "../../interpreter/twopc/ring.js";
import { HEADER_BYTES } from "../../compiler/cost/wire.js";
import { open, reveal } from "../../interpreter/protocols/open.js";
import { mul } from "../../interpreter/protocols/mul.js";
import { and } from "../../interpreter/protocols/and.js";
import { b2a } from "../../interpreter/protocols/b2a.js";
import { select } from "../../interpreter/protocols/select.js";
import { serverLinear } from "../../interpreter/protocols/linear.js";
import { millionaire } from "../../interpreter/protocols/millionaire.js";
import { msb } from "../../interpreter/protocols/msb.js";
import { drelu } from "../../interpreter/protocols/drelu.js";
import { lessThan } from "../../interpreter/protocols/lessThan.js";
import { wrapBit } from "../../interpreter/protocols/wrap.js";
import { clamp } from "../../interpreter/protocols/clamp.js";
import { maxpool } from "../../interpreter/protocols/maxpool.js";
import { argmax } from "../../interpreter/protocols/argmax.js";
import { lift } from "../../interpreter/protocols/lift.js";
import { extend } from "../../interpreter/protocols/extend.js";
import { trunc, truncReduce } from "../../interpreter/protocols/trunc.js";
import { requant, type Interval } from "../../interpreter/protocols/requant.js";
import { hex } from "./harness.js";
import { LEAVES, type Draw, type Proto } from "./engine.js";
import { share } from "./shares.js";
import * as S from "./spec.js";

const sh = (name: string, bits: number): Draw => ({ name, bits, owner: "shared" });
const cl = (name: string, bits: number): Draw => ({ name, bits, owner: "client" });
const sv = (name: string, bits: number): Draw => ({ name, bits, owner: "server" });

/** Reconstructed element i of a ring output, read unsigned, with the ring's width. */
function ringOut(c: Share, s: Share, i: number): string {
  if (c.bits !== s.bits) return `widths ${c.bits}/${s.bits}`;
  return `${c.bits}:${BigInt.asUintN(c.bits, getRing(c, i) + getRing(s, i))}`;
}
const ringSpec = (bits: number, v: bigint): string => `${bits}:${BigInt.asUintN(bits, v)}`;
const bitOut = (c: Uint8Array, s: Uint8Array, i: number): string => `${c[i]! ^ s[i]!}`;
const sread = (u: bigint, bits: number): bigint => BigInt.asIntN(bits, u);
const readAs = (u: bigint, bits: number, signed: boolean): bigint => (signed ? BigInt.asIntN(bits, u) : u);
const bitVec = (v: readonly bigint[]): Uint8Array => Uint8Array.from(v, Number);
const composite = LEAVES;

/** The view event of the frame with sequence number `seq` carrying `payload`. */
export function frameEvent(seq: number, payload: Uint8Array): string {
  const f = new Uint8Array(HEADER_BYTES + payload.length);
  const v = new DataView(f.buffer);
  v.setUint16(0, 0x5051);
  v.setUint32(2, seq);
  v.setUint32(6, payload.length);
  f.set(payload, HEADER_BYTES);
  return `R:${hex(f)}`;
}

// ------------------------------------------------------------------ leaves

export function openProto(N: number): Proto<Share> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => open(p, share(N, x!)),
    // both parties must obtain x
    output: (c, s, i) => `${ringOut(c, zeroShare(N, c.shape), i)}|${ringOut(s, zeroShare(N, s.shape), i)}`,
    spec: ([x]) => `${ringSpec(N, x!)}|${ringSpec(N, x!)}`,
    // Sim_P(x_P, x): the one frame P receives carries x − x_P.
    simulate: {
      client: ([x0], learned) => frameEvent(0, packRing(share(N, [BigInt(learned.split("|")[0]!.split(":")[1]!) - x0!]))),
      server: ([x1], learned) => frameEvent(0, packRing(share(N, [BigInt(learned.split("|")[0]!.split(":")[1]!) - x1!]))),
    },
  };
}

export function revealProto(N: number): Proto<Share | undefined> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => reveal(p, share(N, x!)),
    output: (c, s, i) => (s !== undefined || c === undefined ? "server got a value" : ringOut(c, zeroShare(N, c.shape), i)),
    spec: ([x]) => ringSpec(N, x!),
    // The client learns x: its frame carries x − x0. The server learns nothing and receives nothing.
    simulate: {
      client: ([x0], learned) => frameEvent(0, packRing(share(N, [BigInt(learned.split(":")[1]!) - x0!]))),
      server: () => "",
    },
  };
}

export function mulProto(N: number): Proto<Share> {
  return {
    draws: [sh("x", N), sh("y", N)],
    run: (p, [x, y]) => mul(p, share(N, x!), share(N, y!)),
    output: ringOut,
    spec: ([x, y]) => ringSpec(N, x! * y!),
    // one frame each way: e then f
    layout: (_, n) => [[{ ring: N, n }, { ring: N, n }]],
  };
}

export function andProto(): Proto<Uint8Array> {
  return {
    draws: [sh("x", 1), sh("y", 1)],
    run: (p, [x, y]) => and(p, bitVec(x!), bitVec(y!)),
    output: bitOut,
    spec: ([x, y]) => `${x! & y!}`,
    // one frame each way: the masked bits of x, then of y
    layout: (_, n) => [[{ bits: 2 * n }]],
  };
}

export function b2aProto(N: number): Proto<Share> {
  return {
    draws: [sh("b", 1)],
    run: (p, [b], n) => b2a(p, bitVec(b!), N, [n]),
    output: ringOut,
    spec: ([b]) => ringSpec(N, b!),
    layout: (_, n) => [[{ bits: n }]],
  };
}

/** select(b, x, y); `zeroY`: y is the literal 0 (a one-element zero share), as relu and clamp use it. */
export function selectProto(N: number, zeroY = false): Proto<Share> {
  return {
    draws: zeroY ? [sh("b", 1), sh("x", N)] : [sh("b", 1), sh("x", N), sh("y", N)],
    run: (p, [b, x, y]) => select(p, bitVec(b!), share(N, x!), zeroY ? zeroShare(N, [1]) : share(N, y!)),
    output: ringOut,
    spec: ([b, x, y]) => ringSpec(N, b ? x! : zeroY ? 0n : y!),
    // one frame each way: the masked condition bits, then e and f
    layout: (_, n) => [[{ bits: n }, { ring: N, n }, { ring: N, n }]],
  };
}

/**
 * The linear layer y = W·x with server weights W [o, k] and shared x [k] (the runtime's
 * `linear` map). `clientOnly`: x is the client's plaintext.
 * Cases are not batched (the map is one matrix product): n must be 1.
 */
export function linearProto(N: number, o: number, k: number, clientOnly = false): Proto<Share> {
  const ws: Draw[] = [];
  for (let j = 0; j < o * k; j++) ws.push(sv(`W${j}`, N));
  const xs: Draw[] = [];
  for (let j = 0; j < k; j++) xs.push(clientOnly ? cl(`x${j}`, N) : sh(`x${j}`, N));
  return {
    draws: [...ws, ...xs],
    run: async (p, own, n) => {
      if (n !== 1) throw new Error("linearProto runs one case at a time");
      const client = p.role === "client";
      const w = client ? undefined : share(N, own.slice(0, o * k).map((v) => v[0]!), [o, k]);
      const xv = client ? own.map((v) => v[0]!) : clientOnly ? new Array<bigint>(k).fill(0n) : own.slice(o * k).map((v) => v[0]!);
      return serverLinear(p, { op: "linear", w: [o, k], x: [k], y: [o], wElem: { bits: N, signed: false }, xElem: { bits: N, signed: false }, receiver: 0 }, w, share(N, xv, [k]), clientOnly);
    },
    output: (c, s) => Array.from({ length: o }, (_, i) => ringOut(c, s, i)).join(","),
    spec: (d) => {
      const W = d.slice(0, o * k);
      const x = d.slice(o * k);
      return Array.from({ length: o }, (_, i) => ringSpec(N, W.slice(i * k, i * k + k).reduce((acc, w, j) => acc + w * x[j]!, 0n))).join(",");
    },
    // the client receives E = W − A, the server F = x0 − B
    layout: (role) => [[role === "client" ? { ring: N, n: o * k } : { ring: N, n: k }]],
  };
}

// ------------------------------------------------------------------ comparisons

export function millionaireProto(m: number): Proto<Uint8Array> {
  return {
    draws: [cl("u", m), sv("v", m)],
    run: (p, [mine]) => millionaire(p, Float64Array.from(mine!, Number), m),
    output: bitOut,
    spec: ([u, v]) => `${u! > v! ? 1 : 0}`,
    leaves: composite,
  };
}

/**
 * millionaire with shared low bits (millionaire.md "Shared low bits"): two comparisons per
 * case, u_j = uH_j·2^low + uL and v_j = vH_j·2^low + vL — both sides agree on the low bits.
 */
export function millionaireSharedProto(m: number, low: number): Proto<Uint8Array> {
  const join = (hi: readonly bigint[], lo: readonly bigint[]) => hi.map((h, i) => Number((h << BigInt(low)) | lo[i]!));
  return {
    draws: [cl("uL", low), cl("uH0", m - low), cl("uH1", m - low), sv("vL", low), sv("vH0", m - low), sv("vH1", m - low)],
    run: (p, [lo, h0, h1]) => millionaire(p, Float64Array.from([...join(h0!, lo!), ...join(h1!, lo!)]), m, { k: 2, low }),
    output: (c, s, i) => `${c[i]! ^ s[i]!},${c[c.length / 2 + i]! ^ s[s.length / 2 + i]!}`,
    spec: ([uL, uH0, uH1, vL, vH0, vH1]) => {
      const val = (h: bigint, l: bigint) => (h << BigInt(low)) | l;
      return `${val(uH0!, uL!) > val(vH0!, vL!) ? 1 : 0},${val(uH1!, uL!) > val(vH1!, vL!) ? 1 : 0}`;
    },
    leaves: composite,
  };
}

export function msbProto(N: number): Proto<Uint8Array> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => msb(p, share(N, x!)),
    output: bitOut,
    spec: ([x]) => `${S.msb(x!, N)}`,
    leaves: composite,
  };
}

export function dreluProto(N: number): Proto<Uint8Array> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => drelu(p, share(N, x!)),
    output: bitOut,
    spec: ([x]) => `${S.drelu(x!, N)}`,
    leaves: composite,
  };
}

/**
 * relu of std/protocols.pq, as the backend executes the inlined program: b = drelu(x), then
 * select(b, x, 0) with the literal 0 broadcast to x's shape (run.ts). Signed only: an
 * unsigned relu is the identity and is not lowered.
 */
export function reluProto(N: number): Proto<Share> {
  return {
    draws: [sh("x", N)],
    run: async (p, [x], n) => {
      const xs = share(N, x!);
      return select(p, await drelu(p, xs), xs, zeroShare(N, [n]));
    },
    output: ringOut,
    spec: ([x]) => ringSpec(N, S.relu(sread(x!, N))),
    leaves: composite,
  };
}

export function lessThanProto(N: number, signed: boolean): Proto<Uint8Array> {
  return {
    draws: [sh("x", N), sh("y", N)],
    run: (p, [x, y]) => lessThan(p, share(N, x!), share(N, y!), signed),
    output: bitOut,
    spec: ([x, y]) => `${readAs(x!, N, signed) < readAs(y!, N, signed) ? 1 : 0}`,
    leaves: composite,
  };
}

export function wrapProto(N: number): Proto<Uint8Array> {
  return {
    draws: [sh("x", N), sh("y", N)],
    run: (p, [x, y]) => wrapBit(p, share(N, x!), share(N, y!)),
    output: bitOut,
    spec: ([x, y]) => `${S.wrap(x!, y!, N)}`,
    leaves: composite,
  };
}

export function clampProto(N: number, signed: boolean, lo: bigint, hi: bigint): Proto<Share> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => clamp(p, share(N, x!), signed, lo, hi),
    output: ringOut,
    spec: ([x]) => ringSpec(N, S.clamp(readAs(x!, N, signed), lo, hi)),
    leaves: composite,
  };
}

/** maxpool over [C, h, w] with window k and stride; each channel is one case. */
export function maxpoolProto(N: number, signed: boolean, h: number, w: number, k: number, stride: number): Proto<Share> {
  const draws: Draw[] = [];
  for (let j = 0; j < h * w; j++) draws.push(sh(`x${j}`, N));
  const oh = Math.floor((h - k) / stride) + 1;
  const ow = Math.floor((w - k) / stride) + 1;
  return {
    draws,
    run: (p, own, n) => {
      const vals: bigint[] = [];
      for (let c = 0; c < n; c++) for (let j = 0; j < h * w; j++) vals.push(own[j]![c]!);
      return maxpool(p, share(N, vals, [n, h, w]), signed, k, stride);
    },
    output: (c, s, i) => Array.from({ length: oh * ow }, (_, j) => ringOut(c, s, i * oh * ow + j)).join(","),
    spec: (d) => {
      const x = d.map((u) => readAs(u, N, signed));
      const out: string[] = [];
      for (let a = 0; a < oh; a++) {
        for (let b = 0; b < ow; b++) {
          const win: bigint[] = [];
          for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) win.push(x[(a * stride + u) * w + b * stride + v]!);
          out.push(ringSpec(N, S.max(win)));
        }
      }
      return out.join(",");
    },
    leaves: composite,
  };
}

/** argmax of `len` shared values (one case per run: argmax reduces the whole tensor). */
export function argmaxProto(N: number, signed: boolean, len: number): Proto<Share> {
  const draws: Draw[] = [];
  for (let j = 0; j < len; j++) draws.push(sh(`x${j}`, N));
  const B = Math.max(1, Math.ceil(Math.log2(len)));
  return {
    draws,
    run: (p, own, n) => {
      if (n !== 1) throw new Error("argmaxProto runs one case at a time");
      return argmax(p, share(N, own.map((v) => v[0]!)), signed, B);
    },
    output: (c, s) => ringOut(c, s, 0),
    spec: (d) => ringSpec(B, BigInt(S.argmax(d.map((u) => readAs(u, N, signed))))),
    leaves: composite,
  };
}

// ------------------------------------------------------------------ conversions

export function liftProto(N: number, signed: boolean, to: number): Proto<Share> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => lift(p, share(N, x!), signed, to),
    output: ringOut,
    spec: ([x]) => ringSpec(to, readAs(x!, N, signed)),
    leaves: composite,
  };
}

/** extend with the known-MSB fact: precondition x < 2^(N−1). */
export function extendProto(N: number, signed: boolean, nonneg: boolean, to: number): Proto<Share> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => extend(p, share(N, x!), signed, nonneg, to),
    output: ringOut,
    spec: ([x]) => (nonneg && x! >= 1n << BigInt(N - 1) ? undefined : ringSpec(to, readAs(x!, N, signed))),
    leaves: composite,
  };
}

/**
 * extend of a value whose range [lo, hi] (read signed or unsigned) spans less than half the
 * ring: the known-MSB protocol after the public offset −lo (extend.ts, msbOffset). Cases
 * outside the range are outside the precondition.
 */
export function extendOffsetProto(N: number, signed: boolean, lo: bigint, hi: bigint, to: number): Proto<Share> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => extend(p, share(N, x!), signed, false, to, { lo, hi }),
    output: ringOut,
    spec: ([x]) => {
      const v = readAs(x!, N, signed);
      return v < lo || v > hi ? undefined : ringSpec(to, v);
    },
    leaves: composite,
  };
}

/** `exact`: truncReduce of a declared multiple of 2^s (local); other values are outside its precondition. */
export function truncProto(N: number, s: number, signed: boolean, nonneg: boolean, reduce: boolean, exact = false): Proto<Share> {
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => (reduce ? truncReduce(p, share(N, x!), s, signed, nonneg, exact) : trunc(p, share(N, x!), s, signed, nonneg)),
    output: ringOut,
    spec: ([x]) => {
      if (nonneg && x! >= 1n << BigInt(N - 1)) return undefined;
      if (exact && x! % (1n << BigInt(s)) !== 0n) return undefined;
      const v = S.floorShift(readAs(x!, N, signed), s);
      return ringSpec(reduce ? N - s : N, v);
    },
    leaves: composite,
  };
}

export interface RequantParams {
  N: number;
  signed: boolean;
  nonneg: boolean;
  mult: number;
  shift: number;
  to: { bits: number; signed: boolean };
  range: Interval;
  /** The result's ring (`ring = K`); default: to's width. */
  out?: number;
}

export function requantProto(q: RequantParams): Proto<Share> {
  const { N, signed, nonneg, mult, shift, to, range } = q;
  const out = q.out ?? to.bits;
  return {
    draws: [sh("x", N)],
    run: (p, [x]) => requant(p, share(N, x!), signed, nonneg, mult, shift, to, range, out),
    output: ringOut,
    spec: ([x]) => {
      const v = readAs(x!, N, signed);
      // precondition: the analysis' interval holds x (and nonneg means x < 2^(N−1))
      if (v < range.lo || v > range.hi || (nonneg && (v < 0n || v >= 1n << BigInt(N - 1)))) return undefined;
      return ringSpec(out, S.requant(v, BigInt(mult), shift, to.bits, to.signed));
    },
    leaves: composite,
  };
}

export { sread };
