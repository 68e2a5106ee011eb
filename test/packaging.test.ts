import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lockfile, type Packed, consumerLock } from './packaging/consumer-lock.ts';

// The packages as a user gets them: `npm run build`, `npm pack` of every library package and of the
// example plugins, `npm ci --offline` of the tarballs into a fresh project outside the workspace
// (from the npm cache the workspace's `npm ci` filled), and there: plain `node` on an .mjs program,
// `tsc --strict` on a .ts program, and the installed `mixnsqueeze` binary with the example plugins.
// One build, pack and install serve every case (about 800 MB installed, mostly onnxruntime-node
// and tfjs).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIBRARIES = ['packages/core', 'packages/squeezers', 'packages/backends', 'packages/attacks', 'packages/serve', 'packages/game'];
const PLUGINS = ['examples/attack-plugin', 'examples/adversary-plugin', 'examples/custom-defense'];
const require = createRequire(import.meta.url);

/** What `npm pack --json` reports for one tarball. */
interface PackReport {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  integrity: string;
  files: { path: string }[];
}

/** The environment of the commands run here: the user's, without the workspace's node options. */
function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_OPTIONS;
  return e;
}

/** Runs a command; rejects with its output when it fails. */
function run(file: string, args: readonly string[], cwd: string, timeoutMs = 300_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env: env(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${[file, ...args].join(' ')} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** npm as the test was started with it (`npm test` sets npm_execpath), else the one on PATH. */
function npm(args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const cli = process.env.npm_execpath;
  return cli && /\.c?js$/.test(cli) ? run(process.execPath, [cli, ...args], cwd) : run('npm', args, cwd);
}

const node = (args: readonly string[], cwd: string) => run(process.execPath, args, cwd);

describe('the packed packages, installed in a fresh project', () => {
  let tmp: string;
  let app: string;
  let packs: PackReport[];
  const bin = () => join(app, 'node_modules', '.bin', 'mixnsqueeze');
  /** An example plugin's package name: `--plugin` takes it as a third party's installed package. */
  const plugin = (dir: string): string => (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string }).name;

  beforeAll(async () => {
    // A type error does not stop the build (tsc still emits); `npm run typecheck` reports it, and
    // what it breaks in the packages shows below.
    await node([join(ROOT, 'scripts', 'build.mjs'), '--keep-going'], ROOT);
    tmp = mkdtempSync(join(tmpdir(), 'mns-packaging-'));
    app = join(tmp, 'app');
    mkdirSync(join(app, 'packs'), { recursive: true });
    const workspaces = [...LIBRARIES, ...PLUGINS].flatMap((w) => ['--workspace', w]);
    const packed = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', join(app, 'packs'), ...workspaces], ROOT);
    packs = JSON.parse(packed.stdout) as PackReport[];
    for (const p of packs) console.log(`${p.filename}: ${(p.size / 1024).toFixed(0)} KiB packed, ${(p.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${p.files.length} files`);

    const tarballs: Packed[] = packs.map((p, i) => ({
      manifest: JSON.parse(readFileSync(join(ROOT, [...LIBRARIES, ...PLUGINS][i]!, 'package.json'), 'utf8')),
      tarball: `packs/${p.filename}`,
      integrity: p.integrity,
    }));
    const workspaceLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
    const types = { '@types/node': workspaceLock.packages['node_modules/@types/node']!.version! };
    const lock = consumerLock(workspaceLock, tarballs, types);
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'mixnsqueeze-consumer', version: '0.0.0', private: true, type: 'module', dependencies: lock.packages['']!.dependencies, devDependencies: types }, null, 2)}\n`);
    writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    // --ignore-scripts: better-sqlite3's install script would fetch a prebuilt binary from GitHub or
    // compile SQLite (minutes); its addon is copied from the workspace's install instead (the same
    // version, built by `npm ci` for this node). onnxruntime-node ships its CPU binaries in its
    // tarball; its script only fetches optional GPU ones.
    await npm(['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);
    const addon = join(dirname(require.resolve('better-sqlite3/package.json', { paths: [join(ROOT, 'packages', 'game')] })), 'build', 'Release', 'better_sqlite3.node');
    mkdirSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
    copyFileSync(addon, join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'));
    for (const f of ['consumer.mjs', 'consumer.ts', 'tsconfig.json']) copyFileSync(join(ROOT, 'test', 'packaging', 'consumer', f), join(app, f));
  }, 900_000);

  // Removing the ~800 MB install took over vitest's default minute on a loaded 2-core machine.
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 300_000);

  it('each tarball holds built code, declarations, README and LICENSE, and no sources, tests or fixtures', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const p of packs) {
      const files = p.files.map((f) => f.path);
      expect(p.version, p.name).toBe(version);
      expect(files, p.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']));
      const allowed = (f: string) =>
        ['package.json', 'README.md', 'LICENSE'].includes(f) ||
        /^dist\/.+\.(js|d\.ts|mjs|d\.mts)$/.test(f) ||
        (p.name === '@mixnsqueeze/game' && f === 'bin/mixnsqueeze.js') ||
        (p.name === '@mixnsqueeze/backends' && /^models\/[^/]+\/[^/]+$/.test(f) && !/checkpoint/.test(f));
      expect(files.filter((f) => !allowed(f)), p.name).toEqual([]);
    }
    const backends = packs.find((p) => p.name === '@mixnsqueeze/backends')!.files.map((f) => f.path);
    expect(backends).toEqual(expect.arrayContaining(['models/mnist/model.json', 'models/mnist/weights.bin', 'models/mnist/model.onnx', 'dist/pool/onnx-worker.mjs', 'dist/pool/kept-buffers.mjs']));
    expect(packs.find((p) => p.name === '@mixnsqueeze/game')!.files.map((f) => f.path)).toContain('dist/isolation/child-entry.mjs');
  });

  it('plain node imports them, defends and attacks the MNIST model, and plays a plugin adversary in its own process', async () => {
    const { stdout } = await node(['consumer.mjs'], app);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(summary.clean).toBeGreaterThanOrEqual(0.875);
    expect(summary.fgsmSuccess).toBeGreaterThan(0);
    expect(summary.miFgsmSuccess).toBeGreaterThan(0);
    expect(summary.defendedUnderFgsm).toBeGreaterThanOrEqual(0);
    expect(summary.specs).toEqual(['uniform:0.2', 'bit-depth:1', 'box-blur:1']);
    expect(summary.isolatedGameAgrees).toBe(true);
  }, 300_000);

  it('a TypeScript consumer type-checks with tsc --strict against their declarations', async () => {
    const tsc = require.resolve('typescript/bin/tsc');
    // skipLibCheck stays off, so that the packages' own .d.ts files are checked; tfjs's and
    // onnx-proto's declarations have errors of their own under it (the workspace sets skipLibCheck,
    // and so must a user), which are not counted.
    const errors = await node([tsc, '--strict', '-p', 'tsconfig.json'], app).then(
      () => [],
      (e: Error) => e.message.split('\n').filter((l) => /error TS\d+/.test(l)),
    );
    const ours = errors.filter((l) => !/^node_modules\/(?!@mixnsqueeze)/.test(l));
    expect(ours).toEqual([]);
  }, 300_000);

  it('the installed mixnsqueeze binary runs compiled JavaScript, with the example plugins from installed packages', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'packages', 'game', 'package.json'), 'utf8')) as { version: string }).version;
    expect((await node([bin(), '--version'], app)).stdout.trim()).toBe(version);
    const plugins = PLUGINS.flatMap((p) => ['--plugin', plugin(p)]);
    const listed = JSON.parse((await node([bin(), ...plugins, 'list', '--json'], app)).stdout) as { id: string }[];
    expect(listed.map((c) => c.id)).toEqual(expect.arrayContaining(['mi-fgsm', 'box-blur', 'successive-halving', 'fgsm', 'bit-depth']));
    const out = join(app, 'adv.npy');
    const attacked = await node([bin(), '--plugin', plugin('examples/attack-plugin'), 'attack', 'mi-fgsm:eps=0.3,steps=3', '--model', 'mnist', '--dataset', 'mnist', '--n', '4', '--out', out, '--no-cache', '--json'], app);
    expect(JSON.parse(attacked.stdout)).toMatchObject({ attack: expect.stringContaining('mi-fgsm') });
    expect(readFileSync(out).subarray(1, 6).toString()).toBe('NUMPY');
  }, 300_000);

  it('the installed binary keeps tokens with @mixnsqueeze/serve (fastify, prom-client, better-sqlite3) from the tarballs', async () => {
    const created = await node([bin(), 'token', 'create', 'packaged', '--budget', '2', '--window', '1h', '--db', join(app, 'tokens.db')], app);
    expect(created.stdout).toMatch(/^mns_[0-9a-f]{12}_/);
    expect((await node([bin(), 'token', 'list', '--db', join(app, 'tokens.db')], app)).stdout).toMatch(/^packaged\t/);
  }, 300_000);

  it('npm publish --dry-run passes for each library package', async () => {
    for (const w of LIBRARIES) await npm(['publish', '--dry-run', '--offline', '--ignore-scripts', '--workspace', w], ROOT);
  }, 300_000);
});
