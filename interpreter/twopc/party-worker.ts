// A worker thread that runs one party (threads.ts: the server of an in-process run;
// server.ts: `pq serve`'s sessions), made in this one place with the heap such a party
// needs. A new isolate's old generation starts small, and V8 grows it by a factor that
// falls with the allocation rate it measures over wall-clock time; a party spends much of
// its time waiting for its peer, so its measured rate is low and its heap stays small: on
// ResNet-20 the server's thread ran 14–27 full collections per inference, and a warm run
// took 1.5–1.8 s against 0.9–1.3 s with a 64 MiB start (runThreaded, five runs each; 0–1
// collections then, tests/twopc/threads.test.ts). V8 reads --initial-old-space-size when it
// makes an isolate, so setting it here, before each worker is made, gives every party worker
// that start (and any isolate made after it in this process: a larger start, nothing else).
// Node offers no per-worker option for it (`resourceLimits` bounds the heap, `execArgv` takes
// no V8 flags).
import { setFlagsFromString } from "node:v8";
import { Worker, type WorkerOptions } from "node:worker_threads";

/** The old generation a party worker starts with, MiB. */
export const PARTY_HEAP_START_MIB = 64;

export function partyWorker(entry: URL, options: WorkerOptions = {}): Worker {
  setFlagsFromString(`--initial-old-space-size=${PARTY_HEAP_START_MIB}`);
  return new Worker(entry, options);
}
