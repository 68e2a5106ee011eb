import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LinearClassifier, ParameterError, Registry, argmaxRows, featureSpace } from '@mixnsqueeze/core';
import { Fgsm, attacksPlugin } from '@mixnsqueeze/attacks';
import { main } from '../../../packages/game/src/cli/main.ts';
import { MiFgsm, miFgsmPlugin, runExample } from '../src/index.ts';

const space = featureSpace([8]);
const model = new LinearClassifier(space, Float64Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.3) * 2), new Float64Array(3));
const x = { data: Float32Array.from({ length: 10 * 8 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.9)), shape: [10, 8] };

describe('a third-party attack plugin (MI-FGSM)', () => {
  it('is created by its id from a registry that used the plugin, and refused before', () => {
    expect(() => new Registry().use(attacksPlugin).create('attack', 'mi-fgsm')).toThrow(/unknown attack 'mi-fgsm'/);
    const r = new Registry().use(attacksPlugin).use(miFgsmPlugin);
    expect(r.create<MiFgsm>('attack', 'mi-fgsm:mnist').params).toEqual({ eps: 0.3, steps: 10, decay: 1 });
    expect(() => r.create('attack', 'mi-fgsm:steps=0')).toThrow(ParameterError);
    expect(r.list().find((c) => c.id === 'mi-fgsm')?.plugin).toBe('example-mi-fgsm');
  });

  it('gets the sealed entry point: budget, bounds, targets, success, query counts', async () => {
    const labels = argmaxRows(await model.predict(x));
    const r = await new MiFgsm({ eps: 0.1, steps: 5, decay: 1 }).run(model, x, labels, { target: 'next' });
    expect(Math.max(...r.perturbationNorms.linf)).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(r.queries).toEqual({ forward: 10 * 5 + 10, gradient: 10 * 5 });
    for (const v of r.adversarial.data) expect(v >= 0 && v <= 1).toBe(true);
    // Momentum iterations do at least as well as one FGSM step of the same budget here.
    const one = await new Fgsm({ eps: 0.1 }).run(model, x, labels, { target: 'next' });
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(one.success.reduce((a, b) => a + b, 0));
  });

  it('runs by spec through the example and through the CLI with --plugin', async () => {
    const e = await runExample();
    expect(e.successRate).toBeGreaterThan(0);
    expect(e.maxLinf).toBeLessThanOrEqual(0.2 + 1e-6);
    let out = '';
    const code = await main(['node', 'mixnsqueeze', '--plugin', join(import.meta.dirname, '../src/mi-fgsm.ts'), 'list', '--json'], {
      stdout: (s) => void (out += s),
      stderr: () => {},
      interactive: false,
    });
    expect(code).toBe(0);
    expect((JSON.parse(out) as { id: string }[]).some((c) => c.id === 'mi-fgsm')).toBe(true);
  });
});
