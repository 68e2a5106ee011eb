import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argmaxRows } from '@mixnsqueeze/core';
import { type AttackReport } from '../src/attack-base.ts';
import { Cw2 } from '../src/attacks/cw2.ts';
import { AdversarialCache, defaultCacheDir } from '../src/cache/adversarial-cache.ts';
import { type AdversarialSetKey, cacheKeyHash, canonicalJson } from '../src/cache/cache-key.ts';
import { GENERATING_PACKAGES, codeFingerprint, fingerprintSources } from '../src/cache/code-fingerprint.ts';
import { binaryishImages, imageModel } from './tiny-models.ts';

const model = imageModel();
const x = binaryishImages(4, 7);
const labels = argmaxRows(await model.predict(x));
const attack = new Cw2({ confidence: 0, lr: 0.05, iterations: 20, binarySteps: 2, initialConst: 1e-2, abortEarly: true });
const key: AdversarialSetKey = { model: 'abc', defense: [], dataset: 'tiny', slice: 'first 4', attack: attack.spec, surface: 'exact', target: 'untargeted', seed: '0' };

function setup() {
  const warnings: string[] = [];
  const cache = new AdversarialCache(mkdtempSync(join(tmpdir(), 'mns-cache-')), (m) => warnings.push(m));
  let made = 0;
  const make = () => {
    made++;
    return attack.run(model, x, labels);
  };
  return { cache, warnings, make, made: () => made };
}

const same = (a: AttackReport, b: AttackReport) => {
  expect(b.adversarial).toEqual(a.adversarial);
  expect(b.success).toEqual(a.success);
  expect(b.predicted).toEqual(a.predicted);
  expect(b.perturbationNorms).toEqual(a.perturbationNorms);
  expect(b.queries).toEqual(a.queries);
  expect(b.attack).toBe(a.attack);
};

describe('adversarial-set cache', () => {
  it('keys are canonical: key order does not matter, every field does', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 'x' }] })).toBe('{"a":[1,{"c":"x","d":2}],"b":1}');
    const shuffled = Object.fromEntries(Object.entries(key).reverse()) as unknown as AdversarialSetKey;
    expect(cacheKeyHash(shuffled)).toBe(cacheKeyHash(key));
    for (const field of ['model', 'dataset', 'slice', 'attack', 'surface', 'target', 'seed'] as const) {
      expect(cacheKeyHash({ ...key, [field]: `${key[field]}!` })).not.toBe(cacheKeyHash(key));
    }
    expect(cacheKeyHash({ ...key, defense: ['median:2x2'] })).not.toBe(cacheKeyHash(key));
  });

  it('generates once, then serves the stored set unchanged', async () => {
    const { cache, make, made, warnings } = setup();
    const first = await cache.getOrCreate(key, make);
    const second = await cache.getOrCreate(key, make);
    expect([first.hit, second.hit, made()]).toEqual([false, true, 1]);
    same(first.report, second.report);
    expect(warnings).toEqual([]);
    expect(await cache.get({ ...key, seed: '1' })).toBeUndefined();
  });

  it('a set made by other code is a miss: the key carries the generating code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mns-cache-'));
    const before = new AdversarialCache(dir, () => {}, 'code-v1');
    await before.getOrCreate(key, () => attack.run(model, x, labels));
    expect(await new AdversarialCache(dir, () => {}, 'code-v1').get(key)).toBeDefined();
    expect(await new AdversarialCache(dir, () => {}, 'code-v2').get(key)).toBeUndefined();
    expect(JSON.parse(readFileSync(before.entryPaths(key).json, 'utf8')).key.code).toBe('code-v1');
    // A key that names its code keeps it, whatever the cache's own.
    expect(await new AdversarialCache(dir, () => {}, 'code-v2').get({ ...key, code: 'code-v1' })).toBeDefined();
  });

  it("the default code fingerprint covers the generating packages' sources and changes with them", () => {
    const fp = codeFingerprint();
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(new AdversarialCache().code).toBe(fp);
    expect(fingerprintSources(GENERATING_PACKAGES)).toBe(fp);
    expect(fingerprintSources(['@mixnsqueeze/core'])).not.toBe(fp);
    expect(fingerprintSources(['@mixnsqueeze/no-such-package'])).not.toBe(fingerprintSources(['@mixnsqueeze/other-missing']));
    const root = mkdtempSync(join(tmpdir(), 'mns-code-'));
    const pkg = join(root, 'node_modules', 'fake-attacks');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'fake-attacks', exports: { '.': './src/index.js' } }));
    writeFileSync(join(pkg, 'src', 'index.js'), 'export const step = 1;\n');
    const first = fingerprintSources(['fake-attacks'], root);
    writeFileSync(join(pkg, 'src', 'index.js'), 'export const step = 2;\n');
    expect(fingerprintSources(['fake-attacks'], root)).not.toBe(first);
  });

  const damages: [string, (paths: { npy: string; json: string }) => void, RegExp][] = [
    ['a flipped data byte', ({ npy }) => {
      const b = readFileSync(npy);
      b[b.length - 3]! ^= 0x40;
      writeFileSync(npy, b);
    }, /checksum mismatch/],
    ['a truncated data file', ({ npy }) => writeFileSync(npy, readFileSync(npy).subarray(0, 100)), /truncated/],
    ['an emptied data file', ({ npy }) => writeFileSync(npy, ''), /has 0 bytes/],
    ['bad JSON metadata', ({ json }) => writeFileSync(json, '{"format": 1, "key": '), /damaged/],
    ['metadata of another key', ({ json }) => writeFileSync(json, readFileSync(json, 'utf8').replace('"seed":"0"', '"seed":"9"')), /key does not match/],
  ];

  it.each(damages)('%s is detected, reported, and regenerated, never used', async (_name, damage, why) => {
    const { cache, make, made, warnings } = setup();
    const first = await cache.getOrCreate(key, make);
    damage(cache.entryPaths(key));
    const again = await cache.getOrCreate(key, make);
    expect(again.hit).toBe(false);
    expect(made()).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(why);
    same(first.report, again.report);
    expect((await cache.getOrCreate(key, make)).hit).toBe(true);
  });

  it('lives in $MIXNSQUEEZE_CACHE or .mixnsqueeze-cache under the working directory', () => {
    expect(defaultCacheDir('/w', {})).toBe('/w/.mixnsqueeze-cache');
    expect(defaultCacheDir('/w', { MIXNSQUEEZE_CACHE: 'c' })).toBe('/w/c');
  });
});
