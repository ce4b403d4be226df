// The `pq` command: parses the command line and calls the library. Thin by design. Its
// entry is main.ts, which runs `runCli` here (in a child process for the commands that run a
// party on their main thread).
import { parseArgs, type ParseArgsConfig } from "node:util";
import { asDiagnostics, printDiagnostics, stdio, UsageError, type Io } from "./common.js";
import { COMMANDS, type Command, type OptionSpec, type Values } from "./commands.js";
import { PQ_VERSION } from "./result.js";
import { diag, PqError } from "../grammar/diagnostics.js";
import { unknownName } from "../grammar/suggest.js";

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "pq — private inference of quantized neural networks with two-party computation",
    "",
    "usage: pq COMMAND [ARGS] [OPTIONS]",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "`pq COMMAND --help` documents each command's options.",
    "exit codes: 0 ok, 1 error in the program or its inputs, 2 usage error.",
  ].join("\n");
}

export function commandHelp(c: Command): string {
  const lines = [`usage: pq ${c.name} ${c.usage}`, "", c.summary, ""];
  if (c.description) lines.push(c.description, "");
  const opts = Object.entries(c.options);
  if (opts.length > 0) {
    lines.push("options:");
    for (const [name, o] of opts) {
      const flag = `${o.short !== undefined ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.valueName ?? "VALUE"}` : ""}`;
      lines.push(`  ${flag.padEnd(24)} ${o.help}${o.default !== undefined ? ` (default: ${o.default})` : ""}`);
    }
  }
  lines.push(`  ${"--help".padEnd(24)} ${HELP.help}`);
  return lines.join("\n");
}

const HELP: OptionSpec = { type: "boolean", help: "show this help" };

/**
 * `args` parsed against `cmd`'s options, or a coded usage error: an unknown option (PQ9002,
 * with the nearest one), an option without its value (PQ9003: a separate value that starts
 * with '-' and is not a number is the next option, not a value), or a value given to a switch.
 */
function parseCommandLine(cmd: Command, args: string[]): { values: Values; positionals: string[] } {
  const specs: Record<string, OptionSpec> = { ...cmd.options, help: HELP };
  const options: ParseArgsConfig["options"] = {};
  for (const [k, o] of Object.entries(specs)) options[k] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(k === "help" ? { short: "h" } : o.short !== undefined ? { short: o.short } : {}) };
  const { values, positionals, tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const o = specs[t.name];
    if (!o) throw new PqError(unknownName(`option of pq ${cmd.name}`, t.rawName, Object.keys(specs).map((k) => `--${k}`)));
    if (o.type === "string" && (t.value === undefined || (!t.inlineValue && /^-(?!\d)/.test(t.value)))) {
      throw new PqError(diag("PQ9003", { flag: t.rawName, value: o.valueName ?? "VALUE", command: cmd.name }));
    }
    if (o.type === "boolean" && t.value !== undefined) throw new UsageError(cmd.name, `${t.rawName} is a switch and takes no value`);
  }
  return { values, positionals };
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.out(`pq ${PQ_VERSION}`);
    return 0;
  }
  try {
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw new PqError(unknownName("command", name, COMMANDS.map((c) => c.name)));
    const parsed = parseCommandLine(cmd, rest);
    if (parsed.values.help) {
      io.out(commandHelp(cmd));
      return 0;
    }
    return await cmd.run(parsed.positionals, parsed.values, io);
  } catch (e) {
    if (e instanceof UsageError) {
      printDiagnostics(io, [diag("PQ9001", { detail: `pq ${e.command}: ${e.message}`, command: e.command })], new Map());
      return 2;
    }
    const ds = asDiagnostics(e);
    printDiagnostics(io, ds, new Map());
    // PQ9xxx are about the command line itself (an unknown command, option, pipeline or pass name).
    return ds.every((d) => d.code.startsWith("PQ9")) ? 2 : 1;
  }
}

/** The command line of this process: `main` on its arguments, the exit code set, EPIPE on stdout a quiet exit. */
export function runCli(): void {
  // `pq run … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`pq: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
