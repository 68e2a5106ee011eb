import { ParameterError } from './errors.ts';

/** A spec string split into its id and its raw argument (`median:2x2` -> median, 2x2). */
export interface ParsedSpec {
  /** The component id, lower-cased. */
  readonly id: string;
  /** Everything after the first `:`, or undefined when there is none. */
  readonly arg: string | undefined;
}

const ID = /^[a-z][a-z0-9-]*$/;

/** Splits a spec string at its first `:` into id and argument, checking the id's syntax. */
export function splitSpec(spec: string): ParsedSpec {
  const s = spec.trim();
  const colon = s.indexOf(':');
  const id = (colon < 0 ? s : s.slice(0, colon)).trim().toLowerCase();
  const arg = colon < 0 ? undefined : s.slice(colon + 1).trim();
  if (!ID.test(id)) {
    throw new ParameterError(`spec '${spec}': expected 'id' or 'id:args' with a lowercase id, e.g. 'median:2x2'.`);
  }
  return { id, arg: arg === '' ? undefined : arg };
}

/** True when an argument is in `key=value,...` form rather than a positional short form. */
export function isKeyValue(arg: string): boolean {
  return /^[A-Za-z_][\w-]*\s*=/.test(arg);
}

/**
 * Parses `key=value,key=value`. Values stay strings except those that read as numbers or
 * booleans; schemas coerce further.
 */
export function parseKeyValues(spec: string, arg: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of arg.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ParameterError(`spec '${spec}': expected key=value pairs separated by commas, got '${part}'.`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (key in out) throw new ParameterError(`spec '${spec}': parameter '${key}' given twice.`);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

/** Formats parameters back into canonical `key=value` form, keys sorted. */
export function formatKeyValues(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join(',');
}
