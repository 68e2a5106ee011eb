import { describe, expect, it } from 'vitest';
import { builtinConfig } from '../src/experiment/builtin-configs.ts';
import { type ExperimentConfig } from '../src/experiment/config.ts';
import { agreementSummary, agreementTable, comparedCells } from '../src/report/agreement.ts';
import { PAPER_TABLE1, PAPER_TABLE2 } from '../src/report/paper-numbers.ts';
import { type ReportData } from '../src/report/report-data.ts';

/** Report data of the mnist-paper grid whose every accuracy is `value(squeezer, delta, set)`. */
function fakeRun(config: ExperimentConfig, value: (s: string, d: number, set: string) => number | undefined): ReportData {
  return {
    runId: 'r',
    config,
    createdAt: '',
    finished: true,
    versions: {},
    timings: {},
    eval: (s, d, set) => {
      const v = value(s, d, set);
      return v === undefined ? undefined : { accuracyMean: v, accuracyStd: 0, p: [] };
    },
    attack: () => undefined,
    adaptive: (label) =>
      label.startsWith('He et al.')
        ? { randomized: { legitimate: { mean: 0.95, std: 0 }, adversarial: { mean: 0.7, std: 0 } }, plain: { legitimate: { mean: 1, std: 0 }, adversarial: { mean: 0, std: 0 } } }
        : undefined,
  };
}

describe('agreement with the paper', () => {
  const config = builtinConfig('mnist-paper');

  it("pairs every published table 1-3 cell with this run's value: 4 x 12 + 3 x 12 + (3 + 1) x 4", () => {
    const paperValue = (s: string, d: number, set: string) => {
      const row = d === 0 ? PAPER_TABLE1[s] : PAPER_TABLE2[s];
      const i = config.attacks.findIndex((a) => a.label === set);
      return (set === 'legitimate' ? row!.legitimate : row!.attacks[i]!) / 100;
    };
    const cells = comparedCells(fakeRun(config, paperValue));
    expect(cells).toHaveLength(48 + 36 + 16);
    // The paper's 'all attacks' is the mean of its ten columns only up to its own rounding.
    const off = cells.filter((c) => Math.abs(c.ours - c.paper) > 1e-9 && !c.where.endsWith('all attacks') && !c.where.startsWith('table 3'));
    expect(off).toEqual([]);
    expect(cells.find((c) => c.where === 'table 3, He et al. (median 2x2), adversarial')).toMatchObject({ paper: 70.2, ours: 70 });
    // On the paper's own model the published threshold is a direct comparison too.
    expect(cells.find((c) => c.where === 'table 3, He et al., published T (median 2x2), adversarial without randomness')).toMatchObject({ paper: 0, ours: 0 });
  });

  it('counts cells within 2, 5 and 10 points and lists the largest gaps first', () => {
    const s = agreementSummary(
      [
        { where: 'a', paper: 50, ours: 51 },
        { where: 'b', paper: 50, ours: 46 },
        { where: 'c', paper: 50, ours: 58 },
        { where: 'd', paper: 50, ours: 20 },
      ],
      2,
    );
    expect(s).toEqual({
      within: { 2: 1, 5: 2, 10: 3 },
      total: 4,
      worst: [
        { where: 'd', paper: 50, ours: 20 },
        { where: 'c', paper: 50, ours: 58 },
      ],
    });
  });

  it('skips cells not computed yet, and runs compared with no published MNIST numbers', () => {
    const half = fakeRun(config, (s, d, set) => (set === 'FGSM' ? 0.5 : undefined));
    const cells = comparedCells(half);
    expect(cells.every((c) => c.where.endsWith('FGSM') || c.where.startsWith('table 3'))).toBe(true);
    expect(agreementTable(half)!.note).toMatch(/^Cells compared: 23\./);
    expect(agreementTable(fakeRun(builtinConfig('penguins'), () => 0.5))).toBeUndefined();
  });
});
