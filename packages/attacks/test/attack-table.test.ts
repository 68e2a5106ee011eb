import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, CapabilityError, type Classifier, ParameterError, Registry, argmaxRows, sampleSize } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { type AttackBase, type AttackReport } from '../src/attack-base.ts';
import { attacksPlugin } from '../src/plugin.ts';
import { tinyCnn } from './tiny-cnn.ts';
import { linearModel, logitsOnly, mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

/**
 * One row per attack id: a spec with small, fast parameters, an invalid spec with the parameter
 * its error must name, and optionally fewer samples for attacks whose cost grows with the number
 * of features (CW-0 freezes pixels round by round: 784 of them on the CNN). Every registered attack must have a row (see the first test of
 * each block), so attacks added later are covered automatically once given one.
 */
const TABLE: Record<string, { spec: string; invalid: readonly [spec: string, param: string]; samples?: number }> = {
  fgsm: { spec: 'fgsm:eps=0.3', invalid: ['fgsm:eps=-0.1', 'eps'] },
  bim: { spec: 'bim:eps=0.3,step=0.06,steps=6', invalid: ['bim:steps=0', 'steps'] },
  pgd: { spec: 'pgd:eps=0.3,step=0.06,steps=6,restarts=2', invalid: ['pgd:norm=l1', 'norm'] },
  'eot-pgd': { spec: 'eot-pgd:eps=0.3,step=0.06,steps=6,k=2', invalid: ['eot-pgd:k=0', 'k'] },
  deepfool: { spec: 'deepfool:steps=20', invalid: ['deepfool:candidates=1', 'candidates'] },
  jsma: { spec: 'jsma:gamma=0.5', invalid: ['jsma:theta=2', 'theta'] },
  'spsa-pgd': { spec: 'spsa-pgd:eps=0.3,steps=15,lr=0.03,samples=8', invalid: ['spsa-pgd:samples=0', 'samples'] },
  cw2: { spec: 'cw2:confidence=0,iterations=40,binarySteps=2,initialConst=1,lr=0.05', invalid: ['cw2:binarySteps=0', 'binarySteps'] },
  cwinf: { spec: 'cwinf:confidence=0,iterations=30,initialConst=0.1,largestConst=10,lr=0.05,decreaseFactor=0.5', invalid: ['cwinf:decreaseFactor=2', 'decreaseFactor'] },
  cw0: { spec: 'cw0:confidence=0,iterations=10,initialConst=1,largestConst=10,lr=0.1', invalid: ['cw0:constFactor=1', 'constFactor'], samples: 2 },
  he: { spec: 'he:squeezers=bit-depth:4,threshold=0.5,iterations=30,binarySteps=2,lr=0.05', invalid: ['he:threshold=3', 'threshold'] },
  'he-eot': { spec: 'he-eot:draws=2,restarts=1,iterations=30,binarySteps=2,lr=0.05', invalid: ['he-eot:rate=0', 'rate'] },
};

const registry = new Registry().use(squeezersPlugin).use(attacksPlugin);
// The registry's view, not ATTACK_COMPONENTS alone: it includes components bound dynamically (he).
const components = registry.components('attack');
const create = (spec: string) => registry.create<AttackBase<Record<string, unknown>>>('attack', spec);

interface Subject {
  readonly name: string;
  readonly model: Classifier;
  readonly x: Batch;
  readonly labels: Int32Array;
}

const subjects: Subject[] = [];
beforeAll(async () => {
  for (const [name, model] of [['linear', linearModel()], ['mlp', mlpModel()]] as const) {
    const x = tabularInputs(12);
    subjects.push({ name, model, x, labels: await ownLabels(model, x) });
  }
  const cnn = await tinyCnn(6);
  subjects.push({ name: 'cnn', model: cnn.model, x: cnn.x, labels: await ownLabels(cnn.model, cnn.x) });
});

function first(s: Subject, n = s.labels.length): Subject {
  const d = sampleSize(s.x.shape);
  return { ...s, x: { data: s.x.data.subarray(0, n * d), shape: [n, ...s.x.shape.slice(1)] }, labels: s.labels.subarray(0, n) };
}

const rate = (r: AttackReport) => r.success.reduce((a, b) => a + b, 0) / r.success.length;

/** Bounds always; the eps-ball for norm-bounded attacks; the L0 budget of JSMA. */
function expectWithinBudget(attack: AttackBase<Record<string, unknown>>, s: Subject, r: AttackReport): void {
  const [lo, hi] = s.model.space.bounds;
  for (const v of r.adversarial.data) expect(v >= lo && v <= hi).toBe(true);
  const eps = attack.params.eps;
  if (typeof eps === 'number') {
    const limit = eps * (hi - lo) * (1 + 1e-5) + 1e-6;
    const norms = attack.norm === 'l2' ? r.perturbationNorms.l2 : r.perturbationNorms.linf;
    for (const v of norms) expect(v).toBeLessThanOrEqual(limit);
  }
  if (attack.id === 'jsma') {
    const d = sampleSize(s.x.shape);
    for (const v of r.perturbationNorms.l0) expect(v).toBeLessThanOrEqual(2 * Math.floor((d * (attack.params.gamma as number)) / 2));
  }
}

describe.each(components.map((c) => ({ id: c.id })))('attack $id', ({ id }) => {
  const row = TABLE[id];

  it('has a row in the table (fast parameters and an invalid spec)', () => {
    expect(row, `add '${id}' to TABLE in attack-table.test.ts`).toBeDefined();
  });
  if (!row) return;

  for (const name of ['linear', 'mlp', 'cnn']) {
    it(`${name}: lowers accuracy untargeted, beats chance on target next, stays in bounds and budget`, async () => {
      const s = first(subjects.find((t) => t.name === name)!, row.samples);
      const attack = create(row.spec);
      const chance = 1 / s.model.classes;
      if (attack.untargeted) {
        const r = await attack.run(s.model, s.x, s.labels, { seed: '1' });
        expectWithinBudget(attack, s, r);
        const accuracy = argmaxRows(await s.model.predict(r.adversarial)).filter((y, i) => y === s.labels[i]).length / s.labels.length;
        expect(accuracy).toBeLessThan(1);
        expect(rate(r)).toBeGreaterThanOrEqual(0.5);
      }
      if (attack.targeted) {
        const r = await attack.run(s.model, s.x, s.labels, { seed: '1', target: 'next' });
        expectWithinBudget(attack, s, r);
        expect(rate(r)).toBeGreaterThan(chance);
      }
    });
  }

  it('gives the same adversarial examples for the same seed', async () => {
    const s = subjects.find((t) => t.name === 'mlp')!;
    const target = create(row.spec).untargeted ? 'untargeted' : 'next';
    const a = await create(row.spec).run(s.model, s.x, s.labels, { seed: '42', target });
    const b = await create(row.spec).run(s.model, s.x, s.labels, { seed: '42', target });
    expect(b.adversarial.data).toEqual(a.adversarial.data);
  });

  it('refuses a logits-only model when it needs gradients and no estimating surface is named', async () => {
    const s = subjects.find((t) => t.name === 'linear')!;
    const attack = create(row.spec);
    const target = attack.untargeted ? 'untargeted' : 'next';
    const run = attack.run(logitsOnly(s.model), s.x, s.labels, { target });
    if (attack.requires.includes('gradients')) await expect(run).rejects.toThrow(CapabilityError);
    else await expect(run).resolves.toBeDefined();
  });

  it('rejects invalid parameters, naming the parameter', () => {
    const [spec, param] = row.invalid;
    expect(() => create(spec)).toThrow(ParameterError);
    expect(() => create(spec)).toThrow(new RegExp(param));
    expect(() => create(`${id}:noSuchParameter=1`)).toThrow(/noSuchParameter/);
  });
});
