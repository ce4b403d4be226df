import { compileFile } from "./compiler/lower.js";
import { runPipeline } from "./compiler/passes/pipeline.js";
import { requantPlan } from "./compiler/requant-plan.js";
import { intAttr, elemAttr } from "./compiler/ops.js";
const pipe = process.argv[2] ?? "eqo";
const r = compileFile("examples/cifar/resnet32.pq");
const p = runPipeline(r.program!, pipe, { target: "ot-iknp" }).program;
const g = p.graph;
const agg: Record<string, number> = {};
g.nodes.forEach((node, i) => {
  if (node.op !== "requant") return;
  const x = node.inputs[0]!;
  const xt = g.nodes[x]!.type;
  const plan = requantPlan(p.ranges[x]!, xt, intAttr(node.attrs, "mult"), intAttr(node.attrs, "shift"), elemAttr(node.attrs, "to"));
  const n = node.type.shape.reduce((a, b) => a * b, 1);
  const key = `N=${xt.bits} W=${plan.W} s=${plan.s} R=${plan.R} lo=${plan.needLo} hi=${plan.needHi} T=[${plan.T.lo},${plan.T.hi}] ylo=${plan.ylo}`;
  agg[key] = (agg[key] ?? 0) + n;
});
for (const [k, v] of Object.entries(agg)) console.log(v, k);
