import { PAPER_COLUMNS, PAPER_TABLE1, PAPER_TABLE2, PAPER_TABLE3 } from './paper-numbers.ts';
import { comparedWith } from '../experiment/config.ts';
import { type ReportData } from './report-data.ts';

/** A table as header + rows of cell strings; rendered to markdown or HTML. */
export interface Table {
  readonly title: string;
  readonly note: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(2));
const withPaper = (ours: string, paper: number | undefined) => (paper === undefined ? ours : `${ours} (${paper.toFixed(2)})`);

function paperValue(table: typeof PAPER_TABLE1, squeezer: string, column: string): number | undefined {
  const r = table[squeezer];
  if (!r) return undefined;
  if (column === 'all attacks') return r.all;
  if (column === 'legitimate') return r.legitimate;
  const i = (PAPER_COLUMNS as readonly string[]).indexOf(column);
  return i < 0 ? undefined : r.attacks[i];
}

/** Tables 1 and 2 in the paper's layout: accuracy per attack column, this run (paper). */
export function accuracyTable(data: ReportData, randomized: boolean): Table {
  const attacks = data.config.attacks.map((a) => a.label);
  const header = ['squeezer', ...(randomized ? ['delta'] : []), ...attacks, 'all attacks', 'legitimate'];
  // Published values exist for MNIST only (reference.md section 7); other runs print none.
  const published = comparedWith(data.config);
  const paper = published !== 'mnist' ? {} : randomized ? PAPER_TABLE2 : PAPER_TABLE1;
  const rows = data.config.squeezers
    .filter((s) => !randomized || s.operatingDelta > 0)
    .map((s) => {
      const delta = randomized ? s.operatingDelta : 0;
      const acc = attacks.map((a) => data.eval(s.label, delta, a)?.accuracyMean);
      const done = acc.filter((v): v is number => v !== undefined);
      const all = done.length === acc.length && done.length ? done.reduce((a, b) => a + b, 0) / done.length : undefined;
      const legit = data.eval(s.label, delta, 'legitimate');
      const sd = (v: number | undefined, c: string) => (randomized && v !== undefined ? `${pct(v)} ± ${pct(data.eval(s.label, delta, c)?.accuracyStd)}` : pct(v));
      return [
        s.label,
        ...(randomized ? [String(delta)] : []),
        ...acc.map((v, i) => withPaper(sd(v, attacks[i]!), paperValue(paper, s.label, attacks[i]!))),
        withPaper(pct(all), paperValue(paper, s.label, 'all attacks')),
        withPaper(randomized ? `${pct(legit?.accuracyMean)} ± ${pct(legit?.accuracyStd)}` : pct(legit?.accuracyMean), paperValue(paper, s.label, 'legitimate')),
      ];
    });
  return {
    title: randomized ? "Table 2: Mix'n'Squeeze at the operating points, accuracy %" : 'Table 1: feature squeezing without randomness, accuracy %',
    note: `This run (${{ mnist: 'paper in brackets', cifar10: 'no published CIFAR-10 values in the reference', imagenet: "the paper's ImageNet rows are not printed here: the README lists them beside this grid's", none: 'the paper did not evaluate this dataset: nothing to compare with' }[published]}), test set: ${data.config.testSet ?? data.config.dataset}. ${randomized ? `Mean ± sd over R = ${data.config.repetitions} repetitions with fresh keys. ` : ''}Adversarial sets: the first ${data.config.seeds} correctly classified test images, attacked on the undefended model${data.config.roundTo === 'uint8' ? ', rounded to the 8-bit grid before evaluation' : ''}.`,
    header,
    rows,
  };
}

interface Stats {
  mean: number;
  std: number;
}

/** Table 3 (and the strengthened adaptive rows): accuracy under adaptive attacks. */
export function adaptiveTable(data: ReportData): Table {
  const rows = data.config.adaptive.map((a) => {
    const r = data.adaptive(a.label) as
      | { delta: number; randomized: { legitimate: Stats; adversarial: Stats }; plain: { legitimate: Stats; adversarial: Stats }; lateGain?: number; lossPerStep?: number[] }
      | undefined;
    const paper = comparedWith(data.config) === 'mnist' && (a.spec.startsWith('he:') || a.spec === 'he') ? PAPER_TABLE3[a.squeezer] : undefined;
    const cell = (s: Stats | undefined, p: Stats | undefined, paperMean?: number, paperSd?: number, paperPlain?: number) =>
      s && p ? `${pct(s.mean)} ± ${pct(s.std)} (${pct(p.mean)})${paperMean !== undefined ? ` [paper ${paperMean} ± ${paperSd} (${paperPlain})]` : ''}` : '–';
    return [
      a.label,
      a.squeezer,
      r ? String(r.delta) : '–',
      cell(r?.randomized.legitimate, r?.plain.legitimate, paper?.legitimate[0], paper?.legitimate[1], paper?.legitimate[2]),
      cell(r?.randomized.adversarial, r?.plain.adversarial, paper?.adversarial[0], paper?.adversarial[1], paper?.adversarial[2]),
      r?.lateGain === undefined ? '–' : `${r.lossPerStep!.length} steps, late gain ${(100 * r.lateGain).toFixed(1)}%`,
    ];
  });
  return {
    title: 'Table 3: adaptive attacks, accuracy %',
    note: 'Mean ± sd over the runs with fresh keys at the operating delta; in brackets without randomness; the paper\'s numbers in square brackets. Convergence: the attack loss\'s relative rise over the last quarter of its steps against the quarter before (near 0%: flattened; the curves are in the convergence figure).',
    header: ['attack', 'squeezer', 'delta', 'legitimate', 'adversarial', 'convergence'],
    rows,
  };
}

/** Advantage per attack and delta at the largest N: eq. 6 and, when games ran, measured with its 95% interval. */
export function advantageTable(data: ReportData): Table {
  const n = Math.max(...data.config.budgets);
  const deltas = [...new Set(data.config.squeezers.flatMap((s) => s.deltas))].sort((a, b) => a - b);
  const rows: string[][] = [];
  for (const s of data.config.squeezers) {
    for (const a of data.config.attacks) {
      const row = [s.label, a.label];
      for (const d of deltas) {
        const c = data.eval(s.label, d, a.label);
        const eq6 = c?.paperAdvantage?.[n];
        const m = c?.measured;
        row.push(eq6 === undefined ? '–' : `${eq6.toFixed(3)}${m ? ` / ${m.advantage.toFixed(2)} [${m.low.toFixed(2)}, ${m.high.toFixed(2)}]` : ''}`);
      }
      rows.push(row);
    }
  }
  return {
    title: `Advantage at N = ${n}, tau = ${data.config.tau}`,
    note: 'eq. 6 (product of the N largest p_i) / measured over games with the greedy adversary [Wilson 95% interval].',
    header: ['squeezer', 'attack', ...deltas.map((d) => `delta ${d}`)],
    rows,
  };
}

export function markdownTable(t: Table): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [
    `### ${t.title}`,
    '',
    `| ${t.header.map(esc).join(' | ')} |`,
    `|${t.header.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
    t.note,
    '',
  ].join('\n');
}

export function htmlTable(t: Table): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<h3>${esc(t.title)}</h3><table><thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table><p class="note">${esc(t.note)}</p>`;
}
