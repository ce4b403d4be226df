// The health probe of `pq serve --health-port P`: plain HTTP on its own port, so an
// orchestrator checks the server without a TLS identity and without taking a session slot.
// `GET /healthz` answers 200 and a small JSON object (live and maximal sessions, connections
// pending, draining) while the server takes clients, and 503 with the same object once it is
// draining (SIGTERM): a load balancer stops sending it clients while live sessions finish.
// Both HAProxy (`option httpchk GET /healthz` with `check port P`) and Kubernetes
// (`readinessProbe` / `livenessProbe` `httpGet`) use it as is (docs/DEPLOY.md).
// Anything else is 404; the probe reads no request body and holds no connection open.
import http from "node:http";
import type net from "node:net";
import { diag, PqError } from "../../grammar/diagnostics.js";

export interface Health {
  live: number;
  max: number;
  pending: number;
  draining: boolean;
}

export interface HealthProbe {
  readonly port: number;
  close(): void;
}

export function healthProbe(port: number, host: string, status: () => Health): Promise<HealthProbe> {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if ((req.method !== "GET" && req.method !== "HEAD") || path !== "/healthz") {
        res.writeHead(404, { "content-type": "text/plain", connection: "close" }).end("not found: GET /healthz\n");
        return;
      }
      const s = status();
      res.writeHead(s.draining ? 503 : 200, { "content-type": "application/json", connection: "close" }).end(`${JSON.stringify(s)}\n`);
    });
    // A probe is answered at once or not at all: no slow request may hold a socket.
    server.headersTimeout = 2_000;
    server.requestTimeout = 2_000;
    server.keepAliveTimeout = 0;
    const onListenError = (e: NodeJS.ErrnoException) => {
      server.close();
      reject(new PqError(diag("PQ5006", { party: "server", address: `${host}:${port}`, reason: `cannot listen there for the health probe (${e.code ?? e.message})` })));
    };
    server.once("error", onListenError);
    server.listen(port, host, () => {
      server.off("error", onListenError);
      server.on("error", () => undefined);
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          server.close();
          server.closeAllConnections();
        },
      });
    });
  });
}
