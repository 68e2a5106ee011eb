import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';
import { CIFAR10_NAMES, CIFAR10_RECORD_BYTES, loadCifar10Binary } from '../src/data/cifar10-binary.ts';
import { decodePng } from '../src/data/image-files.ts';
import { loadImageFolder } from '../src/data/image-folder.ts';
import { datasetLabel, loadDataset } from '../src/data/load-dataset.ts';
import { tempDir } from './tfjs-fixtures.ts';

const FIXTURES = fileURLToPath(new URL('fixtures/cifar10-test-png/', import.meta.url));
let tmp: Awaited<ReturnType<typeof tempDir>>;

/** CIFAR-10 binary records: label, then the R, G, B planes; pixel p of record i is (i + p + plane * 7) mod 256. */
function records(labels: number[]): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR10_RECORD_BYTES);
  labels.forEach((l, i) => {
    const r = i * CIFAR10_RECORD_BYTES;
    out[r] = l;
    for (let plane = 0; plane < 3; plane++) for (let p = 0; p < 1024; p++) out[r + 1 + plane * 1024 + p] = (i + p + plane * 7) % 256;
  });
  return out;
}

async function fixtureFiles(): Promise<{ file: string; index: number; label: number }[]> {
  return (await readdir(FIXTURES))
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((file) => {
      const [, index, label] = /^cifar10_(\d+)_(\d)\.png$/.exec(file)!;
      return { file, index: Number(index), label: Number(label) };
    });
}

/** The fixtures in the `test/<class>/NNNN.<ext>` layout of CIFAR-10 image exports, as PNG or re-encoded JPEG. */
async function classFolder(name: string, format: 'png' | 'jpg'): Promise<string> {
  const root = join(tmp.dir, name);
  for (const { file, index, label } of await fixtureFiles()) {
    const dir = join(root, 'test', CIFAR10_NAMES[label]!);
    await mkdir(dir, { recursive: true });
    const target = join(dir, `${String(index).padStart(4, '0')}.${format}`);
    if (format === 'png') await copyFile(join(FIXTURES, file), target);
    else {
      const png = decodePng(await readFile(join(FIXTURES, file)), file);
      await writeFile(target, jpeg.encode({ data: png.rgba, width: 32, height: 32 }, 90).data);
    }
  }
  return root;
}

beforeAll(async () => {
  tmp = await tempDir('mixnsqueeze-cifar-');
});
afterAll(() => tmp.cleanup());

describe('CIFAR-10 binary batches', () => {
  it('reads records into NHWC [0, 1] with labels, from the folder or its cifar-10-batches-bin', async () => {
    const dir = join(tmp.dir, 'bin', 'cifar-10-batches-bin');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'test_batch.bin'), records([3, 8, 0]));
    const d = await loadDataset(join(tmp.dir, 'bin'));
    expect(d.x.shape).toEqual([3, 32, 32, 3]);
    expect(Array.from(d.labels)).toEqual([3, 8, 0]);
    expect(d.classNames).toEqual(CIFAR10_NAMES);
    expect(d.description).toMatch(/^CIFAR-10 test \(official binary, 3 images/);
    // record 1, pixel (row 2, column 5) = p 69: R (1 + 69), G (+7), B (+14)
    const o = (1 * 1024 + 69) * 3;
    expect(Array.from(d.x.data.subarray(o, o + 3)).map((v) => Math.round(v * 255))).toEqual([70, 77, 84]);
  });

  it('joins data_batch_1..5 for the train split and takes class names from batches.meta.txt', async () => {
    const dir = join(tmp.dir, 'train');
    await mkdir(dir, { recursive: true });
    for (let b = 1; b <= 5; b++) await writeFile(join(dir, `data_batch_${b}.bin`), records([b, b - 1]));
    await writeFile(join(dir, 'batches.meta.txt'), `${CIFAR10_NAMES.map((n) => n.toUpperCase()).join('\n')}\n\n`);
    const d = await loadCifar10Binary(dir, 'train');
    expect(Array.from(d.labels)).toEqual([1, 0, 2, 1, 3, 2, 4, 3, 5, 4]);
    expect(d.classNames?.[0]).toBe('AIRPLANE');
    await expect(loadCifar10Binary(dir, 'test')).rejects.toThrow(FileAccessError);
  });

  it('refuses truncated files and labels out of range, naming the file', async () => {
    const dir = join(tmp.dir, 'bad');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'test_batch.bin'), records([1, 2]).subarray(0, CIFAR10_RECORD_BYTES + 100));
    await expect(loadDataset(dir)).rejects.toThrow(FormatError);
    await expect(loadDataset(dir)).rejects.toThrow(/test_batch\.bin: 3173 bytes is not a whole number of 3073-byte/);
    await writeFile(join(dir, 'test_batch.bin'), records([1, 10]));
    await expect(loadDataset(dir)).rejects.toThrow(/record 1 has label 10; expected 0-9/);
  });
});

describe('image folders (one subfolder per class)', () => {
  it('reads the lossless CIFAR-10 test PNGs with CIFAR labels, interleaving classes', async () => {
    const root = await classFolder('png', 'png');
    const d = await loadDataset(root);
    expect(d.x.shape).toEqual([20, 32, 32, 3]);
    expect(d.classNames).toEqual(CIFAR10_NAMES);
    expect(d.description).toMatch(/^PNG CIFAR-10 test \(20 images from /);
    // first file of every class in label order, then the second, ...
    const files = await fixtureFiles();
    const byClass = CIFAR10_NAMES.map((_, c) => files.filter((f) => f.label === c));
    const expected: number[] = [];
    for (let rank = 0; expected.length < 20; rank++) byClass.forEach((f) => f[rank] && expected.push(f[rank]!.index));
    expect(Array.from(d.labels)).toEqual(expected.map((i) => files.find((f) => f.index === i)!.label));
    const first = decodePng(await readFile(join(FIXTURES, files.find((f) => f.index === expected[0])!.file)), 'first');
    expect(Math.round(d.x.data[5]! * 255)).toBe(first.rgba[6]);
  });

  it('reads JPEG class folders; the lossy copies stay within a few levels of the PNGs', async () => {
    const png = await loadImageFolder(await classFolder('png2', 'png'));
    const jpg = await loadImageFolder(await classFolder('jpg', 'jpg'));
    expect(jpg.description).toMatch(/^JPEG CIFAR-10 test/);
    expect(datasetLabel(join(tmp.dir, 'jpg'))).toBe('JPEG CIFAR-10 test');
    expect(datasetLabel(join(tmp.dir, 'bin'))).toBe('CIFAR-10 test (official binary)');
    expect(datasetLabel('mnist')).toBe('mnist test');
    expect(Array.from(jpg.labels)).toEqual(Array.from(png.labels));
    let sum = 0;
    for (let i = 0; i < png.x.data.length; i++) sum += Math.abs(png.x.data[i]! - jpg.x.data[i]!);
    expect(sum / png.x.data.length).toBeLessThan(6 / 255);
  });

  it('fails on a corrupt image or a size mismatch with a FormatError naming the file', async () => {
    const root = join(tmp.dir, 'corrupt');
    await mkdir(join(root, 'a'), { recursive: true });
    await mkdir(join(root, 'b'), { recursive: true });
    await copyFile(join(FIXTURES, 'cifar10_00_3.png'), join(root, 'a', '1.png'));
    await writeFile(join(root, 'b', '1.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    await expect(loadDataset(root)).rejects.toThrow(/b\/1\.jpg: not a readable JPEG/);
    await writeFile(join(root, 'b', '1.jpg'), jpeg.encode({ data: new Uint8Array(16 * 16 * 4), width: 16, height: 16 }, 90).data);
    await expect(loadDataset(root)).rejects.toThrow(/b\/1\.jpg: 16x16x3 differs from the first image's 32x32x3/);
    await writeFile(join(root, 'b', '1.jpg'), 'not an image');
    await expect(loadDataset(root)).rejects.toThrow(FormatError);
    await expect(loadDataset(root)).rejects.toThrow(/neither a PNG nor a JPEG/);
  });

  it('says what a folder should hold when it is none of the known layouts', async () => {
    const root = join(tmp.dir, 'empty', 'sub');
    await mkdir(root, { recursive: true });
    await expect(loadDataset(join(tmp.dir, 'empty'))).rejects.toThrow(/test_batch\.bin.*class subfolders of \.png\/\.jpg files/);
  });
});
