import { LimitError, ParameterError } from '@mixnsqueeze/core/errors';

/**
 * A count option's value: digits only, a positive safe integer, at most `max` when given (with
 * `why` naming where the limit comes from). `1e3`, `2.5`, `-1` and `0x10` are refused alike.
 */
export function positiveCount(name: string, text: string, max?: { value: number; why: string }): number {
  const v = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(v) || v < 1) throw new ParameterError(`${name}: expected a positive integer, got '${text}'.`);
  if (max && v > max.value) throw new LimitError(`${name} ${v} is more than ${max.why} (${max.value}); pass ${name} ${max.value} or less.`);
  return v;
}

/** Refuses a count larger than the samples there are, naming the limit and the dataset. */
export function atMostSamples(name: string, count: number, available: number, dataset: string): void {
  if (count > available) {
    throw new LimitError(`${name} ${count} is more than the ${available} samples of '${dataset}'; pass ${name} ${available} or less.`);
  }
}
