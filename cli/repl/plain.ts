// The line mode, used when stdin is not a terminal (`pq repl < script.txt`): the same
// session and commands, each line echoed after a `pq> ` prompt and followed by its output,
// so a run reads as a transcript (CI logs, docs). Everything goes to stdout, in order.
// Exit code: 1 if any line produced an error, else 0 — a script fails loudly in CI.
import type { Status } from "../progress.js";
import type { Block, Session } from "./session.js";

export const PROMPT = "pq> ";

export function blocksText(blocks: readonly Block[]): string {
  return blocks.map((b) => b.text).join("\n");
}

export interface LineModeIo {
  out: (s: string) => void;
  /** Where a job's progress goes, one Status per line (cli/progress.ts: stderr); omitted: none shown. */
  status?: () => Status;
}

export async function runLines(session: Session, lines: AsyncIterable<string>, io: LineModeIo, initial: readonly Block[] = []): Promise<number> {
  let failed = initial.some((b) => b.style === "error");
  if (initial.length > 0) io.out(blocksText(initial));
  for await (const line of lines) {
    io.out(`${PROMPT}${line}`);
    const status = io.status?.();
    const r = await session.execute(line, status ? { onProgress: (s) => status.show(s) } : {});
    status?.done();
    if (r.blocks.length > 0) io.out(blocksText(r.blocks));
    if (r.blocks.some((b) => b.style === "error")) failed = true;
    if (r.quit) break;
  }
  return failed ? 1 : 0;
}
