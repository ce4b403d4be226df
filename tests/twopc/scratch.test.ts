// A party's scratch (interpreter/twopc/scratch.ts): taken words are zeroed and disjoint from
// every other word live in an open scope; a release hands its scope's words back; a request
// the buffer cannot hold gets a fresh array, and the buffer grows to the high-water mark once
// the outermost scope is released.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Scratch } from "../../interpreter/twopc/scratch.js";

describe("Scratch", () => {
  it("nested scopes: live takes are zeroed, disjoint and keep their contents until released", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 40000 }), fc.constant(-1)), { maxLength: 60 }), (ops) => {
        const s = new Scratch();
        // a stack of scopes, each with its takes and what was written to them
        const scopes: { mark: number; live: { v: Uint32Array; tag: number }[] }[] = [{ mark: s.mark(), live: [] }];
        let tag = 1;
        for (const op of ops) {
          if (op === -1) {
            if (scopes.length > 1) s.release(scopes.pop()!.mark);
            else scopes.push({ mark: s.mark(), live: [] });
            continue;
          }
          const v = s.take(op);
          expect(v.length).toBe(op);
          expect(v.every((w) => w === 0)).toBe(true);
          v.fill(tag);
          scopes[scopes.length - 1]!.live.push({ v, tag: tag++ });
          for (const sc of scopes) for (const l of sc.live) expect(l.v.every((w) => w === l.tag)).toBe(true);
        }
        while (scopes.length > 0) s.release(scopes.pop()!.mark);
      }),
      { numRuns: 200 },
    );
  });

  it("a request past the buffer is a fresh array; after the outermost release the buffer holds it", () => {
    const s = new Scratch();
    const m = s.mark();
    const big = s.take(1 << 20);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(4 << 20);
    s.release(m);
    const m2 = s.mark();
    const a = s.take(1 << 19);
    const b = s.take(1 << 19);
    // both from the grown buffer, one after the other
    expect(a.buffer === b.buffer).toBe(true);
    expect(a.buffer.byteLength).toBe(4 << 20);
    expect(b.byteOffset).toBe(4 << 19);
    const c = s.take(1);
    expect(c.buffer === a.buffer).toBe(false); // full: a fresh array
    s.release(m2);
  });
});
