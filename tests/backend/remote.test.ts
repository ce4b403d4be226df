// The two parties over TCP as in `pq serve` / `pq connect`: the server sends the program
// without parameter values, both run their roles, and the client's output equals the
// plaintext run; the client never holds a parameter value.
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";
import { loadInput } from "../../interpreter/inputs.js";
import { runPlain } from "../../interpreter/plain/run.js";
import { toBigints } from "../../interpreter/plain/tensor.js";
import { connectAndRun, serveable, serveOne } from "../../interpreter/twopc/remote.js";
import { listen } from "../../interpreter/twopc/tcp.js";
import net from "node:net";
import { createHash } from "node:crypto";
import type { Graph } from "../../compiler/ir.js";
import { publicRange, typeRange } from "../../compiler/types.js";
import { PqError } from "../../grammar/diagnostics.js";

/** A server that sends one hand-made program frame (header `correlations`, then `body`); what the client's connectAndRun throws. */
async function fakeServer(correlations: object, body: string): Promise<unknown> {
  const listener = await listen(0);
  try {
    const served = listener.accept(5_000).then((t) => {
      const text = new TextEncoder().encode(`${JSON.stringify({ format: "pq-program/3", correlations })}\n${body}`);
      const frame = new Uint8Array(10 + text.length);
      const v = new DataView(frame.buffer);
      v.setUint16(0, 0x5051);
      v.setUint32(2, 0);
      v.setUint32(6, text.length);
      frame.set(text, 10);
      t.send(frame);
      return t;
    });
    const e = await connectAndRun("127.0.0.1", listener.port, () => new Map()).catch((x: unknown) => x);
    (await served).close();
    return e;
  } finally {
    listener.close();
  }
}

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
        serveOne(listener, serveable(r.program!, "ot")),
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

describe("serve / connect: correlations and what the program reveals", () => {
  const lenet = () => {
    const r = compileFile("examples/mnist/lenet_w8a8.pq");
    return { g: r.program!.graph, ranges: r.program!.ranges, program: r.program! };
  };
  const input = (graph: Graph) => {
    const n = graph.nodes.find((x) => x.op === "input")!;
    return new Map([[n.attrs.name as string, loadInput("examples/mnist/digits/digit-3.png", n.attrs.name as string, n.type)]]);
  };

  it("OT by default: the program carries no seed, no parameter value and no exact parameter range", async () => {
    const { g, ranges, program: compiled } = lenet();
    const listener = await listen(0);
    try {
      // A raw client reads the first frame (4-byte length, 10-byte channel header, the program) and leaves.
      const program = new Promise<string>((resolve, reject) => {
        const sock = net.connect({ host: "127.0.0.1", port: listener.port });
        let buf = Buffer.alloc(0);
        sock.on("data", (d) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
            sock.destroy();
            resolve(buf.subarray(14, 4 + buf.readUInt32BE(0)).toString("utf8"));
          }
        });
        sock.on("error", reject);
      });
      const served = serveOne(listener, serveable(compiled, "ot"), { timeoutMs: 2_000 }).catch((e: unknown) => e);
      const text = await program;
      await served;
      // A header line (format, correlations), then the program whose SHA-256 is the model hash.
      const [head, body] = [text.slice(0, text.indexOf("\n")), text.slice(text.indexOf("\n") + 1)];
      expect(JSON.parse(head)).toEqual({ format: "pq-program/3", correlations: { kind: "ot" } });
      expect(createHash("sha256").update(body).digest("hex")).toBe(serveable(compiled, "ot").hash);
      const wire = JSON.parse(body) as { ranges: [string, string][]; graph: { nodes: { op: string; type: { bits: number; signed: boolean } }[] } };
      expect(text).not.toMatch(/seed/);
      let rounded = 0;
      wire.graph.nodes.forEach((n, i) => {
        if (n.op !== "param") {
          // Every other interval is the public one both parties run with, never the exact one.
          const pub = publicRange(ranges[i]!, n.type);
          expect(wire.ranges[i]).toEqual([String(pub.lo), String(pub.hi)]);
          if (pub.lo !== ranges[i]!.lo || pub.hi !== ranges[i]!.hi) rounded++;
          return;
        }
        const [lo, hi] = typeRange(n.type);
        expect(wire.ranges[i]).toEqual([String(lo), String(hi)]);
      });
      expect(rounded).toBeGreaterThan(0); // the weight-derived intervals were rounded (the check is not vacuous)
      // The server's own analysis is tighter for at least some parameter (else the check above is vacuous).
      expect(g.nodes.some((n, i) => n.op === "param" && (ranges[i]!.lo !== typeRange(n.type)[0] || ranges[i]!.hi !== typeRange(n.type)[1]))).toBe(true);
      // No run of a parameter's values (as JSON would print them) appears anywhere in the program.
      let checked = 0;
      for (const t of g.params.values()) {
        if (t.data.length < 16) continue;
        checked++;
        expect(text).not.toContain(Array.from(t.data, (v) => String(v)).slice(0, 16).join(","));
      }
      expect(checked).toBeGreaterThan(0);
    } finally {
      listener.close();
    }
  });

  it("a dealer server is refused by a client that did not accept it (PQ5008), and runs when both accept", async () => {
    const { g, program } = lenet();
    const dealer = serveable(program, "dealer");
    const listener = await listen(0);
    try {
      const [s1, c1] = await Promise.all([
        serveOne(listener, dealer, { timeoutMs: 5_000 }).catch((e: unknown) => e),
        connectAndRun("127.0.0.1", listener.port, input).catch((e: unknown) => e),
      ]);
      expect(c1).toBeInstanceOf(PqError);
      expect((c1 as PqError).diagnostics[0]!.code).toBe("PQ5008");
      expect(s1).toBeInstanceOf(PqError);
      const [s2, c2] = await Promise.all([
        serveOne(listener, dealer),
        connectAndRun("127.0.0.1", listener.port, input, { insecureDealer: true }),
      ]);
      expect([s2.correlations, c2.correlations]).toEqual(["dealer", "dealer"]);
      expect(toBigints(c2.outputs![0]!)).toEqual(toBigints(runPlain(g, input(g)).outputs[0]!));
    } finally {
      listener.close();
    }
  });
});

describe("serve / connect with HE for the server-weight products", () => {
  const input = (graph: Graph) => {
    const n = graph.nodes.find((x) => x.op === "input")!;
    return new Map([[n.attrs.name as string, loadInput("examples/mnist/digits/digit-3.png", n.attrs.name as string, n.type)]]);
  };

  it("LeNet under he: the header names the encryption parameters, the client makes its keys, the output equals plaintext", async () => {
    const r = compileFile("examples/mnist/lenet_w8a8.pq");
    const g = r.program!.graph;
    const listener = await listen(0);
    try {
      const [server, client] = await Promise.all([serveOne(listener, serveable(r.program!, "he")), connectAndRun("127.0.0.1", listener.port, input)]);
      expect([server.correlations, client.correlations]).toEqual(["he", "he"]);
      expect(toBigints(client.outputs![0]!)).toEqual(toBigints(runPlain(g, input(g)).outputs[0]!));
      // the client sent its public key (and nothing of its secret key): 262,338 bytes and a 32-byte hash
      expect(client.meter.find((m) => m.primitive === "he-keys")!.sent).toBe(262_338 + 10 + 32 + 10);
    } finally {
      listener.close();
    }
  }, 60_000);

  for (const [what, params] of [
    ["insecure parameters (a 240-bit modulus at N = 8192)", { degree: 8192, coeffBits: [60, 60, 60, 60], plainBits: 44 }],
    ["other parameters", { degree: 16384, coeffBits: [60, 60, 60, 60, 38], plainBits: 44 }],
    ["no parameters", undefined],
  ] as const) {
    it(`a server naming ${what} is refused by the client before the handshake (PQ5014)`, async () => {
      const e = await fakeServer({ kind: "he", ...(params ? { params } : {}) }, "{}");
      expect(e).toBeInstanceOf(PqError);
      expect((e as PqError).diagnostics[0]!.code).toBe("PQ5014");
      expect((e as PqError).diagnostics[0]!.message).toContain("encryption parameters");
    });
  }
});

describe("serve / connect: a malformed program from the server is a coded diagnostic (PQ5010), not a bug report", () => {
  const programs: [string, string][] = [
    ["not JSON", "{"],
    ["an unknown op", JSON.stringify({ graph: { name: "m", nodes: [{ id: 0, op: "launch", inputs: [], attrs: {}, type: { bits: 8, signed: false, shape: [1], vis: "client" }, origin: { path: "m" } }], outputs: [{ node: 0, to: "client" }] }, ranges: [["0", "1"]] })],
    ["a huge shape", JSON.stringify({ graph: { name: "m", nodes: [{ id: 0, op: "input", inputs: [], attrs: { name: "x" }, type: { bits: 8, signed: false, shape: [1 << 20, 1 << 20], vis: "client" }, origin: { path: "m" } }], outputs: [{ node: 0, to: "client" }] }, ranges: [["0", "1"]] })],
    ["an operand that is not earlier", JSON.stringify({ graph: { name: "m", nodes: [{ id: 0, op: "relu", inputs: [3], attrs: {}, type: { bits: 8, signed: false, shape: [1], vis: "shared" }, origin: { path: "m" } }], outputs: [{ node: 0, to: "client" }] }, ranges: [["0", "1"]] })],
    // Bit re-weighting's public support shapes the OT product: out of range, unordered, or a split the weights cannot have.
    ...([[{ support: [0, 4] }, "support"], [{ support: [1, 0] }, "support"], [{ split: 8 }, "split"], [{ support: "all" }, "support"]] as const).map(([attrs, what]): [string, string] => [
      `a linear layer with a bad ${what} (${JSON.stringify(attrs)})`,
      JSON.stringify({
        graph: {
          name: "m",
          nodes: [
            { id: 0, op: "input", inputs: [], attrs: { name: "x" }, type: { bits: 8, signed: false, shape: [2], vis: "client" }, origin: { path: "m" } },
            { id: 1, op: "param", inputs: [], attrs: { name: "w" }, type: { bits: 8, signed: true, shape: [2, 2], vis: "server" }, origin: { path: "m" } },
            { id: 2, op: "linear", inputs: [0, 1], attrs: { receiver: 1, ...attrs }, type: { bits: 18, signed: true, shape: [2], vis: "shared" }, origin: { path: "m" } },
          ],
          outputs: [{ node: 2, to: "client" }],
        },
        ranges: [["0", "255"], ["-128", "127"], ["-65536", "65535"]],
      }),
    ]),
  ];
  for (const [what, body] of programs) {
    it(what, async () => {
      const e = await fakeServer({ kind: "ot" }, body);
      expect(e).toBeInstanceOf(PqError);
      expect((e as PqError).diagnostics[0]!.code).toBe("PQ5010");
    });
  }
});
