import { pathToFileURL } from 'node:url';
import type { Plugin, Registry } from '@mixnsqueeze/core';
import { PluginError, isMixnsqueezeError } from '@mixnsqueeze/core/errors';
import { importWithin, pluginTimeoutSeconds } from './plugin-timeout.ts';
import { locatePlugin } from './plugin-location.ts';
import { recordPluginModule } from '../isolation/plugin-modules.ts';

/** What every command gets: output streams and the registry with built-in and user plugins. */
export interface CliContext {
  /** Writes to standard output. */
  readonly stdout: (s: string) => void;
  /** Writes to standard error (messages, progress). */
  readonly stderr: (s: string) => void;
  /**
   * The command has accepted its inputs: notes written to stderr so far are shown, later ones
   * pass straight through. Until then they are held, and dropped if the command fails, so bad
   * input gets one error line and nothing else. Output on stdout and progress accept too.
   */
  accept?(): void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  readonly interactive: boolean;
  /** The registry with the built-in plugins and those given by `--plugin`, created on first use. */
  registry(): Promise<Registry>;
}

const isPlugin = (v: unknown): v is Plugin =>
  typeof v === 'object' && v !== null && typeof (v as Plugin).name === 'string' && typeof (v as Plugin).register === 'function';

/**
 * Loads `--plugin` modules (paths, or names of packages installed where the command runs) and uses every Plugin they export (default or named). A module that
 * fails to import, takes longer than the plugin timeout, exports no plugin, throws in `register`
 * or registers a malformed component is a typed error naming the module.
 */
export async function loadPlugins(registry: Registry, paths: readonly string[]): Promise<Registry> {
  const seconds = pluginTimeoutSeconds();
  for (const p of paths) {
    const file = await locatePlugin(p);
    let mod: Record<string, unknown>;
    try {
      mod = await importWithin(pathToFileURL(file).href, p, seconds);
    } catch (e) {
      if (isMixnsqueezeError(e)) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new PluginError(`plugin '${p}' cannot be loaded: ${msg.split('\n')[0]}. Pass a path to an ES module that imports without errors.`);
    }
    const plugins = [...new Set(Object.values(mod).filter(isPlugin))];
    if (plugins.length === 0) {
      throw new PluginError(`plugin '${p}' exports no plugin; export { name, register(container) } from it.`);
    }
    for (const plugin of plugins) registry.use(plugin);
    // The adversary process loads the same module to find the plugin's adversaries.
    recordPluginModule(registry, file);
  }
  return registry;
}
