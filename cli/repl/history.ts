// Line history of the interactive REPL, kept between sessions in the user's config
// directory: $PQ_CONFIG_DIR/history (tests), else $XDG_CONFIG_HOME/pq/history, else
// ~/.config/pq/history. Piped sessions record nothing: a script is not something typed.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

const MAX = 1000;

export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PQ_CONFIG_DIR) return join(env.PQ_CONFIG_DIR, "history");
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "pq", "history");
}

export class History {
  readonly entries: string[];

  /** `file` undefined: in memory only. */
  constructor(private readonly file: string | undefined) {
    let lines: string[] = [];
    if (file !== undefined) {
      try {
        lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
      } catch {
        // No history yet.
      }
    }
    this.entries = lines.slice(-MAX);
    // Keep the file bounded: rewrite it when it has grown past twice the limit.
    if (file !== undefined && lines.length > 2 * MAX) this.write(() => writeFileSync(file, this.entries.map((l) => `${l}\n`).join("")));
  }

  add(line: string): void {
    if (line.trim() === "" || this.entries[this.entries.length - 1] === line) return;
    this.entries.push(line);
    if (this.entries.length > MAX) this.entries.shift();
    const file = this.file;
    if (file !== undefined) this.write(() => appendFileSync(file, `${line}\n`));
  }

  /** A history that cannot be saved (read-only home) must not break the session. */
  private write(f: () => void): void {
    try {
      mkdirSync(dirname(this.file!), { recursive: true });
      f();
    } catch {
      // Ignored on purpose: history is a convenience.
    }
  }
}
