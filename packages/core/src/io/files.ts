import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { type Batch } from '../batch.ts';
import { FileAccessError, FormatError } from '../errors.ts';
import { decodeBatchJson, encodeBatchJson } from './batch-json.ts';
import { decodeNpy, encodeNpy } from './npy.ts';
import { errnoText } from './errno-text.ts';
import { makeDirs, removeDirs } from './make-dirs.ts';

export * from './make-dirs.ts';
export * from './output-path.ts';
export * from './errno-text.ts';

/**
 * Writes a file atomically: to a temporary sibling, then renamed over the target, so a crash
 * or an error never leaves a half-written output, nor the folders made for it.
 */
export async function writeFileAtomic(path: string, content: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // The rename would replace a device node or a pipe (as root, /dev/null itself), not write into it.
  const target = await stat(path).catch(() => undefined);
  if (target && !target.isFile()) {
    throw new FileAccessError(`cannot write '${path}': it is ${target.isDirectory() ? 'a directory' : 'not a regular file (a device, pipe or socket)'}. Give a file name.`);
  }
  let created: string[] = [];
  try {
    // Output folders are created as `reproduce` creates its own, so `--out results/x.npy` just works.
    created = await makeDirs(dirname(path));
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    await removeDirs(created);
    throw new FileAccessError(`cannot write '${path}': ${errnoText(e)}. Choose a path in a writable directory.`);
  }
}

function formatOf(path: string): 'npy' | 'json' {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.json') return 'json';
  throw new FormatError(`'${path}': unsupported extension '${ext || '(none)'}'; use .npy or .json.`);
}

/** Reads a batch from `.npy` or `.json`, chosen by extension. */
export async function readBatchFile(path: string): Promise<Batch> {
  const fmt = formatOf(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(
      code === 'ENOENT' ? `input file '${path}' does not exist. Check the path.` : `cannot read '${path}': ${errnoText(e)}.`,
    );
  }
  return fmt === 'npy' ? decodeNpy(new Uint8Array(bytes), path) : decodeBatchJson(bytes.toString('utf8'), path);
}

/** Writes a batch to `.npy` or `.json` (by extension), atomically. */
export async function writeBatchFile(path: string, b: Batch): Promise<void> {
  const fmt = formatOf(path);
  await writeFileAtomic(path, fmt === 'npy' ? encodeNpy(b) : encodeBatchJson(b));
}
