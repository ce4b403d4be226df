// The JSON Schema of every `--json` result (docs/schema/pq-result.schema.json, draft 2020-12),
// compiled once with ajv in strict mode: `parseResult` parses a command's stdout and throws
// with ajv's errors unless it is a valid pq-result/1 document.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";

const schema = JSON.parse(readFileSync(new URL("../../docs/schema/pq-result.schema.json", import.meta.url), "utf8")) as object;
export const validateResult = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

export function parseResult(stdout: string): unknown {
  const doc = JSON.parse(stdout) as unknown;
  if (!validateResult(doc)) throw new Error(`not a valid pq-result/1 document: ${JSON.stringify(validateResult.errors, null, 2)}`);
  return doc;
}
