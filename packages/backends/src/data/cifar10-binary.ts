import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileAccessError, FormatError, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset, type Split } from './dataset.ts';

/** CIFAR-10's classes in label order (also their alphabetical order). */
export const CIFAR10_NAMES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const SIDE = 32;
const PLANE = SIDE * SIDE;
/** One record of the official binary version: a label byte, then the R, G and B planes (row-major). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * PLANE;

const SPLIT_FILES: Record<Split, readonly string[]> = {
  test: ['test_batch.bin'],
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
};

/**
 * The folder holding the batch files: `dir` itself or the `cifar-10-batches-bin` folder the
 * official archive unpacks to. Undefined when neither has a batch file.
 */
export function findCifar10BinaryDir(dir: string): string | undefined {
  for (const d of [dir, join(dir, 'cifar-10-batches-bin')]) {
    if ([...SPLIT_FILES.test, ...SPLIT_FILES.train].some((f) => existsSync(join(d, f)))) return d;
  }
  return undefined;
}

/** Class names from `batches.meta.txt` (one per line) when present, else CIFAR-10's. */
async function classNames(dir: string): Promise<readonly string[]> {
  const meta = join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return CIFAR10_NAMES;
  const names = (await readFile(meta, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return names.length > 0 ? names : CIFAR10_NAMES;
}

/**
 * Decodes records of the official CIFAR-10 binary format into NHWC floats in [0, 1] (v / 255),
 * checking that the file is whole records and every label names a class.
 */
export function decodeCifar10Records(bytes: Uint8Array, classes: number, name: string): { x: Float32Array; labels: Int32Array } {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new FormatError(
      `${name}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 records (1 label byte + 32x32x3 pixels). The file is truncated or not a CIFAR-10 binary batch (the Python pickles are not supported; use the binary version).`,
    );
  }
  const n = bytes.length / CIFAR10_RECORD_BYTES;
  const x = new Float32Array(n * 3 * PLANE);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = i * CIFAR10_RECORD_BYTES;
    const label = bytes[r]!;
    if (label >= classes) throw new FormatError(`${name}: record ${i} has label ${label}; expected 0-${classes - 1}. The file is not a CIFAR-10 batch.`);
    labels[i] = label;
    const o = i * 3 * PLANE;
    for (let p = 0; p < PLANE; p++) {
      x[o + 3 * p] = bytes[r + 1 + p]! / 255;
      x[o + 3 * p + 1] = bytes[r + 1 + PLANE + p]! / 255;
      x[o + 3 * p + 2] = bytes[r + 1 + 2 * PLANE + p]! / 255;
    }
  }
  return { x, labels };
}

/**
 * The official CIFAR-10 binary version (`test_batch.bin`; `data_batch_1..5.bin` for train) from
 * `dir` or its `cifar-10-batches-bin` folder, in the files' own order.
 */
export async function loadCifar10Binary(dir: string, split: Split = 'test'): Promise<Dataset> {
  const root = findCifar10BinaryDir(dir) ?? dir;
  const files = SPLIT_FILES[split];
  const missing = files.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    throw new FileAccessError(`CIFAR-10 binary folder '${root}' lacks ${missing.join(', ')} for the ${split} split. Unpack cifar-10-binary.tar.gz there.`);
  }
  const names = await classNames(root);
  const parts = await Promise.all(files.map(async (f) => decodeCifar10Records(await readFile(join(root, f)), names.length, join(root, f))));
  const n = parts.reduce((s, p) => s + p.labels.length, 0);
  const x = new Float32Array(n * 3 * PLANE);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * 3 * PLANE);
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  return {
    x: makeBatch(x, [n, SIDE, SIDE, 3]),
    labels,
    space: imageSpace(SIDE, SIDE, 3),
    classNames: names,
    description: `CIFAR-10 ${split} (official binary, ${n.toLocaleString('en-US')} images from ${root})`,
  };
}
