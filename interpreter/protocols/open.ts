// open / reveal: reconstruct x = x0 + x1.
// Cost: open — each party sends ⌈n·N/8⌉ bytes, 1 round; reveal (to the client only) — the
// server sends ⌈n·N/8⌉ bytes, 1 round for the server (the client only receives).
// Proof: proofs/open.md. Privacy: `open` is only ever applied to values masked by fresh
// uniform correlations (Beaver's e, f), or to outputs the client is entitled to.
import { exchange, step, type Party } from "../twopc/party.js";
import { add, packRing, unpackRing, type Share } from "../twopc/ring.js";

export function open(p: Party, x: Share): Promise<Share> {
  return step(p, "open", async () => add(x, unpackRing(await exchange(p, packRing(x)), x.bits, x.shape)));
}

/** The client learns x; the server learns nothing (returns undefined). */
export function reveal(p: Party, x: Share): Promise<Share | undefined> {
  return step(p, "reveal", async () => {
    if (p.role === "server") {
      p.ch.send(packRing(x));
      return undefined;
    }
    const other = unpackRing(await p.ch.recv(Math.ceil((x.data.length * x.bits) / 8)), x.bits, x.shape);
    return add(x, other);
  });
}
