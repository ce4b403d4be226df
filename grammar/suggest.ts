// "Did you mean": the one nearest-name helper behind every suggestion pq makes (unknown
// names in a program, pipelines and passes, REPL commands). Each caller states how many
// edits still make a plausible typo.
import { diag, type Diagnostic } from "./diagnostics.js";

/** Levenshtein distance: insertions, deletions and substitutions of one character. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/**
 * The nearest of `names` to `word` (the first on a tie) when it is at most `max` edits away.
 * With `prefix`, a name that starts with a non-empty `word` counts as half an edit away (a
 * command typed in part).
 */
export function nearest(word: string, names: Iterable<string>, max: number, opts: { prefix?: boolean } = {}): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = opts.prefix && word.length > 0 && n.startsWith(word) ? 0.5 : editDistance(word, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best !== undefined && bestD <= max ? best : undefined;
}

/**
 * The nearest of `names` to a word typed at a prompt (a command, an option, a pass, a layer):
 * typed in part (a prefix) or with a typo of up to a third of its letters (at least two).
 */
export function nearestTyped(word: string, names: Iterable<string>): string | undefined {
  return nearest(word, names, Math.max(2, Math.floor(word.length / 3)), { prefix: true });
}

/** ` (did you mean 'x'?)` for the nearest typed name, or nothing: the `{suggestion}` of PQ9002 and PQ4015. */
export function didYouMean(word: string, names: readonly string[]): string {
  const near = nearestTyped(word, names);
  return near !== undefined ? ` (did you mean '${near}'?)` : "";
}

/** PQ9002: no `what` named `name`, with the nearest of `known` when it is a plausible typo. */
export function unknownName(what: string, name: string, known: readonly string[]): Diagnostic {
  return diag("PQ9002", { what, name, suggestion: didYouMean(name, known), known: known.join(", ") || "none" });
}

/**
 * The hint of an unknown name in a program (PQ2001, PQ2003): `did you mean 'x'?` for a name
 * fewer edits away than it has letters, and at most a third of them (at least one); else "".
 */
export function nameHint(name: string, candidates: Iterable<string>): string {
  const best = nearest(name, candidates, Math.min(name.length - 1, Math.max(1, Math.floor(name.length / 3))));
  return best !== undefined ? `did you mean '${best}'?` : "";
}
