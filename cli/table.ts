// Plain-text tables for the CLI and the REPL: left-aligned text, right-aligned numbers.
export function table(header: string[], rows: string[][], footer?: string[]): string {
  const all = footer ? [header, ...rows, footer] : [header, ...rows];
  const widths = header.map((_, c) => all.reduce((w, r) => Math.max(w, (r[c] ?? "").length), 0));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+%?$/.test(r[c] ?? "") || (r[c] ?? "") === ""));
  const line = (r: string[]) =>
    r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out = [line(header), rule, ...rows.map(line)];
  if (footer) out.push(rule, line(footer));
  return out.join("\n");
}
