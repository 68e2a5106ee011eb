import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** The packages whose code decides what an attack generates: its algorithm, gradients, squeezers, PRG. */
export const GENERATING_PACKAGES = ['@mixnsqueeze/core', '@mixnsqueeze/squeezers', '@mixnsqueeze/backends', '@mixnsqueeze/attacks'] as const;

let memo: string | undefined;

/**
 * SHA-256 (hex) of the source of the generating packages ({@link GENERATING_PACKAGES}, see
 * {@link fingerprintSources}), computed once per process: the code part of every cache key. A
 * cached adversarial set is only as valid as the code that made it, and a version number does not
 * change when a developer fixes an attack in this repository; a content hash does.
 */
export function codeFingerprint(): string {
  return (memo ??= fingerprintSources(GENERATING_PACKAGES));
}

/**
 * SHA-256 (hex) of every `.ts`/`.js` file under the folder of each package's entry point, by package,
 * relative path and bytes; a package that does not resolve (from `from`, a file or folder path)
 * counts as absent. Synchronous reads: a few milliseconds for this repository.
 */
export function fingerprintSources(packages: readonly string[], from: string = import.meta.url): string {
  const require = createRequire(from.startsWith('file:') ? from : join(from, 'noop.js'));
  const h = createHash('sha256');
  for (const name of packages) {
    let root: string;
    try {
      root = dirname(require.resolve(name));
    } catch {
      h.update(`${name}\0absent\0`);
      continue;
    }
    for (const file of sourceFiles(root)) {
      const bytes = readFileSync(file);
      h.update(`${name}/${relative(root, file)}\0${bytes.length}\0`).update(bytes);
    }
  }
  return h.digest('hex');
}

/** `.ts` and `.js` files under dir, recursively, in a fixed order. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...sourceFiles(p));
    } else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
