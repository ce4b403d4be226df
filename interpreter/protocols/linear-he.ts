// The HE kernel of the products with server weights (the `he` provider's native serverLinear):
// Cheetah's coefficient encoding (Huang et al., USENIX Security 2022, §3–4) over node-seal BFV
// with a prime plaintext modulus t, made exact in Z_{2^N} by a wrap bit. With u0 the
// client's operand (its share's unsigned reading, or its own input) and Z = f(W, u0) over the
// integers, |Z| ≤ B (a public bound from the types, he/pack.ts), t ≥ 8B:
//   1. the client encrypts u0 in the product's encoding (he/pack.ts: im2col blocks, or the
//      padded convolution; seeded symmetric ciphertexts, one
//      message);
//   2. the server multiplies by its weight polynomials (NTT form), adds the plaintext
//      R + B·[useful] with R uniform in Z_t^N, re-randomises with a public-key encryption of
//      zero, floods the noise (uniform in ±2^flood, 2^flood ≥ 2^40·N·(noise + t)), switches to the
//      lowest level and replies (one message); its share is z1 = −R mod t;
//   3. the client decrypts z0 = Z + B + R mod t, so z0 + z1 = Z + B + t·w with w ∈ {0, 1};
//   4. w = [⌊z0/2^s⌋ + ⌊z1/2^s⌋ ≥ θ] exactly, because Z + B ≤ 2B is far from t (he/pack.ts
//      chooses s, θ): ⌊z0/2^s⌋ < W (W = 4 for most products, at most 8), so one
//      1-out-of-W OT (ot/nchoose1.ts) gives the client
//      t·w + ρ mod 2^N and the server −ρ;
//   5. y0 = z0 − (t·w + ρ), y1 = z1 + ρ − B (+ f(W, x1) when x is shared), mod 2^N:
//      y0 + y1 = Z + f(W, x1) = f(W, x) mod 2^N, bit for bit.
// Proof (correctness with the wrap and noise arguments, privacy with flooding at σ = 40 and
// the mod switch): proofs/he-linear.md. A map the parameters cannot carry (the bound, the
// ring width, the flooding budget: hePlan says which) runs the OT kernel instead, decided by
// both parties from public data.
// Cost (he), per product (compiler/cost/he-sizes.ts heFlights, what `pq cost` prices): the
// client sends inCts·(194 + 8·N·L) bytes (N = 8192, L = 3: 196,802 per ciphertext), the
// server per reply ciphertext c1 whole and c0 at its useful coefficients only, 8·(N + k)
// bytes for k outputs (OpenCheetah trims its replies likewise, SCI/src/cheetah/cheetah-api.cpp; proofs/he-linear.md §2); then per
// output one 1-of-W OT with N-bit messages (log₂W·128 bits client → server, W·N bits back);
// 2 rounds (upload, reply) + 1 OT round trip; nothing offline.
import type { Party } from "../twopc/party.js";
import { fromVec, otOf } from "../providers/ot.js";
import { HeProvider } from "../providers/he.js";
import { add, type Share } from "../twopc/ring.js";
import { applyMap, type LinearMap } from "../twopc/linear-map.js";
import { receiveOneOfN, sendOneOfN } from "../ot/batches.js";
import { hePlan, layoutOf, type HeLayout, type HePlan, type Slots } from "../he/pack.js";
import { Arena, addMaskAndFlood, guard, PlainBuilder, readPlain, writeReply, type CipherText, type HeContext } from "../he/seal.js";
import type { Evaluator } from "node-seal/implementation/evaluator.js";
import { heBytes, heCheaper, heFlights } from "../../compiler/cost/he-sizes.js";
import { numelOf } from "../plain/tensor.js";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";

type ServerLinear = (p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean) => Promise<Share>;

function heOf(p: Party): HeProvider {
  if (!(p.corr instanceof HeProvider)) throw new Error(`internal: the HE kernel runs under the ${p.corr.kind} provider`);
  return p.corr;
}

/** The operand's readings as plaintext coefficients: the value of x's element type, mod t. */
function readings(x: Share, map: LinearMap, t: number): Float64Array {
  const b = map.xElem.bits;
  const top = 2 ** b;
  const d = x.data as Float64Array;
  return Float64Array.from(d, (v) => {
    let r = ((v % top) + top) % top;
    if (map.xElem.signed && r >= top / 2) r -= top;
    return r < 0 ? r + t : r;
  });
}

/** Uniform integers in [0, t) (t < 2^53) from node:crypto, by rejection. */
function uniformModT(n: number, t: number): Float64Array {
  const out = new Float64Array(n);
  const bits = Math.ceil(Math.log2(t));
  const hi = 2 ** (bits - 32);
  let i = 0;
  while (i < n) {
    const buf = randomBytes(8 * (n - i) + 64);
    const v = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
    for (let j = 0; j + 1 < v.length && i < n; j += 2) {
      const r = (v[j + 1]! % hi) * 4294967296 + v[j]!;
      if (r < t) out[i++] = r;
    }
  }
  return out;
}

/**
 * Mask, re-randomise and flood `acc` (size 2, top level, coefficient form) in place: add
 * `zero`, a fresh public-key encryption of zero used for nothing else, with the plaintext
 * `mask` (N values in [0, t)) and the flooding noise (uniform in [−2^f, 2^f − 1]) put into its
 * c0 (proofs/he-linear.md §2 step 2, §4).
 */
export function rerandomise(he: HeContext, ev: Evaluator, acc: CipherText, zero: CipherText, mask: Float64Array, f: number): void {
  addMaskAndFlood(he, zero, mask, f);
  ev.add(acc, zero, acc);
}

export async function linearHe(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean, fallback: ServerLinear): Promise<Share> {
  const prov = heOf(p);
  const N = x.bits;
  const plan = hePlan(map, N, prov.he);
  if (typeof plan === "string" || (prov.products === "cheaper" && !heCheaper(plan, map, N, prov.he.params))) return fallback(p, map, w, x, clientOnly);
  const server = p.role === "server";
  if (server && !w) throw new Error("serverLinear: the server needs its weights");
  const t0 = performance.now();
  const arena = new Arena();
  try {
    // The layout and each reply's output slots, once: both steps and the wrap read them.
    const layout = layoutOf(plan);
    const outs = Array.from({ length: plan.outCts }, (_, r) => layout.slots(r));
    const z = server ? await serverSide(p, prov, plan, layout, outs, map, w!, arena) : await clientSide(p, prov, plan, layout, outs, map, x, arena);
    p.meter.addHe(performance.now() - t0);
    return await finish(p, plan, outs, map, z, w, x, clientOnly);
  } finally {
    arena.close();
  }
}

async function clientSide(p: Party, prov: HeProvider, plan: HePlan, layout: HeLayout, outs: readonly Slots[], map: LinearMap, x: Share, arena: Arena): Promise<Float64Array> {
  const { he } = prov;
  const { lib } = he;
  const deg = he.params.degree;
  const sizes = heBytes(he.params);
  const u0 = readings(x, map, he.t);
  const builder = new PlainBuilder(he);
  const coeffs = new Float64Array(deg);
  const up = new Uint8Array(plan.inCts * sizes.up);
  guard(lib, p.role, "encrypting its share", () => {
    const pt = arena.add(lib.PlainText());
    for (let k = 0; k < plan.inCts; k++) {
      layout.input(k, u0, coeffs);
      builder.load(pt, coeffs);
      const ser = prov.encryptor.encryptSymmetricSerializable(pt);
      const bytes = ser.saveArray(lib.ComprModeType.none);
      ser.delete();
      if (bytes.length !== sizes.up) throw new Error(`internal: an upload of ${bytes.length} bytes, expected ${sizes.up}`);
      up.set(bytes, k * sizes.up);
    }
  });
  p.ch.send(up);
  const reply = await p.ch.recv(heFlights(plan, x.bits, he.params).reply);
  const z0 = new Float64Array(plan.outputs);
  guard(lib, p.role, "decrypting the server's reply", () => {
    const ct = arena.add(lib.CipherText());
    const pt = arena.add(lib.PlainText());
    const reader = prov.replyReader();
    let j = 0;
    let at = 0;
    for (const s of outs) {
      reader.load(ct, reply, at, s.coef);
      at += sizes.reply(s.coef.length);
      prov.decryptor!.decrypt(ct, pt);
      const m = readPlain(he, pt);
      for (const c of s.coef) z0[j++] = m[c]!;
    }
  });
  return z0;
}

async function serverSide(p: Party, prov: HeProvider, plan: HePlan, layout: HeLayout, outs: readonly Slots[], map: LinearMap, w: Share, arena: Arena): Promise<Float64Array> {
  const { he } = prov;
  const { lib, ctx, t } = he;
  const deg = he.params.degree;
  const sizes = heBytes(he.params);
  const upload = await p.ch.recv(plan.inCts * sizes.up);
  const W = w.data as Float64Array;
  const wMax = map.wElem.signed ? 2 ** (map.wElem.bits - 1) : 2 ** map.wElem.bits - 1;
  for (const v of W) if (Math.abs(v) > wMax) throw new Error(`internal: a weight ${v} outside its type's range`);
  const z1 = new Float64Array(plan.outputs);
  const reply = new Uint8Array(heFlights(plan, w.bits, he.params).reply);
  let at = 0;
  guard(lib, p.role, "computing on the client's ciphertexts", () => {
    const ev = prov.evaluator;
    // (Every parms_id getter returns a fresh wrapper of a C++ object: each goes to the arena.)
    const first = arena.add(ctx.firstParmsId);
    const last = arena.add(ctx.lastParmsId);
    const firstKey = first.values.join(",");
    const inputs: CipherText[] = [];
    for (let k = 0; k < plan.inCts; k++) {
      const ct = arena.add(lib.CipherText());
      ct.loadArray(ctx, upload.subarray(k * sizes.up, (k + 1) * sizes.up));
      if (ct.size !== 2 || ct.isNttForm || arena.add(ct.parmsId).values.join(",") !== firstKey) throw new Error(`an upload ciphertext of size ${ct.size} not at the top level`);
      ev.cipherTransformToNtt(ct, ct);
      inputs.push(ct);
    }
    const builder = new PlainBuilder(he);
    const coeffs = new Float64Array(deg);
    const kernel = arena.add(lib.PlainText());
    const acc = arena.add(lib.CipherText());
    const tmp = arena.add(lib.CipherText());
    const low = arena.add(lib.CipherText());
    let j = 0;
    for (let r = 0; r < plan.outCts; r++) {
      // A zero kernel is skipped (SEAL refuses a product that is identically zero, a
      // "transparent" ciphertext); with none left the sum is a fresh encryption of zero.
      let started = false;
      for (const k of layout.terms(r)) {
        if (!layout.kernel(r, k, W, t, coeffs)) continue;
        builder.load(kernel, coeffs);
        ev.plainTransformToNtt(kernel, first, kernel);
        const ct = inputs[k]!;
        if (!started) ev.multiplyPlain(ct, kernel, acc);
        else {
          ev.multiplyPlain(ct, kernel, tmp);
          ev.add(acc, tmp, acc);
        }
        started = true;
      }
      if (started) ev.cipherTransformFromNtt(acc, acc);
      else prov.encryptor.encryptZero(acc);
      // The mask R (all N coefficients) plus B at the useful ones; the server keeps −R.
      const R = uniformModT(deg, t);
      const s = outs[r]!;
      for (const c of s.coef) {
        z1[j++] = R[c]! === 0 ? 0 : t - R[c]!;
        R[c] = (R[c]! + plan.bound) % t;
      }
      const zero = prov.takeZero();
      try {
        rerandomise(he, ev, acc, zero, R, plan.flood);
      } finally {
        zero.delete();
      }
      ev.cipherModSwitchTo(acc, last, low);
      writeReply(he, low, s.coef, reply, at);
      at += sizes.reply(s.coef.length);
    }
  });
  p.ch.send(reply);
  return z1;
}

/** Steps 4–5: the wrap bit by one 1-of-W OT per useful output, then the shares in Z_2^N. */
async function finish(p: Party, plan: HePlan, outs: readonly Slots[], map: LinearMap, z: Float64Array, w: Share | undefined, x: Share, clientOnly: boolean): Promise<Share> {
  const N = x.bits;
  const top = 2 ** N;
  const n = z.length;
  const scale = 2 ** plan.shift;
  const t = heOf(p).he.t;
  const tMod = t % top;
  // The wrap OT: 1 of W, W ≥ the client's digit range (public, from the plan).
  const W = plan.wrapN;
  const acc = new Float64Array(numelOf(map.y));
  const addAt = (yi: number, v: number): void => {
    const a = acc[yi]! + (((v % top) + top) % top);
    acc[yi] = a >= top ? a - top : a;
  };
  if (p.role === "client") {
    const digits = Uint8Array.from(z, (v) => Math.floor(v / scale));
    const { received } = await otOf(p).round(
      [receiveOneOfN(digits, W, N, p.role)],
      [],
    );
    const m = received[0]!;
    let j = 0;
    for (const s of outs) for (const yi of s.y) addAt(yi, z[j]! - m[j++]!);
  } else {
    const rho = new Uint32Array(randomBytes(4 * n).buffer);
    const messages = new Uint32Array(n * W);
    for (let j = 0; j < n; j++) {
      const a1 = Math.floor(z[j]! / scale);
      const r = N === 32 ? rho[j]! : rho[j]! % top;
      for (let c = 0; c < W; c++) messages[j * W + c] = ((c + a1 >= plan.theta ? tMod : 0) + r) % top;
    }
    await otOf(p).round([], [sendOneOfN(messages, W, N)]);
    let j = 0;
    for (const s of outs) {
      for (const yi of s.y) {
        const r = N === 32 ? rho[j]! : rho[j]! % top;
        addAt(yi, z[j++]! + r - plan.bound);
      }
    }
  }
  let y = fromVec(acc, N, map.y);
  if (p.role === "server" && !clientOnly) y = add(y, applyMap(map, w!, x, N));
  return y;
}
