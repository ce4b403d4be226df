// The catalogue and the spec agree: every diagnostic code pq can raise is documented in a
// table of docs/LANGUAGE.md, and every code documented there exists.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../../grammar/diagnostics.js";

const spec = readFileSync(new URL("../../docs/LANGUAGE.md", import.meta.url), "utf8");
const documented = new Set([...spec.matchAll(/^\| (PQ\d{4}) \|/gm)].map((m) => m[1]!));

describe("diagnostic codes", () => {
  it("every code in the catalogue has a row in LANGUAGE.md, and every row a code", () => {
    expect(Object.keys(CATALOGUE).filter((c) => !documented.has(c))).toEqual([]);
    expect([...documented].filter((c) => !(c in CATALOGUE))).toEqual([]);
  });
});
