// A line diff for `:passes show`: what a pass changed in the printed program, as a unified
// diff (`-` before, `+` after, a few lines of context, `@@ -a,n +b,m @@` hunks). Lines are
// matched by a key (the printer's node names end in node ids, `h1_9`, which shift when a
// pass inserts a node: matching with the ids masked keeps the diff to what changed).
// Myers' O(ND) algorithm (Myers 1986, "An O(ND) difference algorithm and its variations").

type Op = { kind: " " | "-" | "+"; a: number; b: number };

/** The edit script from `a` to `b` (line keys), shortest. */
function script(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[max + k - 1]! < v[max + k + 1]!) ? v[max + k + 1]! : v[max + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[max + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk back through the saved frontiers.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[max + k - 1]! < vd[max + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[max + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: " ", a: --x, b: --y });
    if (d > 0) {
      if (x === prevX) ops.push({ kind: "+", a: x, b: --y });
      else ops.push({ kind: "-", a: --x, b: y });
    }
  }
  return ops.reverse();
}

/**
 * A unified diff of two texts, `context` unchanged lines around each change; "" when they
 * are the same. `key` maps a line to what is compared (lines with equal keys are unchanged).
 */
export function unifiedDiff(before: string, after: string, opts: { context?: number; key?: (line: string) => string } = {}): string {
  const context = opts.context ?? 2;
  const key = opts.key ?? ((l: string) => l);
  const a = before.split("\n");
  const b = after.split("\n");
  // Lines with equal keys are unchanged (a node only renamed): shown as they are after.
  const lines = script(a.map(key), b.map(key));
  const changed = lines.map((l, i) => (l.kind !== " " ? i : -1)).filter((i) => i >= 0);
  if (changed.length === 0) return "";
  const out: string[] = [];
  let i = 0;
  while (i < changed.length) {
    const start = Math.max(0, changed[i]! - context);
    let end = Math.min(lines.length, changed[i]! + context + 1);
    while (i + 1 < changed.length && changed[i + 1]! - context <= end) end = Math.min(lines.length, changed[++i]! + context + 1);
    i++;
    const hunk = lines.slice(start, end);
    const aFrom = hunk.find((l) => l.kind !== "+")?.a ?? hunk[0]!.a;
    const bFrom = hunk.find((l) => l.kind !== "-")?.b ?? hunk[0]!.b;
    const aLen = hunk.filter((l) => l.kind !== "+").length;
    const bLen = hunk.filter((l) => l.kind !== "-").length;
    out.push(`@@ -${aFrom + 1},${aLen} +${bFrom + 1},${bLen} @@`);
    for (const l of hunk) out.push(`${l.kind}${l.kind === "-" ? a[l.a] : b[l.b]}`);
  }
  return out.join("\n");
}
