// Communication accounting, per party: bytes sent and received, messages and rounds,
// attributed to the layer path (`lenet/conv1`) and the primitive path (`relu/drelu/compare`),
// online and offline (correlated randomness: delivered by the dealer, or made with the peer
// by a provider such as OT, inside `offline`) apart. docs/REPORT.md defines
// every term; in short, a *round* is a maximal run of sends by this party that is not
// interrupted by a receive — each time the party sends after having waited for the other.

export interface Counters {
  sent: number;
  recv: number;
  messages: number;
  rounds: number;
}

export type Phase = "online" | "offline";

export interface MeterRow extends Counters {
  layer: string;
  primitive: string;
  phase: Phase;
}

const zero = (): Counters => ({ sent: 0, recv: 0, messages: 0, rounds: 0 });

export class Meter {
  private layer = "";
  private readonly stack: string[] = [];
  private readonly rows = new Map<string, MeterRow>();
  /** True once this party has received since its last send: its next send opens a round. */
  private waited = true;
  /** Where the channel's traffic is counted: offline while a provider makes correlations. */
  private phase: Phase = "online";
  /** Milliseconds of homomorphic-encryption work per layer (the he provider's keys and kernel). */
  private readonly he = new Map<string, number>();

  setLayer(path: string): void {
    this.layer = path;
  }

  /** Run `f` with `name` pushed on the primitive path. */
  async scope<T>(name: string, f: () => Promise<T>): Promise<T> {
    this.stack.push(name);
    try {
      return await f();
    } finally {
      this.stack.pop();
    }
  }

  /**
   * Run `f` as the session's work, whatever layer and primitive are current: its traffic counted
   * offline in the layer `setup` under the primitive `name` alone (the OT provider's pool refills).
   */
  async session<T>(name: string, f: () => Promise<T>): Promise<T> {
    const layer = this.layer;
    const stack = this.stack.splice(0);
    const phase = this.phase;
    this.layer = "setup";
    this.stack.push(name);
    this.phase = "offline";
    try {
      return await f();
    } finally {
      this.layer = layer;
      this.stack.length = 0;
      this.stack.push(...stack);
      this.phase = phase;
    }
  }

  /** Run `f` (a provider making correlations with its peer) with its traffic counted offline. */
  async offline<T>(f: () => Promise<T>): Promise<T> {
    const before = this.phase;
    this.phase = "offline";
    try {
      return await f();
    } finally {
      this.phase = before;
    }
  }

  get primitive(): string {
    return this.stack.join("/");
  }

  private row(phase: Phase): MeterRow {
    const primitive = this.primitive || "(local)";
    const key = `${phase}\u0000${this.layer}\u0000${primitive}`;
    let r = this.rows.get(key);
    if (!r) {
      r = { layer: this.layer, primitive, phase, ...zero() };
      this.rows.set(key, r);
    }
    return r;
  }

  onSend(bytes: number): void {
    const r = this.row(this.phase);
    r.sent += bytes;
    r.messages += 1;
    if (this.waited) {
      r.rounds += 1;
      this.waited = false;
    }
  }

  onRecv(bytes: number): void {
    this.row(this.phase).recv += bytes;
    this.waited = true;
  }

  /** Correlated randomness delivered by the dealer to this party (one message). */
  onDealer(bytes: number): void {
    const r = this.row("offline");
    r.recv += bytes;
    r.messages += bytes > 0 ? 1 : 0;
  }

  /** Count `ms` of HE work (key generation, encryption, products, decryption) in the current layer. */
  addHe(ms: number): void {
    this.he.set(this.layer, (this.he.get(this.layer) ?? 0) + ms);
  }

  /** This party's HE milliseconds per layer (empty when no HE ran). */
  heMs(): Map<string, number> {
    return new Map(this.he);
  }

  report(): MeterRow[] {
    return [...this.rows.values()];
  }
}

export function totals(rows: readonly MeterRow[], phase?: Phase): Counters {
  const t = zero();
  for (const r of rows) {
    if (phase && r.phase !== phase) continue;
    t.sent += r.sent;
    t.recv += r.recv;
    t.messages += r.messages;
    t.rounds += r.rounds;
  }
  return t;
}
