import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { FileAccessError, type Plugin, Registry } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';

/** What every command gets: output streams and the registry with built-in and user plugins. */
export interface CliContext {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  readonly interactive: boolean;
  registry(): Promise<Registry>;
}

/** The built-in plugins every registry starts with. */
export function builtinRegistry(): Registry {
  return new Registry().use(squeezersPlugin);
}

/** Loads `--plugin` modules: each must export a Plugin as default (or as `plugin`). */
export async function loadPlugins(registry: Registry, paths: readonly string[]): Promise<Registry> {
  for (const p of paths) {
    let mod: { default?: Plugin; plugin?: Plugin };
    try {
      mod = (await import(pathToFileURL(resolve(p)).href)) as typeof mod;
    } catch (e) {
      throw new FileAccessError(`plugin '${p}' cannot be loaded: ${(e as Error).message.split('\n')[0]}. Pass a path to an ES module.`);
    }
    const plugin = mod.default ?? mod.plugin;
    if (!plugin || typeof plugin.register !== 'function') {
      throw new FileAccessError(`plugin '${p}' exports no plugin; export default { name, register(container) }.`);
    }
    registry.use(plugin);
  }
  return registry;
}
