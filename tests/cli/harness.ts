// The `pq` command in this process, its stdout and stderr captured.
import { main } from "../../cli/cli.js";

export async function pq(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}
