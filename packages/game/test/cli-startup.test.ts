import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Start-up is what every CLI call pays. Its time is measured (docs/benchmarks.md), never asserted;
// what is asserted is its cause: the commands that need no component (--version, --help) must
// not load the libraries behind the components (inversify, zod, tfjs, ONNX Runtime, SQLite, vega,
// the packages' barrels). A top-level import that slips into a command module shows up here.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = 'packages/game/bin/mixnsqueeze.js';
const HOOK = fileURLToPath(new URL('./fixtures/startup/record-imports.mjs', import.meta.url));

/** Runs the CLI from its sources (as `npm start` does) and returns the modules it resolved. */
function loadedModules(args: string[]): Promise<{ code: number; modules: string[] }> {
  const argv = ['--conditions=@mixnsqueeze/source', '--import', 'tsx', '--import', HOOK, BIN, ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } }, (error, _stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      const modules = stderr
        .split('\n')
        .filter((l) => l.startsWith('module: file://'))
        .map((l) => l.slice('module: file://'.length).replace(ROOT, ''));
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, modules });
    });
  });
}

/** Libraries (and the packages' barrels, which import them) that only a command's action may load. */
const HEAVY = [
  /node_modules\/(inversify|@inversifyjs|zod|@tensorflow|onnxruntime-node|better-sqlite3|vega|vega-lite|yaml|cli-progress|import-meta-resolve|bullmq|ioredis|fastify|@fastify|prom-client)\//,
  /packages\/(core|squeezers|attacks|backends)\/src\/index\.ts$/,
  /packages\/game\/src\/(experiment\/(runner|result-store|config|builtin-configs)|report\/)/,
];

describe('CLI start-up', () => {
  for (const args of [['--version'], ['--help'], ['attack', '--help'], ['reproduce', '--help']]) {
    it(`mixnsqueeze ${args.join(' ')} loads none of the component libraries`, async () => {
      const { code, modules } = await loadedModules(args);
      expect(code).toBe(0);
      // The hook saw the CLI itself: an empty list would pass for the wrong reason.
      expect(modules.some((m) => m.endsWith('packages/game/src/cli/main.ts'))).toBe(true);
      expect(modules.filter((m) => HEAVY.some((h) => h.test(m)))).toEqual([]);
    }, 60_000);
  }

  it('a command that runs loads what it needs (the hook sees the libraries)', async () => {
    const { code, modules } = await loadedModules(['list', '--json']);
    expect(code).toBe(0);
    expect(modules.some((m) => /node_modules\/(inversify|@inversifyjs)\//.test(m))).toBe(true);
  }, 60_000);
});
