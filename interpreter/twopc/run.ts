// The two-party backend: each party runs the same graph with its own role and meets the
// other only through its channel. A node whose visibility is public, client or server is
// computed locally, in the clear, by the party that knows it (the plaintext kernels);
// a shared node runs its protocol. A value known to one party enters a protocol as that
// party's share (the other holds zeros): nothing is sent to share what one party knows.
// Outputs are revealed to the client only.
import type { Graph, Node } from "../../compiler/ir.js";
import { assertNever } from "../../compiler/ir.js";
import type { Interval } from "../../compiler/ops.js";
import { elemAttr, intAttr, liftedOperands, matrixAttr, mulcConstants, reweighting } from "../../compiler/ops.js";
import { oddInverse, publicRange, scaleShift } from "../../compiler/types.js";
import { evalNode } from "../plain/run.js";
import { avgpool, gavgpool } from "../plain/kernels/layers.js";
import { concat } from "../plain/kernels/shape.js";
import { winoInput, winoOutput } from "../plain/kernels/winoconv.js";
import { tileOf, winoGeometry } from "../../compiler/winoconv.js";
import { linmap, mulc, sum } from "../plain/kernels/arith.js";
import { convert } from "../plain/kernels/common.js";
import { toBigints, type Elem, type Tensor } from "../plain/tensor.js";
import type { Party } from "./party.js";
import { add, bitsOfShare, inRing, mulScalar, shareOfBits, sub, zeroShare, type Share } from "./ring.js";
import { reveal } from "../protocols/open.js";
import { mul } from "../protocols/mul.js";
import { square } from "../protocols/square.js";
import { msb } from "../protocols/msb.js";
import { b2a } from "../protocols/b2a.js";
import { serverLinear } from "../protocols/linear.js";
import { applyMap, type LinearMap, type LinearOp } from "./linear-map.js";
import { drelu } from "../protocols/drelu.js";
import { select } from "../protocols/select.js";
import { clamp } from "../protocols/clamp.js";
import { maxpool } from "../protocols/maxpool.js";
import { argmax } from "../protocols/argmax.js";
import { wrapBit } from "../protocols/wrap.js";
import { extend, zext, sext } from "../protocols/extend.js";
import { trunc, truncReduce } from "../protocols/trunc.js";
import { requant } from "../protocols/requant.js";

/** What one party holds of a node's value. */
type Val = { kind: "plain"; t: Tensor } | { kind: "hidden" } | { kind: "shared"; s: Share };

export interface PartyRunOptions {
  /** Called when a party starts a node (for progress display). */
  onNode?: (node: Node) => void;
}

export async function runParty(
  p: Party, g: Graph, ranges: readonly Interval[], inputs: Map<string, Tensor> | undefined, opts: PartyRunOptions = {},
): Promise<Tensor[] | undefined> {
  if (p.role === "client" && !inputs) throw new Error("the client runs with its inputs");
  const lastUse = new Array<number>(g.nodes.length).fill(-1);
  for (const n of g.nodes) for (const i of n.inputs) lastUse[i] = Math.max(lastUse[i]!, n.id);
  for (const o of g.outputs) lastUse[o.node] = g.nodes.length;
  const vals: (Val | undefined)[] = new Array(g.nodes.length);
  const ctx = new Ctx(p, g, ranges, vals);

  for (const node of g.nodes) {
    p.meter.setLayer(node.origin.path);
    p.ch.where = `${node.origin.path} (${node.op})`;
    opts.onNode?.(node);
    vals[node.id] = await ctx.node(node, inputs ?? new Map());
    for (const i of node.inputs) if (lastUse[i] === node.id) vals[i] = undefined;
  }

  const outputs: Tensor[] = [];
  for (const o of g.outputs) {
    const node = g.nodes[o.node]!;
    p.meter.setLayer(`${g.name}/output`);
    p.ch.where = `${g.name}/output (reveal)`;
    const v = vals[o.node]!;
    // The client already knows a client or public value: nothing to reveal, by either party
    // (decided by visibility, which both parties see alike, not by what each one holds).
    if (node.type.vis === "client" || node.type.vis === "public") {
      if (p.role === "client" && v.kind === "plain") outputs.push(v.t);
      continue;
    }
    const opened = await reveal(p, ctx.share(o.node));
    if (opened) outputs.push(convert(opened, node.type));
  }
  return p.role === "client" ? outputs : undefined;
}

class Ctx {
  /** The intervals the protocols read: each node's public interval (types.ts publicRange), never the exact one. */
  private readonly ranges: readonly Interval[];

  constructor(private readonly p: Party, private readonly g: Graph, ranges: readonly Interval[], private readonly vals: (Val | undefined)[]) {
    this.ranges = ranges.map((r, i) => publicRange(r, g.nodes[i]!.type));
  }

  private type(i: number) {
    return this.g.nodes[i]!.type;
  }

  /** Who holds a one-party value's share: the party that knows it (the client for public values). */
  private owns(i: number): boolean {
    const vis = this.type(i).vis;
    return vis === "public" ? this.p.role === "client" : vis === this.p.role;
  }

  /** This party's share of node i in its own ring. */
  share(i: number): Share {
    const v = this.vals[i]!;
    const t = this.type(i);
    if (v.kind === "shared") return v.s;
    if (v.kind === "plain" && this.owns(i)) return inRing(v.t, t.bits);
    return zeroShare(t.bits, t.shape);
  }

  /** This party's share of node i's value in Z_2^bits (bits ≥ its width): local when one party knows it. */
  async lifted(i: number, bits: number): Promise<Share> {
    const v = this.vals[i]!;
    const t = this.type(i);
    if (v.kind !== "shared") {
      // The owner knows the value: its exact reading, reduced into the wider ring.
      if (v.kind === "plain" && this.owns(i)) return inRing(v.t, bits);
      return zeroShare(bits, t.shape);
    }
    // A narrower ring is a local reduction (Z_2^N → Z_2^M is a ring homomorphism for M ≤ N):
    // an accumulator can be narrower than its input when the weights make its range small.
    if (bits <= t.bits) return inRing(v.s, bits);
    // The range analysis may prove the MSB known after a public offset (extend.ts msbOffset).
    return extend(this.p, v.s, t.signed, t.nonneg, bits, this.ranges[i]);
  }

  private plain(i: number): Tensor | undefined {
    const v = this.vals[i]!;
    return v.kind === "plain" ? v.t : undefined;
  }

  async node(node: Node, inputs: Map<string, Tensor>): Promise<Val> {
    const vis = node.type.vis;
    if (node.op === "reveal" && this.type(node.inputs[0]!).vis !== "client" && this.type(node.inputs[0]!).vis !== "public") {
      const opened = await reveal(this.p, this.share(node.inputs[0]!));
      return opened ? { kind: "plain", t: convert(opened, node.type) } : { kind: "hidden" };
    }
    if (vis !== "shared") {
      const knows = vis === "public" || vis === this.p.role;
      if (!knows) return { kind: "hidden" };
      const arg = (j: number): Tensor => {
        const t = this.plain(node.inputs[j]!);
        if (!t) throw new Error(`internal: ${node.op} at ${node.origin.path} is ${vis} but operand ${j} is not known to the ${this.p.role}`);
        return t;
      };
      return { kind: "plain", t: evalNode(this.g, node, arg, inputs) };
    }
    // Nodes inlined from a std/protocols composite are attributed to it: `relu/drelu/…`.
    if (node.origin.via) return { kind: "shared", s: await this.p.meter.scope(node.origin.via, () => this.shared(node)) };
    return { kind: "shared", s: await this.shared(node) };
  }

  private async shared(node: Node): Promise<Share> {
    const p = this.p;
    const t = node.type;
    const N = t.bits;
    const x = node.inputs[0]!;
    const xt = x === undefined ? undefined : this.type(x);
    const out = { bits: N, signed: true };
    // The operands the op's descriptor lifts (compiler/ops.ts `lifted`), into its ring, in order.
    const L: Share[] = [];
    for (const pos of liftedOperands(node)) L[pos] = await this.lifted(node.inputs[pos]!, N);
    switch (node.op) {
      case "input":
      case "param":
      case "const":
        throw new Error(`internal: a ${node.op} is never shared`);
      case "conv2d":
        return this.addBias(await this.weighted(node, L[0]!, { op: "conv2d", stride: intAttr(node.attrs, "stride"), pad: intAttr(node.attrs, "pad"), groups: intAttr(node.attrs, "groups") }), L[2]);
      case "linear":
        return this.addBias(await this.weighted(node, L[0]!, { op: "linear" }), L[2]);
      case "winoconv": {
        const g = winoGeometry(tileOf(intAttr(node.attrs, "tile"))!, this.type(x).shape, this.type(node.inputs[1]!).shape[1]!, intAttr(node.attrs, "pad"));
        const k = matrixAttr(node.attrs, "k");
        // Local: x into the result's ring, the input transform; one product for every tile
        // position at once (serverLinear: one round); local: factors, output transform.
        const V = winoInput(L[0]!, g, out);
        // V is a transform of x: its elements are read as N-bit ring elements either way.
        const clientOnly = this.clientOnly(x);
        const map = this.describe(node, { op: "winoconv", geometry: g }, V, { bits: N, signed: false }, [g.t.alpha * g.t.alpha, g.O, g.th, g.tw]);
        const M = await this.product(node, map, V, clientOnly);
        return this.addBias(winoOutput(M, g, k, out), L[2]);
      }
      case "batchnorm":
        return this.addBias(await this.weighted(node, L[0]!, { op: "scale" }), L[2]);
      case "relu":
        // Signed ReLU is written in .pq (std/protocols: drelu then select) and inlined by the
        // compiler; what reaches the backend is the identity on unsigned values.
        if (xt!.signed) throw new Error(`internal: signed relu at ${node.origin.path} was not lowered with std/protocols`);
        return this.share(x);
      case "sqplus": {
        const e = scaleShift(xt!.scale, { kind: "pow2", exp: 0 })!;
        const xs = L[0]!;
        // x² with no offline phase (protocols/square.ts), then the exact scaling of x.
        const sq = await square(p, xs);
        return e <= 0 ? add(sq, mulScalar(xs, 1n << BigInt(-e))) : add(mulScalar(sq, 1n << BigInt(e)), xs);
      }
      case "avgpool": {
        const k = intAttr(node.attrs, "k");
        return avgpool(L[0]!, k, intAttr(node.attrs, "stride"), out);
      }
      case "gavgpool":
        return gavgpool(L[0]!, out);
      case "sum":
        return sum(L[0]!, node.attrs.axis === undefined ? undefined : intAttr(node.attrs, "axis"), out);
      case "maxpool": {
        const k = intAttr(node.attrs, "k");
        return maxpool(p, this.share(x), xt!.signed, k, intAttr(node.attrs, "stride"));
      }
      case "flatten":
      case "reshape":
        return inRing(this.share(x), N, t.shape);
      case "concat":
        return concat(L, intAttr(node.attrs, "axis"));
      case "requant": {
        // Saturated to `to`, delivered in the node's ring N (wider when `ring` is set).
        return requant(p, this.share(x), xt!.signed, xt!.nonneg, intAttr(node.attrs, "mult"), intAttr(node.attrs, "shift"), elemAttr(node.attrs, "to"), this.ranges[x]!, N);
      }
      case "argmax":
        return argmax(p, this.share(x), xt!.signed, N);
      case "add":
      case "sub": {
        const y = node.inputs[1]!;
        const d = scaleShift(xt!.scale, this.type(y).scale)!;
        const a = mulScalar(L[0]!, 1n << BigInt(Math.max(d, 0)));
        const b = mulScalar(L[1]!, 1n << BigInt(Math.max(-d, 0)));
        return node.op === "add" ? add(a, b) : sub(a, b);
      }
      case "neg":
        return mulScalar(L[0]!, -1n);
      case "mulc": {
        const cs = mulcConstants(node.attrs).map(BigInt);
        return mulc(L[0]!, cs.length === 1 && !Array.isArray(node.attrs.c) ? cs[0]! : cs, out);
      }
      case "shl":
        return mulScalar(L[0]!, 1n << BigInt(intAttr(node.attrs, "by")));
      case "divexact":
        // x = q·y exactly, so y ≡ x·q⁻¹ (mod 2^N): local on shares.
        return mulScalar(L[0]!, oddInverse(BigInt(intAttr(node.attrs, "by")), N));
      case "linmap":
        return linmap(L[0]!, matrixAttr(node.attrs, "m").map((r) => r.map(BigInt)), intAttr(node.attrs, "axis"), out);
      case "mul":
        return mul(p, L[0]!, L[1]!);
      case "msb":
        return shareOfBits(await msb(p, this.share(x)), t.shape);
      case "drelu":
        return shareOfBits(await drelu(p, this.share(x)), t.shape);
      case "wrap":
        return shareOfBits(await wrapBit(p, this.share(x), this.share(node.inputs[1]!)), t.shape);
      case "b2a":
        return b2a(p, bitsOfShare(this.share(x)), N, t.shape);
      case "select": {
        const b = bitsOfShare(this.share(x));
        const xv = L[1]!;
        let yv = L[2]!;
        if (yv.data.length !== xv.data.length) yv = this.broadcast(yv, xv.shape);
        return select(p, b, xv, yv);
      }
      case "clamp":
        return clamp(p, this.share(x), xt!.signed, BigInt(node.attrs.lo as number | bigint), BigInt(node.attrs.hi as number | bigint));
      case "trunc":
        return trunc(p, this.share(x), intAttr(node.attrs, "by"), xt!.signed, xt!.nonneg);
      case "truncreduce":
        return truncReduce(p, this.share(x), intAttr(node.attrs, "by"), xt!.signed, xt!.nonneg, node.attrs.exact === 1);
      case "zext":
        return zext(p, this.share(x), xt!.nonneg, N);
      case "sext":
        return sext(p, this.share(x), xt!.nonneg, N);
      case "reveal":
        throw new Error("internal: reveal is handled before dispatch");
      default:
        return assertNever(node.op, "op");
    }
  }

  /** A scalar share repeated to a shape (a literal `0` in select). */
  private broadcast(s: Share, shape: number[]): Share {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = toBigints(s)[0] ?? 0n;
    return inRing({ shape, bits: s.bits, signed: true, data: s.data instanceof Float64Array ? new Float64Array(n).fill(Number(v)) : new BigInt64Array(n).fill(v) }, s.bits);
  }

  /** A layer whose operand 0 is the activation (X, lifted into the node's ring) and operand 1 a known weight. */
  private weighted(node: Node, X: Share, op: LinearOp): Promise<Share> {
    const N = node.type.bits;
    const x = node.inputs[0]!;
    const clientOnly = this.clientOnly(x);
    // The client's plaintext keeps its declared width in the wider ring; a share is N uniform bits.
    const xt = this.type(x);
    const xElem = clientOnly && xt.bits <= N ? { bits: xt.bits, signed: xt.signed } : { bits: N, signed: false };
    return this.product(node, this.describe(node, op, X, xElem, node.type.shape), X, clientOnly);
  }

  /** Node i is the client's plaintext (not a share): its product needs no server-side term. */
  private clientOnly(i: number): boolean {
    return this.vals[i]!.kind !== "shared" && this.type(i).vis === "client";
  }

  /** The map a layer applies to its weight (operand 1) and X, as serverLinear receives it. */
  private describe(node: Node, op: LinearOp, X: Share, xElem: Elem, y: number[]): LinearMap {
    const wt = this.type(node.inputs[1]!);
    const receiver = node.attrs.receiver === 1 ? 1 : 0;
    return { ...op, w: wt.shape, x: X.shape, y, wElem: { bits: wt.bits, signed: wt.signed }, xElem, receiver, ...reweighting(node) };
  }

  /**
   * The map applied to the weight (operand 1) and X: local if the weight is public, the
   * server-weight product otherwise (`clientOnly` when X is the client's plaintext).
   */
  private product(node: Node, map: LinearMap, X: Share, clientOnly: boolean): Promise<Share> {
    const N = node.type.bits;
    const w = node.inputs[1]!;
    if (this.type(w).vis === "public") return Promise.resolve(applyMap(map, inRing(this.plain(w)!, N), X, N));
    const W = this.p.role === "server" ? inRing(this.plain(w)!, N) : undefined;
    return serverLinear(this.p, map, W, X, clientOnly);
  }

  /** Add a bias or offset known to one party (lifted into y's ring: the owner's share) to y. */
  private addBias(y: Share, bs: Share | undefined): Share {
    if (bs === undefined) return y;
    // per output channel: broadcast over the spatial positions
    const per = y.data.length / bs.data.length;
    if (per === 1) return add(y, bs);
    const expanded = zeroShare(y.bits, y.shape);
    const e = expanded.data;
    const b = bs.data;
    if (e instanceof Float64Array && b instanceof Float64Array) {
      for (let c = 0; c < b.length; c++) e.fill(b[c]!, c * per, (c + 1) * per);
      return add(y, expanded);
    }
    const vals = toBigints(bs);
    for (let i = 0; i < e.length; i++) {
      const v = vals[Math.floor(i / per)]!;
      if (e instanceof Float64Array) e[i] = Number(v);
      else e[i] = v;
    }
    return add(y, expanded);
  }
}

