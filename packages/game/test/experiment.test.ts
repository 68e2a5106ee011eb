import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { adaptiveSeed, runExperiment } from '../src/experiment/runner.ts';
import { loadReportData } from '../src/report/report-data.ts';
import { attackSeedOf } from '../src/experiment/master-seed.ts';
import { allCells, env, input, seeded, tinyReport } from './tiny-experiment.ts';

describe('experiment runner', () => {
  it('stores a result per cell: legitimate and adversarial accuracy, p_i, advantage', async () => {
    const cells = await allCells(join(mkdtempSync(join(tmpdir(), 'mns-exp-')), 'r.db'));
    // seeds + 2 attacks + 2 squeezers x 2 deltas x 3 sets + 1 adaptive row + done
    expect(Object.keys(cells)).toHaveLength(1 + 2 + 12 + 1 + 1);
    expect(cells['done']).toEqual({ complete: true });
    const plain = cells['eval/median 2x2/0/FGSM'] as { accuracyStd: number; p: number[]; paperAdvantage: Record<string, number> };
    expect(plain.accuracyStd).toBe(0);
    for (const p of plain.p) expect([0, 1]).toContain(p);
    const noisy = cells['eval/none/0.5/legitimate'] as { accuracyMean: number; p: number[] };
    expect(noisy.p).toHaveLength(30);
    expect(noisy.accuracyMean).toBeGreaterThan(0);
    expect(Object.keys(plain.paperAdvantage)).toEqual(['1', '3']);
  });

  it('stage times count an attack set at its generation time, also when the cache served it', () => {
    const store = new ResultStore(join(mkdtempSync(join(tmpdir(), 'mns-exp-')), 't.db'));
    store.openRun('run', parseConfig(input), {});
    store.putCell('run', 'attack/FGSM', { elapsedMs: 90_000 }, 0.1);
    store.putCell('run', 'attack/BIM', { elapsedMs: 1_000 }, 0.2);
    store.putCell('run', 'eval/none/0/FGSM', { accuracyMean: 1 }, 2_500);
    store.putCell('run', 'adaptive/He', { elapsedMs: 10 }, 4_000);
    // Two rows evaluating one shared set: its generation counts once.
    store.putCell('run', 'adaptive/He (1-bit)', { attack: 'he', elapsedMs: 60_000 }, 60_500);
    store.putCell('run', 'adaptive/He (median)', { attack: 'he', elapsedMs: 60_000 }, 300);
    expect(loadReportData(store, 'run')!.timings).toEqual({ attack: 91_000, eval: 2_500, adaptive: 4_000 + 60_500 + 300 });
    store.close();
  });

  it('adaptive rows that run the same attack share its seed (one adversarial set); rows with a surface share only on their own squeezer', () => {
    const he = 'he:squeezers=median:2x2,iterations=5';
    const config = seeded(parseConfig({
      ...input,
      adaptive: [
        { label: 'He (median)', spec: he, squeezer: 'median 2x2', runs: 2 },
        { label: 'He (none)', spec: he, squeezer: 'none', runs: 2 },
        { label: 'He, other T', spec: `${he},threshold=0.5`, squeezer: 'none', runs: 2 },
        { label: 'EOT (median)', spec: 'eot-pgd:k=2', surface: 'eot:2', squeezer: 'median 2x2', runs: 2 },
        { label: 'EOT (none)', spec: 'eot-pgd:k=2', surface: 'eot:2', squeezer: 'none', runs: 2 },
      ],
    }));
    const seeds = config.adaptive.map((a) => adaptiveSeed(config, a));
    expect(seeds[1]).toBe(seeds[0]);
    expect(seeds[0]).toBe(attackSeedOf(config.seed, 'adaptive/He (median)'));
    expect(seeds[0]).not.toContain(config.seed);
    expect(new Set([seeds[0], seeds[2], seeds[3], seeds[4]]).size).toBe(4);
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

  it('a resumed run regenerates no adversarial set whose cells are all stored', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mns-exp-')), 'r.db');
    const straight = await allCells(db);
    const config = seeded(parseConfig(input));
    const resume = async (e: ReturnType<typeof env>) => {
      const store = new ResultStore(db);
      try {
        await runExperiment(config, e, store, 'run');
        return Object.fromEntries(store.cells('run').map((c) => [c.key, c.result]));
      } finally {
        store.close();
      }
    };
    expect(await resume({ ...env(), attack: () => Promise.reject(new Error('attack set regenerated')) })).toEqual(straight);
    // One eval cell of FGSM lost: only that set is made again, and the results are the first run's.
    const raw = new Database(db);
    raw.prepare('DELETE FROM cells WHERE key = ?').run('eval/none/0.5/FGSM');
    raw.close();
    const made: string[] = [];
    const counting = env();
    const attack = counting.attack.bind(counting);
    expect(await resume({ ...counting, attack: (entry, ...rest) => (made.push(entry.label), attack(entry, ...rest)) })).toEqual(straight);
    expect(made).toEqual(['FGSM']);
  });

  it('plays the measured games with the adversary the config names, by registry spec', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mns-exp-'));
    // The default is the paper's A* with the config's m: naming it explicitly changes nothing.
    expect(await allCells(join(dir, 'a.db'), undefined, { adversary: 'greedy:m=4' })).toEqual(await allCells(join(dir, 'b.db')));
    const adaptive = (await allCells(join(dir, 'c.db'), undefined, { adversary: 'adaptive:initial=3,refine=1,contenders=2' }))['eval/none/0.5/FGSM'] as { measured: { games: number } };
    expect(adaptive.measured.games).toBe(5);
    await expect(allCells(join(dir, 'd.db'), undefined, { adversary: 'nobody' })).rejects.toThrow(/unknown adversary 'nobody'; available: adaptive, greedy/);
  });

  it('plays measured games at the operating deltas only when told so', async () => {
    const cells = await allCells(join(mkdtempSync(join(tmpdir(), 'mns-exp-')), 'r.db'), undefined, { gamesAt: 'operating' });
    expect(cells['eval/median 2x2/0.3/FGSM']).toHaveProperty('measured');
    expect(cells['eval/median 2x2/0/FGSM']).not.toHaveProperty('measured');
    expect(cells['eval/median 2x2/0/FGSM']).toHaveProperty('paperAdvantage');
  });

  it('validates configs and names the offending path', () => {
    expect(() => parseConfig({ ...input, seed: 'abc' })).toThrow(/seed: /);
    expect(() => parseConfig({ ...input, squeezers: [{ label: 'x', specs: [], deltas: [0.2], operatingDelta: 0.2 }] })).toThrow(/deltas must include 0/);
    expect(() => parseConfig({ ...input, repetitions: 0 })).toThrow(/repetitions/);
  });
});

describe('report', () => {
  it('writes markdown, self-contained HTML with inline SVG figures, and the SVG files', async () => {
    const out = await tinyReport();
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/Table 1: feature squeezing without randomness/);
    expect(md).toMatch(/\| median 2x2 \| 0.3 \| /);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(readdirSync(join(out, 'figures')).length);
    expect(readdirSync(join(out, 'figures'))).toContain('error-probability-heatmap.svg');
    // The adaptive row carries its convergence evidence: the loss curve figure and the late gain.
    expect(readdirSync(join(out, 'figures'))).toContain('convergence-pgd-median-2x2.svg');
    expect(md).toMatch(/\| PGD \(median 2x2\) \| median 2x2 \| 0.3 \| .* \| 12 steps, late gain -?\d+\.\d%/);
    expect(html).not.toMatch(/<script/);
  });

  it("compares with the paper's MNIST numbers only for MNIST runs", async () => {
    const other = readFileSync(join(await tinyReport(), 'report.md'), 'utf8');
    expect(other).toMatch(/the paper did not evaluate this dataset/);
    expect(other).toMatch(/The paper did not evaluate `synthetic`/);
    expect(other).not.toMatch(/\(99\.\d\d\)/);
    // The tiny grid's 'median 2x2' row gets the paper's legitimate accuracy (99.28) once compared with MNIST.
    const mnist = readFileSync(join(await tinyReport({ paper: 'mnist' }), 'report.md'), 'utf8');
    expect(mnist).toMatch(/\(99\.28\)/);
    expect(mnist).toMatch(/paper in brackets/);
  });
});
