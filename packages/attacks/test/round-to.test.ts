import { describe, expect, it } from 'vitest';
import { LinearClassifier, argmaxRows, featureSpace } from '@mixnsqueeze/core';
import { Fgsm } from '../src/attacks/fgsm.ts';

const space = featureSpace([6]);
const model = new LinearClassifier(space, Float64Array.from({ length: 18 }, (_, i) => Math.sin(i * 2.1) * 3), Float64Array.of(0, 0.1, -0.1));
const x = { data: Float32Array.from({ length: 8 * 6 }, (_, i) => Math.round(255 * (0.3 + 0.4 * Math.abs(Math.sin(i * 0.7)))) / 255), shape: [8, 6] };

describe("the sealed entry point's roundTo: 'uint8'", () => {
  it('returns examples on the 8-bit grid and measures success and norms on them', async () => {
    const labels = argmaxRows(await model.predict(x));
    // eps 0.3 is 76.5 / 255: every moved value lands half a step off the grid and is rounded back to it.
    const plain = await new Fgsm({ eps: 0.3 }).run(model, x, labels);
    const r = await new Fgsm({ eps: 0.3 }).run(model, x, labels, { roundTo: 'uint8' });
    let moved = 0;
    r.adversarial.data.forEach((v, i) => {
      const k = v * 255;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-4);
      const p = plain.adversarial.data[i]! * 255;
      if (Math.abs(p - Math.round(p)) > 1e-3) {
        moved++;
        expect(Math.abs(k - p)).toBeCloseTo(0.5, 3);
      }
    });
    expect(moved).toBeGreaterThan(0);
    expect(Array.from(r.predicted)).toEqual(Array.from(argmaxRows(await model.predict(r.adversarial))));
    r.success.forEach((s, i) => expect(s).toBe(Number(r.predicted[i] !== labels[i])));
    expect(Math.max(...r.perturbationNorms.linf)).toBeLessThanOrEqual(77 / 255 + 1e-6);
  });
});
