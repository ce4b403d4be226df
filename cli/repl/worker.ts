// A REPL job in a worker thread (backends.ts says why): runs the request it was started
// with, posts one message per layer entered, then the result or the error.
import { parentPort, workerData } from "node:worker_threads";
import { PqError } from "../../grammar/diagnostics.js";
import { runTwoParty } from "../../interpreter/twopc/session.js";
import { plainJob, type WorkerMessage, type WorkerRequest } from "./backends.js";

const port = parentPort;
const post = (m: WorkerMessage) => port?.postMessage(m);

async function main(req: WorkerRequest): Promise<void> {
  const onLayer = (path: string) => post({ type: "layer", path });
  if (req.kind === "plain") post({ type: "plain", result: plainJob(req.g, req.inputs, req.keep, onLayer) });
  else post({ type: "2pc", result: await runTwoParty(req.g, req.ranges, req.inputs, { provider: req.provider, onLayer }) });
}

main(workerData as WorkerRequest).catch((e: unknown) => {
  if (e instanceof PqError) post({ type: "error", diagnostics: e.diagnostics, message: e.message });
  else post({ type: "error", message: e instanceof Error ? e.message : String(e) });
});
