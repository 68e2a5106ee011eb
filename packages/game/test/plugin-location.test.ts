import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAccessError } from '@mixnsqueeze/core';
import { locatePlugin } from '../src/cli/plugin-location.ts';

// `--plugin` takes a file or the name of a package installed where the command runs: a project
// with its plugin in node_modules, resolved through the package's `exports` as Node would.
describe('locatePlugin', () => {
  let project: string;
  const write = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'mns-plugin-location-'));
    write(join(project, 'local-plugin.mjs'), 'export default {};\n');
    write(join(project, 'node_modules/plain-plugin/package.json'), JSON.stringify({ name: 'plain-plugin', type: 'module', main: 'main.js' }));
    write(join(project, 'node_modules/plain-plugin/main.js'), 'export default {};\n');
    // Only an `import` condition, as the project's own packages (and many ESM-only ones) have it:
    // require.resolve cannot find such a package, Node's import resolution can.
    write(
      join(project, 'node_modules/@acme/mns-plugin/package.json'),
      JSON.stringify({ name: '@acme/mns-plugin', type: 'module', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './extra': { import: './dist/extra.js' } } }),
    );
    write(join(project, 'node_modules/@acme/mns-plugin/dist/index.js'), 'export default {};\n');
    write(join(project, 'node_modules/@acme/mns-plugin/dist/extra.js'), 'export default {};\n');
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('a path is taken relative to the working directory', async () => {
    expect(await locatePlugin('local-plugin.mjs', project)).toBe(join(project, 'local-plugin.mjs'));
    expect(await locatePlugin(join(project, 'local-plugin.mjs'), '/')).toBe(join(project, 'local-plugin.mjs'));
  });

  it('a package name resolves to its entry point: main, exports with only `import`, and subpaths', async () => {
    expect(await locatePlugin('plain-plugin', project)).toBe(join(project, 'node_modules/plain-plugin/main.js'));
    expect(await locatePlugin('@acme/mns-plugin', project)).toBe(join(project, 'node_modules/@acme/mns-plugin/dist/index.js'));
    expect(await locatePlugin('@acme/mns-plugin/extra', project)).toBe(join(project, 'node_modules/@acme/mns-plugin/dist/extra.js'));
  });

  it('is found from a subfolder of the project, as Node finds node_modules upward', async () => {
    mkdirSync(join(project, 'src/deep'), { recursive: true });
    expect(await locatePlugin('@acme/mns-plugin', join(project, 'src/deep'))).toBe(join(project, 'node_modules/@acme/mns-plugin/dist/index.js'));
  });

  it('a package that is not installed, or a subpath it does not export, is a FileAccessError naming both readings', async () => {
    await expect(locatePlugin('not-installed-plugin', project)).rejects.toThrow(FileAccessError);
    await expect(locatePlugin('not-installed-plugin', project)).rejects.toThrow(/neither a file nor a package installed where the command runs/);
    await expect(locatePlugin('@acme/mns-plugin/hidden', project)).rejects.toThrow(/neither a file nor a package/);
  });

  it('a missing relative or absolute path is a missing file, not a package lookup', async () => {
    await expect(locatePlugin('./gone.mjs', project)).rejects.toThrow(/the file does not exist/);
    await expect(locatePlugin('/nowhere/gone.mjs', project)).rejects.toThrow(/the file does not exist/);
  });
});
