// bench/haproxy.ts: a frontend port taken between choosing it and HAProxy binding it (CI saw
// another test's ephemeral socket land there) is retried on a new port; other failures are not.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haproxyMissing, startHaproxy } from "../../bench/haproxy.js";

const dir = mkdtempSync(join(tmpdir(), "pq-haproxy-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function listen(): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

describe.skipIf(haproxyMissing() !== undefined)("startHaproxy", () => {
  it("retries on a new port when its frontend port is taken", async () => {
    const taken = await listen();
    const free = await listen();
    const freePort = portOf(free);
    await new Promise<void>((r) => free.close(() => r()));
    const offered: number[] = [];
    const ports = [portOf(taken), freePort];
    const proxy = await startHaproxy(dir, [{ port: 1, healthPort: 2 }], async () => {
      offered.push(ports[offered.length]!);
      return offered[offered.length - 1]!;
    });
    try {
      expect(offered).toEqual(ports);
      expect(proxy.port).toBe(freePort);
    } finally {
      await proxy.stop();
      taken.close();
    }
  });

  it("gives up after five taken ports", async () => {
    const taken = await listen();
    let asked = 0;
    await expect(startHaproxy(dir, [{ port: 1, healthPort: 2 }], async () => (asked++, portOf(taken)))).rejects.toThrow(/Address already in use/);
    expect(asked).toBe(5);
    taken.close();
  });
});
