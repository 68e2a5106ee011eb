import { FormatError, sqliteFileKind } from '@mixnsqueeze/core';

/**
 * Refuses, before SQLite touches it, a file that exists and is not an SQLite database: SQLite
 * would otherwise fail later with a less clear message, or overwrite an empty file's neighbour.
 */
export function checkSqliteFile(path: string, what: string): void {
  if (sqliteFileKind(path) === 'foreign') {
    throw new FormatError(`'${path}' is not ${what} (not an SQLite file); pass the --db that 'mixnsqueeze token create' wrote, or a new path.`);
  }
}
