import { mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Creates a directory and its missing parents one level at a time and returns the ones it
 * created, outermost first. Node's `mkdir(..., { recursive: true })` loops forever where a
 * parent exists but refuses children with ENOENT (/proc, /sys); one call per level cannot.
 */
export async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      await stat(at);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const up = dirname(at);
    missing.unshift(at);
    if (up === at) break;
    at = up;
  }
  const created: string[] = [];
  try {
    for (const d of missing) {
      await mkdir(d);
      created.push(d);
    }
  } catch (e) {
    await removeDirs(created);
    throw e;
  }
  return created;
}

/** Removes directories {@link makeDirs} created (innermost first) where they are still empty. */
export async function removeDirs(created: readonly string[]): Promise<void> {
  for (const d of [...created].reverse()) await rmdir(d).catch(() => undefined);
}
