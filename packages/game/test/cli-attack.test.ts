import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, makeBatch, readBatchFile } from '@mixnsqueeze/core';
import { fileModelIo, useTfjsBackend } from '@mixnsqueeze/backends';
import { run } from './cli-io.ts';

let dir: string;
const N = 24;

/** A tiny seeded tfjs model on 4 x 4 x 1 inputs with 3 classes, and a dataset it labels itself. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mns-cli-attack-'));
  await useTfjsBackend('cpu', () => {});
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [4, 4, 1] }),
      tf.layers.dense({ units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  await model.save(fileModelIo(join(dir, 'model.json')));
  const x = makeBatch(Float32Array.from({ length: N * 16 }, (_, i) => Math.abs(Math.sin(i * 1.7))), [N, 4, 4, 1]);
  const labels = Array.from((model.predict(tf.tensor(x.data, [N, 4, 4, 1])) as tf.Tensor).argMax(1).dataSync());
  labels[0] = (labels[0]! + 1) % 3; // one wrongly classified sample, skipped as a seed
  writeFileSync(join(dir, 'x.npy'), encodeNpy(x));
  writeFileSync(join(dir, 'labels.txt'), labels.join('\n'));
});

const base = () => ['--model', join(dir, 'model.json'), '--dataset', join(dir, 'x.npy'), '--labels', join(dir, 'labels.txt'), '--backend', 'cpu', '--cache-dir', join(dir, 'cache')];

describe('mixnsqueeze attack', () => {
  it('attacks the first N correctly classified samples, writes them, prints a JSON summary, and caches the set', async () => {
    const args = ['attack', 'cw2:confidence=0,lr=0.05,iterations=50,binarySteps=3,initialConst=1', ...base(), '--n', '8', '--out', join(dir, 'adv.npy'), '--json'];
    const r = await run(...args);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { samples: number; successRate: number; cached: boolean; queries: { gradient: number }; meanNorms: { l2: number }; surface: string };
    expect(s).toMatchObject({ samples: 8, cached: false, surface: 'exact' });
    expect(s.successRate).toBeGreaterThan(0.5);
    expect(s.queries.gradient).toBeGreaterThan(0);
    expect((await readBatchFile(join(dir, 'adv.npy'))).shape).toEqual([8, 4, 4, 1]);
    const again = await run(...args.slice(0, -3), '--out', join(dir, 'adv2.npy'), '--json');
    expect(JSON.parse(again.out)).toMatchObject({ ...s, cached: true, out: join(dir, 'adv2.npy') });
    expect((await readBatchFile(join(dir, 'adv2.npy'))).data).toEqual((await readBatchFile(join(dir, 'adv.npy'))).data);
  });

  it('runs behind a defense on the surface asked for, and prints a readable summary', async () => {
    const r = await run('attack', 'fgsm:eps=0.2', ...base(), '--defense', 'uniform:0.1', '--defense', 'median:2x2', '--surface', 'eot:3', '--n', '5', '--no-cache', '--out', join(dir, 'f.npy'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fgsm:eps=0.2 on .* behind uniform:0.1 -> median:2x2, surface eot:3/);
    expect(r.out).toMatch(/success \d+\.\d\d% \(\d\/5\)/);
    expect(r.out).toMatch(/model queries \d+ forward, 15 gradient/);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown attack', ['blur:1'], /unknown attack 'blur'; available: .*cw2/],
    ['a bad attack parameter', ['cw2:confidence=-1'], /confidence/],
    ['a bad --n', ['fgsm', '--n', 'many'], /--n: expected a positive integer/],
    ['a bad --seed', ['fgsm', '--seed', '1.5'], /--seed/],
    ['an unknown surface', ['fgsm', '--surface', 'magic'], /unknown surface 'magic'/],
    ['a randomized defense on the exact surface', ['fgsm', '--defense', 'uniform:0.1', '--surface', 'exact'], /surface 'exact'/],
  ];

  it.each(bad)('%s: exit 2, one line, no output file', async (_name, args, message) => {
    const out = join(dir, `bad-${Math.random().toString(36).slice(2)}.npy`);
    const r = await run('attack', args[0]!, ...base(), '--n', '2', ...args.slice(1), '--no-cache', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });
});
