// The wire's constants, one place for the runtime and the cost model: the channel frames
// every message with HEADER_BYTES (interpreter/twopc/channel.ts), and the forecast counts
// them; λ is the security parameter every IKNP OT formula is written in (docs/PROTOCOLS.md).

/** Bytes of a frame's header (magic, kind, sequence, length: interpreter/twopc/channel.ts). */
export const HEADER_BYTES = 10;

/** Security parameter of IKNP OT extension (docs/PROTOCOLS.md). */
export const LAMBDA = 128;
