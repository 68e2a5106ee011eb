import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';
import { type CsvTableOptions, loadCsvTable } from './csv-table.ts';
import { type Dataset, type Split } from './dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadIdxDataset } from './idx-dataset.ts';
import { loadMnist } from './mnist.ts';
import { loadNpyDataset } from './npy-dataset.ts';
import { PNG_LABELS_FILE, loadPngFolder } from './png-folder.ts';

/** Ids of the built-in datasets (the same words as the zoo's model ids). */
export const DATASET_IDS = ['mnist', 'fashion-mnist'] as const;
export type DatasetId = (typeof DATASET_IDS)[number];

export function isDatasetId(s: string): s is DatasetId {
  return (DATASET_IDS as readonly string[]).includes(s);
}

export interface BuiltinDatasetOptions {
  readonly split?: Split;
  /** Directory of Fashion-MNIST's IDX files (default: the Debian package's). */
  readonly dataDir?: string;
}

/** A built-in dataset by id: `mnist` (embedded) or `fashion-mnist` (IDX files on disk). */
export async function loadBuiltinDataset(id: DatasetId, options: BuiltinDatasetOptions = {}): Promise<Dataset> {
  const split = options.split ?? 'test';
  return id === 'mnist' ? loadMnist(split) : loadFashionMnist(split, options.dataDir);
}

export interface LoadDatasetOptions extends BuiltinDatasetOptions, CsvTableOptions {
  /** Labels file for an `.npy` or IDX images file (.npy, IDX, or text). */
  readonly labels?: string;
}

const IDX_IMAGES = /idx[34]-ubyte(\.gz)?$/;

/**
 * A dataset by id or path: `mnist`, `fashion-mnist` (test split unless told), a CSV table, an
 * `.npy` or IDX images file with `labels`, or a folder holding either PNGs and `labels.csv` or an
 * IDX pair `*-images-idx3-ubyte[.gz]` / `*-labels-idx1-ubyte[.gz]`.
 */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  if (isDatasetId(spec)) return loadBuiltinDataset(spec, options);
  if (!existsSync(spec)) {
    throw new FileAccessError(`dataset '${spec}' is neither a built-in id (${DATASET_IDS.join(', ')}) nor an existing path.`);
  }
  if (statSync(spec).isDirectory()) {
    if (existsSync(join(spec, PNG_LABELS_FILE))) return loadPngFolder(spec);
    const split = options.split === 'train' ? 'train' : 't10k';
    for (const gz of ['.gz', '']) {
      const images = join(spec, `${split}-images-idx3-ubyte${gz}`);
      const labels = join(spec, `${split}-labels-idx1-ubyte${gz}`);
      if (existsSync(images) && existsSync(labels)) return loadIdxDataset(images, labels);
    }
    throw new FormatError(
      `dataset folder '${spec}' holds neither ${PNG_LABELS_FILE} (PNG folder) nor ${split}-images-idx3-ubyte[.gz] with ${split}-labels-idx1-ubyte[.gz].`,
    );
  }
  const ext = extname(spec).toLowerCase();
  if (ext === '.csv') return loadCsvTable(spec, options);
  if (ext === '.npy' || IDX_IMAGES.test(spec)) {
    if (!options.labels) throw new FormatError(`dataset '${spec}': pass a labels file (--labels) with one label per sample.`);
    return ext === '.npy' ? loadNpyDataset(spec, options.labels) : loadIdxDataset(spec, options.labels);
  }
  throw new FormatError(`dataset '${spec}': unsupported file type; expected .csv, .npy, an IDX images file, or a folder.`);
}
