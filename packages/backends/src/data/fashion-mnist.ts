import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileAccessError, FormatError, imageSpace } from '@mixnsqueeze/core';
import { type Dataset, type Split, pixelsToBatch } from './dataset.ts';
import { readIdxFile } from './idx.ts';

/** Where the Debian package `dataset-fashion-mnist` installs the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST class names by label. */
export const FASHION_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

function findFile(dir: string, stem: string): string | undefined {
  for (const name of [`${stem}.gz`, stem]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Fashion-MNIST from its IDX files (`train-*` 60,000 and `t10k-*` 10,000 images, gzipped or not)
 * in `dataDir`, by default the Debian package's directory.
 */
export async function loadFashionMnist(split: Split = 'test', dataDir = FASHION_MNIST_DIR): Promise<Dataset> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesPath = findFile(dataDir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findFile(dataDir, `${prefix}-labels-idx1-ubyte`);
  if (!imagesPath || !labelsPath) {
    throw new FileAccessError(
      `Fashion-MNIST ${split} files (${prefix}-images-idx3-ubyte[.gz], ${prefix}-labels-idx1-ubyte[.gz]) not found in '${dataDir}'. Run 'apt-get install dataset-fashion-mnist' or pass --data-dir <dir>.`,
    );
  }
  const images = await readIdxFile(imagesPath);
  const labels = await readIdxFile(labelsPath);
  const [n, h, w] = images.dims;
  if (images.dims.length !== 3 || !(images.data instanceof Uint8Array)) {
    throw new FormatError(`${imagesPath}: expected uint8 images N x 28 x 28, got ${images.dims.length}-D.`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new FormatError(`${labelsPath}: expected ${n} labels to match the images, got [${labels.dims.join(', ')}].`);
  }
  return {
    x: pixelsToBatch(images.data, n!, h!, w!, 1),
    labels: Int32Array.from(labels.data),
    space: imageSpace(h!, w!, 1),
    classNames: FASHION_NAMES,
  };
}
