import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fingerprintFiles } from '@mixnsqueeze/attacks';

/** Fingerprint of a model's files: a tfjs model.json with the weight files it names, or an .onnx file. */
export async function modelFingerprint(idOrPath: string): Promise<string> {
  const { ZOO, isZooId } = await import('@mixnsqueeze/backends');
  const path = isZooId(idOrPath) ? ZOO[idOrPath].modelJson : idOrPath;
  if (!path.endsWith('.json')) return fingerprintFiles([path]);
  const manifest = JSON.parse(await readFile(path, 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
  const weights = (manifest.weightsManifest ?? []).flatMap((g) => g.paths ?? []).map((p) => join(dirname(path), p));
  return fingerprintFiles([path, ...weights]);
}
