import { comparedWith } from '../experiment/config.ts';
import { PAPER_ADVANTAGE_EXAMPLE } from './paper-numbers.ts';
import { type Point, heatMap, lineChart, renderSvg } from './plots.ts';
import { type ReportData } from './report-data.ts';

export interface Figure {
  readonly name: string;
  readonly caption: string;
  readonly svg: string;
}

/** The paper's figures for this run: accuracy and advantage vs delta, advantage vs N, p_i heat map. */
export async function buildFigures(data: ReportData): Promise<Figure[]> {
  const figures: Figure[] = [];
  const c = data.config;
  const nMax = Math.max(...c.budgets);
  // The paper's figure numbers: MNIST 5-7, CIFAR-10 8-9 (no heat map).
  // ImageNet: the reference records the paper's ImageNet tables only.
  const fig =
    c.paper === 'cifar10'
      ? { delta: 'fig. 8', n: 'fig. 9', map: 'not in the paper for CIFAR-10' }
      : c.paper === 'imagenet'
        ? { delta: 'no ImageNet figure in the reference', n: 'no ImageNet figure in the reference', map: 'no ImageNet figure in the reference' }
        : { delta: 'fig. 5', n: 'fig. 6', map: 'fig. 7' };
  for (const s of c.squeezers.filter((q) => q.deltas.length > 1)) {
    const slug = slugOf(s.label);
    const acc: Point[] = [];
    const adv: Point[] = [];
    for (const d of s.deltas) {
      for (const set of ['legitimate', ...c.attacks.map((a) => a.label)]) {
        const e = data.eval(s.label, d, set);
        if (!e) continue;
        acc.push({ x: d, y: e.accuracyMean, series: set, low: e.accuracyMean - e.accuracyStd, high: e.accuracyMean + e.accuracyStd });
        const a = e.paperAdvantage?.[nMax];
        if (a !== undefined) adv.push({ x: d, y: a, series: `${set} (eq. 6)` });
        if (e.measured) adv.push({ x: d, y: e.measured.advantage, series: `${set} (measured)`, low: e.measured.low, high: e.measured.high });
      }
    }
    if (comparedWith(c) === 'mnist' && s.label === PAPER_ADVANTAGE_EXAMPLE.squeezer && c.attacks.some((a) => a.label === PAPER_ADVANTAGE_EXAMPLE.attack)) {
      for (const [x, y] of PAPER_ADVANTAGE_EXAMPLE.points) adv.push({ x, y, series: `paper: ${PAPER_ADVANTAGE_EXAMPLE.attack}, N = ${PAPER_ADVANTAGE_EXAMPLE.n}` });
    }
    figures.push({
      name: `accuracy-vs-delta-${slug}`,
      caption: `Accuracy vs delta, ${s.label} (${fig.delta}): mean ± sd over R = ${c.repetitions}.`,
      svg: await renderSvg(lineChart(`Accuracy vs delta: ${s.label}`, 'delta', 'accuracy', acc, [0, 1])),
    });
    figures.push({
      name: `advantage-vs-delta-${slug}`,
      caption: `Advantage vs delta at N = ${nMax}, ${s.label} (${fig.delta}): eq. 6 and measured (Wilson 95% band)${comparedWith(c) === 'mnist' ? "; dashed: the paper's example" : ''}.`,
      svg: await renderSvg(lineChart(`Advantage vs delta (N = ${nMax}): ${s.label}`, 'delta', 'advantage', adv, [0, 1])),
    });
    const vsN: Point[] = [];
    for (const a of c.attacks) {
      const e = data.eval(s.label, s.operatingDelta, a.label);
      for (const n of c.budgets) if (e?.paperAdvantage?.[n] !== undefined) vsN.push({ x: n, y: e.paperAdvantage[n]!, series: a.label });
    }
    figures.push({
      name: `advantage-vs-n-${slug}`,
      caption: `Advantage vs N at delta ${s.operatingDelta}, ${s.label} (${fig.n}), eq. 6.`,
      svg: await renderSvg(lineChart(`Advantage vs N (delta ${s.operatingDelta}): ${s.label}`, 'N', 'advantage', vsN, [0, 1])),
    });
  }
  const hm = c.squeezers.find((s) => s.label === 'median 2x2' && s.deltas.length > 1) ?? c.squeezers.find((s) => s.deltas.length > 1);
  const attack = c.attacks.find((a) => a.label === 'CW-inf next') ?? c.attacks[0];
  if (hm && attack) {
    const cells: { x: string; y: string; value: number }[] = [];
    for (const d of hm.deltas) {
      const e = data.eval(hm.label, d, attack.label);
      e?.p.forEach((p, i) => cells.push({ x: String(d), y: String(i).padStart(4, '0'), value: p }));
    }
    figures.push({
      name: 'error-probability-heatmap',
      caption: `Per-sample error probability p_i vs delta, ${hm.label}, ${attack.label} (${fig.map}).`,
      svg: await renderSvg(heatMap(`p_i: ${hm.label}, ${attack.label}`, 'delta', 'sample', cells)),
    });
  }
  for (const a of c.adaptive) {
    const curve = (data.adaptive(a.label) as { lossPerStep?: number[] } | undefined)?.lossPerStep;
    if (!curve?.length) continue;
    figures.push({
      name: `convergence-${slugOf(a.label)}`,
      caption: `Convergence of ${a.label}: the attack's loss per step, mean over the samples still running at that step (${a.spec}${a.surface ? `, surface ${a.surface}` : ''}).`,
      svg: await renderSvg(lineChart(`Loss per step: ${a.label}`, 'step', 'loss', curve.map((y, x) => ({ x, y, series: a.label })))),
    });
  }
  return figures;
}

/** A label as a file-name part: `EOT-PGD (median 2x2)` -> `eot-pgd-median-2x2`. */
function slugOf(label: string): string {
  return label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
}
