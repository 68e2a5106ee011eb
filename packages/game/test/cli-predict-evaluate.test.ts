import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmaxRows, encodeNpy, makeBatch } from '@mixnsqueeze/core';
import { loadClassifier, loadMnist, takeSamples } from '@mixnsqueeze/backends';
import { run } from './cli-io.ts';

let dir: string;
let predicted: number[];
const SEED = '00112233445566778899aabbccddeeff';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mns-cli-model-'));
  const digits = takeSamples(loadMnist('test'), 6);
  const model = await loadClassifier('mnist', { log: () => {} });
  predicted = Array.from(argmaxRows(await model.predict(digits.x)));
  writeFileSync(join(dir, 'digits.npy'), encodeNpy(digits.x));
  writeFileSync(join(dir, 'flat.npy'), encodeNpy(makeBatch(new Float32Array(2 * 784), [2, 784])));
  writeFileSync(join(dir, 'table.csv'), '0.1,0.2,1\n0.3,0.4,0\n');
});

describe('mixnsqueeze predict', () => {
  it('prints one label and class name per sample', async () => {
    const r = await run('predict', '--model', 'mnist', '--in', join(dir, 'digits.npy'));
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(predicted.map((l) => `${l}\t${l}`));
  });

  it('prints JSON with logits, through defenses applied in order, replayable with --seed', async () => {
    const args = ['predict', '--model', 'mnist', '--in', join(dir, 'digits.npy'), '--defense', 'uniform:0.3', '--defense', 'median:2x2', '--seed', SEED, '--json'];
    const a = await run(...args);
    expect(a.code).toBe(0);
    const doc = JSON.parse(a.out) as { defense: string[]; labels: number[]; logits: number[][] };
    expect(doc.defense).toEqual(['uniform:0.3', 'median:2x2']);
    expect(doc.logits).toHaveLength(6);
    expect(doc.logits[0]).toHaveLength(10);
    expect((await run(...args)).out).toBe(a.out);
  });

  it('exits 2 with one line on a bad model path, a bad --defense spec and a misshapen input', async () => {
    for (const args of [
      ['--model', join(dir, 'missing', 'model.json'), '--in', join(dir, 'digits.npy')],
      ['--model', join(dir, 'missing.onnx'), '--in', join(dir, 'digits.npy')],
      ['--model', 'mnist', '--in', join(dir, 'digits.npy'), '--defense', 'median:abc'],
      ['--model', 'mnist', '--in', join(dir, 'digits.npy'), '--defense', 'nosuch:1'],
      ['--model', 'mnist', '--in', join(dir, 'flat.npy')],
      ['--model', 'mnist', '--in', join(dir, 'digits.npy'), '--backend', 'tpu'],
    ]) {
      const r = await run('predict', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.err.trim().split('\n').filter((l) => !/^mixnsqueeze: (tfjs backend |\S+ on ONNX Runtime )/.test(l));
      expect(lines, r.err).toHaveLength(1);
      expect(lines[0]).toMatch(/^mixnsqueeze: error: /);
    }
  });
});

describe('mixnsqueeze evaluate', () => {
  it('prints clean accuracy and accuracy under the defense', async () => {
    const r = await run('evaluate', '--model', 'mnist', '--dataset', 'mnist', '--limit', '200', '--defense', 'median:2x2', '--seed', SEED, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { samples: number; accuracy: number; defendedAccuracy: number };
    expect(doc.samples).toBe(200);
    expect(doc.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(doc.defendedAccuracy).toBeGreaterThanOrEqual(0.9);
    const text = await run('evaluate', '--model', 'mnist', '--dataset', 'mnist', '--limit', '50');
    expect(text.out).toMatch(/^mnist on mnist \(50 samples\): clean accuracy \d+\.\d\d%\n$/);
  });

  it('exits 2 on a dataset that does not fit the model and on a bad --limit', async () => {
    expect((await run('evaluate', '--model', 'mnist', '--dataset', join(dir, 'table.csv'))).code).toBe(2);
    expect((await run('evaluate', '--model', 'mnist', '--dataset', 'mnist', '--limit', '0')).code).toBe(2);
    expect((await run('evaluate', '--model', 'mnist', '--dataset', join(dir, 'nowhere'))).code).toBe(2);
  });
});
