import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { FormatError } from '@mixnsqueeze/core';

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Refuses, before SQLite touches it, a file that exists and is not an SQLite database: SQLite
 * would otherwise fail later with a less clear message, or overwrite an empty file's neighbour.
 */
export function checkSqliteFile(path: string, what: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (size < 100 || head.toString('latin1') !== SQLITE_MAGIC) {
    throw new FormatError(`'${path}' is not ${what} (not an SQLite file); pass the --db that 'mixnsqueeze token create' wrote, or a new path.`);
  }
}
