import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FileAccessError } from '@mixnsqueeze/core';

/** SHA-256 (hex) of the bytes of every file, in order, each preceded by its base name and size. */
export async function fingerprintFiles(paths: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const p of paths) {
    let bytes: Buffer;
    try {
      bytes = await readFile(p);
    } catch (e) {
      throw new FileAccessError(`cannot fingerprint '${p}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
    }
    h.update(`${basename(p)}\0${bytes.length}\0`).update(bytes);
  }
  return h.digest('hex');
}

/** SHA-256 (hex) of a typed array's bytes (e.g. the indices of the attacked samples). */
export function fingerprintArray(a: ArrayBufferView): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}
