import { ParameterError, PluginError } from '@mixnsqueeze/core/errors';

/** Seconds a `--plugin` module may take to load before the command fails (see docs/plugins.md). */
export const DEFAULT_PLUGIN_TIMEOUT_S = 30;

/** Environment variable that overrides {@link DEFAULT_PLUGIN_TIMEOUT_S}, in seconds. */
export const PLUGIN_TIMEOUT_ENV = 'MIXNSQUEEZE_PLUGIN_TIMEOUT';

/** The plugin load timeout in seconds: the environment's, else the default. */
export function pluginTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PLUGIN_TIMEOUT_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_PLUGIN_TIMEOUT_S;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0) throw new ParameterError(`${PLUGIN_TIMEOUT_ENV}: expected a number of seconds > 0, got '${raw}'.`);
  return s;
}

/**
 * The module's exports, or a PluginError when its import has not settled within `seconds`. A
 * module whose top-level await never settles would otherwise leave Node with nothing to run, and
 * it exits with status 13 and no word of why.
 */
export async function importWithin(href: string, label: string, seconds: number): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PluginError(`plugin '${label}' did not finish loading within ${seconds} s; fix its top-level code, or set ${PLUGIN_TIMEOUT_ENV}=<seconds> if it needs longer.`)),
      seconds * 1000,
    );
  });
  try {
    return (await Promise.race([import(href), timeout])) as Record<string, unknown>;
  } finally {
    clearTimeout(timer);
  }
}
