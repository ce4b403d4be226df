// TLS between the parties (`pq serve` / `pq connect`): identities and pinning.
// An identity is an ECDSA P-256 key pair and a self-signed X.509 certificate. node:crypto
// makes key pairs and signatures but has no certificate builder, so `selfSigned` encodes
// the few DER structures of RFC 5280 §4.1 itself (no extensions; one subject = issuer name):
// no npm dependency and no `openssl` binary needed (docs/DEPLOY.md gives the openssl lines
// that make an equivalent pair, which pq accepts just the same).
// Trust is by pinning, not by a certificate authority: a party is who holds the private
// key whose public key (SubjectPublicKeyInfo) hashes to the pinned SHA-256 — the value
// `pq keygen` and `pq serve` print. A pin may also be the certificate's own SHA-256
// (`openssl x509 -fingerprint -sha256`). The check runs after the TLS handshake and before
// any protocol byte is read or written.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import { diag, PqError } from "../../grammar/diagnostics.js";
import type { Role } from "./channel.js";

// ---------------------------------------------------------------- DER (RFC 5280 §4.1)

function der(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const seq = (...xs: Uint8Array[]) => der(0x30, ...xs);
/**
 * A non-negative INTEGER from big-endian bytes, in DER's minimal form (X.690 §8.3.2): leading
 * zero bytes dropped, one put back where the sign bit would be set. (A serial number drawn
 * with a leading zero byte and a clear next bit was once written unstripped: 1 certificate in
 * 512 that OpenSSL refuses, "illegal padding".)
 */
export function derInteger(b: Uint8Array): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return der(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.of(0), v]) : v);
}
const integer = derInteger;
const ECDSA_SHA256 = seq(Buffer.from("06082a8648ce3d040302", "hex")); // 1.2.840.10045.4.3.2, no parameters
const name = (cn: string) => seq(der(0x31, seq(Buffer.from("0603550403", "hex"), der(0x0c, Buffer.from(cn, "utf8"))))); // CN (2.5.4.3)
/** UTCTime (years before 2050, RFC 5280 §4.1.2.5.1). */
function utcTime(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-01-31T12:00:00.000Z
  return der(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`));
}

export interface Identity {
  /** PEM certificate and PEM (PKCS#8) private key. */
  cert: string;
  key: string;
}

/** A random 16-byte serial number, positive and non-zero (RFC 5280 §4.1.2.2). */
function serial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b;
}

/** A new key pair and its self-signed certificate, valid from yesterday for `days`. */
export function selfSigned(commonName = "pq", days = 3650): Identity {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const now = Date.now();
  const tbs = seq(
    der(0xa0, integer(Buffer.of(2))), // v3
    integer(serial()),
    ECDSA_SHA256,
    name(commonName),
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + days * 86_400_000))),
    name(commonName),
    publicKey.export({ type: "spki", format: "der" }),
  );
  const signature = sign("sha256", tbs, privateKey); // DER ECDSA-Sig-Value
  const certDer = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.of(0), signature));
  const b64 = certDer.toString("base64").replace(/.{1,64}/g, "$&\n");
  return { cert: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`, key: privateKey.export({ type: "pkcs8", format: "pem" }) as string };
}

// ---------------------------------------------------------------- fingerprints and pins

/** The SHA-256 of a certificate's public key (SPKI), as lowercase hex: what a peer pins. */
export function keyFingerprint(cert: X509Certificate): string {
  return createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

/** `sha256:HEX`, hex with or without colons, any case → 64 lowercase hex digits, or undefined. */
export function parsePin(text: string): string | undefined {
  const hex = text.trim().replace(/^sha256[:/]/i, "").replace(/:/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** The two names a certificate may be pinned by: its public key's hash and its own. */
function fingerprintsOf(raw: Buffer): string[] {
  const x = new X509Certificate(raw);
  return [keyFingerprint(x), x.fingerprint256.replace(/:/g, "").toLowerCase()];
}

/**
 * The peer of a finished TLS handshake must present a certificate matching one of `pins`;
 * otherwise PQ5009 (the socket is destroyed: not one protocol byte is exchanged).
 */
export function checkPeer(socket: TLSSocket, pins: readonly string[], role: Role, address: string): void {
  const raw = socket.getPeerCertificate(true)?.raw as Buffer | undefined;
  const got = raw && raw.length > 0 ? fingerprintsOf(raw) : undefined;
  if (got && got.some((f) => pins.includes(f))) return;
  socket.on("error", () => undefined); // nobody reads this socket any more
  socket.destroy();
  const peer = role === "client" ? "server" : "client";
  throw new PqError(diag("PQ5009", { party: role, peer, address, got: got ? `sha256:${got[0]}` : "no certificate", want: pins.map((p) => `sha256:${p}`).join(" or ") }));
}

// ---------------------------------------------------------------- files

/** A certificate and key from PEM files, checked to belong together; PQ5013 otherwise. */
export function readIdentity(certPath: string, keyPath: string): Identity & { fingerprint: string } {
  const read = (what: string, path: string): string => {
    try {
      return readFileSync(path, "utf8");
    } catch (e) {
      throw new PqError(diag("PQ5013", { what, path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
    }
  };
  const cert = read("certificate", certPath);
  const key = read("private key", keyPath);
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch (e) {
    throw new PqError(diag("PQ5013", { what: "certificate", path: certPath, reason: `not a PEM certificate (${(e as Error).message})` }));
  }
  try {
    if (!x.checkPrivateKey(createPrivateKey(key))) throw new Error("it does not belong to the certificate");
  } catch (e) {
    throw new PqError(diag("PQ5013", { what: "private key", path: keyPath, reason: (e as Error).message }));
  }
  return { cert, key, fingerprint: keyFingerprint(x) };
}

/** What a TLS endpoint needs: its own identity (server: required; client: for client authentication) and the peers it trusts. */
export interface TlsOptions {
  identity?: Identity;
  /** SHA-256 pins (parsePin form) the peer must match. Server: empty = any client. */
  pins: string[];
}
