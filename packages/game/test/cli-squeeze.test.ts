import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, makeBatch, readBatchFile } from '@mixnsqueeze/core';
import { Median } from '@mixnsqueeze/squeezers';
import { run } from './cli-io.ts';

let dir: string;
const x = makeBatch(Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => ((i * 7) % 16) / 15), [2, 4, 4, 1]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mns-cli-'));
  writeFileSync(join(dir, 'x.npy'), encodeNpy(x));
  writeFileSync(join(dir, 'x.json'), JSON.stringify({ shape: x.shape, data: [...x.data] }));
});

describe('mixnsqueeze squeeze', () => {
  it('applies specs in order to .npy and writes .npy', async () => {
    const r = await run('squeeze', 'median:2x2', '--in', join(dir, 'x.npy'), '--out', join(dir, 'y.npy'));
    expect(r.code).toBe(0);
    const y = await readBatchFile(join(dir, 'y.npy'));
    expect(y.data).toEqual(new Median(2).apply(x, { shape: [4, 4, 1], bounds: [0, 1] }).data);
  });

  it('is replayable with --seed and converts .json to .json', async () => {
    const args = ['squeeze', 'uniform:0.5', 'median:2x2', '--in', join(dir, 'x.json'), '--seed', '00112233445566778899aabbccddeeff'];
    expect((await run(...args, '--out', join(dir, 'a.json'))).code).toBe(0);
    expect((await run(...args, '--out', join(dir, 'b.json'))).code).toBe(0);
    const a = await readBatchFile(join(dir, 'a.json'));
    expect((await readBatchFile(join(dir, 'b.json'))).data).toEqual(a.data);
    expect(a.data).not.toEqual(new Median(2).apply(x, { shape: [4, 4, 1], bounds: [0, 1] }).data);
  });

  it('without --seed, draws fresh keys: two runs differ', async () => {
    await run('squeeze', 'uniform:0.5', '--in', join(dir, 'x.npy'), '--out', join(dir, 'c.npy'));
    await run('squeeze', 'uniform:0.5', '--in', join(dir, 'x.npy'), '--out', join(dir, 'd.npy'));
    expect((await readBatchFile(join(dir, 'c.npy'))).data).not.toEqual((await readBatchFile(join(dir, 'd.npy'))).data);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['a missing file', () => ['median:2x2', '--in', join(dir, 'nope.npy')], /does not exist/],
    ['an unknown spec', () => ['blur:3', '--in', join(dir, 'x.npy')], /unknown transform 'blur'; available: .*median/],
    ['a bad parameter', () => ['median:2x3', '--in', join(dir, 'x.npy')], /median:2x3/],
    ['a malformed .npy', () => ['median:2x2', '--in', write('bad.npy', 'not numpy')], /not a .npy file/],
    ['a truncated .npy', () => ['median:2x2', '--in', write('cut.npy', encodeNpy(x).subarray(0, 150))], /truncated/],
    ['malformed .json', () => ['median:2x2', '--in', write('bad.json', '{"shape":[1,2]')], /not valid JSON/],
    ['NaN values', () => ['median:2x2', '--in', write('nan.json', '{"shape":[1,2,2,1],"data":[0,null,0,0]}')], /NaN at sample 0, feature 1/],
    ['values out of bounds', () => ['median:2x2', '--in', write('big.json', '{"shape":[1,2,2,1],"data":[0,2,0,0]}')], /expected values in \[0, 1\], got 2/],
    ['a non-image batch for median', () => ['median:2x2', '--in', write('flat.json', '{"shape":[1,4],"data":[0,1,0,0]}')], /spatial layout/],
    ['an unsupported extension', () => ['median:2x2', '--in', write('x.txt', '1')], /use .npy or .json/],
    ['bad --bounds', () => ['median:2x2', '--in', join(dir, 'x.npy'), '--bounds', '1,0'], /--bounds/],
  ];

  function write(name: string, content: string | Uint8Array): string {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  }

  it.each(bad)('%s: exit 2, one line on stderr, no stack trace, no output file', async (_name, args, message) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.npy`);
    const r = await run('squeeze', ...args(), '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('an output path that cannot be written is exit 2 (missing folders are created)', async () => {
    expect((await run('squeeze', 'median:2x2', '--in', join(dir, 'x.npy'), '--out', join(dir, 'new', 'y.npy'))).code).toBe(0);
    const r = await run('squeeze', 'median:2x2', '--in', join(dir, 'x.npy'), '--out', join(dir, 'x.npy', 'y.npy'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot write/);
  });

  it('usage errors are exit 2', async () => {
    expect((await run('squeeze', 'median:2x2')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });
});

describe('mixnsqueeze list', () => {
  it('prints every built-in component with parameters and examples', async () => {
    const r = await run('list');
    expect(r.code).toBe(0);
    for (const id of ['bit-depth', 'binary', 'median', 'nlm', 'uniform', 'gaussian']) expect(r.out).toContain(id);
    expect(r.out).toMatch(/delta: number >= 0, <= 1, required/);
    expect(r.out).toMatch(/threshold: number > 0, < 1, default 0.5/);
  });

  it('--json is machine-readable', async () => {
    const infos = JSON.parse((await run('list', '--json')).out) as { role: string; id: string }[];
    expect(infos.filter((i) => i.role === 'randomizer').map((i) => i.id)).toEqual(['gaussian', 'uniform']);
  });

  it('--plugin loads a user plugin module', async () => {
    const plugin = join(process.cwd(), 'examples/custom-defense/src/box-blur.ts');
    const r = await run('--plugin', plugin, 'list');
    expect(r.code).toBe(0);
    expect(r.out).toContain('box-blur');
    const bad = await run('--plugin', join(dir, 'missing.mjs'), 'list');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cannot be loaded/);
  });
});
