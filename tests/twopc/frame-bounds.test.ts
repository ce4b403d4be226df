// Frame bounds between `pq serve` and `pq connect` after the handshake: each side accepts at
// most the largest message the cost model's replay of the run has the peer write (plus a
// margin), so a frame above it is refused at its 4-byte prefix. The replay's largest messages
// are the run's, to the byte. (In tests/twopc: independent of the suites' PQ_PROVIDER.)
import { describe, expect, it } from "vitest";
import { largestMessages } from "../../compiler/cost/model.js";
import type { Graph } from "../../compiler/ir.js";
import { compileFile } from "../../compiler/lower.js";
import { PqError } from "../../grammar/diagnostics.js";
import { loadInput } from "../../interpreter/inputs.js";
import { connectAndRun, frameBounds, serveable, serveSession } from "../../interpreter/twopc/remote.js";
import { HANDSHAKE_FRAME_BYTES, listen } from "../../interpreter/twopc/tcp.js";

describe("serve / connect: after the handshake each side bounds the other's frames by the program's largest message", () => {
  const program = compileFile("examples/mnist/mlp_w8a8.pq").program!;
  const input = (graph: Graph) => {
    const n = graph.nodes.find((x) => x.op === "input")!;
    return new Map([[n.attrs.name as string, loadInput("examples/mnist/digits/digit-3.png", n.attrs.name as string, n.type)]]);
  };

  for (const correlations of ["ot", "dealer"] as const) {
    it(`${correlations}: the largest frame each party writes after the handshake is the cost model's largestMessages, to the byte`, async () => {
      const listener = await listen(0);
      try {
        const seen = { sent: 0, recv: 0 };
        const server = listener.accept(5_000, HANDSHAKE_FRAME_BYTES).then((t) => {
          let sends = 0; // the program and the handshake are not the run's messages
          let recvs = 0; // nor is the client's handshake
          const spy = { close: () => t.close(), limit: (b: number, after?: number) => t.limit(b, after),
            send: (f: Uint8Array) => {
              if (sends++ >= 2) seen.sent = Math.max(seen.sent, f.length);
              t.send(f);
            },
            recv: async () => {
              const f = await t.recv();
              if (recvs++ >= 1) seen.recv = Math.max(seen.recv, f.length);
              return f;
            } };
          return serveSession(spy, serveable(program, correlations), { timeoutMs: 10_000 });
        });
        await connectAndRun("127.0.0.1", listener.port, input, { insecureDealer: true });
        await server;
        const m = largestMessages(program, correlations);
        expect(seen).toEqual({ sent: m.server, recv: m.client });
      } finally {
        listener.close();
      }
    });
  }

  it("a server frame one byte above the client's bound is refused at its prefix (PQ5004); the bounds are far below 1 GiB", async () => {
    const bounds = frameBounds(program, "ot");
    expect(bounds.server).toBeLessThan(4 << 20);
    expect(bounds.client).toBeLessThan(4 << 20);
    const listener = await listen(0);
    try {
      // A server that, the moment the client's handshake has arrived, sends a frame just above the bound.
      const server = listener.accept(5_000, HANDSHAKE_FRAME_BYTES).then((t) => {
        let frames = 0;
        const evil = { send: (f: Uint8Array) => t.send(f), close: () => t.close(), limit: (b: number, after?: number) => t.limit(b, after),
          recv: async () => {
            const f = await t.recv();
            if (frames++ === 0) t.send(new Uint8Array(bounds.server + 1));
            return f;
          } };
        return serveSession(evil, serveable(program, "ot"), { timeoutMs: 5_000 }).catch((e: unknown) => e);
      });
      const t0 = performance.now();
      const e = await connectAndRun("127.0.0.1", listener.port, input).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PqError);
      expect((e as PqError).diagnostics[0]!.code).toBe("PQ5004");
      expect((e as PqError).message).toContain(`the limit here is ${bounds.server}`);
      expect(performance.now() - t0).toBeLessThan(3_000);
      await server;
    } finally {
      listener.close();
    }
  });
});
