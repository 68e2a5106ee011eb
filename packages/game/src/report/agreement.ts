import { comparedWith } from '../experiment/config.ts';
import { PAPER_COLUMNS, PAPER_TABLE1, PAPER_TABLE2, PAPER_TABLE3 } from './paper-numbers.ts';
import { type ReportData } from './report-data.ts';
import { type Table } from './tables.ts';

/** One published number and this run's value for it, in accuracy points (%). */
export interface ComparedCell {
  /** Where the number sits, e.g. `table 2, median 2x2 delta 0.5, CW-2 next`. */
  readonly where: string;
  readonly paper: number;
  readonly ours: number;
}

interface Stats {
  readonly mean: number;
}

/**
 * Every cell of the paper's MNIST tables 1-3 that this run computed, paired with the published
 * value: the attack columns, `all attacks` (only when the run has all ten columns, as the paper's
 * mean is over them) and legitimate accuracy of tables 1-2 at each row's operating delta; table 3's
 * legitimate and adversarial means with randomness and without, for every He et al. row (with the
 * threshold fitted on this run's legitimate images, and with the published one). Empty for runs not compared with the paper's MNIST numbers.
 */
export function comparedCells(data: ReportData): ComparedCell[] {
  if (comparedWith(data.config) !== 'mnist') return [];
  const out: ComparedCell[] = [];
  const push = (where: string, paper: number, ours: number | undefined) => {
    if (ours !== undefined && !Number.isNaN(ours)) out.push({ where, paper, ours: 100 * ours });
  };
  const columns = data.config.attacks.map((a) => a.label).filter((l) => (PAPER_COLUMNS as readonly string[]).includes(l));
  const complete = columns.length === PAPER_COLUMNS.length;
  for (const [table, published] of [
    [1, PAPER_TABLE1],
    [2, PAPER_TABLE2],
  ] as const) {
    for (const s of data.config.squeezers) {
      const paper = (published as Record<string, (typeof PAPER_TABLE1)[string]>)[s.label];
      if (!paper || (table === 2 && s.operatingDelta === 0)) continue;
      const delta = table === 1 ? 0 : s.operatingDelta;
      const row = `table ${table}, ${s.label}${table === 2 ? ` delta ${delta}` : ''}`;
      const values: number[] = [];
      for (const c of columns) {
        const v = data.eval(s.label, delta, c)?.accuracyMean;
        if (v !== undefined) values.push(v);
        push(`${row}, ${c}`, paper.attacks[PAPER_COLUMNS.indexOf(c as (typeof PAPER_COLUMNS)[number])]!, v);
      }
      if (complete && values.length === columns.length) push(`${row}, all attacks`, paper.all, values.reduce((a, b) => a + b, 0) / values.length);
      push(`${row}, legitimate`, paper.legitimate, data.eval(s.label, delta, 'legitimate')?.accuracyMean);
    }
  }
  for (const a of data.config.adaptive) {
    const paper = a.spec === 'he' || a.spec.startsWith('he:') ? PAPER_TABLE3[a.squeezer] : undefined;
    const r = data.adaptive(a.label) as { randomized: { legitimate: Stats; adversarial: Stats }; plain: { legitimate: Stats; adversarial: Stats } } | undefined;
    if (!paper || !r) continue;
    push(`table 3, ${a.label}, legitimate`, paper.legitimate[0], r.randomized.legitimate.mean);
    push(`table 3, ${a.label}, adversarial`, paper.adversarial[0], r.randomized.adversarial.mean);
    push(`table 3, ${a.label}, legitimate without randomness`, paper.legitimate[2], r.plain.legitimate.mean);
    push(`table 3, ${a.label}, adversarial without randomness`, paper.adversarial[2], r.plain.adversarial.mean);
  }
  return out;
}

/** How many compared cells lie within 2, 5 and 10 points of the paper, and the largest differences. */
export function agreementSummary(cells: readonly ComparedCell[], largest = 8): { within: Record<2 | 5 | 10, number>; total: number; worst: ComparedCell[] } {
  const gap = (c: ComparedCell) => Math.abs(c.ours - c.paper);
  const within = { 2: 0, 5: 0, 10: 0 };
  for (const c of cells) for (const t of [2, 5, 10] as const) if (gap(c) <= t) within[t]++;
  return { within, total: cells.length, worst: [...cells].sort((a, b) => gap(b) - gap(a)).slice(0, largest) };
}

/** The agreement summary as a report table; undefined when nothing is compared. */
export function agreementTable(data: ReportData): Table | undefined {
  const cells = comparedCells(data);
  if (cells.length === 0) return undefined;
  const s = agreementSummary(cells);
  const share = (k: number) => `${k} of ${s.total} (${((100 * k) / s.total).toFixed(0)}%)`;
  return {
    title: 'Agreement with the paper (tables 1-3, accuracy points)',
    note: `Cells compared: ${s.total}. Within 2 points: ${share(s.within[2])}; within 5: ${share(s.within[5])}; within 10: ${share(s.within[10])}. The rows above are the largest differences; nothing was tuned to close them.`,
    header: ['cell', 'this run', 'paper', 'difference'],
    rows: s.worst.map((c) => [c.where, c.ours.toFixed(2), c.paper.toFixed(2), `${c.ours >= c.paper ? '+' : ''}${(c.ours - c.paper).toFixed(2)}`]),
  };
}
