import { type Component, type Role } from './component.ts';

/** Ids as spec strings can name them (see `splitSpec`): lowercase, no ':' or spaces. */
const ID = /^[a-z][a-z0-9-]*$/;

/**
 * What is wrong with a value bound to a role's token, or undefined when it is a usable component.
 * A plugin's mistake should be named when the plugin is used, not surface later as a TypeError
 * inside `list` or a command.
 */
export function componentProblem(c: unknown, role: Role): string | undefined {
  if (typeof c !== 'object' || c === null) return `expected a component object, got ${c === null ? 'null' : typeof c}`;
  const v = c as Partial<Record<keyof Component, unknown>>;
  if (typeof v.id !== 'string' || !ID.test(v.id)) return `'id' must be a lowercase id such as 'box-blur', got ${typeof v.id === 'string' ? `'${v.id}'` : typeof v.id}`;
  const at = `component '${v.id}'`;
  if (v.role !== role) return `${at}: 'role' is ${JSON.stringify(v.role) ?? 'undefined'} but it is bound to the ${role} token`;
  if (typeof v.summary !== 'string') return `${at}: 'summary' must be a string`;
  if (typeof (v.params as { safeParse?: unknown } | undefined)?.safeParse !== 'function') return `${at}: 'params' must be a zod schema`;
  if (!Array.isArray(v.examples) || v.examples.some((e) => typeof e !== 'string')) return `${at}: 'examples' must be a list of spec strings`;
  if (typeof v.create !== 'function') return `${at}: 'create' must be a function`;
  for (const k of ['positional', 'expand'] as const) {
    if (v[k] !== undefined && typeof v[k] !== 'function') return `${at}: '${k}' must be a function when given`;
  }
  return undefined;
}
