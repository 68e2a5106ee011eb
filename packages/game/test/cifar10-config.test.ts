import { describe, expect, it } from 'vitest';
import { builtinConfig } from '../src/experiment/builtin-configs.ts';
import { type ReportData } from '../src/report/report-data.ts';
import { CIFAR10_FIDELITY_NOTES, FIDELITY_NOTES, fidelityNotesFor } from '../src/report/fidelity-notes.ts';
import { accuracyTable } from '../src/report/tables.ts';

describe('CIFAR-10 configurations', () => {
  it('use the reference CIFAR-10 settings: presets, delta 0.05, N = 50, the CIFAR squeezers', () => {
    for (const name of ['cifar10-paper', 'cifar10-quick']) {
      const c = builtinConfig(name);
      expect(c.paper).toBe('cifar10');
      expect(c.model).toBe('cifar10-resnet8');
      expect(Math.max(...c.budgets)).toBe(50);
      expect(c.seeds).toBeGreaterThanOrEqual(50);
      for (const s of c.squeezers) expect(s.operatingDelta).toBe(s.specs.length ? 0.05 : 0);
      expect(c.attacks.every((a) => /cifar10/.test(a.spec))).toBe(true);
      expect(c.squeezers.map((s) => s.specs.join('+'))).toEqual(expect.arrayContaining(['bit-depth:5', 'bit-depth:4', 'median:2x2', 'nlm:11-3-4']));
    }
    expect(builtinConfig('cifar10-paper').attacks.map((a) => a.label)).toEqual([
      'FGSM', 'BIM', 'CW-inf next', 'CW-inf LL', 'DeepFool', 'CW-2 next', 'CW-2 LL', 'CW-0 next', 'CW-0 LL', 'JSMA next', 'JSMA LL',
    ]);
  });

  it('reports name the test set and never print the MNIST numbers next to CIFAR-10 rows', () => {
    const config = { ...builtinConfig('cifar10-quick'), testSet: 'JPEG CIFAR-10 test' };
    const data: ReportData = {
      runId: 'r',
      config,
      createdAt: '',
      finished: true,
      versions: {},
      timings: {},
      eval: () => ({ accuracyMean: 0.5, accuracyStd: 0.1, p: [] }),
      attack: () => undefined,
      adaptive: () => undefined,
    };
    const t = accuracyTable(data, false);
    expect(t.note).toContain('test set: JPEG CIFAR-10 test');
    expect(t.rows.find((r) => r[0] === 'median 2x2')!.join(' ')).not.toContain('(');
    expect(fidelityNotesFor(config).startsWith(CIFAR10_FIDELITY_NOTES)).toBe(true);
    expect(fidelityNotesFor(builtinConfig('mnist-quick')).startsWith(FIDELITY_NOTES)).toBe(true);
    expect(fidelityNotesFor(builtinConfig('mnist-quick'))).toContain('20 seeds, so one seed moves an adversarial accuracy by 5 points');
    const own = fidelityNotesFor({ ...builtinConfig('mnist-paper'), model: 'my-cnn.onnx' });
    expect(own).toContain('the model is `my-cnn.onnx`, not the shipped `mnist`');
    expect(own).not.toContain('weights released with Feature Squeezing');
    const densenet = fidelityNotesFor({ ...config, model: 'densenet.onnx' });
    expect(densenet).toContain('the model is `densenet.onnx`, not the shipped `cifar10-resnet8`');
    expect(densenet).not.toContain('MLPerf');
    expect(fidelityNotesFor(builtinConfig('mnist-paper'))).toContain('100 seeds, so one seed moves an adversarial accuracy by 1 point, and classifies every set R = 200 times');
  });
});
