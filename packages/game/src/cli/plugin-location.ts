import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FileAccessError } from '@mixnsqueeze/core/errors';

/** An npm package name, optionally with a subpath: `name`, `@scope/name`, `@scope/name/sub`. */
const PACKAGE_NAME = /^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*(\/[^\s]*)?$/i;

/**
 * The file a `--plugin` value names: a path to an ES module (relative to `cwd`), or the name of an
 * installed package, resolved from `cwd` by Node's own rules (its `exports` map, `import`
 * condition), as `import('<name>')` in the user's project would. A value that is neither is a
 * FileAccessError saying which of the two was looked for.
 */
export async function locatePlugin(value: string, cwd: string = process.cwd()): Promise<string> {
  const path = resolve(cwd, value);
  if (existsSync(path)) return path;
  if (value.startsWith('.') || value.startsWith('/') || !PACKAGE_NAME.test(value)) {
    throw new FileAccessError(`plugin '${value}' cannot be loaded: the file does not exist. Pass a path to an ES module or the name of an installed package.`);
  }
  // Only for package names: the resolver is not part of the CLI's start-up.
  const { resolve: resolveModule } = await import('import-meta-resolve');
  try {
    return fileURLToPath(resolveModule(value, pathToFileURL(join(cwd, 'package.json')).href));
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new FileAccessError(`plugin '${value}' is neither a file nor a package installed where the command runs (${why}); install it there or pass a path to an ES module.`);
  }
}
