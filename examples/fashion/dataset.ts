// Fashion-MNIST loader for the examples and their tests.
//
// The data is never fetched at run time: Debian's package `dataset-fashion-mnist`
// (`apt-get install dataset-fashion-mnist`; .ci/run installs it) puts Zalando's four idx
// files, gzipped, in /usr/share/datasets/fashion-mnist. A missing file is PQ4034 (how to
// install it), a malformed one PQ4035. The split is the dataset's own, in file order:
//
//   train = train-images-idx3-ubyte(.gz) with train-labels-idx1-ubyte(.gz): 60,000 images;
//   test  = t10k-images-idx3-ubyte(.gz)  with t10k-labels-idx1-ubyte(.gz):  10,000 images.
//
// Images are 28x28 bytes, 0 = background, like the MNIST examples' (`Sample`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { diag, fileReason, formatDiagnostic, PqError } from '../../grammar/diagnostics.js';
import { IMAGE_SIZE, PIXELS, type Sample } from '../mnist/dataset.js';

/**
 * Where Debian's `dataset-fashion-mnist` installs the idx files; the environment variable
 * PQ_FASHION_DIR names another directory (tests point it at a missing one).
 */
export const FASHION_DIR = process.env.PQ_FASHION_DIR ?? '/usr/share/datasets/fashion-mnist';

/** Class names, in label order (Zalando's README). */
export const FASHION_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** idx magic numbers: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions. */
const IDX_LABELS = 0x00000801;
const IDX_IMAGES = 0x00000803;

/** The file's bytes, gunzipped: `name.gz` as Debian ships it, else `name` as unpacked by hand. */
function readIdx(dir: string, name: string): { path: string; bytes: Buffer } {
  const gz = join(dir, `${name}.gz`);
  try {
    const packed = readFileSync(gz);
    try {
      return { path: gz, bytes: gunzipSync(packed) };
    } catch (e) {
      throw new PqError(diag('PQ4035', { path: gz, reason: `not gzip data (${(e as Error).message})` }));
    }
  } catch (e) {
    if (e instanceof PqError) throw e;
    const plain = join(dir, name);
    try {
      return { path: plain, bytes: readFileSync(plain) };
    } catch {
      throw new PqError(diag('PQ4034', { path: gz, reason: fileReason(e) }));
    }
  }
}

/** The idx payload after checking its magic number and dimensions against `dims` (null: any count). */
function idxPayload(file: { path: string; bytes: Buffer }, magic: number, dims: (number | null)[]): { count: number; data: Buffer } {
  const { path, bytes } = file;
  const bad = (reason: string): never => {
    throw new PqError(diag('PQ4035', { path, reason }));
  };
  const header = 4 + 4 * dims.length;
  if (bytes.length < header) bad(`${bytes.length} bytes is shorter than its header`);
  const got = bytes.readUInt32BE(0);
  if (got !== magic) bad(`magic number 0x${got.toString(16).padStart(8, '0')}, expected 0x${magic.toString(16).padStart(8, '0')}`);
  const sizes = dims.map((_, i) => bytes.readUInt32BE(4 + 4 * i));
  dims.forEach((d, i) => {
    if (d !== null && sizes[i] !== d) bad(`dimension ${i} is ${sizes[i]}, expected ${d}`);
  });
  const expected = header + sizes.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) bad(`${bytes.length} bytes, its header announces ${expected}`);
  return { count: sizes[0]!, data: bytes.subarray(header) };
}

/** One split: `prefix`-images-idx3-ubyte with `prefix`-labels-idx1-ubyte, in file order. */
function loadSplit(dir: string, prefix: 'train' | 't10k'): Sample[] {
  const images = idxPayload(readIdx(dir, `${prefix}-images-idx3-ubyte`), IDX_IMAGES, [null, IMAGE_SIZE, IMAGE_SIZE]);
  const labelsFile = readIdx(dir, `${prefix}-labels-idx1-ubyte`);
  const labels = idxPayload(labelsFile, IDX_LABELS, [images.count]);
  const samples: Sample[] = [];
  for (let i = 0; i < images.count; i++) {
    const label = labels.data[i]!;
    if (label >= FASHION_CLASSES.length) {
      throw new PqError(diag('PQ4035', { path: labelsFile.path, reason: `label ${label} of image ${i} is no class (0..${FASHION_CLASSES.length - 1})` }));
    }
    samples.push({ pixels: Uint8Array.from(images.data.subarray(i * PIXELS, (i + 1) * PIXELS)), label });
  }
  return samples;
}

/** The official split: 60,000 train and 10,000 test images, each in file order. */
export function loadFashionMnist(dir: string = FASHION_DIR): { train: Sample[]; test: Sample[] } {
  return { train: loadSplit(dir, 'train'), test: loadSplit(dir, 't10k') };
}

/** For the example scripts: the split, or on a PQ4034/PQ4035 the diagnostic on stderr (no stack trace) and exit 1. */
export function loadFashionMnistOrExit(dir: string = FASHION_DIR): { train: Sample[]; test: Sample[] } {
  try {
    return loadFashionMnist(dir);
  } catch (e) {
    if (!(e instanceof PqError)) throw e;
    for (const d of e.diagnostics) console.error(formatDiagnostic(d));
    process.exit(1);
  }
}

/** Why the test split cannot be loaded from `dir` (the PQ4034/PQ4035 message), or undefined when it can: tests skip on it. */
export function fashionMnistMissing(dir: string = FASHION_DIR): string | undefined {
  try {
    loadSplit(dir, 't10k');
    return undefined;
  } catch (e) {
    if (e instanceof PqError) return e.message;
    throw e;
  }
}
