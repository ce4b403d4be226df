// A Transport over a worker_threads MessagePort: the two parties of one process on two
// threads (threads.ts), frames moved, not copied (transferred ArrayBuffers). A `close`
// message, the port closing, or the peer thread ending rejects the waiting `recv` with
// TransportClosed, which the Channel reports as PQ5002 — never a hang.
import type { MessagePort } from "node:worker_threads";
import { TransportClosed, type Transport } from "./channel.js";

type PortMessage = { kind: "frame"; frame: Uint8Array } | { kind: "close" };

export class PortTransport implements Transport {
  private readonly frames: Uint8Array[] = [];
  private waiting: { resolve(f: Uint8Array): void; reject(e: Error): void } | undefined;
  private closed = false;

  constructor(private readonly port: MessagePort) {
    port.on("message", (m: PortMessage) => {
      if (m.kind === "close") this.shut();
      else if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(m.frame);
      } else this.frames.push(m.frame);
    });
    port.on("close", () => this.shut());
  }

  /** The peer is gone: a waiting and every later `recv` (once the queue is empty) rejects. */
  shut(): void {
    this.closed = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(new TransportClosed());
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    const own = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength ? frame : frame.slice();
    this.port.postMessage({ kind: "frame", frame: own } satisfies PortMessage, [own.buffer as ArrayBuffer]);
  }

  recv(): Promise<Uint8Array> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.closed) return Promise.reject(new TransportClosed());
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  close(): void {
    if (!this.closed) this.port.postMessage({ kind: "close" } satisfies PortMessage);
    this.shut();
    this.port.close();
  }
}
