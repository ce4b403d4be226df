// The Fashion-MNIST loader (examples/fashion/dataset.ts): the official split when Debian's
// dataset-fashion-mnist is installed (skipped, saying so, when it is not), and coded diagnostics for
// a missing or malformed idx file, checked on files written here.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FASHION_CLASSES, fashionMnistMissing, loadFashionMnist } from "../../examples/fashion/dataset.js";
import { PqError } from "../../grammar/diagnostics.js";

const missing = fashionMnistMissing();
if (missing !== undefined) console.warn(`skipping the Fashion-MNIST split test: ${missing}`);

/** An idx file: magic, big-endian dimensions, bytes. */
function idx(magic: number, dims: number[], bytes: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(bytes)]);
}

/** A directory holding a two-image dataset in both splits (train unpacked, t10k gzipped as Debian ships it), `change` applied to its files' contents first. */
function dataset(change: (name: string, content: Buffer) => Buffer = (_, c) => c): string {
  const dir = mkdtempSync(join(tmpdir(), "pq-fashion-"));
  for (const prefix of ["train", "t10k"]) {
    const images = idx(0x803, [2, 28, 28], Array.from({ length: 2 * 784 }, (_, i) => i % 256));
    const labels = idx(0x801, [2], [9, 0]);
    const pack = prefix === "train" ? (b: Buffer) => b : gzipSync;
    const ext = prefix === "train" ? "" : ".gz";
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${ext}`), pack(change(`${prefix}-images`, images)));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), pack(change(`${prefix}-labels`, labels)));
  }
  return dir;
}

function codeOf(f: () => unknown): { code: string; message: string; hint?: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof PqError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error("no diagnostic");
}

describe("examples/fashion/dataset.ts", () => {
  it.skipIf(missing !== undefined)("the installed dataset's official split: 60,000 train and 10,000 test images, 6,000 and 1,000 of each class", () => {
    const { train, test } = loadFashionMnist();
    expect([train.length, test.length]).toEqual([60000, 10000]);
    for (const [split, per] of [[train, 6000], [test, 1000]] as const) {
      const counts = new Array<number>(FASHION_CLASSES.length).fill(0);
      for (const s of split) counts[s.label]!++;
      expect(counts).toEqual(new Array<number>(FASHION_CLASSES.length).fill(per));
    }
    expect(test[0]!.label).toBe(9); // the first test image is an ankle boot
    expect(test[0]!.pixels).toHaveLength(784);
  });

  it("reads idx files, gzipped or not, in file order", () => {
    const { train, test } = loadFashionMnist(dataset());
    expect(test.map((s) => s.label)).toEqual([9, 0]);
    expect(Array.from(train[1]!.pixels.subarray(0, 3))).toEqual([784 % 256, 785 % 256, 786 % 256]);
  });

  it("a missing dataset is PQ4034, naming the file and how to install it", () => {
    const d = codeOf(() => loadFashionMnist(join(tmpdir(), "pq-no-such-dataset")));
    expect(d.code).toBe("PQ4034");
    expect(d.message).toContain("pq-no-such-dataset/train-images-idx3-ubyte.gz' (no such file)");
    expect(d.hint).toContain("apt-get install dataset-fashion-mnist");
    expect(fashionMnistMissing(join(tmpdir(), "pq-no-such-dataset"))).toMatch(/^PQ4034/);
  });

  it("a malformed idx file is PQ4035, saying what is wrong", () => {
    const cases: [string, (name: string, c: Buffer) => Buffer, RegExp][] = [
      ["wrong magic", (n, c) => (n === "t10k-images" ? Buffer.concat([Buffer.from([0, 0, 8, 1]), c.subarray(4)]) : c), /magic number 0x00000801, expected 0x00000803/],
      ["truncated", (n, c) => (n === "train-images" ? c.subarray(0, c.length - 1) : c), /1583 bytes, its header announces 1584/],
      ["labels of another count", (n, c) => (n === "t10k-labels" ? idx(0x801, [3], [1, 2, 3]) : c), /dimension 0 is 3, expected 2/],
      ["a label that is no class", (n, c) => (n === "t10k-labels" ? idx(0x801, [2], [1, 10]) : c), /label 10 of image 1 is no class/],
      ["images of another size", (n, c) => (n === "t10k-images" ? idx(0x803, [1, 32, 24], new Array<number>(768).fill(0)) : c), /dimension 1 is 32, expected 28/],
    ];
    for (const [what, change, message] of cases) {
      const d = codeOf(() => loadFashionMnist(dataset(change)));
      expect(d.code, what).toBe("PQ4035");
      expect(d.message, what).toMatch(message);
    }
    const notGzip = dataset();
    writeFileSync(join(notGzip, "t10k-labels-idx1-ubyte.gz"), "plain text");
    expect(codeOf(() => loadFashionMnist(notGzip)).message).toMatch(/not gzip data/);
  });
});
