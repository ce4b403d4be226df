// The TCP transport: frame re-assembly over real loopback sockets, and open / mul between
// a client and a server in this process that reconstruct correctly and meter exactly the
// bytes of the in-memory run.
import { randomBytes } from "node:crypto";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Channel, memoryPair, TransportClosed, type Role, type Transport } from "../../interpreter/twopc/channel.js";
import { makeEndpoint, withProvider, type Party } from "../../interpreter/twopc/party.js";
import { add, getRing, ringFromBytes, sub, type Share } from "../../interpreter/twopc/ring.js";
import { connect, listen, makeTcpEndpoint, TcpTransport, type Listener } from "../../interpreter/twopc/tcp.js";
import { open } from "../../interpreter/protocols/open.js";
import { mul } from "../../interpreter/protocols/mul.js";

// ---------------------------------------------------------------- leak guard

/** Sockets, servers and timers the process holds (everything a test might leave behind). */
function handles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap" || r === "Timeout");
}

let baseline: string[] = [];
beforeEach(() => {
  baseline = handles();
});
afterEach(async () => {
  // Closing is asynchronous (FIN, then 'close'): give it a bounded moment, then insist.
  const tcp = (xs: string[]) => xs.filter((r) => r !== "Timeout").length;
  for (let i = 0; i < 100 && (tcp(handles()) > tcp(baseline) || handles().length > baseline.length); i++) await new Promise((r) => setTimeout(r, 10));
  expect(handles().filter((r) => r !== "Timeout")).toEqual(baseline.filter((r) => r !== "Timeout"));
  expect(handles().length).toBeLessThanOrEqual(baseline.length);
});

// ---------------------------------------------------------------- helpers

/** A connected pair over loopback; the listener is closed once the client is accepted. */
async function tcpPair(): Promise<[TcpTransport, TcpTransport]> {
  const l = await listen(0);
  try {
    const [c, s] = await Promise.all([connect("127.0.0.1", l.port), l.accept(2_000)]);
    return [c, s];
  } finally {
    l.close();
  }
}

async function party(role: Role, t: Transport, seed: string): Promise<Party> {
  // The TCP transport raises its own PQ5004 for a corrupt stream: let it name party and step.
  const e = t instanceof TcpTransport ? makeTcpEndpoint(role, t, { timeoutMs: 10_000 }) : makeEndpoint(role, t, { timeoutMs: 10_000 });
  return withProvider(e, { kind: "dealer", seed: seed });
}

async function both<T>(pair: [Transport, Transport], seed: string, f: (p: Party, i: 0 | 1) => Promise<T>): Promise<{ out: [T, T]; parties: [Party, Party] }> {
  const pc = await party("client", pair[0], seed);
  const ps = await party("server", pair[1], seed);
  try {
    const out = await Promise.all([f(pc, 0), f(ps, 1)]);
    return { out, parties: [pc, ps] };
  } finally {
    pc.ch.close();
    ps.ch.close();
  }
}

function random(bits: number, n: number): Share {
  return ringFromBytes(randomBytes(8 * n), bits, [n]);
}

/** Random additive shares of x. */
function split(x: Share): [Share, Share] {
  const r = random(x.bits, x.data.length);
  return [sub(x, r), r];
}

/** Index of the first element where got ≠ want(i), or −1. */
function firstMismatch(got: Share, want: (i: number) => bigint): number {
  for (let i = 0; i < got.data.length; i++) if (getRing(got, i) !== want(i)) return i;
  return -1;
}

function frame(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

function prefixed(f: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + f.length);
  b.writeUInt32BE(f.length, 0);
  b.set(f, 4);
  return b;
}

/** A server-side TcpTransport and a raw socket connected to it, to write arbitrary bytes. */
async function rawPair(): Promise<{ server: TcpTransport; raw: net.Socket; l: Listener }> {
  const l = await listen(0);
  const raw = net.connect({ host: "127.0.0.1", port: l.port });
  raw.setNoDelay(true);
  raw.on("error", () => undefined);
  const server = await l.accept(2_000);
  l.close();
  return { server, raw, l };
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- framing

describe("TcpTransport framing", () => {
  it("delivers frames merged in one chunk, split byte by byte, empty and large, in order", async () => {
    const { server, raw } = await rawPair();
    try {
      // Receives requested before anything arrives resolve in order.
      const early = [server.recv(), server.recv()];
      const small = [frame(3, 1), frame(0, 0), frame(7, 2)];
      raw.write(Buffer.concat(small.map(prefixed)));
      const oneByOne = prefixed(frame(5, 9));
      for (const byte of oneByOne) {
        raw.write(Uint8Array.of(byte));
        await tick(1);
      }
      const big = new Uint8Array(3 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      raw.write(prefixed(big));
      expect(await Promise.all(early)).toEqual([small[0], small[1]]);
      expect(await server.recv()).toEqual(small[2]);
      expect(await server.recv()).toEqual(frame(5, 9));
      const got = await server.recv();
      expect(got.length).toBe(big.length);
      expect(Buffer.compare(got, big)).toBe(0);
    } finally {
      server.close();
      raw.destroy();
    }
  });

  it("delivers frames already received before reporting the close, then rejects every recv", async () => {
    const { server, raw } = await rawPair();
    try {
      raw.end(Buffer.concat([prefixed(frame(2, 4)), prefixed(frame(1, 5))]));
      await new Promise((r) => raw.once("close", r));
      await tick(20);
      expect(await server.recv()).toEqual(frame(2, 4));
      expect(await server.recv()).toEqual(frame(1, 5));
      await expect(server.recv()).rejects.toBeInstanceOf(TransportClosed);
      await expect(server.recv()).rejects.toBeInstanceOf(TransportClosed);
      server.send(frame(3, 3)); // after the peer left: a no-op, not an error
    } finally {
      server.close();
      raw.destroy();
    }
  });

  it("a pending recv rejects when the peer goes; send after close is a no-op", async () => {
    const [c, s] = await tcpPair();
    try {
      const pending = s.recv();
      c.close();
      await expect(pending).rejects.toBeInstanceOf(TransportClosed);
      c.send(frame(4, 1));
      c.close();
    } finally {
      c.close();
      s.close();
    }
  });

  it("round-trips frames both ways over connect/accept", async () => {
    const [c, s] = await tcpPair();
    try {
      for (let i = 0; i < 20; i++) {
        c.send(frame(i * 1000, i));
        // Buffer.compare, not toEqual: deep equality walks typed arrays element by element.
        expect(Buffer.compare(await s.recv(), frame(i * 1000, i))).toBe(0);
        s.send(frame(i, 255 - i));
        expect(await c.recv()).toEqual(frame(i, 255 - i));
      }
    } finally {
      c.close();
      s.close();
    }
  });
});

// ---------------------------------------------------------------- protocols over TCP

describe("open and mul over loopback TCP", () => {
  for (const bits of [8, 32, 64]) {
    for (const n of [1, 100_000]) {
      it(`reconstruct and meter like in memory: ${bits} bits × ${n}`, async () => {
        const x = random(bits, n);
        const y = random(bits, n);
        const xs = split(x);
        const ys = split(y);
        const seed = `tcp-${bits}-${n}`;
        const protocol = async (p: Party, i: 0 | 1) => {
          p.ch.where = "test/open";
          const opened = await open(p, xs[i]);
          p.ch.where = "test/mul";
          const z = await mul(p, xs[i], ys[i]);
          return { opened, z };
        };
        const tcp = await both(await tcpPair(), seed, protocol);
        const mem = await both(memoryPair(), seed, protocol);

        const [rc, rs] = tcp.out;
        expect(firstMismatch(rc.opened, (i) => getRing(x, i))).toBe(-1);
        expect(firstMismatch(rs.opened, (i) => getRing(x, i))).toBe(-1);
        const z = add(rc.z, rs.z);
        expect(firstMismatch(z, (i) => BigInt.asIntN(bits, getRing(x, i) * getRing(y, i)))).toBe(-1);
        // Same seed, same protocol: the shares and every meter row are identical.
        expect(firstMismatch(rc.z, (i) => getRing(mem.out[0].z, i))).toBe(-1);
        for (const k of [0, 1] as const) expect(tcp.parties[k].meter.report()).toEqual(mem.parties[k].meter.report());
        const sent = tcp.parties[0].meter.report().reduce((s, r) => s + r.sent, 0);
        expect(sent).toBe(2 * 10 + Math.ceil((n * bits) / 8) * 3);
      });
    }
  }
});
