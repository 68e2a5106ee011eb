import { closeSync, openSync, readSync, statSync } from 'node:fs';

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * What is at `path`, read from its first bytes without SQLite touching it: nothing, an empty file
 * (SQLite makes a database of it), an SQLite database, or something else. Stores check this before
 * they open a user's file, so a path that names a foreign file is refused rather than changed.
 */
export function sqliteFileKind(path: string): 'missing' | 'empty' | 'sqlite' | 'foreign' {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return 'missing';
  }
  if (size === 0) return 'empty';
  // Smaller than SQLite's 100-byte header: not a database, whatever its first bytes say.
  if (size < 100) return 'foreign';
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString('latin1') === SQLITE_MAGIC ? 'sqlite' : 'foreign';
}
