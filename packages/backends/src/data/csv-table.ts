import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { FileAccessError, FormatError, featureSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from './dataset.ts';
import { labelsFromText } from './labels.ts';

/** Options of reading a CSV table as a dataset. */
export interface CsvTableOptions {
  /** Column holding the class (name with a header, 0-based index without). Default: `label`, else the last column. */
  readonly labelColumn?: string | number;
  /** Feature bounds. Default: the smallest and largest value in the table. */
  readonly bounds?: readonly [number, number];
}

const isNumber = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * A tabular dataset from CSV: one row per sample, numeric feature columns and one label column
 * (integers or class names). A first row with a non-numeric feature cell is read as a header.
 */
export async function loadCsvTable(path: string, options: CsvTableOptions = {}): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(code === 'ENOENT' ? `CSV file '${path}' does not exist. Check the path.` : `cannot read '${path}': ${code}.`);
  }
  return decodeCsvTable(text, path, options);
}

/** {@link loadCsvTable} on text already read; `path` names it in messages. */
export function decodeCsvTable(text: string, path: string, options: CsvTableOptions = {}): Dataset {
  let rows: string[][];
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    throw new FormatError(`${path}: malformed CSV (${(e as Error).message.split('\n')[0]}).`);
  }
  if (rows.length === 0) throw new FormatError(`${path}: empty CSV. Expected one row per sample.`);
  const width = rows[0]!.length;
  if (width < 2) throw new FormatError(`${path}: expected at least one feature column and a label column.`);
  const header = rows[0]!.some((c, i) => !isNumber(c) && i !== width - 1) || rows[0]!.some((c) => c.toLowerCase() === 'label');
  const names = header ? rows.shift()!.map((h) => h.toLowerCase()) : undefined;
  const want = options.labelColumn;
  const labelCol =
    typeof want === 'number' ? want : want !== undefined ? (names?.indexOf(want.toLowerCase()) ?? -1) : names?.includes('label') ? names.indexOf('label') : width - 1;
  if (labelCol < 0 || labelCol >= width) {
    throw new FormatError(`${path}: label column '${String(want)}' not found${names ? ` (columns: ${names.join(', ')})` : ''}.`);
  }
  const d = width - 1;
  const n = rows.length;
  const data = new Float32Array(n * d);
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    let k = 0;
    for (let c = 0; c < width; c++) {
      if (c === labelCol) continue;
      const v = Number(row[c]);
      if (!isNumber(row[c] ?? '')) throw new FormatError(`${path}: row ${r + 1 + (header ? 1 : 0)}, column ${c + 1}: '${row[c]}' is not a number.`);
      data[r * d + k++] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const { labels, classNames } = labelsFromText(rows.map((row) => row[labelCol] ?? ''), path);
  const bounds = options.bounds ?? ([lo, hi > lo ? hi : lo + 1] as const);
  return { x: makeBatch(data, [n, d]), labels, space: featureSpace([d], bounds, { layout: 'flat' }), ...(classNames ? { classNames } : {}) };
}
