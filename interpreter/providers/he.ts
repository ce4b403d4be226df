// The `he` provider: the OT provider (ot.ts) for every correlation and every OT-native
// kernel, plus BFV keys for the HE-native kernel of the products with server weights
// (protocols/linear-he.ts, Cheetah-style coefficient encoding over node-seal, he/).
// Threat model: semi-honest parties (proofs/he-linear.md).
//
// Opening it opens the OT provider (base OTs, or the continued session), then makes the
// client's keys: the client generates a secret key with SEAL's key generator — SEAL draws it
// from its own PRNG (Blake2xb) seeded by the WASM runtime's random device (Emscripten's,
// which we expect to be backed by the OS through node:crypto but have NOT verified in
// node-seal's build; node-seal 6 offers no way to seed it from node:crypto): the key is the
// client's own either way — and sends
// the server its public key only, as a seeded (compressed) serialization; the secret key
// never leaves the client, and no relinearisation or Galois key is made (the coefficient
// encoding needs neither). The server uses the public key for one thing: encryptions of zero
// that re-randomise its replies. Key material is metered offline, in the layer `setup` as
// the primitive `he-keys`: 194 + 8·N·(L + 1) bytes client → server (L data primes), then
// each party's SHA-256 of that key (32 bytes each way), checked by both.
import { createHash, timingSafeEqual } from "node:crypto";
import { performance } from "node:perf_hooks";
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { Correlations, CorrelationKind, Endpoint } from "./correlations.js";
import { OtProvider } from "./ot.js";
import type { OtPair } from "../ot/session.js";
import type { LinearMap } from "../twopc/linear-map.js";
import type { Share } from "../twopc/ring.js";
import { Arena, guard, heContext, HE_PARAMS, ReplyReader, type HeContext, type HeParams } from "../he/seal.js";
import { heBytes } from "../../compiler/cost/he-sizes.js";
import type { Encryptor } from "node-seal/implementation/encryptor.js";
import type { Decryptor } from "node-seal/implementation/decryptor.js";
import type { Evaluator } from "node-seal/implementation/evaluator.js";
import type { CipherText } from "node-seal/implementation/cipher-text.js";

/**
 * Both parties exchange the SHA-256 of the public key (as made by the client, as received by
 * the server) and check they agree; each ends the set-up having received, so neither's
 * first online message is counted in the set-up's round.
 */
async function confirmKey(io: Endpoint, pk: Uint8Array): Promise<void> {
  const mine = createHash("sha256").update(pk).digest();
  io.ch.send(mine);
  const theirs = await io.ch.recv(heBytes(HE_PARAMS).confirm);
  if (!timingSafeEqual(mine, theirs)) throw new PqError(diag("PQ5014", { party: io.role, what: "confirming the client's public key", detail: "the parties hold different keys" }));
}

export type HeProducts = "cheaper" | "all";

/**
 * How many re-randomisers the server keeps ready once HE products run (about 0.4 MB of SEAL's
 * memory each); those left at the session's end were made for nothing, so few.
 */
const SPARES = 4;

export class HeProvider implements Correlations {
  readonly kind = "he" as const;
  readonly supplies: ReadonlySet<CorrelationKind>;
  /**
   * Which products run by HE: `cheaper` (the default) those where HE moves fewer bytes than the
   * OT kernel would (both parties decide it from public data: the map, the ring, the
   * parameters); `all` every product the parameters can carry (the HE kernel's own tests).
   */
  products: HeProducts = "cheaper";
  private readonly arena = new Arena();
  /**
   * The server's spare re-randomisers: fresh public-key encryptions of zero, made one per turn
   * of the event loop while this party waits for its peer (`fill`, from the session's first HE
   * reply on, so a run without HE products makes none), so that a reply does not wait for its
   * own (about 8 ms each at N = 8192). Each is used once and deleted.
   */
  private readonly spares: CipherText[] = [];
  private filling = false;
  private closed = false;
  /** The client's reply reader, made at its first reply. */
  private reader: ReplyReader | undefined;
  /** Where the spares' HE time is counted (the server's meter, the layer current when each is made). */
  private addHe: ((ms: number) => void) | undefined;

  private constructor(
    readonly base: OtProvider,
    readonly he: HeContext,
    readonly role: Endpoint["role"],
    /** Client: the symmetric encryptor (secret key); server: the public-key encryptor (re-randomisers). */
    readonly encryptor: Encryptor,
    readonly evaluator: Evaluator,
    /** The client's only. */
    readonly decryptor: Decryptor | undefined,
  ) {
    this.supplies = base.supplies;
  }

  get offlineMs(): number {
    return this.base.offlineMs;
  }

  offlineWork<T>(f: () => T): T {
    return this.base.offlineWork(f);
  }

  static async open(io: Endpoint, resume?: OtPair, params: HeParams = HE_PARAMS): Promise<HeProvider> {
    const base = await OtProvider.open(io, resume);
    const t0 = performance.now();
    const he = await heContext(params, io.role);
    io.meter.setLayer("setup");
    io.meter.addHe(performance.now() - t0);
    /** A synchronous SEAL step, its time counted as this party's HE work in the set-up. */
    const timed = <T>(f: () => T): T => {
      const t = performance.now();
      try {
        return f();
      } finally {
        io.meter.addHe(performance.now() - t);
      }
    };
    const { lib, ctx } = he;
    const sizes = heBytes(params);
    const before = io.ch.where;
    io.ch.where = "setup (HE keys)";
    const arena = new Arena();
    try {
      return await io.meter.offline(() => io.meter.scope("he-keys", async () => {
        const evaluator = arena.add(guard(lib, io.role, "making an evaluator", () => lib.Evaluator(ctx)));
        if (io.role === "client") {
          const { encryptor, decryptor, pkBytes } = timed(() => guard(lib, io.role, "generating keys", () => {
            const kg = arena.add(lib.KeyGenerator(ctx));
            const sk = arena.add(kg.secretKey());
            const pk = arena.add(kg.createPublicKey());
            const ser = kg.createPublicKeySerializable();
            const pkBytes = ser.saveArray(lib.ComprModeType.none);
            ser.delete();
            return { encryptor: arena.add(lib.Encryptor(ctx, pk, sk)), decryptor: arena.add(lib.Decryptor(ctx, sk)), pkBytes };
          }));
          if (pkBytes.length !== sizes.pk) throw new Error(`internal: a public key of ${pkBytes.length} bytes, expected ${sizes.pk}`);
          io.ch.send(pkBytes);
          await confirmKey(io, pkBytes);
          const p = new HeProvider(base, he, io.role, encryptor, evaluator, decryptor);
          p.arena.add({ delete: () => arena.close() });
          return p;
        }
        const bytes = await io.ch.recv(sizes.pk);
        const encryptor = timed(() => guard(lib, io.role, "loading the client's public key", () => {
          const pk = arena.add(lib.PublicKey());
          pk.loadArray(ctx, bytes);
          return arena.add(lib.Encryptor(ctx, pk));
        }));
        await confirmKey(io, bytes);
        const p = new HeProvider(base, he, io.role, encryptor, evaluator, undefined);
        p.arena.add({ delete: () => arena.close() });
        p.addHe = (ms) => io.meter.addHe(ms);
        return p;
      }));
    } catch (e) {
      arena.close();
      throw e;
    } finally {
      io.ch.where = before;
    }
  }

  /** The client's reader of replies (its template, a lowest-level ciphertext, made once a session). */
  replyReader(): ReplyReader {
    if (this.reader) return this.reader;
    const { lib, ctx } = this.he;
    const arena = new Arena();
    try {
      const ct = arena.add(lib.CipherText());
      this.encryptor.encryptZero(ct);
      this.evaluator.cipherModSwitchTo(ct, arena.add(ctx.lastParmsId), ct);
      this.reader = new ReplyReader(this.he, ct);
      return this.reader;
    } finally {
      arena.close();
    }
  }

  /** How many spare re-randomisers are ready now (the server's). */
  get spareCount(): number {
    return this.spares.length;
  }

  /** Keep up to SPARES spare re-randomisers ready (the server's), made one per event-loop turn. */
  private fill(): void {
    if (this.filling || this.closed || this.role !== "server") return;
    this.filling = true;
    const step = (): void => {
      if (this.closed || this.spares.length >= SPARES) {
        this.filling = false;
        return;
      }
      const t = performance.now();
      let ct: CipherText;
      try {
        ct = this.freshZero();
      } catch {
        // Left to the reply that needs one, which reports a SEAL failure as PQ5014.
        this.filling = false;
        return;
      }
      this.spares.push(ct);
      this.addHe?.(performance.now() - t);
      setImmediate(step);
    };
    setImmediate(step);
  }

  /** A fresh public-key encryption of zero for one reply (the server's): a spare one if ready. The caller deletes it. */
  takeZero(): CipherText {
    const ct = this.spares.shift();
    this.fill();
    return ct ?? this.freshZero();
  }

  /** A new public-key encryption of zero (deleted again if SEAL fails). */
  private freshZero(): CipherText {
    const ct = this.he.lib.CipherText();
    try {
      this.encryptor.encryptZero(ct);
    } catch (e) {
      ct.delete();
      throw e;
    }
    return ct;
  }

  /** Deletes this party's SEAL objects (keys, encryptor, evaluator, spare re-randomisers): the end of the session. */
  close(): void {
    this.closed = true;
    for (const ct of this.spares.splice(0)) ct.delete();
    this.arena.close();
  }

  triples(bits: number, shape: number[]) {
    return this.base.triples(bits, shape);
  }

  andTriples(n: number) {
    return this.base.andTriples(n);
  }

  bitPairs(bits: number, n: number) {
    return this.base.bitPairs(bits, n);
  }

  bilinear(_bits: number, _map: LinearMap): Promise<{ mine: Share; c: Share }> {
    throw new Error("internal: the he provider makes no bilinear triples (protocols/linear-he.ts is its kernel)");
  }
}
