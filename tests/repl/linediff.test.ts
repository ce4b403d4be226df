// The line diff of `:passes show` (cli/repl/linediff.ts): hunks with context, and lines
// matched by a key so that renamed nodes are not changes.
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../../cli/repl/linediff.js";

describe("unifiedDiff", () => {
  it("shows only the changed lines with context, in hunks; nothing for equal texts", () => {
    const a = "a\nb\nc\nd\ne\nf\ng\nh";
    expect(unifiedDiff(a, "a\nb\nX\nd\ne\nf\ng\nh\ni")).toBe("@@ -1,5 +1,5 @@\n a\n b\n-c\n+X\n d\n e\n@@ -7,2 +7,3 @@\n g\n h\n+i");
    expect(unifiedDiff(a, a)).toBe("");
    expect(unifiedDiff("", "x", { context: 0 })).toBe("@@ -1,1 +1,1 @@\n-\n+x");
  });

  it("compares by key: a line whose key is unchanged is context, shown as it is after", () => {
    const key = (l: string) => l.replace(/_\d+\b/g, "_#");
    expect(unifiedDiff("x_1 = 1\ny_2 = f(x_1)", "x_1 = 1\nw_2 = g()\ny_3 = f(x_1)", { key })).toBe("@@ -1,2 +1,3 @@\n x_1 = 1\n+w_2 = g()\n y_3 = f(x_1)");
  });

  it("is a correct edit script: applying it to the first text gives the second", () => {
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let t = 0; t < 200; t++) {
      const a = Array.from({ length: rnd(12) }, () => "abc"[rnd(3)]!).join("\n");
      const b = Array.from({ length: rnd(12) }, () => "abc"[rnd(3)]!).join("\n");
      const d = unifiedDiff(a, b, { context: 1000 });
      if (d === "") {
        expect(a).toBe(b);
        continue;
      }
      const body = d.split("\n").slice(1);
      expect(body.filter((l) => !l.startsWith("+")).map((l) => l.slice(1)).join("\n")).toBe(a);
      expect(body.filter((l) => !l.startsWith("-")).map((l) => l.slice(1)).join("\n")).toBe(b);
    }
  });
});
