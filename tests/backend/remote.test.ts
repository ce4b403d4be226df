// The two parties over TCP as in `pq serve` / `pq connect`: the server sends the program
// without parameter values, both run their roles, and the client's output equals the
// plaintext run; the client never holds a parameter value.
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { connectAndRun, serveOne } from "../../interpreter/twopc/remote.js";
import { listen } from "../../interpreter/twopc/tcp.js";

describe("serve / connect over TCP", () => {
  it("LeNet on a digit: client output equals plaintext; the client's graph holds no parameters", async () => {
    const r = compileFile("examples/mnist/lenet_w8a8.pq");
    const g = r.program!.graph;
    const listener = await listen(0);
    try {
      const input = (graph: typeof g) => {
        const n = graph.nodes.find((x) => x.op === "input")!;
        return new Map([[n.attrs.name as string, loadInput("examples/mnist/digits/digit-3.png", n.attrs.name as string, n.type)]]);
      };
      const [server, client] = await Promise.all([
        serveOne(listener, g, r.program!.ranges),
        connectAndRun("127.0.0.1", listener.port, input),
      ]);
      expect(client.graph.params.size).toBe(0);
      expect(toBigints(client.outputs![0]!)).toEqual(toBigints(runPlain(g, input(g)).outputs[0]!));
      expect(server.outputs).toBeUndefined();
      const sent = (rows: typeof server.meter) => rows.filter((x) => x.phase === "online").reduce((a, x) => a + x.sent, 0);
      const recv = (rows: typeof server.meter) => rows.filter((x) => x.phase === "online").reduce((a, x) => a + x.recv, 0);
      expect(sent(server.meter)).toBe(recv(client.meter));
      expect(sent(client.meter)).toBe(recv(server.meter));
    } finally {
      listener.close();
    }
  });
});
