// Faults under the OT provider, over both transports: a peer that leaves during the base
// OTs (PQ5002), one that stalls in an OT round (PQ5003), one whose OT message has the wrong
// size (PQ5004, the channel's expected length) or the right size but a batch that is not
// the one expected (PQ5007: the IKNP batch header names its first OT and its size), and a
// replayed frame (PQ5004, the sequence number). Every failure is a coded PqError, promptly.
import { describe, expect, it } from "vitest";
import { PqError, type Code } from "../../grammar/diagnostics.js";
import { memoryPair, type Role, type Transport } from "../../interpreter/twopc/channel.js";
import { makeEndpoint, withProvider, type Party } from "../../interpreter/twopc/party.js";
import { ringFromBytes, type Share } from "../../interpreter/twopc/ring.js";
import { connect, listen, makeTcpEndpoint, TcpTransport } from "../../interpreter/twopc/tcp.js";
import { select } from "../../interpreter/protocols/select.js";
import { IKNP_CHUNK, iknpMsgBytes } from "../../compiler/cost/ot-sizes.js";

// Above the base OTs' time on a loaded machine (the peer computes for ≈0.5 s between messages).
const TIMEOUT_MS = 2_000;

const transports: Record<"memory" | "tcp", () => Promise<[Transport, Transport]>> = {
  memory: async () => memoryPair(),
  tcp: async () => {
    const l = await listen(0);
    try {
      return await Promise.all([connect("127.0.0.1", l.port), l.accept(2_000)]);
    } finally {
      l.close();
    }
  },
};

function endpoint(role: Role, t: Transport) {
  return t instanceof TcpTransport ? makeTcpEndpoint(role, t, { timeoutMs: TIMEOUT_MS }) : makeEndpoint(role, t, { timeoutMs: TIMEOUT_MS });
}

/** Both parties with OT providers (base OTs run between them). */
async function otPair(pair: [Transport, Transport]): Promise<[Party, Party]> {
  return Promise.all([withProvider(endpoint("client", pair[0]), { kind: "ot" }), withProvider(endpoint("server", pair[1]), { kind: "ot" })]);
}

const share = (bits: number, n: number, fill: number): Share => ringFromBytes(new Uint8Array(8 * n).fill(fill), bits, [n]);

async function failure(p: Promise<unknown>): Promise<PqError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PqError);
    return e as PqError;
  }
  throw new Error("expected the call to fail, it succeeded");
}

function expectCode(e: PqError, code: Code, ...mentions: string[]): void {
  expect(e.diagnostics.map((d) => d.code)).toEqual([code]);
  for (const m of mentions) expect(e.message).toContain(m);
}

const N = 40; // select on 40 elements: each party's first OT message is the IKNP refill of its pool (ot/session.ts refill)
/** OTs in that refill: the round's 40, raised to the least IKNP refill. */
const POOL = Math.max(N, IKNP_CHUNK);

for (const [kind, make] of Object.entries(transports)) {
  describe(`OT faults over the ${kind} transport`, () => {
    it("the server leaves during the base OTs: the client gets PQ5002 (setup)", async () => {
      const pair = await make();
      const pending = failure(withProvider(endpoint("client", pair[0]), { kind: "ot" }));
      pair[1].close();
      expectCode(await pending, "PQ5002", "client", "setup (base OT)");
      pair[0].close();
    });

    it("the peer stalls in an OT round: PQ5003 after the timeout", async () => {
      const pair = await make();
      try {
        const [pc] = await otPair(pair);
        pc.ch.where = "m/relu (select)";
        const t0 = performance.now();
        expectCode(await failure(select(pc, new Uint8Array(N), share(16, N, 1), share(16, N, 2))), "PQ5003", "client", "m/relu (select)");
        expect(performance.now() - t0).toBeLessThan(TIMEOUT_MS + 1_000);
      } finally {
        pair[0].close();
        pair[1].close();
      }
    });

    it("an OT message of the wrong size: PQ5004 naming the step", async () => {
      const pair = await make();
      try {
        const [pc, ps] = await otPair(pair);
        pc.ch.where = "m/relu (select)";
        const pending = failure(select(pc, new Uint8Array(N), share(16, N, 1), share(16, N, 2)));
        ps.ch.send(new Uint8Array(iknpMsgBytes(POOL) - 16));
        expectCode(await pending, "PQ5004", "client", "m/relu (select)", `expected ${iknpMsgBytes(POOL)} bytes`);
      } finally {
        pair[0].close();
        pair[1].close();
      }
    });

    it("an OT batch of the right size that is not the expected one: PQ5007", async () => {
      const pair = await make();
      try {
        const [pc, ps] = await otPair(pair);
        pc.ch.where = "m/relu (select)";
        const pending = failure(select(pc, new Uint8Array(N), share(16, N, 1), share(16, N, 2)));
        // The batch header: first OT index 12345 — the client expects index 0.
        const forged = new Uint8Array(iknpMsgBytes(POOL));
        new DataView(forged.buffer).setUint32(0, 12345, true);
        new DataView(forged.buffer).setUint32(4, POOL, true);
        ps.ch.send(forged);
        expectCode(await pending, "PQ5007", "client");
      } finally {
        pair[0].close();
        pair[1].close();
      }
    });

    it("a replayed frame: PQ5004 (sequence number)", async () => {
      const pair = await make();
      try {
        const [pc, ps] = await otPair(pair);
        // One honest select, then the server's transport replays a frame the client already took.
        const frames: Uint8Array[] = [];
        const send = pair[1].send.bind(pair[1]);
        pair[1].send = (f: Uint8Array) => {
          frames.push(f.slice());
          send(f);
        };
        await Promise.all([select(pc, new Uint8Array(N), share(16, N, 1), share(16, N, 2)), select(ps, new Uint8Array(N), share(16, N, 3), share(16, N, 4))]);
        pc.ch.where = "m/relu (select)";
        const pending = failure(select(pc, new Uint8Array(N), share(16, N, 1), share(16, N, 2)));
        send(frames[0]!);
        expectCode(await pending, "PQ5004", "client", "arrived where message");
      } finally {
        pair[0].close();
        pair[1].close();
      }
    });
  });
}
