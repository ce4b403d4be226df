// `:protocols`: every op with its kind and summary (compiler/ops.ts DESCRIPTORS), then every
// two-party protocol with the cost and proof stated in its source header. The headers are
// read at run time from interpreter/protocols/*.ts under the package root, so this list can
// never drift from the implementation; a compiled run lives in dist/, which holds no .ts,
// hence the package root and not this module's folder.
import { formulasText } from "../../compiler/cost/formulas.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OPS } from "../../compiler/ir.js";
import { DESCRIPTORS, type OpKind } from "../../compiler/ops.js";
import { table } from "../table.js";

export const THREAT_MODEL =
  "threat model: semi-honest parties (each follows the protocol, may try to learn from what it sees). " +
  "Correlations come from oblivious transfer between the two parties (:correlations ot, the default): each party's randomness is its own. " +
  "The trusted dealer (:correlations dealer), simulated inside both parties from one seed (:seed), lets either party recompute the other's secrets: " +
  "it is for tests and benchmarks, not for protecting data from a real adversary (docs/REPORT.md).";

/** The nearest folder above this module holding package.json and interpreter/protocols/ (like compiler/modules.ts finds stdlib/). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "interpreter", "protocols"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface ProtocolInfo {
  name: string;
  /** First sentence of the header. */
  summary: string;
  /** The header's `Cost …` text, up to its `Proof:`. */
  cost: string;
  /** The proof file named by the header, e.g. proofs/mul.md. */
  proof: string;
}

/** The leading `//` comment of a source file, joined into one line of prose. */
function header(src: string): string {
  const lines: string[] = [];
  for (const l of src.split(/\r?\n/)) {
    if (!l.startsWith("//")) break;
    lines.push(l.replace(/^\/\/\s?/, "").trim());
  }
  return lines.join(" ").replace(/\s+/g, " ");
}

export function parseHeader(name: string, src: string): ProtocolInfo {
  const h = header(src);
  const costAt = h.search(/\bCost\b/);
  let cost = costAt < 0 ? "" : h.slice(costAt);
  const proofInCost = cost.search(/\bProof:/);
  if (proofInCost >= 0) cost = cost.slice(0, proofInCost);
  // Text after the cost that belongs to another topic (e.g. an alternative the header compares with) stays out.
  cost = cost.replace(/\s*\((?:Lifting|B2A followed)[^)]*\)\s*/g, " ").trim();
  const proof = /Proof:\s*(proofs\/[\w.-]+\.md)/.exec(h)?.[1] ?? "";
  const firstSentence = /^(.*?[.:])(\s|$)/.exec(h)?.[1] ?? h;
  return { name, summary: firstSentence.replace(/:$/, ""), cost: cost === "" ? "(no cost line in the header)" : cost, proof };
}

export function readProtocols(): ProtocolInfo[] {
  const root = packageRoot();
  if (root === undefined) return [];
  const dir = join(root, "interpreter", "protocols");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort()
    .map((f) => parseHeader(f.replace(/\.ts$/, ""), readFileSync(join(dir, f), "utf8")));
}

const KIND_ORDER: OpKind[] = ["source", "layer", "local", "interactive"];

export function protocolsText(): string {
  const ops = [...OPS].sort((a, b) => KIND_ORDER.indexOf(DESCRIPTORS[a].kind) - KIND_ORDER.indexOf(DESCRIPTORS[b].kind));
  const opTable = table(["op", "kind", "what it computes"], ops.map((o) => [o, DESCRIPTORS[o].kind, DESCRIPTORS[o].summary]));
  const protos = readProtocols();
  const parts = [
    "ops (kind: source = inputs/params/literals; layer = expanded into primitives; local = no communication; interactive = a protocol):",
    opTable,
    "",
  ];
  if (protos.length === 0) parts.push("protocol sources not found (interpreter/protocols/ is not in this installation)");
  else {
    parts.push("two-party protocols (interpreter/protocols/*.ts; n = elements, N = ring bits):");
    for (const p of protos) {
      parts.push(`  ${p.name}: ${p.summary}`);
      parts.push(`    ${p.cost}${p.proof ? `  [${p.proof}]` : ""}`);
    }
  }
  parts.push("", formulasText(), "", THREAT_MODEL);
  return parts.join("\n");
}
