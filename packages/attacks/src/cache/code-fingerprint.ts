import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

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
 * SHA-256 (hex) of the code of each package: every `.ts`/`.js`/`.mjs` file (declarations excluded)
 * under its `src/` (the sources, in this repository) and its `dist/` (the build, in this repository
 * and in an installed package), by package, relative path and bytes; a package with neither is
 * hashed whole (node_modules excluded). Packages are found as `require` would find them from `from`
 * (a file or folder path, or a file URL), whatever their `exports` map; one that is not found counts
 * as absent. Synchronous reads: a few milliseconds for this repository.
 */
export function fingerprintSources(packages: readonly string[], from: string = import.meta.url): string {
  const require = createRequire(from.startsWith('file:') ? from : join(from, 'noop.js'));
  const h = createHash('sha256');
  for (const name of packages) {
    const root = (require.resolve.paths(name) ?? []).map((dir) => join(dir, name)).find((dir) => existsSync(join(dir, 'package.json')));
    if (root === undefined) {
      h.update(`${name}\0absent\0`);
      continue;
    }
    const folders = ['src', 'dist'].map((d) => join(root, d)).filter((d) => existsSync(d));
    for (const folder of folders.length > 0 ? folders : [root]) {
      for (const file of sourceFiles(folder)) {
        const bytes = readFileSync(file);
        h.update(`${name}/${relative(root, file)}\0${bytes.length}\0`).update(bytes);
      }
    }
  }
  return h.digest('hex');
}

/** `.ts`, `.js` and `.mjs` files under dir (not declarations), recursively, in a fixed order. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...sourceFiles(p));
    } else if (/\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
