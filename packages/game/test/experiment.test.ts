import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Batch, LinearClassifier, Registry, imageSpace } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { Fgsm } from '@mixnsqueeze/attacks';
import { type ExperimentInput, parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { type ExperimentEnvironment, runExperiment } from '../src/experiment/runner.ts';

const space = imageSpace(4, 4, 1);
const model = new LinearClassifier(space, Float64Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i * 1.3) * 4), Float64Array.of(0, 0.2, -0.1));

function testSet(n: number): { x: Batch; labels: Int32Array } {
  const x = { data: Float32Array.from({ length: n * 16 }, (_, i) => Math.abs(Math.sin(i * 0.77 + 0.3))), shape: [n, 4, 4, 1] };
  return { x, labels: Int32Array.from({ length: n }, (_, i) => i % 3) };
}

const input: ExperimentInput = {
  name: 'tiny',
  dataset: 'synthetic',
  model: 'linear',
  seed: '00112233445566778899aabbccddeeff',
  seeds: 6,
  legitimate: 30,
  repetitions: 8,
  budgets: [1, 3],
  m: 4,
  games: 5,
  attacks: [
    { label: 'FGSM', spec: 'fgsm:eps=0.2' },
    { label: 'FGSM next', spec: 'fgsm:eps=0.3', target: 'next' },
  ],
  squeezers: [
    { label: 'median 2x2', specs: ['median:2x2'], deltas: [0, 0.3], operatingDelta: 0.3 },
    { label: 'none', specs: [], deltas: [0, 0.5], operatingDelta: 0.5 },
  ],
};

function env(): ExperimentEnvironment {
  const registry = new Registry().use(squeezersPlugin);
  return {
    registry,
    model,
    test: testSet(60),
    async attack(entry, seeds, labels, seed) {
      const r = await new Fgsm({ eps: Number(/eps=([\d.]+)/.exec(entry.spec)![1]) }).run(model, seeds, labels, { target: entry.target, seed });
      return { adversarial: r.adversarial, success: r.success, summary: { attack: r.attack } };
    },
  };
}

async function allCells(dbPath: string, crashAfter?: number): Promise<Record<string, unknown>> {
  const store = new ResultStore(dbPath);
  const config = parseConfig(input);
  store.openRun('run', config, {});
  let calls = 0;
  try {
    await runExperiment(config, env(), store, 'run', () => {
      if (crashAfter !== undefined && ++calls > crashAfter) throw new Error('simulated crash');
    });
  } finally {
    store.close();
  }
  const reopened = new ResultStore(dbPath);
  const cells = Object.fromEntries(reopened.cells('run').map((c) => [c.key, c.result]));
  reopened.close();
  return cells;
}

describe('experiment runner', () => {
  it('stores a result per cell: legitimate and adversarial accuracy, p_i, advantage', async () => {
    const cells = await allCells(join(mkdtempSync(join(tmpdir(), 'mns-exp-')), 'r.db'));
    // seeds + 2 attacks + 2 squeezers x 2 deltas x 3 sets
    expect(Object.keys(cells)).toHaveLength(1 + 2 + 12);
    const plain = cells['eval/median 2x2/0/FGSM'] as { accuracyStd: number; p: number[]; paperAdvantage: Record<string, number> };
    expect(plain.accuracyStd).toBe(0);
    for (const p of plain.p) expect([0, 1]).toContain(p);
    const noisy = cells['eval/none/0.5/legitimate'] as { accuracyMean: number; p: number[] };
    expect(noisy.p).toHaveLength(30);
    expect(noisy.accuracyMean).toBeGreaterThan(0);
    expect(Object.keys(plain.paperAdvantage)).toEqual(['1', '3']);
  });

  it('a run interrupted mid-way resumes to exactly the results of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mns-exp-'));
    const straight = await allCells(join(dir, 'a.db'));
    await expect(allCells(join(dir, 'b.db'), 5)).rejects.toThrow('simulated crash');
    const partial = new ResultStore(join(dir, 'b.db'));
    const stored = partial.cells('run').length;
    partial.close();
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(Object.keys(straight).length);
    expect(await allCells(join(dir, 'b.db'))).toEqual(straight);
  });

  it('validates configs and names the offending path', () => {
    expect(() => parseConfig({ ...input, seed: 'abc' })).toThrow(/seed: /);
    expect(() => parseConfig({ ...input, squeezers: [{ label: 'x', specs: [], deltas: [0.2], operatingDelta: 0.2 }] })).toThrow(/deltas must include 0/);
    expect(() => parseConfig({ ...input, repetitions: 0 })).toThrow(/repetitions/);
  });
});

describe('report', () => {
  it('writes markdown, self-contained HTML with inline SVG figures, and the SVG files', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { loadReportData } = await import('../src/report/report-data.ts');
    const { writeReport } = await import('../src/report/render-report.ts');
    const dir = mkdtempSync(join(tmpdir(), 'mns-rep-'));
    await allCells(join(dir, 'r.db'));
    const store = new ResultStore(join(dir, 'r.db'));
    const data = loadReportData(store, 'run')!;
    store.close();
    await writeReport(data, join(dir, 'out'));
    const md = readFileSync(join(dir, 'out', 'report.md'), 'utf8');
    expect(md).toMatch(/Table 1: feature squeezing without randomness/);
    expect(md).toMatch(/\| median 2x2 \| 0.3 \| /);
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(readdirSync(join(dir, 'out', 'figures')).length);
    expect(readdirSync(join(dir, 'out', 'figures'))).toContain('error-probability-heatmap.svg');
    expect(html).not.toMatch(/<script/);
  });
});
