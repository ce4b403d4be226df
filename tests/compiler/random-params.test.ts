// Random weights ("random" params files) are summarised as they are made (params.ts primes
// ops.ts's range and row-sum caches in one pass): the compiled program must be exactly the
// one compiled from the same weights written out explicitly, where the type rules read the
// weights themselves.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";

const dir = mkdtempSync(join(tmpdir(), "pq-random-params-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("random weights", () => {
  it("ResNet-20 with random weights compiles to the same ranges as with those weights written out", () => {
    const random = compileFile("examples/cifar/resnet20.pq");
    expect(random.program).toBeDefined();
    const tensors: Record<string, { shape: number[]; data: number[] }> = {};
    for (const [name, p] of random.program!.graph.params) tensors[name] = { shape: p.shape, data: Array.from(p.data as Float64Array) };
    copyFileSync("examples/cifar/resnet20.pq", join(dir, "resnet20.pq"));
    writeFileSync(join(dir, "resnet20.params.json"), JSON.stringify({ format: "pq-params/1", tensors }));
    const explicit = compileFile(join(dir, "resnet20.pq"));
    expect(explicit.diagnostics).toEqual([]);
    expect(explicit.program!.ranges).toEqual(random.program!.ranges);
    expect(explicit.program!.graph.nodes.map((n) => n.type)).toEqual(random.program!.graph.nodes.map((n) => n.type));
  });
});
