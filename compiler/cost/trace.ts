// The primitive sequence of a program under the two-party backend, without running it.
// `trace` walks the graph exactly as interpreter/twopc/run.ts does and records every
// interactive building block it would call (a *unit*: one comparison batch, one B2A, one
// select …) with its sizes and the primitive path the runtime's meter would be in. Every
// decision below is a copy of one in run.ts or interpreter/protocols/*.ts — which operands
// are one party's plaintext (local), when `lifted()` inserts an extension, requant's ring
// choices — because the dealer forecast must agree with the measurement to the byte. The
// backends (dealer.ts, ot.ts) then price the same units. Communication never depends on the
// data, only on types, shapes, attributes and the range analysis, so this is exact.
import { assertNever, type Graph, type Interval, type Node, type Program } from "../ir.js";
import { bigAttr, elemAttr, intAttr, liftedOperands, reweighting } from "../ops.js";
import { msbOffset, numel, publicRange, signedWidthFor, typeRange, type TensorType } from "../types.js";
import { clampShare, requantPlan, type SharedLow } from "../requant-plan.js";
import { tileOf, winoGeometry } from "../winoconv.js";
import type { ProductShape } from "./ot-sizes.js";

/** One interactive building block call, with the sizes its cost depends on. */
export type Unit =
  /**
   * Millionaires' comparison (interpreter/protocols/millionaire.ts): n pairs of m-bit values;
   * with `share`, k blocks whose later ones reuse the first's subtree of the low bits.
   */
  | { kind: "compare"; n: number; m: number; share?: SharedLow }
  /** The carry msb(u0) ∨ msb(u1) of a known-MSB value (extend.ts knownMsbCarry): one AND per element. */
  | { kind: "carryKnown"; n: number }
  /** XOR-shared bits to additive shares in Z_2^bits (b2a.ts). */
  | { kind: "b2a"; n: number; bits: number }
  /** Beaver multiplication of two shared n-element tensors in Z_2^bits (mul.ts); `square` when both are one value. */
  | { kind: "mul"; n: number; bits: number; square: boolean }
  /** selectMany (select.ts): `conds` opened bits, n elements per pair, one pair per ring width in `rings`. */
  | { kind: "select"; n: number; conds: number; rings: number[] }
  /**
   * serverLinear (linear.ts): x, w, y element counts in Z_2^bits; for the OT formulas also the
   * activation's own width `xBits` and the matrix-product view: `receivers` = elements of the
   * activation operand as OT receiver (im2col for convolutions), `d3` = products per receiver element;
   * for pq's OT kernel the map itself as serverLinear receives it (shapes, element types,
   * orientation: what ot-sizes.ts productPlan reads); `fixed` when W is the model's, not a
   * share of the input (sqplus's cross term): the dealer's E = W − A is then offline.
   */
  | { kind: "linear"; x: number; w: number; y: number; bits: number; xBits: number; receivers: number; d3: number; product: ProductShape; fixed: boolean }
  /** reveal to the client (open.ts): the server sends its n shares of Z_2^bits. */
  | { kind: "reveal"; n: number; bits: number };

export interface Call {
  nodeId: number;
  op: string;
  layer: string;
  /** The meter's primitive path above the unit (the unit's own step names are added by the pricing). */
  path: string[];
  unit: Unit;
}

// ---------------------------------------------------------------- the walk

class Tracer {
  readonly calls: Call[] = [];
  private readonly stack: string[] = [];
  private node: Node | undefined;
  private layer = "";

  /** The intervals the protocols read (types.ts publicRange), as run.ts derives them. */
  private readonly ranges: readonly Interval[];

  constructor(private readonly g: Graph, ranges: readonly Interval[]) {
    this.ranges = ranges.map((r, i) => publicRange(r, g.nodes[i]!.type));
  }

  private type(i: number): TensorType {
    return this.g.nodes[i]!.type;
  }

  private shared(i: number): boolean {
    return this.type(i).vis === "shared";
  }

  private emit(unit: Unit): void {
    this.calls.push({ nodeId: this.node!.id, op: this.node!.op, layer: this.layer, path: [...this.stack], unit });
  }

  private scope(name: string, f: () => void): void {
    this.stack.push(name);
    try {
      f();
    } finally {
      this.stack.pop();
    }
  }

  run(): Call[] {
    const g = this.g;
    for (const node of g.nodes) {
      this.node = node;
      this.layer = node.origin.path;
      this.visit(node);
    }
    // run.ts: outputs are revealed to the client under `MODEL/output`, except a value the
    // client already knows (client or public visibility), which neither party sends.
    for (const o of g.outputs) {
      const node = g.nodes[o.node]!;
      this.node = node;
      this.layer = `${g.name}/output`;
      const vis = node.type.vis;
      if (vis === "public" || vis === "client") continue;
      // (the reveal step name is added by the pricing, like every unit's own step)
      this.emit({ kind: "reveal", n: numel(node.type.shape), bits: node.type.bits });
    }
    return this.calls;
  }

  private visit(node: Node): void {
    if (node.op === "reveal") {
      const x = this.type(node.inputs[0]!);
      if (x.vis !== "client" && x.vis !== "public") {
        this.emit({ kind: "reveal", n: numel(x.shape), bits: x.bits });
        return;
      }
    }
    if (node.type.vis !== "shared") return; // computed in the clear by the party that knows it
    if (node.origin.via) this.scope(node.origin.via, () => this.sharedNode(node));
    else this.sharedNode(node);
  }

  // -------------------------------------------------------------- protocol mirrors

  /** run.ts `lifted(i, bits)`: an extension only for a shared value into a wider ring. */
  private lifted(i: number, bits: number): void {
    const t = this.type(i);
    if (!this.shared(i) || bits <= t.bits) return;
    // run.ts `lifted`: known-MSB also when the range fits half the ring after an offset.
    this.extend(numel(t.shape), t.bits, t.nonneg || msbOffset(this.ranges[i]!, t.bits) !== undefined, bits);
  }

  /** extend.ts `extend`: known-MSB carry + B2A, or lift.ts (comparison on N bits + B2A). */
  private extend(n: number, N: number, nonneg: boolean, toBits: number): void {
    if (!nonneg) return this.lift(n, N, toBits);
    this.scope("extend", () => {
      if (toBits === N) return;
      this.emit({ kind: "carryKnown", n });
      this.emit({ kind: "b2a", n, bits: toBits - N });
    });
  }

  /** lift.ts: carry of the N-bit shares (a millionaire on N bits), B2A into toBits − N bits. */
  private lift(n: number, N: number, toBits: number): void {
    this.scope("lift", () => {
      if (toBits === N) return;
      this.emit({ kind: "compare", n, m: N });
      this.emit({ kind: "b2a", n, bits: toBits - N });
    });
  }

  /** msb.ts: one comparison on N − 1 bits. */
  private msb(n: number, N: number, share?: SharedLow): void {
    this.scope("msb", () => this.emit(share ? { kind: "compare", n, m: N - 1, share } : { kind: "compare", n, m: N - 1 }));
  }

  /** trunc.ts truncReduce: carry of the low s bits, B2A into N − s bits; nothing when `exact`. */
  private truncReduce(n: number, N: number, s: number, exact = false): void {
    this.scope("truncreduce", () => {
      if (exact) return;
      this.emit({ kind: "compare", n, m: s });
      this.emit({ kind: "b2a", n, bits: N - s });
    });
  }

  /** trunc.ts trunc: known MSB — carry(s) + known carry + one B2A of 2n bits; else truncReduce then lift. */
  private trunc(n: number, N: number, s: number, nonneg: boolean): void {
    this.scope("trunc", () => {
      if (!nonneg) {
        this.truncReduce(n, N, s);
        this.lift(n, N - s, N);
        return;
      }
      this.emit({ kind: "compare", n, m: s });
      this.emit({ kind: "carryKnown", n });
      this.emit({ kind: "b2a", n: 2 * n, bits: N });
    });
  }

  /** maxpool.ts `tournament`: per level one lessThan (wrap: 3 comparisons batched) and one selectMany. */
  private tournament(groups: number, width: number, bits: number, payloadBits?: number): void {
    while (width > 1) {
      const pairs = Math.floor(width / 2);
      const k = groups * pairs;
      this.scope("lessThan", () => this.emit({ kind: "compare", n: 3 * k, m: bits }));
      this.emit({ kind: "select", n: k, conds: k, rings: payloadBits === undefined ? [bits] : [bits, payloadBits] });
      width = Math.ceil(width / 2);
    }
  }

  private weighted(node: Node): void {
    const N = node.type.bits;
    const x = node.inputs[0]!;
    const w = node.inputs[1]!;
    const wt = this.type(w);
    if (wt.vis === "public") return;
    const xt = this.type(x);
    const xn = numel(xt.shape);
    const wn = numel(wt.shape);
    const yn = numel(node.type.shape);
    // run.ts `weighted`/`describe`: the client's plaintext keeps its declared width, a share is N unsigned bits.
    const product: ProductShape = {
      ...(node.op === "conv2d" ? { op: "conv2d" as const, stride: intAttr(node.attrs, "stride"), pad: intAttr(node.attrs, "pad"), groups: intAttr(node.attrs, "groups") }
        : node.op === "linear" ? { op: "linear" as const } : { op: "scale" as const }),
      w: wt.shape, x: xt.shape, y: node.type.shape,
      wElem: { bits: wt.bits, signed: wt.signed },
      xElem: xt.vis === "client" && xt.bits <= N ? { bits: xt.bits, signed: xt.signed } : { bits: N, signed: false },
      receiver: node.attrs.receiver === 1 ? 1 : 0,
      ...reweighting(node),
    };
    // The matrix-product view for the OT formulas (docs/PROTOCOLS.md, SiRNN cross_term_cost).
    let receivers = xn;
    let d3 = 1;
    if (node.op === "linear") d3 = wt.shape[0] ?? 1;
    else if (node.op === "conv2d") {
      // im2col: each output position reads C/g·k·k inputs per group, for Cout/g outputs.
      const groups = intAttr(node.attrs, "groups");
      const cout = wt.shape[0] ?? 1;
      const perPos = (wt.shape[1] ?? 1) * (wt.shape[2] ?? 1) * (wt.shape[3] ?? 1);
      const positions = yn / cout;
      receivers = positions * perPos * groups;
      d3 = cout / groups;
    }
    if (node.attrs.receiver === 1) {
      // The weights as OT receiver (orientation pass): W's elements are the d1×d2 operand, the
      // other dimension is the number of output positions per weight (a re-weighted W: per plane,
      // formulas.ts through productPlanes).
      this.emit({ kind: "linear", x: xn, w: wn, y: yn, bits: N, xBits: Math.min(wt.bits, N), receivers: wn, d3: receivers * d3 / wn, product, fixed: true });
      return;
    }
    this.emit({ kind: "linear", x: xn, w: wn, y: yn, bits: N, xBits: Math.min(this.nativeBits(x), N), receivers, d3, product, fixed: true });
  }

  /**
   * twopc/run.ts `winoconv`: x lifted to the result's ring N, then one server-weight product
   * per tile position, batched in one call: U [α², O, C] against V [α², C, T] (T tiles), all
   * in Z_2^N. Receivers: the filters (α²·O·C elements of U's width, T products each) or the
   * transformed activations (α²·C·T elements of N bits, O products each).
   */
  private winoconv(node: Node): void {
    const N = node.type.bits;
    const x = node.inputs[0]!;
    const ut = this.type(node.inputs[1]!);
    if (ut.vis === "public") return;
    const [a2, O, C] = ut.shape as [number, number, number];
    const g = winoGeometry(tileOf(intAttr(node.attrs, "tile"))!, this.type(x).shape, O, intAttr(node.attrs, "pad"));
    const tiles = g.th * g.tw;
    const wn = a2 * O * C;
    const vn = a2 * C * tiles;
    const yn = a2 * O * tiles;
    // run.ts: V is a transform of x, read as N-bit ring elements either way.
    const product: ProductShape = {
      op: "winoconv", geometry: { th: g.th, tw: g.tw }, w: ut.shape, x: [a2, C, g.th, g.tw], y: [a2, O, g.th, g.tw],
      wElem: { bits: ut.bits, signed: ut.signed }, xElem: { bits: N, signed: false }, receiver: node.attrs.receiver === 1 ? 1 : 0,
      ...reweighting(node),
    };
    if (node.attrs.receiver === 1) this.emit({ kind: "linear", x: vn, w: wn, y: yn, bits: N, xBits: Math.min(ut.bits, N), receivers: wn, d3: tiles, product, fixed: true });
    else this.emit({ kind: "linear", x: vn, w: wn, y: yn, bits: N, xBits: N, receivers: vn, d3: O, product, fixed: true });
  }

  /**
   * The width of x's shares as an OT receiver's choice bits: through explicit extensions
   * (zext/sext, as placement inserts them) to the value they extend. SiRNN multiplies the
   * narrow shares and corrects with the extension's wrap bit (Rathee et al. 2021, §4), so
   * an extension before a product costs its comparison once, not a wider receiver too — the
   * same as an implicit lift (`lifted`), which leaves x's type narrow.
   */
  private nativeBits(x: number): number {
    let n = this.g.nodes[x]!;
    while ((n.op === "zext" || n.op === "sext") && this.shared(n.inputs[0]!)) n = this.g.nodes[n.inputs[0]!]!;
    return Math.min(n.type.bits, this.type(x).bits);
  }

  private sharedNode(node: Node): void {
    const t = node.type;
    const N = t.bits;
    const x = node.inputs[0]!;
    const xt = x === undefined ? undefined : this.type(x);
    const xn = xt ? numel(xt.shape) : 0;
    // The operands the op's descriptor lifts into its ring, in order, before its own units (as run.ts).
    for (const pos of liftedOperands(node)) this.lifted(node.inputs[pos]!, N);
    switch (node.op) {
      case "input":
      case "param":
      case "const":
        throw new Error(`cost: a ${node.op} is never shared`);
      case "winoconv":
        this.winoconv(node);
        return;
      case "conv2d":
      case "linear":
      case "batchnorm":
        this.weighted(node);
        return;
      case "relu":
        if (xt!.signed) throw new Error(`cost: signed relu at ${node.origin.path} was not lowered with std/protocols`);
        return;
      case "sqplus": {
        // protocols/square.ts: the cross term x0·x1 as the server-weight product of the element-wise map.
        const product: ProductShape = { op: "scale", w: [xn], x: [xn, 1, 1], y: [xn, 1, 1], wElem: { bits: N, signed: false }, xElem: { bits: N, signed: false }, receiver: 0 };
        this.scope("square", () => this.emit({ kind: "linear", x: xn, w: xn, y: xn, bits: N, xBits: N, receivers: xn, d3: 1, product, fixed: false }));
        return;
      }
      case "avgpool":
      case "gavgpool":
      case "sum":
      case "neg":
      case "mulc":
      case "shl":
      case "divexact":
      case "linmap":
        return;
      case "maxpool": {
        const k = intAttr(node.attrs, "k");
        const stride = intAttr(node.attrs, "stride");
        const [C, H, W] = xt!.shape as [number, number, number];
        const groups = C * (Math.floor((H - k) / stride) + 1) * (Math.floor((W - k) / stride) + 1);
        this.scope("maxpool", () => this.tournament(groups, k * k, xt!.bits));
        return;
      }
      case "flatten":
      case "reshape":
      case "concat":
        return;
      case "requant":
        this.requant(node);
        return;
      case "argmax":
        this.scope("argmax", () => this.tournament(1, xn, xt!.bits, N));
        return;
      case "add":
      case "sub":
        return;
      case "mul":
        this.emit({ kind: "mul", n: xn, bits: N, square: x === node.inputs[1] });
        return;
      case "msb":
        this.msb(xn, xt!.bits);
        return;
      case "drelu":
        this.scope("drelu", () => this.msb(xn, xt!.bits));
        return;
      case "wrap":
        // wrapReadings: carries c, wx, wy as one comparison of 3n pairs on N bits.
        this.scope("wrap", () => this.emit({ kind: "compare", n: 3 * xn, m: xt!.bits }));
        return;
      case "b2a":
        this.emit({ kind: "b2a", n: xn, bits: N });
        return;
      case "select": {
        const conds = xn;
        const a = node.inputs[1]!;
        this.emit({ kind: "select", n: numel(this.type(a).shape), conds, rings: [N] });
        return;
      }
      case "clamp":
        this.clamp(node);
        return;
      case "trunc":
        this.trunc(xn, xt!.bits, intAttr(node.attrs, "by"), xt!.nonneg);
        return;
      case "truncreduce":
        this.truncReduce(xn, xt!.bits, intAttr(node.attrs, "by"), node.attrs.exact === 1);
        return;
      case "zext":
      case "sext":
        this.extend(xn, xt!.bits, xt!.nonneg, N);
        return;
      case "reveal":
        throw new Error("cost: internal: reveal is handled before dispatch");
      default:
        return assertNever(node.op, "op");
    }
  }

  private clamp(node: Node): void {
    const xt = this.type(node.inputs[0]!);
    this.clampUnits(numel(xt.shape), xt.bits, xt.signed, bigAttr(node.attrs, "lo"), bigAttr(node.attrs, "hi"));
  }

  /** clamp.ts: wrapPublic ((1 + k) comparisons on N bits batched) and one select of k·n elements. */
  private clampUnits(n: number, N: number, signed: boolean, lo: bigint, hi: bigint): void {
    this.scope("clamp", () => {
      if (lo > hi) return;
      const offset = signed ? 1n << BigInt(N - 1) : 0n;
      const top = 1n << BigInt(N);
      let k = 0;
      if (lo + offset > 0n) k++;
      if (hi + offset < top - 1n) k++;
      if (k === 0) return;
      this.scope("wrap", () => this.emit({ kind: "compare", n: (1 + k) * n, m: N }));
      this.emit({ kind: "select", n: k * n, conds: k * n, rings: [N] });
    });
  }

  /** requant.ts, step by step: the same interval arithmetic fixes the same rings. */
  private requant(node: Node): void {
    const x = node.inputs[0]!;
    const xt = this.type(x);
    const N = xt.bits;
    const n = numel(xt.shape);
    const mult = intAttr(node.attrs, "mult");
    const shift = intAttr(node.attrs, "shift");
    const to = elemAttr(node.attrs, "to");
    const out = node.type.bits;
    const range = this.ranges[x]!;
    this.scope("requant", () => {
      // The protocol's own ring plan (compiler/requant-plan.ts).
      const plan = requantPlan(range, xt, mult, shift, to);
      if (plan.constant !== undefined) return; // a public constant
      const { lo, hi, s, W, R, needLo, needHi, T, ylo, pre } = plan;
      // 0. the pre-clamp of a wide x
      if (pre) {
        const [tlo, thi] = typeRange(xt);
        this.clampUnits(n, N, xt.signed, pre.lo ?? tlo, pre.hi ?? thi);
      }
      // 1. into Z_2^W through the narrowest ring
      if (lo >= 0n && signedWidthFor(0n, hi) <= N) {
        const k = signedWidthFor(0n, hi);
        if (k !== W) this.extend(n, k, true, W);
      } else {
        const k = lo < 0n ? signedWidthFor(lo, hi) : N;
        if (k !== W) this.extend(n, k, false, W);
      }
      // 3. truncate-and-reduce by s into R bits
      if (s > 0) this.truncReduce(n, W, s);
      // 4. clampSides: one msb over both sides' differences (sharing their low bits), one select
      const sides = (needLo ? 1 : 0) + (needHi ? 1 : 0);
      if (sides > 0) {
        this.scope("clamp", () => {
          this.msb(sides * n, R, clampShare(R, needLo ? T.lo : undefined, needHi ? T.hi : undefined));
          this.emit({ kind: "select", n: sides * n, conds: sides * n, rings: [R] });
        });
      }
      // 5. into the result's ring
      const flo = ylo < T.lo ? T.lo : ylo;
      if (R < out) this.extend(n, R, flo >= 0n, out);
    });
  }
}

/** Every interactive unit the two-party backend runs for this program, in execution order. */
export function trace(program: Program): Call[] {
  return new Tracer(program.graph, program.ranges).run();
}

