import { FormatError, featureSpace, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from './dataset.ts';
import { readIdxFile } from './idx.ts';
import { readLabelsFile } from './labels.ts';

/**
 * A dataset from an IDX images file (uint8 N x H x W, or N x H x W x C; scaled by 1/255) and a labels
 * file (IDX, .npy or text).
 */
export async function loadIdxDataset(imagesPath: string, labelsPath: string): Promise<Dataset> {
  const images = await readIdxFile(imagesPath);
  if (!(images.data instanceof Uint8Array) || images.dims.length < 2 || images.dims.length > 4) {
    throw new FormatError(`${imagesPath}: expected uint8 images N x H x W [x C], got ${images.dims.length}-D of another type.`);
  }
  const { labels, classNames } = await readLabelsFile(labelsPath);
  const [n, ...rest] = images.dims as number[];
  if (labels.length !== n) throw new FormatError(`${labelsPath}: ${labels.length} labels for ${n} images in ${imagesPath}. Give one label per image.`);
  const data = new Float32Array(images.data.length);
  const src = images.data;
  for (let i = 0; i < data.length; i++) data[i] = src[i]! / 255;
  const shape = rest.length === 2 ? [rest[0]!, rest[1]!, 1] : rest;
  const space = shape.length === 3 ? imageSpace(shape[0]!, shape[1]!, shape[2]!) : featureSpace(shape);
  return { x: makeBatch(data, [n!, ...shape]), labels, space, ...(classNames ? { classNames } : {}) };
}
