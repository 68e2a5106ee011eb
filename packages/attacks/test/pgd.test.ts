import { describe, expect, it } from 'vitest';
import { Pgd, type PgdParams } from '../src/attacks/pgd.ts';
import { mlpModel, ownLabels, tabularInputs } from './tabular-fixtures.ts';

const base: PgdParams = { norm: 'linf', eps: 0.1, step: 0.02, steps: 10, restarts: 1, randomStart: true };

describe('pgd', () => {
  const model = mlpModel();
  const x = tabularInputs(16);

  it('starts at a random point: the same seed repeats it, another seed moves it', async () => {
    const labels = await ownLabels(model, x);
    const one = await new Pgd({ ...base, steps: 1 }).run(model, x, labels, { seed: 'a' });
    const again = await new Pgd({ ...base, steps: 1 }).run(model, x, labels, { seed: 'a' });
    const other = await new Pgd({ ...base, steps: 1 }).run(model, x, labels, { seed: 'b' });
    expect(again.adversarial.data).toEqual(one.adversarial.data);
    expect(other.adversarial.data).not.toEqual(one.adversarial.data);
    const fixed = await new Pgd({ ...base, steps: 1, randomStart: false }).run(model, x, labels, { seed: 'a' });
    const fixedOther = await new Pgd({ ...base, steps: 1, randomStart: false }).run(model, x, labels, { seed: 'b' });
    expect(fixedOther.adversarial.data).toEqual(fixed.adversarial.data);
  });

  it('restarts keep each sample\'s best: never fewer successes than the first restart alone', async () => {
    const labels = await ownLabels(model, x);
    const single = await new Pgd(base).run(model, x, labels, { seed: 's' });
    const multi = await new Pgd({ ...base, restarts: 4 }).run(model, x, labels, { seed: 's' });
    for (let i = 0; i < 16; i++) expect(multi.success[i]).toBeGreaterThanOrEqual(single.success[i]!);
    expect(multi.lossPerStep!.length).toBe(40);
    // 4 restarts x 10 steps of gradients, one scoring pass per restart, one final prediction.
    expect(multi.queries).toEqual({ forward: 16 * (40 + 4 + 1), gradient: 16 * 40 });
  });

  it('L2: normalized steps of exactly the step size, projected onto the L2 ball', async () => {
    const labels = await ownLabels(model, x);
    const oneStep = await new Pgd({ ...base, norm: 'l2', eps: 10, step: 0.05, steps: 1, randomStart: false }).run(model, x, labels);
    for (const v of oneStep.perturbationNorms.l2) expect(v).toBeCloseTo(0.05, 5);
    const r = await new Pgd({ ...base, norm: 'l2', eps: 0.25, step: 0.1, steps: 20 }).run(model, x, labels, { seed: 'l2' });
    for (const v of r.perturbationNorms.l2) expect(v).toBeLessThanOrEqual(0.25 + 1e-5);
    expect(r.success.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('stops between iterations when aborted', async () => {
    const controller = new AbortController();
    const run = new Pgd({ ...base, steps: 1000 }).run(model, x, await ownLabels(model, x), {
      signal: controller.signal,
      onProgress: (done) => done > 0 && controller.abort(),
    });
    await expect(run).rejects.toThrow();
  });
});
