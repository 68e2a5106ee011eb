import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';
import { loadMnist } from '../src/data/mnist.ts';
import { MNIST_FILES, mnistDataDir, readMnistFiles } from '../src/data/mnist-files.ts';

describe('built-in MNIST: the official split', () => {
  it('test is the 10,000 t10k digits in official order, with the official class counts', () => {
    const test = loadMnist('test');
    expect(test.x.shape).toEqual([10000, 28, 28, 1]);
    expect(test.labels).toHaveLength(10000);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = new Array<number>(10).fill(0);
    for (const l of test.labels) counts[l]!++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(test.space.shape).toEqual([28, 28, 1]);
    expect(test.space.bounds).toEqual([0, 1]);
    expect(test.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('train is the 60,000 training digits in official order', () => {
    const train = loadMnist('train');
    expect(train.x.shape).toEqual([60000, 28, 28, 1]);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  });

  it('pixels are exactly k/255 of the file bytes, in [0, 1], with both ends reached', () => {
    const bytes = readFileSync(join(mnistDataDir(), MNIST_FILES.test.images.name)).subarray(16);
    const x = loadMnist('test').x.data;
    expect(x).toHaveLength(bytes.length);
    let mismatches = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== Math.fround(bytes[i]! / 255)) mismatches++;
      min = Math.min(min, x[i]!);
      max = Math.max(max, x[i]!);
    }
    expect(mismatches).toBe(0);
    expect([min, max]).toEqual([0, 1]);
  });

  it('hands each caller its own arrays, so an in-place edit does not leak into the next load', () => {
    const a = loadMnist('test');
    a.x.data[300] = 0.5;
    a.labels[0] = 3;
    const b = loadMnist('test');
    expect(b.x.data[300]).not.toBe(0.5);
    expect(b.labels[0]).toBe(7);
  });
});

describe('built-in MNIST: damaged files are typed errors naming the file', () => {
  const root = mkdtempSync(join(tmpdir(), 'mnist-verify-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  /** A fresh copy of the small t10k files in its own directory (no cache entry can alias it). */
  function copyT10k(): { dir: string; images: string; labels: string } {
    const dir = mkdtempSync(join(root, 'case-'));
    const images = join(dir, MNIST_FILES.test.images.name);
    const labels = join(dir, MNIST_FILES.test.labels.name);
    copyFileSync(join(mnistDataDir(), MNIST_FILES.test.images.name), images);
    copyFileSync(join(mnistDataDir(), MNIST_FILES.test.labels.name), labels);
    return { dir, images, labels };
  }

  function patch(path: string, offset: number, value: number): void {
    const b = readFileSync(path);
    b[offset] = value;
    writeFileSync(path, b);
  }

  function errorOf(f: () => unknown): Error {
    try {
      f();
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected an error');
  }

  it('an intact copy in another directory loads like the package', () => {
    const { dir } = copyT10k();
    expect(Array.from(loadMnist('test', { dir }).labels.subarray(0, 3))).toEqual([7, 2, 1]);
  });

  it('a truncated file: FormatError with found and expected sizes', () => {
    const { dir, images } = copyT10k();
    truncateSync(images, 7_000_000);
    const e = errorOf(() => readMnistFiles('test', dir));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain(images);
    expect(e.message).toMatch(/has 7000000 bytes .*expected 7840016/);
    expect(e.message).not.toContain('\n');
  });

  it('one flipped pixel byte: FormatError with the sha256 mismatch', () => {
    const { dir, images } = copyT10k();
    const b = readFileSync(images);
    patch(images, 5000, b[5000]! ^ 0x01);
    const e = errorOf(() => loadMnist('test', { dir }));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain(images);
    expect(e.message).toContain(`expected ${MNIST_FILES.test.images.sha256}`);
  });

  it('a wrong magic: FormatError quoting the magic', () => {
    const { dir, labels } = copyT10k();
    patch(labels, 2, 0x09);
    const e = errorOf(() => readMnistFiles('test', dir));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain(labels);
    expect(e.message).toMatch(/magic 00 00 09 01, expected 00 00 08 01/);
  });

  it('a header declaring other dims: FormatError with both dims', () => {
    const { dir, images } = copyT10k();
    // 10,000 -> 9,999 images, same file size: only the dims check (or the hash) can see it.
    patch(images, 7, 0x0f);
    const e = errorOf(() => readMnistFiles('test', dir));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/declares dims 9999 x 28 x 28, expected 10000 x 28 x 28/);
  });

  it('a label past 9: FormatError naming the index', () => {
    const { dir, labels } = copyT10k();
    patch(labels, 8 + 42, 10);
    const e = errorOf(() => readMnistFiles('test', dir));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain(labels);
    expect(e.message).toMatch(/label 10 at index 42, expected 0\.\.9/);
  });

  it('a missing file: FileAccessError saying what to do', () => {
    const { dir, images } = copyT10k();
    rmSync(images);
    const e = errorOf(() => loadMnist('test', { dir }));
    expect(e).toBeInstanceOf(FileAccessError);
    expect(e.message).toContain(images);
    expect(e.message).toMatch(/does not exist; .*npm ci/);
  });

  it('a failed load is not cached: restoring the file makes the same directory load', () => {
    const { dir, images } = copyT10k();
    rmSync(images);
    expect(() => loadMnist('test', { dir })).toThrow(FileAccessError);
    copyFileSync(join(mnistDataDir(), MNIST_FILES.test.images.name), images);
    expect(loadMnist('test', { dir }).labels).toHaveLength(10000);
  });
});
