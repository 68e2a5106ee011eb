import { type Batch } from '@mixnsqueeze/core';
import { type AttackReport } from '../attack-base.ts';

/** An AttackReport without its adversarial batch, as JSON-ready arrays. */
export interface ReportJson {
  readonly attack: string;
  readonly surface: string;
  readonly success: number[];
  readonly predicted: number[];
  readonly targets: number[] | null;
  readonly norms: { readonly l0: number[]; readonly l2: number[]; readonly linf: number[] };
  readonly queries: { readonly forward: number; readonly gradient: number };
  readonly elapsedMs: number;
  readonly lossPerStep?: number[];
}

export function reportToJson(r: AttackReport): ReportJson {
  return {
    attack: r.attack,
    surface: r.surface,
    success: Array.from(r.success),
    predicted: Array.from(r.predicted),
    targets: r.targets ? Array.from(r.targets) : null,
    norms: { l0: Array.from(r.perturbationNorms.l0), l2: Array.from(r.perturbationNorms.l2), linf: Array.from(r.perturbationNorms.linf) },
    queries: { forward: r.queries.forward, gradient: r.queries.gradient },
    elapsedMs: r.elapsedMs,
    ...(r.lossPerStep ? { lossPerStep: Array.from(r.lossPerStep) } : {}),
  };
}

const numbers = (v: unknown, n: number, what: string): number[] => {
  if (!Array.isArray(v) || v.length !== n || v.some((e) => typeof e !== 'number')) throw new Error(`${what}: expected ${n} numbers`);
  return v as number[];
};

/** Rebuilds the report around its adversarial batch; throws (with what is wrong) on malformed JSON. */
export function reportFromJson(j: Partial<ReportJson>, adversarial: Batch): AttackReport {
  const n = adversarial.shape[0]!;
  if (typeof j.attack !== 'string' || typeof j.surface !== 'string') throw new Error('attack or surface missing');
  if (typeof j.elapsedMs !== 'number' || typeof j.queries?.forward !== 'number' || typeof j.queries.gradient !== 'number') {
    throw new Error('queries or time missing');
  }
  return {
    attack: j.attack,
    surface: j.surface,
    adversarial,
    success: Uint8Array.from(numbers(j.success, n, 'success')),
    predicted: Int32Array.from(numbers(j.predicted, n, 'predicted')),
    targets: j.targets === null || j.targets === undefined ? undefined : Int32Array.from(numbers(j.targets, n, 'targets')),
    perturbationNorms: {
      l0: Float64Array.from(numbers(j.norms?.l0, n, 'l0')),
      l2: Float64Array.from(numbers(j.norms?.l2, n, 'l2')),
      linf: Float64Array.from(numbers(j.norms?.linf, n, 'linf')),
    },
    queries: { forward: j.queries.forward, gradient: j.queries.gradient },
    elapsedMs: j.elapsedMs,
    ...(j.lossPerStep ? { lossPerStep: Float64Array.from(numbers(j.lossPerStep, j.lossPerStep.length, 'lossPerStep')) } : {}),
  };
}
