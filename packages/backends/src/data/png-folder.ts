import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FormatError, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from './dataset.ts';
import { decodeImage, readOrThrow } from './image-files.ts';
import { labelsFromText } from './labels.ts';

/** Name of the labels table a PNG folder must hold. */
export const PNG_LABELS_FILE = 'labels.csv';

/**
 * A folder of PNG (or JPEG) images with `labels.csv`: rows `file,label` (a header row naming the columns
 * `file` and `label` is optional), file names relative to the folder, labels integers or class
 * names. All images must share size and channel count; values are scaled to [0, 1].
 */
export async function loadPngFolder(dir: string): Promise<Dataset> {
  const csvPath = join(dir, PNG_LABELS_FILE);
  const rows = parse(await readOrThrow(csvPath, 'labels table'), { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  let fileCol = 0;
  let labelCol = 1;
  const head = rows[0]?.map((h) => h.toLowerCase()) ?? [];
  if (head.includes('file') && head.includes('label')) {
    fileCol = head.indexOf('file');
    labelCol = head.indexOf('label');
    rows.shift();
  }
  if (rows.length === 0) throw new FormatError(`${csvPath}: no rows. Expected lines 'file,label'.`);
  const { labels, classNames } = labelsFromText(rows.map((r) => r[labelCol] ?? ''), csvPath);
  let data: Float32Array | undefined;
  let shape: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < rows.length; i++) {
    const file = rows[i]![fileCol];
    if (!file) throw new FormatError(`${csvPath}: row ${i + 1} names no file.`);
    const path = join(dir, file);
    const img = decodeImage(await readOrThrow(path, 'image'), path);
    if (!data) {
      shape = [img.height, img.width, img.channels];
      data = new Float32Array(rows.length * img.height * img.width * img.channels);
    } else if (img.height !== shape[0] || img.width !== shape[1] || img.channels !== shape[2]) {
      throw new FormatError(
        `${path}: ${img.height}x${img.width}x${img.channels} differs from the first image's ${shape.join('x')}. All images must share size and channels.`,
      );
    }
    const c = img.channels;
    const pixels = img.height * img.width;
    const o = i * pixels * c;
    const rgba = img.rgba;
    for (let p = 0; p < pixels; p++) {
      for (let ch = 0; ch < c; ch++) data[o + p * c + ch] = rgba[p * 4 + ch]! / 255;
    }
  }
  return { x: makeBatch(data!, [rows.length, ...shape]), labels, space: imageSpace(...shape), ...(classNames ? { classNames } : {}) };
}
