// Typing one node from its operands: the op's descriptor gives shape, scale, visibility
// and value interval; this file turns that into a TensorType — choosing accumulator
// widths, honouring a declared type, deriving the known-MSB fact from the interval, and
// reporting possible overflow (PQ3001/PQ3002). Lowering and the verifier share it.
import type { Attrs, Op } from "./ir.js";
import { DESCRIPTORS, type Fail, type Interval, type Operand } from "./ops.js";
import {
  elemName, sameScale, signedWidthFor, typeRange, unsignedWidthFor,
  type Scale, type TensorType, type Visibility,
} from "./types.js";

/** A declared type on a `let` (every part optional but the element type). */
export interface Declared {
  bits: number;
  signed: boolean;
  shape?: number[];
  scale?: Scale;
  vis?: Visibility;
  nonneg: boolean;
}

/** MSB known zero: every value lies in [0, 2^(N−1)). */
export function isNonneg(range: Interval, bits: number): boolean {
  return range.lo >= 0n && range.hi < 1n << BigInt(bits - 1);
}

function fmtShape(s: readonly number[] | undefined): string {
  return s ? `[${s.join(", ")}]` : "";
}

/**
 * Type a node. `layer` names it in overflow messages. For `requant` a declared scale is
 * authoritative (the integer multiplier only approximates the ratio of scales).
 */
export function typeNode(
  op: Op, xs: Operand[], attrs: Attrs, declared: Declared | undefined, layer: string, fail: Fail,
): { type: TensorType; range: Interval } {
  const inf = DESCRIPTORS[op].infer(xs, attrs, fail);
  const acc = inf.bits === undefined;
  let bits = inf.bits ?? 0;
  let signed = inf.signed ?? true;
  if (declared) {
    const mismatch = (what: string, d: string, i: string) => fail("PQ2015", { declared: `${what} ${d}`, inferred: `${what} ${i}` });
    if (acc) {
      bits = declared.bits;
      signed = declared.signed;
    } else if (declared.bits !== bits || declared.signed !== signed) {
      mismatch("element type", elemName(declared), elemName({ bits, signed }));
    }
    if (declared.shape && fmtShape(declared.shape) !== fmtShape(inf.shape)) mismatch("shape", fmtShape(declared.shape), fmtShape(inf.shape));
    if (declared.vis && declared.vis !== (inf.vis ?? "public")) mismatch("visibility", declared.vis, inf.vis ?? "public");
    if (declared.scale && op !== "requant" && !sameScale(declared.scale, inf.scale)) {
      mismatch("scale", JSON.stringify(declared.scale), JSON.stringify(inf.scale));
    }
  } else if (acc) {
    bits = signedWidthFor(inf.range.lo, inf.range.hi);
  }
  const need = signed ? signedWidthFor(inf.range.lo, inf.range.hi) : inf.range.lo < 0n ? Infinity : unsignedWidthFor(inf.range.hi);
  if (need > 64 && acc) fail("PQ3002", { layer, need: need === Infinity ? "a signed type and" : need });
  const [lo, hi] = typeRange({ bits, signed });
  if (bits > 64 || inf.range.lo < lo || inf.range.hi > hi) {
    fail("PQ3001", {
      layer, type: elemName({ bits, signed }), lo: inf.range.lo, hi: inf.range.hi,
      need: need === Infinity ? `a signed type of ${signedWidthFor(inf.range.lo, inf.range.hi)}` : need,
    });
  }
  const nonneg = isNonneg(inf.range, bits);
  if (declared?.nonneg && !nonneg) fail("PQ2015", { declared: "nonneg", inferred: `values in [${inf.range.lo}, ${inf.range.hi}]` });
  const scale = op === "requant" && declared?.scale ? declared.scale : inf.scale;
  return { type: { bits, signed, shape: inf.shape, vis: inf.vis ?? "public", scale, nonneg }, range: inf.range };
}
