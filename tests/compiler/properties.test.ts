// Properties of the compiler on random networks (tests/gen/networks.ts):
// print → parse round-trips the IR, and the range analysis is sound.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFile } from "../../compiler/lower.js";
import type { Program } from "../../compiler/ir.js";
import { printGraph } from "../../compiler/print.js";
import { verifyGraph } from "../../compiler/verify.js";
import { DESCRIPTORS, type Operand } from "../../compiler/ops.js";
import type { Graph, Node } from "../../compiler/ir.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { tensorFromBigints, toBigints } from "../../interpreter/plain/tensor.js";
import { formatDiagnostic } from "../../grammar/diagnostics.js";
import { inputArb, materialize, networkArb, type GeneratedNet } from "../gen/networks.js";

function compileNet(net: GeneratedNet): { program: Program; path: string } {
  const path = materialize(net);
  const r = compileFile(path);
  if (!r.program) throw new Error(`generated program does not compile:\n${net.source}\n${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}`);
  return { program: r.program, path };
}

/** The IR without source locations: what must survive printing and re-parsing. */
function essence(g: Graph): unknown {
  return {
    nodes: g.nodes.map((n) => ({ op: n.op, inputs: n.inputs, attrs: n.attrs, type: { ...n.type, scale: scaleNum(n.type.scale) } })),
    outputs: g.outputs,
    params: [...g.params].map(([k, p]) => [k, p.shape, Array.from(p.data as Float64Array)]),
  };
}

function scaleNum(s: Node["type"]["scale"]): number {
  return s.kind === "pow2" ? 2 ** s.exp : s.value;
}

describe("compiler properties", () => {
  it("every generated network compiles and verifies", () => {
    fc.assert(
      fc.property(networkArb, (net) => {
        const { program } = compileNet(net);
        expect(verifyGraph(program.graph).length).toBe(program.graph.nodes.length);
      }),
      { numRuns: 100 },
    );
  });

  it("print then parse gives back the same IR (round trip)", () => {
    fc.assert(
      fc.property(networkArb, (net) => {
        const { program, path } = compileNet(net);
        const text = printGraph(program.graph);
        const again = compileFile(path.replace(/net\.pq$/, "printed.pq"), { text });
        expect(again.diagnostics.map((d) => formatDiagnostic(d, again.sources))).toEqual([]);
        expect(essence(again.program!.graph)).toEqual(essence(program.graph));
        expect(printGraph(again.program!.graph)).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it("range analysis is sound: values stay in their intervals and nothing wraps", () => {
    fc.assert(
      fc.property(networkArb.chain((net) => fc.tuple(fc.constant(net), inputArb(net))), ([net, x]) => {
        const { program } = compileNet(net);
        const g = program.graph;
        const input = tensorFromBigints(net.input.shape, net.input.bits, net.input.signed, x);
        const seen: bigint[][] = [];
        runPlain(g, new Map([["x", input]]), {
          onNode: (n, v) => {
            const r = program.ranges[n.id]!;
            for (const e of toBigints(v)) {
              if (e < r.lo || e > r.hi) throw new Error(`${n.origin.path} (${n.op}): ${e} outside [${r.lo}, ${r.hi}]`);
            }
            seen[n.id] = toBigints(v);
          },
        });
        // The same graph with every accumulator widened to 64 bits: if no op wrapped,
        // every value is the same (wrap-around would show up as a difference).
        const wide = widen(g);
        runPlain(wide, new Map([["x", input]]), {
          onNode: (n, v) => expect(toBigints(v)).toEqual(seen[n.id]),
        });
      }),
      { numRuns: 100 },
    );
  });
});

/** Re-type a graph with 64-bit accumulators (ops whose width comes from the range). */
function widen(g: Graph): Graph {
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (n.op === "input" || n.op === "param" || n.op === "const") {
      nodes.push(n);
      continue;
    }
    const xs: Operand[] = n.inputs.map((i) => ({ type: nodes[i]!.type, range: { lo: -(1n << 62n), hi: 1n << 62n } }));
    // Ranges are irrelevant here; only the type rule's choice of width matters.
    const acc = DESCRIPTORS[n.op].infer(
      n.inputs.map((i) => ({ ...xs[n.inputs.indexOf(i)]!, ...(g.nodes[i]!.op === "param" || g.nodes[i]!.op === "const" ? { known: knownOf(g, i) } : {}) })),
      n.attrs, () => { throw new Error("type rule failed while widening"); },
    ).bits === undefined;
    const type = acc ? { ...n.type, bits: 64, signed: true } : { ...n.type, bits: derivedBits(n, nodes) };
    nodes.push({ ...n, type });
  }
  return { ...g, nodes };
}

function derivedBits(n: Node, nodes: Node[]): number {
  switch (n.op) {
    case "relu": case "maxpool": case "flatten": case "reshape": case "clamp": case "reveal":
      return nodes[n.inputs[0]!]!.type.bits;
    case "trunc":
      return nodes[n.inputs[0]!]!.type.bits;
    case "truncreduce":
      return nodes[n.inputs[0]!]!.type.bits - (n.attrs.by as number);
    case "concat": case "select":
      return Math.max(...n.inputs.map((i) => nodes[i]!.type.bits));
    default:
      return n.type.bits;
  }
}

function knownOf(g: Graph, i: number) {
  const n = g.nodes[i]!;
  const vals = n.op === "const" ? (n.attrs.value as bigint[]) : Array.from(g.params.get(n.attrs.name as string)!.data as Float64Array, (v) => BigInt(v));
  return { shape: n.type.shape, size: vals.length, at: (k: number) => vals[k]!, num: (k: number) => Number(vals[k]!) };
}

