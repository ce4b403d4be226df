// Reusable memory for the bit-level temporaries of one party (and.ts's masked openings, the
// comparison tree's concatenated operands): a stack of words, taken and released in nested
// scopes, so a step borrows its temporaries instead of allocating them. One per party (both
// parties of an in-process run share a thread but never a scratch), and a party runs its
// steps one at a time, so a scope's words are its own until it releases them. What a step
// returns is never taken from here.
import type { Party } from "./party.js";

export class Scratch {
  private buf = new Uint32Array(1 << 14);
  private top = 0;
  private depth = 0;
  /** The most words a scope wanted and did not find: the buffer's size from the next outermost release. */
  private want = 0;

  /** Open a scope; `release` with what it returns. */
  mark(): number {
    this.depth++;
    return this.top;
  }

  /** `words` zeroed words, valid until the enclosing scope is released (a fresh array when the buffer is full). */
  take(words: number): Uint32Array {
    const end = this.top + words;
    if (end > this.buf.length) {
      this.want = Math.max(this.want, end);
      return new Uint32Array(words);
    }
    const v = this.buf.subarray(this.top, end);
    v.fill(0);
    this.top = end;
    return v;
  }

  release(mark: number): void {
    this.top = mark;
    if (--this.depth === 0 && this.want > this.buf.length) {
      this.buf = new Uint32Array(this.want);
      this.want = 0;
    }
  }
}

const scratches = new WeakMap<Party, Scratch>();

/** The party's scratch. */
export function scratchOf(p: Party): Scratch {
  let s = scratches.get(p);
  if (!s) scratches.set(p, (s = new Scratch()));
  return s;
}
