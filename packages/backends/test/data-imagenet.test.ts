import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';
import { IMAGENET_NAMES, IMAGENET_SYNSETS } from '../src/data/imagenet-classes.ts';
import { decodeImage } from '../src/data/image-files.ts';
import { imagenetInput } from '../src/data/image-resize.ts';
import { loadDataset } from '../src/data/load-dataset.ts';
import { tempDir } from './tfjs-fixtures.ts';

/**
 * ImageNet loaders on tiny generated images (never ImageNet's own, which may not be committed):
 * the labels-file and torchvision layouts, the 224 x 224 rule, and the errors a bad folder gets.
 */
let tmp: Awaited<ReturnType<typeof tempDir>>;
const S = 224 * 224 * 3;

/** An RGB PNG whose pixel (i, j) is value(i, j) (three channels). */
function png(width: number, height: number, value: (i: number, j: number) => [number, number, number], gray = false): Buffer {
  const img = new PNG({ width, height, colorType: gray ? 0 : 2, inputColorType: 6 });
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) img.data.set([...value(i, j), 255], (i * width + j) * 4);
  return PNG.sync.write(img, { colorType: gray ? 0 : 2, inputColorType: 6 });
}

function jpg(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], p * 4);
  return jpeg.encode({ data, width, height }, 95).data;
}

/** A 227 x 227 pattern in which every pixel differs from its neighbours. */
const pattern = (i: number, j: number): [number, number, number] => [(i * 7 + j) % 256, (j * 5 + 3 * i) % 256, (i * j) % 256];

beforeAll(async () => {
  tmp = await tempDir('mixnsqueeze-imagenet-');
  const labelled = join(tmp.dir, 'labelled');
  await mkdir(join(labelled, 'data'), { recursive: true });
  await writeFile(join(labelled, 'data', 'a.png'), png(227, 227, pattern));
  await writeFile(join(labelled, 'data', 'b.JPEG'), jpg(300, 400, [200, 100, 50]));
  await writeFile(join(labelled, 'data', 'c.png'), png(100, 150, () => [9, 9, 9], true));
  await writeFile(join(labelled, 'dataset.txt'), './data/a.png, 3\n./data/b.JPEG, n01443537\n\n./data/c.png, 999\n');
  const tv = join(tmp.dir, 'torchvision', 'val');
  for (const [k, id] of [IMAGENET_SYNSETS[5]!, IMAGENET_SYNSETS[2]!].entries()) {
    await mkdir(join(tv, id), { recursive: true });
    for (const f of ['x.JPEG', 'y.JPEG']) await writeFile(join(tv, id, f), jpg(256, 256, [k * 100, 0, 0]));
  }
});
afterAll(() => tmp.cleanup());

describe('ImageNet images to 224 x 224', () => {
  it('crops a 227 x 227 image centrally without resampling: pixel (i, j) is the source (i + 1, j + 1)', () => {
    const x = imagenetInput(decodeImage(png(227, 227, pattern), 'a.png'));
    for (const [i, j] of [[0, 0], [10, 200], [223, 223]] as const) {
      expect(Array.from(x.subarray((i * 224 + j) * 3, (i * 224 + j) * 3 + 3), (v) => Math.round(v * 255))).toEqual(pattern(i + 1, j + 1));
    }
  });

  it('resizes a larger image to a shorter side of 256 (antialiased), then crops: a ramp stays a ramp', () => {
    // Width 512 -> 256: output column c averages source columns 2c - 1 .. 2c + 2 with a triangle,
    // i.e. the ramp value at 2c + 0.5; the crop starts at column 16.
    const x = imagenetInput(decodeImage(png(512, 512, (_i, j) => [j >> 1, 0, 255 - (j >> 1)]), 'ramp.png'));
    for (const j of [1, 100, 222]) expect(Math.abs(x[(50 * 224 + j) * 3]! * 255 - (2 * (j + 16) + 0.5) / 2)).toBeLessThanOrEqual(1);
    expect(x.every((v) => v === Math.fround(Math.round(v * 255) / 255))).toBe(true);
  });

  it('enlarges a small image and repeats a grayscale one over three channels', () => {
    const x = imagenetInput(decodeImage(png(100, 150, () => [9, 9, 9], true), 'c.png'));
    expect(x.length).toBe(S);
    expect(new Set(x).size).toBe(1);
    expect(x[0]).toBeCloseTo(9 / 255, 7);
  });
});

describe('loadDataset on ImageNet folders', () => {
  it('reads a folder with dataset.txt in file order, labels as indices or WordNet ids, names from the built-in list', async () => {
    const d = await loadDataset(join(tmp.dir, 'labelled'));
    expect(d.x.shape).toEqual([3, 224, 224, 3]);
    expect(Array.from(d.labels)).toEqual([3, 1, 999]);
    expect(d.classNames).toBe(IMAGENET_NAMES);
    expect(d.classNames![0]).toBe('tench');
    expect(Math.round(d.x.data[S]! * 255)).toBeGreaterThan(190);
    // The same file named directly, and a labels file given beside a folder.
    expect(Array.from((await loadDataset(join(tmp.dir, 'labelled', 'dataset.txt'))).labels)).toEqual([3, 1, 999]);
    await writeFile(join(tmp.dir, 'labelled', 'other.txt'), 'data/c.png 7\n');
    expect(Array.from((await loadDataset(join(tmp.dir, 'labelled'), { labels: join(tmp.dir, 'labelled', 'other.txt') })).labels)).toEqual([7]);
  });

  it('takes the classes and their names from synset_words.txt when the folder has one', async () => {
    const dir = join(tmp.dir, 'own-classes');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.png'), png(227, 227, pattern));
    await writeFile(join(dir, 'synset_words.txt'), 'n00000001 thing one, first\nn00000002 thing two\n');
    await writeFile(join(dir, 'val.txt'), 'a.png n00000002\na.png 0\n');
    const d = await loadDataset(dir);
    expect(d.classNames).toEqual(['thing one', 'thing two']);
    expect(Array.from(d.labels)).toEqual([1, 0]);
    await writeFile(join(dir, 'val.txt'), 'a.png 2\n');
    await expect(loadDataset(dir)).rejects.toThrow(/label 2 is not a class of .*synset_words.txt \(0-1\)/);
  });

  it('reads the torchvision layout: WordNet-id folders ranked in the class list, classes interleaved', async () => {
    const d = await loadDataset(join(tmp.dir, 'torchvision'));
    expect(d.x.shape).toEqual([4, 224, 224, 3]);
    expect(Array.from(d.labels)).toEqual([2, 5, 2, 5]);
    // Label 2 is the folder of red 100 images, label 5 that of black ones.
    expect(Math.round(d.x.data[0]! * 255)).toBeGreaterThan(90);
    expect(Math.round(d.x.data[S]! * 255)).toBeLessThan(10);
    expect(d.description).toContain('2 classes');
  });

  it('refuses, with typed one-line errors, corrupt and non-image files, missing files, unknown labels and unknown class folders', async () => {
    const dir = join(tmp.dir, 'bad');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'ok.png'), png(227, 227, pattern));
    await writeFile(join(dir, 'cut.JPEG'), jpg(227, 227, [1, 2, 3]).subarray(0, 300));
    await writeFile(join(dir, 'notes.JPEG'), 'not an image');
    const cases: [string, new (m: string) => Error, RegExp][] = [
      ['ok.png, 0\ncut.JPEG, 1\n', FormatError, /cut\.JPEG: not a readable JPEG/],
      ['notes.JPEG, 1\n', FormatError, /neither a PNG nor a JPEG/],
      ['missing.png, 1\n', FileAccessError, /line 1: image .*missing\.png' does not exist/],
      ['ok.png, 1000\n', FormatError, /label 1000 .*TensorFlow's 1001-class order/],
      ['ok.png, cat\n', FormatError, /label 'cat' is neither a class index nor a WordNet id/],
      ['ok.png\n', FormatError, /line 1: expected 'path, label'/],
      ['', FormatError, /no images listed/],
    ];
    for (const [text, type, message] of cases) {
      await writeFile(join(dir, 'dataset.txt'), text);
      const e = await loadDataset(dir).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(type);
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).not.toContain('\n');
    }
    const tv = join(tmp.dir, 'tv-bad');
    await mkdir(join(tv, 'n99999999'), { recursive: true });
    await writeFile(join(tv, 'n99999999', 'x.png'), png(227, 227, pattern));
    await expect(loadDataset(tv)).rejects.toThrow(/'n99999999' is not a class of ImageNet-1k/);
  });
});
