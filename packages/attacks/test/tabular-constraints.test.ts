import { describe, expect, it } from 'vitest';
import { type Batch, Registry, argmaxRows, schemaViolation, tabularSpace } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { type AttackBase } from '../src/attack-base.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { TwoLayer } from './tiny-models.ts';

/** Continuous, integer, one-hot (immutable and free) and index-coded columns, all in [0, 1] or near. */
const SPACE = tabularSpace([
  { name: 'a', lo: 0, hi: 1 },
  { name: 'b', lo: 0.2, hi: 0.9 },
  { name: 'n', kind: 'integer', lo: 0, hi: 1, step: 0.125 },
  { name: 'island', kind: 'categorical', levels: ['x', 'y', 'z'], immutable: true },
  { name: 'colour', kind: 'categorical', levels: ['r', 'g'] },
  { name: 'size', kind: 'categorical', levels: ['s', 'm', 'l'], encoding: 'index' },
  { name: 'age', kind: 'integer', lo: 0, hi: 1, step: 0.25, immutable: true },
]);
const D = SPACE.shape[0]!;
const WIDTH = SPACE.bounds[1] - SPACE.bounds[0];

/** Fast specs of every built-in attack; budgets (relative to the envelope) are checked for the norm-bounded ones. */
const SPECS: Record<string, { spec: string; linf?: number; l2?: number; target?: 'next' }> = {
  fgsm: { spec: 'fgsm:eps=0.3', linf: 0.3 },
  bim: { spec: 'bim:eps=0.3,step=0.06,steps=6', linf: 0.3 },
  pgd: { spec: 'pgd:eps=0.3,step=0.06,steps=6', linf: 0.3 },
  'pgd-l2': { spec: 'pgd:norm=l2,eps=0.5,step=0.1,steps=6', l2: 0.5 },
  'eot-pgd': { spec: 'eot-pgd:eps=0.3,step=0.06,steps=6,k=2', linf: 0.3 },
  deepfool: { spec: 'deepfool:steps=20' },
  jsma: { spec: 'jsma:gamma=0.5', target: 'next' },
  'spsa-pgd': { spec: 'spsa-pgd:eps=0.3,steps=10,lr=0.03,samples=8', linf: 0.3 },
  cw2: { spec: 'cw2:confidence=0,iterations=30,binarySteps=2,initialConst=1,lr=0.05' },
  cwinf: { spec: 'cwinf:confidence=0,iterations=20,initialConst=0.1,largestConst=10,lr=0.05,decreaseFactor=0.5' },
  cw0: { spec: 'cw0:confidence=0,iterations=10,initialConst=1,largestConst=10,lr=0.1' },
  he: { spec: 'he:squeezers=quantize:8,threshold=0.5,iterations=20,binarySteps=2,lr=0.05' },
  'he-eot': { spec: 'he-eot:draws=2,restarts=1,iterations=20,binarySteps=2,lr=0.05' },
};

/** Valid records: lattice values and one hot level per group. */
function records(n: number): Batch {
  const data = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    data.set([0.3 + 0.05 * (i % 9), 0.4 + 0.03 * (i % 7), 0.125 * (i % 8), c === 0 ? 1 : 0, c === 1 ? 1 : 0, c === 2 ? 1 : 0, i % 2, 1 - (i % 2), i % 3, 0.25 * (i % 5)], i * D);
  }
  return { data, shape: [n, D] };
}

const registry = new Registry().use(squeezersPlugin).use(attacksPlugin);

describe('every attack respects the tabular feature space', () => {
  it('has a row for every registered attack', () => {
    const ids = new Set(Object.values(SPECS).map((s) => s.spec.split(':')[0]));
    for (const c of registry.components('attack')) expect(ids, c.id).toContain(c.id);
  });

  const model = new TwoLayer(SPACE, 16, 3, 7, 6);
  const x = records(6);
  for (const [name, row] of Object.entries(SPECS)) {
    it(`${name}: valid records, immutable features unchanged, budget kept`, async () => {
      const labels = argmaxRows(await model.predict(x));
      const attack = registry.create<AttackBase<object>>('attack', row.spec);
      const r = await attack.run(model, x, labels, { seed: '1', ...(row.target ? { target: row.target } : {}) });
      expect(schemaViolation(SPACE, r.adversarial)).toBeUndefined();
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < D; j++) if (SPACE.immutable![j] === 1) expect(r.adversarial.data[i * D + j]).toBe(x.data[i * D + j]);
        if (row.linf !== undefined) expect(r.perturbationNorms.linf[i]).toBeLessThanOrEqual(row.linf * WIDTH + 1e-6);
        if (row.l2 !== undefined) expect(r.perturbationNorms.l2[i]).toBeLessThanOrEqual(row.l2 * WIDTH * (1 + 1e-5));
      }
      // Success is measured on the snapped examples.
      const again = argmaxRows(await model.predict(r.adversarial));
      expect([...r.predicted]).toEqual([...again]);
    });
  }
});
