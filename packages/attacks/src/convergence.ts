import { type Batch, type Classifier, ParameterError, type TargetMode, argmaxRows } from '@mixnsqueeze/core';
import { type AttackReport } from './attack-base.ts';
import { EotPgd, type EotPgdParams, eotPgdParams } from './attacks/eot-pgd.ts';

/** Options of {@link eotConvergence}: EOT-PGD parameters (except `k`) and the measurement settings. */
export interface EotConvergenceOptions extends Partial<Omit<EotPgdParams, 'k'>> {
  /** EOT draws per step to compare (default [1, 5, 10, 30]). */
  readonly ks?: readonly number[];
  /** Attack goal (default untargeted). */
  readonly target?: TargetMode;
  /** Seed of the attack's randomness, the same for every k (default `0`). */
  readonly seed?: string;
  /** Fresh classifications of every adversarial example used to measure success (default 10). */
  readonly evalDraws?: number;
  /** Largest change, absolute for success rates and relative for the loss, still called converged (default 0.02). */
  readonly tolerance?: number;
  /** Samples per attack chunk (see {@link AttackRunOptions.batchSize}). */
  readonly batchSize?: number;
  /** Aborts the measurement. */
  readonly signal?: AbortSignal;
}

/** The EOT-PGD run with one number of draws k. */
export interface EotConvergenceRun {
  /** EOT draws per step. */
  readonly k: number;
  /** Fraction of (sample, classification) pairs the attack wins, over evalDraws fresh draws each. */
  readonly successRate: number;
  /** Mean over samples of the EOT loss at each step (restarts one after the other). */
  readonly lossPerStep: number[];
  /** Mean loss over the last quarter of steps minus that over the quarter before, relative to its size. */
  readonly lateGain: number;
  /** Model queries of the run, in samples. */
  readonly queries: { readonly forward: number; readonly gradient: number };
  /** Wall-clock time of the run, in milliseconds. */
  readonly elapsedMs: number;
}

/** What {@link eotConvergence} finds: one run per k and the verdict. */
export interface EotConvergenceReport {
  /** Canonical spec of the EOT-PGD attack (with the largest k). */
  readonly attack: string;
  /** Samples attacked. */
  readonly samples: number;
  /** Recorded loss steps of a run (steps times restarts). */
  readonly steps: number;
  /** Fresh classifications per adversarial example used to measure success. */
  readonly evalDraws: number;
  /** The tolerance the verdict used. */
  readonly tolerance: number;
  /** One run per k, in increasing k. */
  readonly runs: EotConvergenceRun[];
  /** Success of the two largest k within tolerance and the largest k's loss no longer rising. */
  readonly converged: boolean;
  /** Why it is or is not converged, one line each. */
  readonly notes: string[];
}

/**
 * Convergence check of EOT-PGD against a (randomized) model, after Athalye et al. and Tramer et al.
 * (2020): runs the same attack (same seed, same random starts) with k draws per step for every k
 * in `ks`, and reports for each the loss curve (mean over samples per step) and the success rate
 * measured over `evalDraws` fresh classifications of each adversarial example. A claim that a
 * randomized defense resists EOT is only as good as this report: success must have stopped
 * growing with k, and the loss must have stopped rising with the steps.
 * Rule for `converged`: |success(k_max) - success(k_prev)| <= tolerance, and the largest k's late
 * loss gain (see EotConvergenceRun.lateGain) <= tolerance.
 */
export async function eotConvergence(
  model: Classifier,
  x: Batch,
  labels: Int32Array,
  options: EotConvergenceOptions = {},
): Promise<EotConvergenceReport> {
  const { ks = [1, 5, 10, 30], target, seed = '0', evalDraws = 10, tolerance = 0.02, batchSize, signal, ...pgd } = options;
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new ParameterError(`eotConvergence: ks must be positive integers, got [${ks.join(', ')}].`);
  }
  if (!Number.isInteger(evalDraws) || evalDraws < 1) throw new ParameterError(`eotConvergence: evalDraws must be a positive integer, got ${evalDraws}.`);
  if (!(tolerance >= 0)) throw new ParameterError(`eotConvergence: tolerance must be >= 0, got ${tolerance}.`);
  const sorted = [...new Set(ks)].sort((a, b) => a - b);
  const runs: EotConvergenceRun[] = [];
  let attack = '';
  for (const k of sorted) {
    const parsed = eotPgdParams.safeParse({ ...pgd, k });
    if (!parsed.success) {
      throw new ParameterError(`eotConvergence: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
    }
    const eot = new EotPgd(parsed.data);
    attack = eot.spec;
    const report = await eot.run(model, x, labels, { surface: `eot:${k}`, seed, ...(target ? { target } : {}), ...(batchSize ? { batchSize } : {}), ...(signal ? { signal } : {}) });
    const wins = await countWins(model, report, labels, evalDraws);
    const curve = Array.from(report.lossPerStep ?? []);
    runs.push({
      k,
      successRate: labels.length ? wins / (labels.length * evalDraws) : 0,
      lossPerStep: curve,
      lateGain: lateGain(curve),
      queries: { forward: report.queries.forward + labels.length * evalDraws, gradient: report.queries.gradient },
      elapsedMs: report.elapsedMs,
    });
  }
  const notes: string[] = [];
  const last = runs[runs.length - 1]!;
  const prev = runs.length > 1 ? runs[runs.length - 2] : undefined;
  const kStable = prev !== undefined && Math.abs(last.successRate - prev.successRate) <= tolerance;
  if (!prev) notes.push('only one k: success against k cannot be judged; pass several ks.');
  else if (kStable) notes.push(`success at k=${prev.k} and k=${last.k} within ${tolerance}.`);
  else notes.push(`success changes from ${prev.successRate.toFixed(3)} (k=${prev.k}) to ${last.successRate.toFixed(3)} (k=${last.k}): try larger k.`);
  const stepStable = last.lateGain <= tolerance;
  notes.push(stepStable ? `loss at k=${last.k} has flattened (late gain ${last.lateGain.toFixed(4)}).` : `loss at k=${last.k} still rising (late gain ${last.lateGain.toFixed(4)}): try more steps.`);
  if (!model.stochastic) notes.push('the model is deterministic: every k gives the same gradients.');
  return { attack, samples: labels.length, steps: last.lossPerStep.length, evalDraws, tolerance, runs, converged: kStable && stepStable, notes };
}

/** (Mean loss over the last quarter - mean over the quarter before) / max(1e-12, |the latter|). */
export function lateGain(curve: readonly number[]): number {
  const q = Math.floor(curve.length / 4);
  if (q === 0) return 0;
  let late = 0;
  let before = 0;
  for (let t = curve.length - q; t < curve.length; t++) late += curve[t]! / q;
  for (let t = curve.length - 2 * q; t < curve.length - q; t++) before += curve[t]! / q;
  return (late - before) / Math.max(1e-12, Math.abs(before));
}

/** Wins over `draws` fresh classifications of every adversarial example, one batched call per draw. */
async function countWins(model: Classifier, report: AttackReport, labels: Int32Array, draws: number): Promise<number> {
  let wins = 0;
  for (let r = 0; r < draws; r++) {
    const predicted = argmaxRows(await model.predict(report.adversarial));
    for (let i = 0; i < labels.length; i++) wins += Number(report.targets ? predicted[i] === report.targets[i] : predicted[i] !== labels[i]);
  }
  return wins;
}
