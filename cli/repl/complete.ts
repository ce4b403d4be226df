// Tab completion: command names after `:`, then per argument what the command takes —
// file paths (directories end in `/`), layer names of the loaded program, pass names (or,
// after `:passes use` / `target`, pipelines and correlations), the backends. Pure: the UI applies the result.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { findCommand, REPL_COMMANDS, type ArgKind } from "./commands.js";
import type { Session } from "./session.js";
import { PIPELINES } from "../../compiler/passes/pipeline.js";
import { PASS_TARGETS } from "../../compiler/cost/model.js";

export interface Completion {
  /** Offset in the line where the word being completed starts. */
  start: number;
  /** Full replacements for that word. */
  candidates: string[];
}

function paths(word: string, cwd: string, pqOnly: boolean): string[] {
  const slash = word.lastIndexOf("/");
  const dir = slash >= 0 ? word.slice(0, slash + 1) : "";
  const base = word.slice(slash + 1);
  let names: string[];
  try {
    names = readdirSync(resolve(cwd, dir === "" ? "." : dir));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.sort()) {
    if (!n.startsWith(base) || (n.startsWith(".") && !base.startsWith("."))) continue;
    let isDir = false;
    try {
      isDir = statSync(join(resolve(cwd, dir === "" ? "." : dir), n)).isDirectory();
    } catch {
      continue;
    }
    if (isDir) out.push(`${dir}${n}/`);
    else if (!pqOnly || n.endsWith(".pq")) out.push(`${dir}${n}`);
  }
  return out;
}

function candidatesFor(kind: ArgKind, word: string, session: Session, cwd: string, sub?: string): string[] {
  const starting = (xs: readonly string[]) => xs.filter((x) => x.startsWith(word));
  switch (kind) {
    case "pq-file": return paths(word, cwd, true);
    case "file": return paths(word, cwd, false);
    case "file-or-backend": return [...starting(["plain", "2pc"]), ...paths(word, cwd, false)];
    case "layer": return starting(session.layerNames());
    case "pass-sub": return starting(["list", "enable", "disable", "show", "use", "target"]);
    case "pass": return starting(sub === "use" ? Object.keys(PIPELINES) : sub === "target" ? PASS_TARGETS : session.passes.map((p) => p.name));
    case "command": return starting(REPL_COMMANDS.map((c) => c.name));
    case "none": return [];
  }
}

/** Completion of the last word of `line` (the cursor is at its end). */
export function complete(line: string, session: Session, cwd = process.cwd()): Completion {
  const start = /\S*$/.exec(line)!.index;
  const word = line.slice(start);
  const before = line.slice(0, start).trim();
  if (before === "") {
    if (!word.startsWith(":")) return { start, candidates: [] };
    return { start, candidates: REPL_COMMANDS.map((c) => `:${c.name}`).filter((c) => c.startsWith(word)) };
  }
  const m = /^:(\S+)\s*(.*)$/.exec(before);
  const cmd = m ? findCommand(m[1]!) : undefined;
  if (!m || !cmd) return { start, candidates: [] };
  const argIndex = m[2]!.trim() === "" ? 0 : m[2]!.trim().split(/\s+/).length;
  const kind = cmd.complete[Math.min(argIndex, cmd.complete.length - 1)]!;
  return { start, candidates: candidatesFor(kind, word, session, cwd, m[2]!.trim().split(/\s+/)[0]) };
}

function commonPrefix(xs: readonly string[]): string {
  let p = xs[0] ?? "";
  for (const x of xs) while (!x.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/** The line after pressing Tab, and the candidates to list when there are several. */
export function applyCompletion(line: string, c: Completion): { line: string; shown: string[] } {
  if (c.candidates.length === 0) return { line, shown: [] };
  if (c.candidates.length === 1) {
    const only = c.candidates[0]!;
    return { line: line.slice(0, c.start) + only + (only.endsWith("/") ? "" : " "), shown: [] };
  }
  const prefix = commonPrefix(c.candidates);
  return { line: line.slice(0, c.start) + (prefix.length > line.length - c.start ? prefix : line.slice(c.start)), shown: c.candidates };
}
