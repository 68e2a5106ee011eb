import { type AttackReport, lateGain } from '@mixnsqueeze/attacks';

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);

/** What the results database keeps of an attack run: rates, mean norms, cost and convergence evidence. */
export function attackSummary(report: AttackReport): Record<string, unknown> {
  const curve = report.lossPerStep?.length ? Array.from(report.lossPerStep) : undefined;
  return {
    attack: report.attack,
    surface: report.surface,
    successRate: mean(Float64Array.from(report.success)),
    meanL2: mean(report.perturbationNorms.l2),
    meanLinf: mean(report.perturbationNorms.linf),
    queries: report.queries,
    elapsedMs: report.elapsedMs,
    // The report plots the curve and judges convergence by how much the loss still rose late.
    ...(curve ? { lossPerStep: curve, lateGain: lateGain(curve) } : {}),
  };
}
