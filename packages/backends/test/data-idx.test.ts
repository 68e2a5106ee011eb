import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';
import { decodeIdx, readIdxFile } from '../src/data/idx.ts';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../src/data/fashion-mnist.ts';
import { loadDataset } from '../src/data/load-dataset.ts';
import { tempDir } from './tfjs-fixtures.ts';

/** Encodes an IDX file: magic 00 00 type ndims, big-endian dims, big-endian values. */
function encodeIdx(type: number, dims: number[], values: number[]): Uint8Array {
  const width = { 0x08: 1, 0x0c: 4, 0x0d: 4 }[type]!;
  const out = new Uint8Array(4 + 4 * dims.length + values.length * width);
  const v = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const o = 4 + 4 * dims.length;
  values.forEach((x, i) => {
    if (type === 0x08) v.setUint8(o + i, x);
    else if (type === 0x0c) v.setInt32(o + 4 * i, x, false);
    else v.setFloat32(o + 4 * i, x, false);
  });
  return out;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);

beforeAll(async () => {
  tmp = await tempDir('mixnsqueeze-idx-');
  await writeFile(join(tmp.dir, 't10k-images-idx3-ubyte.gz'), gzipSync(encodeIdx(0x08, [3, 2, 2], pixels)));
  await writeFile(join(tmp.dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx(0x08, [3], [2, 0, 1])));
});
afterAll(() => tmp.cleanup());

describe('IDX files', () => {
  it('decode uint8, int32 and float32 arrays big-endian', () => {
    expect(decodeIdx(encodeIdx(0x08, [2, 2], [1, 2, 3, 4]))).toEqual({ dims: [2, 2], data: Uint8Array.from([1, 2, 3, 4]) });
    expect(Array.from(decodeIdx(encodeIdx(0x0c, [3], [-1, 70000, 5])).data)).toEqual([-1, 70000, 5]);
    expect(Array.from(decodeIdx(encodeIdx(0x0d, [2], [0.5, -2])).data)).toEqual([0.5, -2]);
  });

  it('refuse a wrong magic number and a truncated or overlong file with a FormatError', () => {
    const good = encodeIdx(0x08, [2, 2], [1, 2, 3, 4]);
    expect(() => decodeIdx(Uint8Array.from([0x50, 0x4b, 3, 4, ...good.subarray(4)]))).toThrow(FormatError);
    expect(() => decodeIdx(Uint8Array.from([0, 0, 0x07, 2, ...good.subarray(4)]))).toThrow(/not an IDX file/);
    expect(() => decodeIdx(good.subarray(0, good.length - 1))).toThrow(/truncated/);
    expect(() => decodeIdx(good.subarray(0, 6))).toThrow(FormatError);
    expect(() => decodeIdx(Uint8Array.from([...good, 0]))).toThrow(FormatError);
  });

  it('read gzipped files, and a missing file is a FileAccessError', async () => {
    const a = await readIdxFile(join(tmp.dir, 't10k-labels-idx1-ubyte.gz'));
    expect(Array.from(a.data)).toEqual([2, 0, 1]);
    await expect(readIdxFile(join(tmp.dir, 'none'))).rejects.toThrow(FileAccessError);
  });

  it('load as a dataset folder (t10k pair) scaled to [0, 1], NHWC', async () => {
    const d = await loadDataset(tmp.dir);
    expect(d.x.shape).toEqual([3, 2, 2, 1]);
    expect(d.x.data[1]).toBeCloseTo(20 / 255, 7);
    expect(Array.from(d.labels)).toEqual([2, 0, 1]);
  });
});

describe('Fashion-MNIST', () => {
  it('reads IDX files from --data-dir', async () => {
    const d = await loadFashionMnist('test', tmp.dir);
    expect(d.x.shape).toEqual([3, 2, 2, 1]);
    expect(d.classNames).toHaveLength(10);
  });

  it('says how to install it when the files are absent', async () => {
    await expect(loadFashionMnist('train', tmp.dir)).rejects.toThrow(FileAccessError);
    await expect(loadFashionMnist('train', tmp.dir)).rejects.toThrow(/apt-get install dataset-fashion-mnist.*--data-dir/);
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR))('loads the Debian package: 10,000 test images, 28x28x1, balanced classes', async () => {
    const d = await loadFashionMnist('test');
    expect(d.x.shape).toEqual([10000, 28, 28, 1]);
    const counts = new Array<number>(10).fill(0);
    for (const l of d.labels) counts[l]!++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });
});
