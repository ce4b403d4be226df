// TLS between the parties: pq's self-signed identities are real X.509, a pinned key is the
// only one accepted (PQ5009 before any protocol byte, on either side), client authentication
// pins the client's key, a plaintext peer of a TLS party fails with a coded diagnostic, and a
// stranger's 1 GiB declared frame is refused at its prefix with memory flat.
import { createPrivateKey, X509Certificate } from "node:crypto";
import tls from "node:tls";
import { describe, expect, it } from "vitest";
import { PqError } from "../../grammar/diagnostics.js";
import { connect, HANDSHAKE_FRAME_BYTES, listen } from "../../interpreter/twopc/tcp.js";
import fc from "fast-check";
import { derInteger, keyFingerprint, parsePin, selfSigned } from "../../interpreter/twopc/tls.js";

const code = (e: unknown) => (e instanceof PqError ? e.diagnostics[0]!.code : String(e));
const settle = <T>(p: Promise<T>) => p.then(() => "ok", (e: unknown) => code(e));

describe("identities and pins", () => {
  it("selfSigned is an X.509 certificate signed by its own key; its pin is the SPKI SHA-256 in any common spelling", () => {
    const id = selfSigned("pq-test");
    const x = new X509Certificate(id.cert);
    expect(x.subject).toBe("CN=pq-test");
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(id.key))).toBe(true);
    const fp = keyFingerprint(x);
    expect(parsePin(`sha256:${fp.toUpperCase()}`)).toBe(fp);
    expect(parsePin(fp.match(/../g)!.join(":"))).toBe(fp);
    expect(parsePin("sha256:1234")).toBeUndefined();
  });
});

describe("DER integers (the certificate's serial number and version)", () => {
  it("are minimal and read back as the same non-negative value, leading zero bytes and a set top bit included", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.nat(3), (raw, zeros) => {
      const b = Uint8Array.from([...new Array<number>(zeros).fill(0), ...raw]);
      const d = derInteger(b);
      expect(d[0]).toBe(0x02);
      const body = d.subarray(2, 2 + d[1]!);
      expect(d.length).toBe(2 + body.length);
      // X.690 §8.3.2: the first nine bits are not all 0s (nor all 1s), and the value is non-negative.
      if (body.length > 1) expect(body[0] === 0 && body[1]! < 0x80).toBe(false);
      expect(body[0]! & 0x80).toBe(0);
      const value = (x: Uint8Array) => x.reduce((a, v) => (a << 8n) | BigInt(v), 0n);
      expect(value(body)).toBe(value(b));
    }), { numRuns: 2000 });
  });

  it("every one of 300 fresh certificates parses (a serial number with a leading zero byte once made 1 in 512 unreadable)", () => {
    for (let i = 0; i < 300; i++) expect(() => new X509Certificate(selfSigned(`pq-${i}`).cert)).not.toThrow();
  });
});

describe("TLS connections", () => {
  const server = selfSigned();
  const serverPin = keyFingerprint(new X509Certificate(server.cert));
  const client = selfSigned();
  const clientPin = keyFingerprint(new X509Certificate(client.cert));

  it("the pinned server is reached and frames cross; any other key is refused on both sides (PQ5009, PQ5012)", async () => {
    const l = await listen(0, "127.0.0.1", { tls: { identity: server, pins: [] } });
    try {
      const [c, s] = await Promise.all([connect("127.0.0.1", l.port, { tls: { pins: [serverPin] } }), l.accept(2_000)]);
      c.send(Uint8Array.of(1, 2, 3));
      expect(await s.recv()).toEqual(Uint8Array.of(1, 2, 3));
      c.close();
      s.close();
      const t0 = performance.now();
      const [bad, side] = await Promise.all([settle(connect("127.0.0.1", l.port, { tls: { pins: ["0".repeat(64)] } })), settle(l.accept(2_000))]);
      expect([bad, side]).toEqual(["PQ5009", "PQ5012"]);
      expect(performance.now() - t0).toBeLessThan(1_500);
    } finally {
      l.close();
    }
  });

  it("client authentication: a server pinning client keys refuses a client without that key (PQ5009 at the server)", async () => {
    const l = await listen(0, "127.0.0.1", { tls: { identity: server, pins: [clientPin] } });
    try {
      const [c, s] = await Promise.all([connect("127.0.0.1", l.port, { tls: { pins: [serverPin], identity: client } }), l.accept(2_000)]);
      c.close();
      s.close();
      const other = selfSigned();
      const [, refused] = await Promise.all([settle(connect("127.0.0.1", l.port, { tls: { pins: [serverPin], identity: other } }).then((t) => t.recv())), settle(l.accept(2_000))]);
      expect(refused).toBe("PQ5009");
      const [, anonymous] = await Promise.all([settle(connect("127.0.0.1", l.port, { tls: { pins: [serverPin] } }).then((t) => t.recv())), settle(l.accept(2_000))]);
      expect(anonymous).toBe("PQ5009");
    } finally {
      l.close();
    }
  });

  it("a TLS client of a plaintext server fails promptly with PQ5012", async () => {
    const l = await listen(0);
    try {
      // The plaintext side reads the ClientHello as a frame prefix announcing ~369 MB: PQ5004, closed.
      const plain = l.accept(2_000, HANDSHAKE_FRAME_BYTES).then((s) => settle(s.recv()).finally(() => s.close()));
      const t0 = performance.now();
      const c = await settle(connect("127.0.0.1", l.port, { tls: { pins: [serverPin] }, handshakeMs: 5_000 }));
      expect(await plain).toBe("PQ5004");
      expect(c).toBe("PQ5012");
      expect(performance.now() - t0).toBeLessThan(4_000);
    } finally {
      l.close();
    }
  });

  it("a 1 GiB declared frame before the handshake is refused at its prefix (PQ5004), memory flat", async () => {
    const l = await listen(0, "127.0.0.1", { tls: { identity: server, pins: [] } });
    try {
      const accepted = l.accept(2_000, HANDSHAKE_FRAME_BYTES);
      const raw = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({ host: "127.0.0.1", port: l.port, rejectUnauthorized: false }, () => resolve(s));
        s.on("error", reject);
      });
      raw.on("error", () => undefined);
      const s = await accepted;
      const before = process.memoryUsage().rss;
      const t0 = performance.now();
      const pending = settle(s.recv());
      raw.write(Buffer.from([0x40, 0, 0, 0, ...new Uint8Array(1 << 16)]));
      expect(await pending).toBe("PQ5004");
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(process.memoryUsage().rss - before).toBeLessThan(32 * 2 ** 20);
      s.close();
      raw.destroy();
    } finally {
      l.close();
    }
  });
});
