// `pq repl [FILE.pq]`: the Ink UI on a terminal, the line mode (plain.ts) otherwise, both
// over one Session. Jobs run in worker threads when compiled (backends.ts), so Ctrl-C and
// progress work while a run computes.
import { createInterface } from "node:readline";
import type { Io } from "../common.js";
import { defaultBackends } from "./backends.js";
import { History, historyFile } from "./history.js";
import { runLines } from "./plain.js";
import { Status } from "../progress.js";
import { Session, type Block } from "./session.js";

export async function repl(positionals: string[], model: string | undefined, io: Io): Promise<number> {
  if (positionals.length > 1) {
    io.err(`pq repl: expected at most one FILE.pq, got ${positionals.length} arguments\nrun \`pq repl --help\``);
    return 2;
  }
  const session = new Session({ backends: defaultBackends() });
  let initial: Block[] = [];
  const file = positionals[0];
  if (file !== undefined) initial = (await session.execute(`:load "${file}"${model !== undefined ? ` ${model}` : ""}`)).blocks;

  if (!process.stdin.isTTY) {
    // SIGINT from a terminal while a script runs: cancel the job, or stop.
    const onSigint = () => {
      if (!session.cancel()) process.exit(130);
    };
    process.on("SIGINT", onSigint);
    const rl = createInterface({ input: process.stdin, terminal: false });
    try {
      return await runLines(session, rl, { out: io.out, status: () => new Status() }, initial);
    } finally {
      rl.close();
      process.off("SIGINT", onSigint);
    }
  }

  const [{ render }, { createElement }, { App }] = await Promise.all([import("ink"), import("react"), import("./App.js")]);
  const history = new History(historyFile());
  const app = render(createElement(App, { session, history, initial }), { exitOnCtrlC: false });
  await app.waitUntilExit();
  return 0;
}
