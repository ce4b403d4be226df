// Plain-text tables for the CLI and the REPL: left-aligned text, right-aligned numbers.
// On a terminal a table fits its width: the widest text column (never the first, never a
// number) gives way first, its cells cut with '…', down to MIN_WIDTH per column. Not on a
// terminal (a pipe, a file, the tests, README.md) a table is never cut.

const ELLIPSIS = "…";
const MIN_WIDTH = 10;
const GAP = 2;

/** The width tables fit on stdout: its columns when it is a terminal, else unlimited. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  return stream.isTTY === true && stream.columns !== undefined && stream.columns > 0 ? stream.columns : undefined;
}

/** `s` in at most `w` characters: cut, with '…' as the last one. */
export function elide(s: string, w: number): string {
  const chars = [...s];
  return chars.length <= w ? s : chars.slice(0, Math.max(0, w - 1)).join("") + ELLIPSIS;
}

const len = (s: string) => [...s].length;

export function table(header: string[], rows: string[][], footer?: string[], width: number | undefined = terminalWidth()): string {
  const all = footer ? [header, ...rows, footer] : [header, ...rows];
  const widths = header.map((_, c) => all.reduce((w, r) => Math.max(w, len(r[c] ?? "")), 0));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+%?$/.test(r[c] ?? "") || (r[c] ?? "") === ""));
  if (width !== undefined) {
    const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
    for (;;) {
      const over = total() - width;
      if (over <= 0) break;
      // The widest column that may give way, and how far it can.
      let c = -1;
      for (let i = 1; i < widths.length; i++) if (!numeric[i] && widths[i]! > MIN_WIDTH && (c < 0 || widths[i]! > widths[c]!)) c = i;
      if (c < 0) break;
      const second = widths.reduce((m, w, i) => (i !== c && i > 0 && !numeric[i] && w < widths[c]! && w > m ? w : m), MIN_WIDTH);
      widths[c] = Math.max(second, widths[c]! - over, MIN_WIDTH);
    }
  }
  const pad = (s: string, w: number, right: boolean) => (right ? " ".repeat(Math.max(0, w - len(s))) + s : s + " ".repeat(Math.max(0, w - len(s))));
  const line = (r: string[]) => r.map((cell, c) => pad(elide(cell, widths[c]!), widths[c]!, numeric[c]!)).join(" ".repeat(GAP)).trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join(" ".repeat(GAP));
  const out = [line(header), rule, ...rows.map(line)];
  if (footer) out.push(rule, line(footer));
  return out.join("\n");
}
