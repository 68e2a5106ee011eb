import { ParameterError } from '@mixnsqueeze/core';

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest budget window accepted: one year (longer ones are almost always a typo). */
export const MAX_WINDOW_MS = 365 * UNITS.d!;

/**
 * Parses a budget window such as `30s`, `15m`, `1h` or `7d` into milliseconds. A bare number has no
 * unit and is refused, as is anything under one second or over a year.
 */
export function parseDuration(text: string, what = '--window'): number {
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new ParameterError(`${what} '${text}' is not a duration; write a whole number and a unit, e.g. 30s, 15m, 1h or 7d.`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (ms < 1_000 || ms > MAX_WINDOW_MS) throw new ParameterError(`${what} '${text}' is out of range; use between 1s and 365d.`);
  return ms;
}

/** The shortest exact spelling of a duration in milliseconds (`3600000` -> `1h`), as `parseDuration` reads it. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) if (ms % UNITS[unit]! === 0) return `${ms / UNITS[unit]!}${unit}`;
  return `${Math.round(ms / 1_000)}s`;
}
