// Data movement: flatten, reshape, concat. Values never change; only a wider result type of
// concat changes their storage.
import { getBig, isWide, numData, type Tensor } from "../tensor.js";
import { buildBig, buildNum, convert, splitAxis } from "./common.js";

export function reshape(x: Tensor, shape: number[]): Tensor {
  return convert(x, x, shape);
}

export function flatten(x: Tensor): Tensor {
  return convert(x, x, [x.data.length]);
}

/** Along `axis`; operands share signedness and all other dimensions; width is the widest. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (first === undefined) throw new Error("concat of no operands");
  const { inner } = splitAxis(first.shape, axis);
  const lens: number[] = [];
  for (const t of xs) {
    const ok =
      t.signed === first.signed &&
      t.shape.length === first.shape.length &&
      t.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!ok) throw new Error(`concat: operand ${t.signed ? "i" : "u"}${t.bits}[${t.shape.join(", ")}] does not match along axis ${axis}`);
    lens.push(t.shape[axis]!);
  }
  const L = lens.reduce((a, b) => a + b, 0);
  const shape = first.shape.map((d, i) => (i === axis ? L : d));
  const out = { bits: xs.reduce((w, t) => Math.max(w, t.bits), 0), signed: first.signed };
  // For each position k along the result axis: the operand and its own position.
  const owner = new Int32Array(L);
  const local = new Int32Array(L);
  for (let t = 0, k = 0; t < xs.length; t++) for (let r = 0; r < lens[t]!; r++, k++) [owner[k], local[k]] = [t, r];
  const source = (q: number): { t: number; i: number } => {
    const b = q % inner;
    const k = Math.floor(q / inner) % L;
    const a = Math.floor(q / (inner * L));
    const t = owner[k]!;
    return { t, i: (a * lens[t]! + local[k]!) * inner + b };
  };
  if (xs.every((t) => !isWide(t.bits))) {
    const ds = xs.map(numData);
    return buildNum(out, shape, (q) => {
      const { t, i } = source(q);
      return ds[t]![i]!;
    });
  }
  return buildBig(out, shape, (q) => {
    const { t, i } = source(q);
    return getBig(xs[t]!, i);
  });
}
