// Faults, for the in-memory and the TCP transport alike: a peer that leaves (PQ5002), one
// that stalls (PQ5003), one that sends garbage (PQ5004), one that runs another program
// (PQ5005), and a server that is not there (PQ5006). Every failure is a PqError naming the
// party and the step, arrives promptly, and leaves no socket, timer or unhandled rejection.
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PqError, type Code } from "../../grammar/diagnostics.js";
import { Channel, HEADER_BYTES, memoryPair, type Role, type Transport } from "../../interpreter/twopc/channel.js";
import { makeEndpoint, withProvider, type Party } from "../../interpreter/twopc/party.js";
import { ringFromBytes, type Share } from "../../interpreter/twopc/ring.js";
import { connect, fingerprint, handshake, listen, makeTcpEndpoint, TcpTransport } from "../../interpreter/twopc/tcp.js";
import { open } from "../../interpreter/protocols/open.js";
import { mul } from "../../interpreter/protocols/mul.js";

const TIMEOUT_MS = 200;
const WHERE = "lenet/conv1 (conv2d)";

// ---------------------------------------------------------------- leak guard

function handles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap" || r === "Timeout");
}
const sockets = (xs: string[]) => xs.filter((r) => r !== "Timeout");

let baseline: string[] = [];
beforeEach(() => {
  baseline = handles();
});
afterEach(async () => {
  // Closing is asynchronous (FIN, then 'close'): wait a bounded moment, then insist that
  // no socket, server or timer (a Channel timeout left armed, say) outlives the test.
  for (let i = 0; i < 100 && (sockets(handles()).length > sockets(baseline).length || handles().length > baseline.length); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(sockets(handles())).toEqual(sockets(baseline));
  expect(handles().length).toBeLessThanOrEqual(baseline.length);
});

// ---------------------------------------------------------------- set-ups

interface Pair {
  client: Transport;
  server: Transport;
  close(): void;
}

const transports: Record<"memory" | "tcp", () => Promise<Pair>> = {
  memory: async () => {
    const [client, server] = memoryPair();
    return { client, server, close: () => (client.close(), server.close()) };
  },
  tcp: async () => {
    const l = await listen(0);
    try {
      const [client, server] = await Promise.all([connect("127.0.0.1", l.port), l.accept(2_000)]);
      return { client, server, close: () => (client.close(), server.close()) };
    } finally {
      l.close();
    }
  },
};

async function party(role: Role, t: Transport): Promise<Party> {
  // The TCP transport raises its own PQ5004 for a corrupt stream: let it name party and step.
  const e = t instanceof TcpTransport ? makeTcpEndpoint(role, t, { timeoutMs: TIMEOUT_MS }) : makeEndpoint(role, t, { timeoutMs: TIMEOUT_MS });
  return withProvider(e, { kind: "dealer", seed: "faults" });
}

function share(bits: number, n: number, seed: number): Share {
  return ringFromBytes(new Uint8Array(8 * n).fill(seed), bits, [n]);
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Attach a handler at once, so a rejection is never unhandled while we await something else. */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}

/** The error a settled call failed with, checked to be a single-diagnostic PqError. */
function pqError<T>(s: Settled<T>): PqError {
  if (s.ok) throw new Error("expected the call to fail, it succeeded");
  expect(s.error).toBeInstanceOf(PqError);
  return s.error as PqError;
}

function expectDiag(e: PqError, code: Code, ...mentions: string[]): void {
  expect(e.diagnostics.map((d) => d.code)).toEqual([code]);
  for (const m of mentions) expect(e.message).toContain(m);
}

/** A raw Channel frame: magic, sequence number, announced length, payload. */
function rawFrame(magic: number, seq: number, announced: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(HEADER_BYTES + payload.length);
  const v = new DataView(f.buffer);
  v.setUint16(0, magic);
  v.setUint32(2, seq);
  v.setUint32(6, announced);
  f.set(payload, HEADER_BYTES);
  return f;
}

// ---------------------------------------------------------------- both transports

for (const [kind, makePair] of Object.entries(transports)) {
  describe(`faults over the ${kind} transport`, () => {
    for (const leaver of ["server", "client"] as const) {
      it(`(a) the ${leaver} leaves mid-protocol: the other side gets PQ5002 naming itself and the step`, async () => {
        const pair = await makePair();
        try {
          const pc = await party("client", pair.client);
          const ps = await party("server", pair.server);
          const [stayer, goer] = leaver === "server" ? [pc, ps] : [ps, pc];
          const x = share(16, 8, stayer === pc ? 1 : 2);
          const y = share(16, 8, 3);
          // One full step together, then the leaver closes instead of the second step.
          const first = await Promise.all([open(stayer, x), open(goer, x)]);
          expect(first).toHaveLength(2);
          stayer.ch.where = WHERE;
          const pending = settle(mul(stayer, x, y));
          goer.ch.close();
          const t0 = performance.now();
          const e = pqError(await pending);
          expect(performance.now() - t0).toBeLessThan(TIMEOUT_MS); // detected, not timed out
          expectDiag(e, "PQ5002", stayer.role, WHERE);
          expect(e.diagnostics[0]!.hint).toBeDefined();
        } finally {
          pair.close();
        }
      });
    }

    it("(b) the peer stalls: PQ5003 after the configured timeout, no hang", async () => {
      const pair = await makePair();
      try {
        const pc = await party("client", pair.client);
        await party("server", pair.server); // present, connected, silent
        pc.ch.where = WHERE;
        const t0 = performance.now();
        const e = pqError(await settle(mul(pc, share(32, 4, 1), share(32, 4, 2))));
        const took = performance.now() - t0;
        expectDiag(e, "PQ5003", "client", WHERE, `${TIMEOUT_MS} ms`);
        expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
        expect(took).toBeLessThan(TIMEOUT_MS + 1_000);
      } finally {
        pair.close();
      }
    });

    const garbage: [string, (seq: number, expected: number) => Uint8Array, string][] = [
      ["a bad magic number", (seq, n) => rawFrame(0x4745, seq, n, new Uint8Array(n)), "bad magic"],
      ["the wrong sequence number", (seq, n) => rawFrame(0x5051, seq + 7, n, new Uint8Array(n)), `message ${7} arrived where message 0 was expected`],
      ["a header announcing more than the frame holds", (seq, n) => rawFrame(0x5051, seq, n + 4, new Uint8Array(n)), `announces ${8 + 4} bytes`],
      ["a well-formed frame of the wrong size", (seq, n) => rawFrame(0x5051, seq, n - 1, new Uint8Array(n - 1)), `expected ${8} bytes, got ${7}`],
      ["a frame shorter than a header", () => new Uint8Array(3), "shorter than its header"],
    ];
    for (const [what, make, detail] of garbage) {
      it(`(c) the peer sends ${what}: PQ5004`, async () => {
        const pair = await makePair();
        try {
          const pc = await party("client", pair.client);
          pc.ch.where = WHERE;
          // open of 8 × 8-bit elements expects an 8-byte payload in message 0.
          const pending = settle(open(pc, share(8, 8, 1)));
          pair.server.send(make(0, 8));
          const e = pqError(await pending);
          expectDiag(e, "PQ5004", "client", WHERE, detail);
        } finally {
          pair.close();
        }
      });
    }

    it("(d) different programs: PQ5005 on both sides; the same program passes", async () => {
      const pair = await makePair();
      try {
        const pc = await party("client", pair.client);
        const ps = await party("server", pair.server);
        // Matching fingerprints pass, and the channel goes on working.
        const fp = fingerprint("def main(x: i8[4]) -> i8[4] = x");
        await Promise.all([handshake(pc.ch, fp), handshake(ps.ch, fp)]);
        pc.ch.where = WHERE;
        ps.ch.where = WHERE;
        const [c, s] = await Promise.all([settle(handshake(pc.ch, fp)), settle(handshake(ps.ch, fingerprint("def main(x: i8[5]) -> i8[5] = x")))]);
        expectDiag(pqError(c), "PQ5005", "client", "different programs");
        expectDiag(pqError(s), "PQ5005", "server", "different programs");
        expect(pc.ch.where).toBe(WHERE); // restored after the handshake
      } finally {
        pair.close();
      }
    });

    it("(d) two parties in the same role: PQ5005 on both sides", async () => {
      const pair = await makePair();
      try {
        const a = await party("client", pair.client);
        const b = await party("client", pair.server);
        const [x, y] = await Promise.all([settle(handshake(a.ch, "same")), settle(handshake(b.ch, "same"))]);
        expectDiag(pqError(x), "PQ5005", "both parties are the client");
        expectDiag(pqError(y), "PQ5005", "both parties are the client");
      } finally {
        pair.close();
      }
    });

    it("a peer that leaves during the handshake: PQ5002 during handshake", async () => {
      const pair = await makePair();
      try {
        const pc = await party("client", pair.client);
        const pending = settle(handshake(pc.ch, "fp"));
        pair.server.close();
        expectDiag(pqError(await pending), "PQ5002", "client", "handshake");
      } finally {
        pair.close();
      }
    });
  });
}

// ---------------------------------------------------------------- TCP only

describe("faults of the TCP stream itself", () => {
  /** A server party over TCP and a raw socket writing arbitrary bytes to it. */
  async function rawPeer(): Promise<{ ps: Party; raw: net.Socket; close(): void }> {
    const l = await listen(0);
    try {
      const raw = net.connect({ host: "127.0.0.1", port: l.port });
      raw.on("error", () => undefined);
      const t = await l.accept(2_000);
      const ps = await party("server", t);
      return { ps, raw, close: () => (ps.ch.close(), raw.destroy()) };
    } finally {
      l.close();
    }
  }

  const streams: [string, Uint8Array][] = [
    ["a huge length prefix", Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3)],
    ["an HTTP request", new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")],
  ];
  for (const [what, bytes] of streams) {
    it(`bytes that are not frames (${what}): PQ5004 naming party and step`, async () => {
      const { ps, raw, close } = await rawPeer();
      try {
        ps.ch.where = WHERE;
        const pending = settle(open(ps, share(8, 8, 1)));
        raw.write(bytes);
        const e = pqError(await pending);
        expectDiag(e, "PQ5004", "server", WHERE, "limit");
        // The stream cannot be re-synchronised: later receives fail the same way.
        expectDiag(pqError(await settle(ps.ch.recv())), "PQ5004");
      } finally {
        close();
      }
    });
  }

  it("a stream that ends in the middle of a frame: PQ5002", async () => {
    const { ps, raw, close } = await rawPeer();
    try {
      ps.ch.where = WHERE;
      const pending = settle(open(ps, share(8, 8, 1)));
      raw.end(Uint8Array.of(0, 0, 0, 18, 0x50, 0x51, 0));
      expectDiag(pqError(await pending), "PQ5002", "server", WHERE);
    } finally {
      close();
    }
  });

  it("a connection reset (RST, an 'error' event on the socket): PQ5002, not a crash", async () => {
    const { ps, raw, close } = await rawPeer();
    try {
      ps.ch.where = WHERE;
      const pending = settle(open(ps, share(8, 8, 1)));
      await new Promise((r) => setTimeout(r, 10));
      raw.resetAndDestroy();
      expectDiag(pqError(await pending), "PQ5002", "server", WHERE);
      ps.ch.send(new Uint8Array(4)); // after the reset: dropped, no EPIPE thrown or emitted
    } finally {
      close();
    }
  });

  it("no server listening: PQ5006 after the retries, promptly", async () => {
    // Find a port nobody listens on: bind an ephemeral one, then release it.
    const l = await listen(0);
    const port = l.port;
    l.close();
    const t0 = performance.now();
    const e = pqError(await settle(connect("127.0.0.1", port, { retries: 3, delayMs: 20 })));
    expectDiag(e, "PQ5006", "client", `127.0.0.1:${port}`, "ECONNREFUSED");
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it("connect retries until the server comes up", async () => {
    const probe = await listen(0);
    const port = probe.port;
    probe.close();
    await new Promise((r) => setTimeout(r, 10));
    const client = settle(connect("127.0.0.1", port, { retries: 40, delayMs: 10 }));
    await new Promise((r) => setTimeout(r, 50));
    const l = await listen(port);
    let server: TcpTransport | undefined;
    try {
      server = await l.accept(2_000);
      const c = await client;
      expect(c.ok).toBe(true);
      if (c.ok) c.value.close();
    } finally {
      l.close();
      server?.close();
    }
  });

  it("a port already in use: PQ5006 for the server", async () => {
    const l = await listen(0);
    try {
      const e = pqError(await settle(listen(l.port)));
      expectDiag(e, "PQ5006", "server", "EADDRINUSE");
    } finally {
      l.close();
    }
  });

  it("accept with a timeout and no client: PQ5003", async () => {
    const l = await listen(0);
    try {
      expectDiag(pqError(await settle(l.accept(TIMEOUT_MS / 2))), "PQ5003", "server");
    } finally {
      l.close();
    }
  });
});
