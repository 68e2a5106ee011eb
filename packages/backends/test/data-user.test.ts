import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAccessError, FormatError, encodeNpy, makeBatch } from '@mixnsqueeze/core';
import { loadDataset } from '../src/data/load-dataset.ts';
import { loadCsvTable } from '../src/data/csv-table.ts';
import { loadPngFolder } from '../src/data/png-folder.ts';
import { tempDir } from './tfjs-fixtures.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;

function png(width: number, height: number, colorType: 0 | 2, value: (i: number) => number): Buffer {
  const img = new PNG({ width, height, colorType, inputColorType: 6 });
  for (let i = 0; i < width * height; i++) {
    const v = value(i);
    img.data.set(colorType === 0 ? [v, v, v, 255] : [v, v >> 1, 7, 255], i * 4);
  }
  return PNG.sync.write(img, { colorType, inputColorType: 6 });
}

/** A `.npy` of uint8 values: numpy's header for '|u1'. */
function npyUint8(shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(values, 10 + header.length);
  return out;
}

beforeAll(async () => {
  tmp = await tempDir('mixnsqueeze-data-');
});
afterAll(() => tmp.cleanup());

describe('.npy datasets', () => {
  it('read float32 samples in [0, 1] with .npy or text labels', async () => {
    const x = makeBatch(Float32Array.from({ length: 2 * 3 * 3 * 1 }, (_, i) => i / 17), [2, 3, 3, 1]);
    await writeFile(join(tmp.dir, 'x.npy'), encodeNpy(x));
    await writeFile(join(tmp.dir, 'y.npy'), encodeNpy(makeBatch(Float32Array.from([1, 0]), [2])));
    await writeFile(join(tmp.dir, 'y.txt'), '1\n0\n');
    const a = await loadDataset(join(tmp.dir, 'x.npy'), { labels: join(tmp.dir, 'y.npy') });
    expect(a.x.data).toEqual(x.data);
    expect(a.space.shape).toEqual([3, 3, 1]);
    expect(Array.from(a.labels)).toEqual([1, 0]);
    expect(Array.from((await loadDataset(join(tmp.dir, 'x.npy'), { labels: join(tmp.dir, 'y.txt') })).labels)).toEqual([1, 0]);
  });

  it('scale uint8 pixels by 1/255', async () => {
    await writeFile(join(tmp.dir, 'u8.npy'), npyUint8([2, 2], [0, 51, 255, 102]));
    const d = await loadDataset(join(tmp.dir, 'u8.npy'), { labels: join(tmp.dir, 'y.txt') });
    expect(Array.from(d.x.data)).toEqual([0, 0.2, 1, 0.4].map(Math.fround));
  });

  it('refuse values outside [0, 1], a label count mismatch, and a missing labels file', async () => {
    await writeFile(join(tmp.dir, 'big.npy'), encodeNpy(makeBatch(Float32Array.from([0, 3]), [2, 1])));
    await expect(loadDataset(join(tmp.dir, 'big.npy'), { labels: join(tmp.dir, 'y.txt') })).rejects.toThrow(/outside \[0, 1\]/);
    await writeFile(join(tmp.dir, 'y3.txt'), '1\n0\n2\n');
    await expect(loadDataset(join(tmp.dir, 'x.npy'), { labels: join(tmp.dir, 'y3.txt') })).rejects.toThrow(FormatError);
    await expect(loadDataset(join(tmp.dir, 'x.npy'))).rejects.toThrow(/--labels/);
    await writeFile(join(tmp.dir, 'cut.npy'), encodeNpy(makeBatch(new Float32Array(8), [2, 4])).subarray(0, 100));
    await expect(loadDataset(join(tmp.dir, 'cut.npy'), { labels: join(tmp.dir, 'y.txt') })).rejects.toThrow(/truncated/);
  });
});

describe('PNG folders', () => {
  it('read grayscale and RGB PNGs listed in labels.csv, with class names', async () => {
    const gray = join(tmp.dir, 'gray');
    await mkdir(gray);
    await writeFile(join(gray, 'a.png'), png(3, 2, 0, (i) => i * 40));
    await writeFile(join(gray, 'b.png'), png(3, 2, 0, () => 255));
    await writeFile(join(gray, 'labels.csv'), 'file,label\na.png,cat\nb.png,ant\n');
    const d = await loadDataset(gray);
    expect(d.x.shape).toEqual([2, 2, 3, 1]);
    expect(d.x.data[1]).toBeCloseTo(40 / 255, 6);
    expect(d.classNames).toEqual(['ant', 'cat']);
    expect(Array.from(d.labels)).toEqual([1, 0]);

    const rgb = join(tmp.dir, 'rgb');
    await mkdir(rgb);
    await writeFile(join(rgb, 'p.png'), png(2, 2, 2, (i) => i * 60));
    await writeFile(join(rgb, 'labels.csv'), 'p.png,3\n');
    const c = await loadPngFolder(rgb);
    expect(c.x.shape).toEqual([1, 2, 2, 3]);
    expect(Array.from(c.x.data.subarray(3, 6))).toEqual([60 / 255, 30 / 255, 7 / 255].map(Math.fround));
    expect(Array.from(c.labels)).toEqual([3]);
  });

  it('refuse images of different sizes, a corrupt PNG and a missing file', async () => {
    const dir = join(tmp.dir, 'mixed');
    await mkdir(dir);
    await writeFile(join(dir, 'a.png'), png(3, 2, 0, () => 0));
    await writeFile(join(dir, 'b.png'), png(2, 2, 0, () => 0));
    await writeFile(join(dir, 'c.png'), Buffer.from('not a png'));
    await writeFile(join(dir, 'labels.csv'), 'a.png,0\nb.png,1\n');
    await expect(loadPngFolder(dir)).rejects.toThrow(/share size/);
    await writeFile(join(dir, 'labels.csv'), 'a.png,0\nc.png,1\n');
    await expect(loadPngFolder(dir)).rejects.toThrow(FormatError);
    await writeFile(join(dir, 'labels.csv'), 'a.png,0\nzz.png,1\n');
    await expect(loadPngFolder(dir)).rejects.toThrow(FileAccessError);
  });
});

describe('CSV tables', () => {
  it('read a header, a named label column anywhere, and bounds from the data', async () => {
    const p = join(tmp.dir, 't.csv');
    await writeFile(p, 'age,label,income\n30,yes,1000\n45,no,2500\n');
    const d = await loadCsvTable(p);
    expect(d.x.shape).toEqual([2, 2]);
    expect(Array.from(d.x.data)).toEqual([30, 1000, 45, 2500]);
    expect(d.classNames).toEqual(['no', 'yes']);
    expect(Array.from(d.labels)).toEqual([1, 0]);
    expect(d.space.bounds).toEqual([30, 2500]);
  });

  it('take the last column as the label without a header', async () => {
    const p = join(tmp.dir, 'n.csv');
    await writeFile(p, '0.1,0.2,1\n0.3,0.4,0\n');
    const d = await loadDataset(p);
    expect(Array.from(d.labels)).toEqual([1, 0]);
    expect(d.x.data[3]).toBeCloseTo(0.4, 6);
  });

  it('refuse a non-numeric feature and a missing file', async () => {
    const p = join(tmp.dir, 'bad.csv');
    await writeFile(p, '0.1,0.2,1\n0.3,x,0\n');
    await expect(loadCsvTable(p)).rejects.toThrow(/row 2, column 2/);
    await expect(loadDataset(join(tmp.dir, 'none.csv'))).rejects.toThrow(FileAccessError);
  });
});
