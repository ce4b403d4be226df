// The REPL's colon commands: names, argument shapes (for `:help` and tab completion) and
// one-line summaries. The behaviour is in session.ts, one handler per CommandName (a
// command added here without a handler there does not compile).

/** What an argument position completes to. */
export type ArgKind = "pq-file" | "file" | "file-or-backend" | "layer" | "pass-sub" | "pass" | "command" | "none";

interface CommandSpec {
  name: string;
  args: string;
  summary: string;
  /** Completion per argument position; the last entry repeats. */
  complete: readonly ArgKind[];
}

const COMMANDS = [
  { name: "load", args: "FILE.pq [MODEL]", summary: "load a program (the previous one stays if this one fails)", complete: ["pq-file", "none"] },
  { name: "save", args: "FILE.pq", summary: "write the session's program (the loaded file and the statements typed since) to FILE.pq, to :load later; an existing file is kept: :save! FILE.pq overwrites it", complete: ["pq-file"] },
  { name: "reload", args: "", summary: "re-read the loaded file and re-apply the statements typed since", complete: ["none"] },
  { name: "ast", args: "[NAME]", summary: "the model's syntax tree (or one statement's), spans left out", complete: ["none"] },
  { name: "ir", args: "[LAYER]", summary: "the IR as .pq text (or one layer's nodes)", complete: ["layer"] },
  { name: "passes", args: "[list | enable NAME | disable NAME | show NAME | use PIPELINE | target KIND]", summary: "the optimisation pipeline (pq by default; use: pq, eqo, sirnn, none; target: the correlations its passes optimise for); show: the IR before/after one pass", complete: ["pass-sub", "pass"] },
  { name: "cost", args: "[LAYER] [dealer|ot|he|ot-iknp|ot-silent]", summary: "forecast communication per layer as a table and bars (or one layer's primitives); by default for the session's :correlations", complete: ["layer"] },
  { name: "run", args: "INPUT... [plain|2pc]", summary: "run on an input with per-layer progress, then the per-layer table", complete: ["file-or-backend"] },
  { name: "diff", args: "INPUT...", summary: "run both backends; the first layer whose values differ, or that none do", complete: ["file"] },
  { name: "trace", args: "LAYER [INPUT...]", summary: "DEBUG: reveal one layer's intermediate values (breaks privacy)", complete: ["layer", "file"] },
  { name: "correlations", args: "[ot|he|dealer]", summary: "the correlations of 2pc runs: ot (oblivious transfer, private: the default), he (homomorphic encryption for the products with server weights, OT for the rest: private) or dealer (a simulated trusted dealer: INSECURE, reproducible with :seed)", complete: ["none"] },
  { name: "seed", args: "[N]", summary: "seed of the dealer's randomness (with :correlations dealer), for reproducible 2pc runs", complete: ["none"] },
  { name: "protocols", args: "", summary: "each op and protocol with its cost formula, and the threat model", complete: ["none"] },
  { name: "help", args: "[COMMAND]", summary: "this list, or one command's help", complete: ["command"] },
  { name: "quit", args: "", summary: "leave (also Ctrl-D)", complete: ["none"] },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMANDS)[number]["name"];

export interface ReplCommand extends CommandSpec {
  name: CommandName;
}

export const REPL_COMMANDS: readonly ReplCommand[] = COMMANDS;

export function findCommand(name: string): ReplCommand | undefined {
  return REPL_COMMANDS.find((c) => c.name === name);
}

export const STATEMENT_HELP = [
  "statements (appended to the session's model, which is recompiled each time):",
  "  input NAME: client TYPE      params \"FILE.json\"      param NAME: TYPE",
  "  let NAME = EXPR              output EXPR to client",
  "  EXPR                         a bare expression: its inferred type",
  "a `let` shows its inferred type: visibility, width, shape, scale, and `nonneg` when the MSB is known to be 0.",
].join("\n");

export function helpText(): string {
  const w = Math.max(...REPL_COMMANDS.map((c) => `:${c.name} ${c.args}`.length));
  return [
    "commands:",
    ...REPL_COMMANDS.map((c) => `  ${`:${c.name} ${c.args}`.padEnd(w)}  ${c.summary}`),
    "",
    STATEMENT_HELP,
    "",
    "keys: Tab completes commands, layers and paths; Up/Down walk the history, Ctrl-R searches it (again: older; Enter runs; Esc restores);",
    "  Left/Right, Home/End (Ctrl-A/E) move; Ctrl-W deletes a word, Ctrl-U/K to the line's start/end; Ctrl-L clears the screen;",
    "  Ctrl-C cancels a run (or clears the line); Ctrl-D leaves.",
  ].join("\n");
}
