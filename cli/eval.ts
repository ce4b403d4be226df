// `pq eval FILE.pq [--dataset DIR|FILE] [--backend plain|2pc] [--correlations ot|he|dealer]
// [--labels FILE] [--limit N] [--json]`: accuracy over a labelled dataset (cli/dataset.ts).
// Under 2pc every image also runs on the plaintext backend, and the two predictions must be
// equal (the two-party backend reproduces the plaintext one bit for bit); the communication
// of each inference is summed as the run report counts it. Loaded on demand by cli/commands.ts.
import { performance } from "node:perf_hooks";
import type { Program } from "../compiler/ir.js";
import { numel } from "../compiler/types.js";
import { runPlain } from "../interpreter/plain/run.js";
import type { Tensor } from "../interpreter/plain/tensor.js";
import type { ProviderSpec } from "../interpreter/providers/provider.js";
import { totals } from "../interpreter/twopc/meter.js";
import { UsageError, type Io } from "./common.js";
import { readDataset } from "./dataset.js";
import { Status } from "./progress.js";
import { formatBytes } from "./report.js";
import { classCount, predictedClass, readLabels, resultJson } from "./result.js";

export interface EvalOptions {
  file: string;
  pipeline: string;
  disabled: string[];
  dataset?: string;
  backend: "plain" | "2pc";
  provider?: ProviderSpec;
  labels?: string;
  limit: number;
  json: boolean;
}

interface SampleResult {
  source: string;
  label: number;
  predicted: number;
  /** 2pc: the plaintext backend's prediction (equal to `predicted` unless the backends disagree). */
  plain?: number;
}

/** Communication of two-party inferences, summed: online bytes each party sent, offline bytes, rounds. */
interface Traffic {
  clientSent: number;
  serverSent: number;
  offline: number;
  clientRounds: number;
  serverRounds: number;
}

export async function evalCommand(program: Program, opts: EvalOptions, io: Io): Promise<number> {
  const g = program.graph;
  const inputs = g.nodes.filter((n) => n.op === "input");
  if (inputs.length !== 1) throw new UsageError("eval", `pq eval feeds one input per sample, but model ${g.name} has ${inputs.length}`);
  const input = inputs[0]!;
  const out = g.outputs.findIndex((_, i) => classCount(g, i) !== undefined);
  if (out < 0) throw new UsageError("eval", "the model needs an output that names a class (an argmax, or a vector of class scores)");
  const classes = classCount(g, out)!;
  if (opts.dataset === undefined && (numel(input.type.shape) !== 784 || input.type.bits < 8)) {
    throw new UsageError("eval", "without --dataset pq eval uses the MNIST test split: the model needs one input of 784 pixels (e.g. u8[1, 28, 28])");
  }
  const labels = opts.labels === undefined ? undefined : readLabels(opts.labels, g);
  const data = await readDataset(opts.dataset, input, classes, labels);
  const samples = data.samples.slice(0, opts.limit);
  const name = input.attrs.name as string;
  const { runTwoParty } = opts.backend === "2pc" ? await import("../interpreter/twopc/session.js") : { runTwoParty: undefined };
  const results: SampleResult[] = [];
  const traffic: Traffic = { clientSent: 0, serverSent: 0, offline: 0, clientRounds: 0, serverRounds: 0 };
  const status = new Status();
  const t0 = performance.now();
  for (const [i, s] of samples.entries()) {
    if (opts.backend === "2pc" || i % 50 === 0) status.show(`[${i}/${samples.length}] images`);
    const x = new Map([[name, s.load()]]);
    const plain = predictedClass(g, out, runPlain(g, x).outputs[out]!)!;
    if (!runTwoParty) {
      results.push({ source: s.source, label: s.label, predicted: plain });
      continue;
    }
    const r = await runTwoParty(g, program.ranges, x, { provider: opts.provider! });
    const on = { client: totals(r.client, "online"), server: totals(r.server, "online") };
    traffic.clientSent += on.client.sent;
    traffic.serverSent += on.server.sent;
    traffic.offline += totals(r.client, "offline").recv + totals(r.server, "offline").recv;
    traffic.clientRounds += on.client.rounds;
    traffic.serverRounds += on.server.rounds;
    results.push({ source: s.source, label: s.label, predicted: predictedClass(g, out, r.outputs[out]! as Tensor)!, plain });
  }
  status.done();
  const ms = performance.now() - t0;
  const n = results.length;
  const correct = results.filter((r) => r.predicted === r.label).length;
  const disagree = results.filter((r) => r.plain !== undefined && r.plain !== r.predicted);
  const per = (v: number) => (n === 0 ? 0 : v / n);
  const accuracy = n === 0 ? 0 : correct / n;
  if (opts.json) {
    io.out(resultJson({
      command: "eval", file: opts.file, model: g.name, pipeline: opts.pipeline, disabled: opts.disabled, backend: opts.backend,
      correlations: opts.provider?.kind ?? null, seed: opts.provider?.kind === "dealer" ? opts.provider.seed : null,
      inputs: [{ name, dataset: data.path }],
    }, {
      dataset: { kind: data.kind, path: data.path, samples: data.samples.length },
      images: n, correct, accuracy, ms: +ms.toFixed(1),
      ...(opts.backend === "2pc" ? {
        equalToPlain: n - disagree.length,
        perInference: {
          online: { clientSent: per(traffic.clientSent), serverSent: per(traffic.serverSent) }, offline: per(traffic.offline),
          rounds: { client: per(traffic.clientRounds), server: per(traffic.serverRounds) },
        },
      } : {}),
      samples: results.map((r) => ({ ...r, label: labels?.[r.label] ?? String(r.label), predictedLabel: labels?.[r.predicted] ?? String(r.predicted) })),
    }));
  } else {
    const head = `${opts.file}: ${correct}/${n} correct, accuracy ${(100 * accuracy).toFixed(2)}%`;
    if (opts.backend === "plain") io.out(`${head} (${per(ms).toFixed(2)} ms per image, plaintext)`);
    else {
      io.out(`${head} (${per(ms).toFixed(0)} ms per image, two parties, ${opts.provider!.kind}); ${n - disagree.length}/${n} predictions equal the plaintext backend's`);
      io.out(`per inference: online ${formatBytes(Math.round(per(traffic.clientSent + traffic.serverSent)))} (client→ ${formatBytes(Math.round(per(traffic.clientSent)))}, server→ ${formatBytes(Math.round(per(traffic.serverSent)))}), ` +
        `offline ${formatBytes(Math.round(per(traffic.offline)))}, rounds ${per(traffic.clientRounds).toFixed(0)}/${per(traffic.serverRounds).toFixed(0)} (client/server)`);
    }
    for (const d of disagree) io.err(`pq eval: ${d.source}: the two-party prediction ${d.predicted} differs from the plaintext ${d.plain}`);
  }
  return disagree.length > 0 ? 1 : 0;
}
