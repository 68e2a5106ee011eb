import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FileAccessError, FormatError, decodeNpy } from '@mixnsqueeze/core';
import { readIdxFile } from './idx.ts';

/** Integer class labels, with names when the source named its classes. */
export interface Labels {
  /** Class index of each sample. */
  readonly labels: Int32Array;
  /** Class names by index, when the source used names. */
  readonly classNames?: readonly string[];
}

/** The largest class index a label may hold (an Int32Array's largest value). */
const MAX_LABEL = 2 ** 31 - 1;

/**
 * Reads labels from text: all integers stay integers; otherwise the distinct names, sorted, become
 * classes 0..K-1 and are returned as class names.
 */
export function labelsFromText(values: readonly string[], name: string): Labels {
  const trimmed = values.map((v) => v.trim());
  if (trimmed.every((v) => /^-?\d+$/.test(v))) {
    // Checked before the Int32Array, which would wrap 4294967297 round to 1.
    if (trimmed.some((v) => !(Number(v) >= 0 && Number(v) <= MAX_LABEL))) {
      throw new FormatError(`${name}: class labels must be integers from 0 to ${MAX_LABEL}.`);
    }
    const labels = Int32Array.from(trimmed, Number);
    return { labels };
  }
  if (trimmed.some((v) => v === '')) throw new FormatError(`${name}: empty label. Give every sample a label.`);
  const classNames = [...new Set(trimmed)].sort();
  const index = new Map(classNames.map((c, i) => [c, i]));
  return { labels: Int32Array.from(trimmed, (v) => index.get(v)!), classNames };
}

function integerLabels(values: ArrayLike<number>, name: string): Labels {
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > MAX_LABEL) throw new FormatError(`${name}: label ${i} is ${v}; expected integers from 0 to ${MAX_LABEL}.`);
    labels[i] = v;
  }
  return { labels };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(code === 'ENOENT' ? `labels file '${path}' does not exist. Check the path.` : `cannot read '${path}': ${code}.`);
  }
}

/** Labels from `.npy`, an IDX file (labels-idx1-ubyte[.gz]), or text: one per line or a CSV column `label`. */
export async function readLabelsFile(path: string): Promise<Labels> {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new FileAccessError(`cannot read labels '${path}': ${(e as NodeJS.ErrnoException).code}.`);
    }
    const b = decodeNpy(new Uint8Array(bytes), path);
    if (b.shape.length !== 1) throw new FormatError(`${path}: expected a 1-D array of labels, got shape [${b.shape.join(', ')}].`);
    return integerLabels(b.data, path);
  }
  if (ext === '.csv' || ext === '.txt') {
    let rows: string[][];
    try {
      rows = parse(await readText(path), { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
    } catch (e) {
      if (e instanceof FileAccessError) throw e;
      throw new FormatError(`${path}: malformed labels (${(e as Error).message.split('\n')[0]}). Give one label per line.`);
    }
    const header = rows[0]?.map((h) => h.toLowerCase()) ?? [];
    const col = header.indexOf('label');
    return col >= 0 ? labelsFromText(rows.slice(1).map((r) => r[col] ?? ''), path) : labelsFromText(rows.map((r) => r[r.length - 1] ?? ''), path);
  }
  const idx = await readIdxFile(path);
  if (idx.dims.length !== 1) throw new FormatError(`${path}: expected 1-D IDX labels, got [${idx.dims.join(', ')}].`);
  return integerLabels(idx.data, path);
}
