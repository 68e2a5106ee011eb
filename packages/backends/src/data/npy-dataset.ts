import { readFile } from 'node:fs/promises';
import { FileAccessError, FormatError, decodeNpy, featureSpace, imageSpace, makeBatch } from '@mixnsqueeze/core';
import { type Dataset } from './dataset.ts';
import { readLabelsFile } from './labels.ts';

/**
 * A dataset from an `.npy` array of samples (N x H x W x C images or N x D rows) and a labels file.
 * uint8 arrays are read as pixels and scaled by 1/255; float arrays must already lie in [0, 1].
 */
export async function loadNpyDataset(path: string, labelsPath: string): Promise<Dataset> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(code === 'ENOENT' ? `dataset file '${path}' does not exist. Check the path.` : `cannot read '${path}': ${code}.`);
  }
  const x = decodeNpy(new Uint8Array(bytes), path);
  // The dtype is in the header, within its first few dozen bytes.
  const uint8 = /'descr'\s*:\s*'[|<]u1'/.test(bytes.subarray(0, 256).toString('latin1'));
  const d = x.data;
  if (uint8) for (let i = 0; i < d.length; i++) d[i] = d[i]! / 255;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!(v >= 0 && v <= 1)) {
      throw new FormatError(`${path}: value ${v} at index ${i} is outside [0, 1]. Scale float data to [0, 1] (or save pixels as uint8).`);
    }
  }
  if (x.shape.length < 2) throw new FormatError(`${path}: expected samples of shape (N, ...), got (${x.shape.join(', ')}).`);
  const { labels, classNames } = await readLabelsFile(labelsPath);
  if (labels.length !== x.shape[0]) {
    throw new FormatError(`${labelsPath}: ${labels.length} labels for ${x.shape[0]} samples in ${path}. Give one label per sample.`);
  }
  const s = x.shape.slice(1);
  const space = s.length === 3 ? imageSpace(s[0]!, s[1]!, s[2]!) : featureSpace(s);
  return { x: makeBatch(d, x.shape), labels, space, ...(classNames ? { classNames } : {}) };
}
