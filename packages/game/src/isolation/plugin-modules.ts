import { resolve } from 'node:path';
import type { Registry } from '@mixnsqueeze/core';

const modules = new WeakMap<Registry, string[]>();

/**
 * Notes that `registry` used the plugins of the module at `path`, so that an adversary's own
 * process can load the same module: a plugin object cannot cross a process boundary, its path can.
 */
export function recordPluginModule(registry: Registry, path: string): void {
  const list = modules.get(registry) ?? [];
  list.push(resolve(path));
  modules.set(registry, list);
}

/** The plugin modules recorded for `registry`, in the order they were loaded. */
export function pluginModules(registry: Registry): readonly string[] {
  return modules.get(registry) ?? [];
}
