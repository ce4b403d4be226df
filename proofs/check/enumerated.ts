// Sources of the enumerated provider's free values (interpreter/providers/enumerated.ts)
// for the machine checks: `Odometer` visits every sequence of draws (exhaustive
// enumeration of the dealer's probability space, each point with the same weight);
// `Replay` answers from a fixed list (a counterexample's randomness). The seeded `Sampler`
// lives beside the provider, since the protocol suites draw from it too.
import type { Source } from "../../interpreter/providers/enumerated.js";

/**
 * Odometer over every sequence of draws: run the experiment, then `next()` moves to the
 * lexicographically next sequence of values (the last draw varies fastest). Draw counts and
 * widths may depend on earlier values; every leaf of the tree of draws is visited once.
 * `depth` is the total number of random bits of the current leaf (its weight is 2^−depth).
 */
export class Odometer implements Source {
  private prefix: bigint[] = [];
  private values: bigint[] = [];
  private sizes: number[] = [];

  /** Call before each run. */
  reset(): void {
    this.values = [];
    this.sizes = [];
  }

  draw(bits: number): bigint {
    const i = this.values.length;
    const v = i < this.prefix.length ? this.prefix[i]! : 0n;
    if (v >= 1n << BigInt(bits)) throw new Error(`odometer: draw ${i} changed width (${bits} bits) between runs`);
    this.values.push(v);
    this.sizes.push(bits);
    return v;
  }

  bit(): number {
    return Number(this.draw(1));
  }

  /** The draws of the current run, as (value, bits). */
  get trace(): { values: readonly bigint[]; sizes: readonly number[] } {
    return { values: this.values, sizes: this.sizes };
  }

  get depth(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  /** Advance to the next leaf; false when every leaf has been visited. */
  next(): boolean {
    for (let i = this.values.length - 1; i >= 0; i--) {
      if (this.values[i]! + 1n < 1n << BigInt(this.sizes[i]!)) {
        this.prefix = [...this.values.slice(0, i), this.values[i]! + 1n];
        return true;
      }
    }
    return false;
  }
}

/** A source that answers from a fixed list (replaying a counterexample), then zeros. */
export class Replay implements Source {
  private i = 0;
  constructor(private readonly values: readonly bigint[]) {}
  draw(): bigint {
    return this.values[this.i++] ?? 0n;
  }
  bit(): number {
    return Number(this.draw());
  }
}
