// A linear layer with server-held weights: y = f(W, x) for a bilinear f described by a
// LinearMap (linear-map.ts: conv2d, linear, per-channel scaling, Winograd's products), W
// known to the server in the clear, x shared (x0 at the client, x1 at the server), all in
// Z_{2^N}. With a dealer's bilinear triple (A at the server,
// B at the client, C = f(A, B) shared): the server sends E = W − A, the client sends
// F = x0 − B, and f(W, x0) = f(E, x0) + f(A, F) + C, so
//   client: y0 = f(E, x0) + C0,    server: y1 = f(A, F) + C1 + f(W, x1).
// E and F are uniformly masked, so neither learns the other's operand (CrypTen's Beaver
// matrix triples, specialised to a server-known operand). Proof: proofs/linear.md.
// Cost (dealer): online the server sends |W|·N bits and the client |x|·N bits, in one
// round each way; offline the dealer sends |y|·N bits to the server.
import { step, type Party } from "../twopc/party.js";
import { add, packRing, sub, unpackRing, type Share } from "../twopc/ring.js";
import { kernelOf, type Kernels } from "../providers/kernels.js";
import { applyMap, type LinearMap } from "../twopc/linear-map.js";

type ServerLinear = (p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean) => Promise<Share>;

const kernels: Kernels<ServerLinear> = {
  generic: { consumes: ["bilinear"], proof: "proofs/linear.md", run: linearBeaver },
};

/**
 * `map` describes f and the shapes; `w` is the server's weight tensor in the ring
 * (undefined at the client); `x` this party's share of the input; `clientOnly` when x is the
 * client's plaintext (x1 = 0), which saves the server the f(W, x1) term.
 */
export function serverLinear(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly = false): Promise<Share> {
  return step(p, "linear", () => kernelOf(p, kernels).run(p, map, w, x, clientOnly));
}

async function linearBeaver(p: Party, map: LinearMap, w: Share | undefined, x: Share, clientOnly: boolean): Promise<Share> {
  const bits = x.bits;
  const f = (W: Share, X: Share): Share => applyMap(map, W, X, bits);
  const { mine, c } = await p.corr.bilinear(bits, map);
  if (p.role === "client") {
    p.ch.send(packRing(sub(x, mine)));
    const E = unpackRing(await p.ch.recv(Math.ceil((map.w.reduce((a, b) => a * b, 1) * bits) / 8)), bits, map.w);
    return add(f(E, x), c);
  }
  if (!w) throw new Error("serverLinear: the server needs its weights");
  p.ch.send(packRing(sub(w, mine)));
  const F = unpackRing(await p.ch.recv(Math.ceil((x.data.length * bits) / 8)), bits, x.shape);
  const y = add(f(mine, F), c);
  return clientOnly ? y : add(y, f(w, x));
}
