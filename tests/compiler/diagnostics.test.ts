// Compile-time errors beyond syntax: names, shapes, types, overflow, parameter files.
// Each case asserts the code and the line:column it points at.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/lower.js";

const dir = mkdtempSync(join(tmpdir(), "pq-diag-"));
writeFileSync(join(dir, "p.params.json"), JSON.stringify({
  format: "pq-params/1",
  tensors: {
    w: { shape: [2, 1, 3, 3], scale: 0.125, data: [1, -2, 3, -4, 5, -6, 7, -8, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0] },
    big: { shape: [2], data: [1, 300] },
    fc: { shape: [3, 8], data: Array.from({ length: 24 }, (_, i) => (i % 7) - 3) },
    b: { shape: [2], data: [1, 2] },
    u: { shape: [4, 1, 1], data: [1, 0, 0, 0] },
  },
  scales: { a1: 0.05 },
}));
writeFileSync(join(dir, "bad.params.json"), "{ not json");
writeFileSync(join(dir, "lib.pq"), "block twice(x) {\n  return add(x, x)\n}\n");

function codes(src: string): string[] {
  const path = join(dir, "m.pq");
  writeFileSync(path, src);
  const r = compileFile(path);
  return r.diagnostics.map((d) => `${d.code}@${d.span?.line}:${d.span?.col}`);
}

const head = 'model m {\n  input x: client u8[1, 4, 4]\n  params "p.params.json"\n';
const cases: [string, string, string[]][] = [
  ["unknown name", `${head}  let y = relu(z)\n  output y to client\n}`, ["PQ2001@4:16"]],
  ["unknown op with suggestion", `${head}  let y = rleu(x)\n  output y to client\n}`, ["PQ2003@4:11"]],
  ["redefined let", `${head}  let y = relu(x)\n  let y = relu(x)\n  output y to client\n}`, ["PQ2002@5:7"]],
  ["too few operands", `${head}  let y = add(x)\n  output y to client\n}`, ["PQ2004@4:11"]],
  ["unknown attribute", `${head}  let y = maxpool(x, 2, size = 3)\n  output y to client\n}`, ["PQ2005@4:25"]],
  ["attribute of the wrong kind", `${head}  let y = maxpool(x, k = [2])\n  output y to client\n}`, ["PQ2006@4:26"]],
  ["missing required attribute", `${head}  let y = maxpool(x)\n  output y to client\n}`, ["PQ2007@4:11"]],
  ["conv channel mismatch", `${head}  param w: i4[2, 3, 3, 3]\n  let y = conv2d(x, w)\n  output y to client\n}`, ["PQ4004@4:9"]],
  ["winoconv with a tile that does not exist", `${head}  param u: i2[4, 1, 1]\n  let y = winoconv(x, u, tile = 3, k = [[0], [0], [0], [0]])\n  output y to client\n}`, ["PQ2006@5:11"]],
  ["winoconv with filters for another tile", `${head}  param u: i2[4, 1, 1]\n  let y = winoconv(x, u, tile = 4, k = [[0], [0], [0], [0]])\n  output y to client\n}`, ["PQ2008@5:11"]],
  ["linear on a 3-D tensor", `${head}  param fc: i4[3, 8]\n  let y = linear(x, fc)\n  output y to client\n}`, ["PQ2008@5:11"]],
  ["weights not known", `${head}  let y = conv2d(x, x)\n  output y to client\n}`, ["PQ2018@4:11"]],
  ["scale ratio not a power of two", `${head}  let a = x as u8 scale a1\n  let y = add(a, x)\n  output y to client\n}`, ["PQ2014@5:11"]],
  ["declared width too narrow", `${head}  param w: i4[2, 1, 3, 3]\n  let y: i8 = conv2d(x, w)\n  output y to client\n}`, ["PQ3001@5:15"]],
  ["declared type mismatch", `${head}  let y: u4 = relu(x)\n  output y to client\n}`, ["PQ2015@4:15"]],
  ["parameter value outside its type", `${head}  param big: i8[2]\n  output x to client\n}`, ["PQ4005@4:9"]],
  ["missing parameter", `${head}  param nope: i8[2]\n  output x to client\n}`, ["PQ4003@4:9"]],
  ["parameter scale disagrees", `${head}  param w: i4[2, 1, 3, 3] scale 2^-2\n  output x to client\n}`, ["PQ4007@4:9"]],
  ["named scale missing", `${head}  let y = x as u4 scale nope\n  output y to client\n}`, ["PQ4006@4:25"]],
  ["params file unreadable", 'model m {\n  input x: client u8[4]\n  params "none.json"\n  output x to client\n}', ["PQ4001@3:3"]],
  ["params file not JSON", 'model m {\n  input x: client u8[4]\n  params "bad.params.json"\n  output x to client\n}', ["PQ4002@3:3"]],
  ["param before params", 'model m {\n  input x: client u8[4]\n  param w: i8[2]\n  output x to client\n}', ["PQ2020@3:3"]],
  ["input from the server", 'model m {\n  input x: server u8[4]\n  output x to client\n}', ["PQ2024@2:12"]],
  ["an input's zero point outside its type", 'model m {\n  input x: client u8[4] (zero = 256)\n  output x to client\n}', ["PQ2029@2:3"]],
  ["an input's mean with neither one value nor one per channel", 'model m {\n  input x: client u8[3, 2, 2] (mean = [0.5, 0.5])\n  output x to client\n}', ["PQ2029@2:3"]],
  ["an input's std that is not positive", 'model m {\n  input x: client u8[4] (std = -0.5)\n  output x to client\n}', ["PQ2029@2:3"]],
  ["an input attribute of the wrong kind", 'model m {\n  input x: client u8[4] (zero = 0.5)\n  output x to client\n}', ["PQ2006@2:33"]],
  ["an input attribute that does not exist", 'model m {\n  input x: client u8[4] (scale = 2)\n  output x to client\n}', ["PQ2005@2:26"]],
  ["a positional input attribute", 'model m {\n  input x: client u8[4] (3)\n  output x to client\n}', ["PQ2004@2:26"]],
  ["an attribute value the op refuses", `${head}  let y = trunc(x, by = 9)\n  output y to client\n}`, ["PQ2029@4:11"]],
  ["a two-party requantization beyond 64 bits", `${head}  param w: i4[2, 1, 3, 3]\n  let y = conv2d(x, w) as i8 scale 2^-80\n  output y to client\n}`, ["PQ3004@5:11"]],
  ["no output", 'model m {\n  input x: client u8[4]\n}', ["PQ2012@1:7"]],
  ["output to the server", 'model m {\n  input x: client u8[4]\n  output x to server\n}', ["PQ2025@3:3"]],
  ["missing import", 'import "./nope"\nmodel m {\n  input x: client u8[4]\n  output x to client\n}', ["PQ2009@1:1"]],
  ["block shadows a builtin", 'block relu(x) {\n  return x\n}\nmodel m {\n  input x: client u8[4]\n  output x to client\n}', ["PQ2016@1:7"]],
  ["sqplus needs a power-of-two scale", `${head}  let a = x as u8 scale a1\n  let y = sqplus(a)\n  output y to client\n}`, ["PQ2014@5:11"]],
  ["one error per failing statement (poisoned names)", `${head}  let a = relu(q)\n  let b = relu(a)\n  let c = relu(b)\n  output c to client\n}`, ["PQ2001@4:16"]],
  ["errors in two statements are both reported", `${head}  let a = relu(q)\n  let b = foo(x)\n  output x to client\n}`, ["PQ2001@4:16", "PQ2003@5:11"]],
  ["bias at the wrong scale", `${head}  param w: i4[2, 1, 3, 3]\n  param b: i8[2] scale 2^-1\n  let y = conv2d(x, w, b)\n  output y to client\n}`, ["PQ2014@6:11"]],
  ["block imported and misused", `import "./lib"\n${head}  let y = twice(x, 3)\n  output y to client\n}`, ["PQ2004@5:11"]],
];

describe("compile-time diagnostics", () => {
  for (const [name, src, expected] of cases) {
    it(name, () => {
      expect(codes(src)).toEqual(expected);
    });
  }
});
