import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FormatError, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from './dataset.ts';
import { decodeImageStack, readOrThrow } from './image-files.ts';
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
  const paths = rows.map((r, i) => {
    const file = r[fileCol];
    if (!file) throw new FormatError(`${csvPath}: row ${i + 1} names no file.`);
    return join(dir, file);
  });
  const { data, shape } = await decodeImageStack(paths);
  return { x: makeBatch(data, [rows.length, ...shape]), labels, space: imageSpace(...shape), ...(classNames ? { classNames } : {}) };
}
