// serve and connect as library calls: a server on an ephemeral port with a key from keygen(),
// a client pinning that key and the model, the same outputs as the plaintext run; a client
// pinning another key is refused (PQ5009); API misuse is a TypeError, not a hang.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, connect, keygen, run, serve, PqError, type SessionLog } from "../../lib/index.js";

const MLP = join("examples", "mnist", "mlp_w8a8.pq");
const x = { x: { file: join("examples", "mnist", "digits", "digit-3.png") } };

describe("pq-2pc serve and connect", () => {
  it("serve on an ephemeral port over TLS; connect pinning key and model; outputs equal the plaintext run's", async () => {
    const program = compile(MLP);
    const id = keygen();
    const sessions: SessionLog[] = [];
    const server = await serve(program, { tls: id, limit: 2, maxSessions: 1, onSession: (s) => sessions.push(s) });
    expect(server.port).toBeGreaterThan(0);
    expect(server.fingerprint).toBe(id.fingerprint);
    const r = await connect("127.0.0.1", server.port, x, { serverFingerprint: `sha256:${id.fingerprint}`, expectModel: server.modelHash });
    expect(r).toMatchObject({ model: "mlp", modelHash: server.modelHash, correlations: "ot" });
    expect(r.outputs).toEqual((await run(program, x, { backend: "plain" })).outputs);
    expect(r.meter.some((m) => m.layer === "mlp/h1" && m.sent > 0)).toBe(true);
    // A client that pins another key is refused before any protocol byte.
    const other = keygen();
    const refused = await connect("127.0.0.1", server.port, x, { serverFingerprint: other.fingerprint }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PqError);
    expect((refused as PqError).diagnostics[0]!.code).toBe("PQ5009");
    await server.done;
    expect(sessions.map((s) => s.outcome)[0]).toBe("ok");
  }, 60_000);

  it("plaintext and the dealer only when asked for by name on both sides; misuse is a TypeError", async () => {
    const program = compile(MLP, { target: "dealer" });
    await expect(serve(program, {})).rejects.toThrow(TypeError);
    await expect(connect("127.0.0.1", 1, x, {})).rejects.toThrow(TypeError);
    const server = await serve(program, { insecurePlaintext: true, insecureDealer: true, limit: 2 });
    const denied = await connect("127.0.0.1", server.port, x, { insecurePlaintext: true }).catch((e: unknown) => e);
    expect((denied as PqError).diagnostics[0]!.code).toBe("PQ5008");
    const r = await connect("127.0.0.1", server.port, x, { insecurePlaintext: true, insecureDealer: true });
    expect(r.correlations).toBe("dealer");
    expect(r.outputs).toEqual((await run(program, x, { backend: "plain" })).outputs);
    await server.stop();
  }, 60_000);
});
