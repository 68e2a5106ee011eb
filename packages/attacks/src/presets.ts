import { type Component, type Role, defineComponent } from '@mixnsqueeze/core';
import { type z } from 'zod';

/** Reference settings per dataset (reference.md section 4), selectable as `attack:mnist`. */
export type Presets<P> = Partial<Record<'mnist' | 'cifar10' | 'imagenet', Partial<P>>>;

/**
 * A registry component for an attack: parameters from `key=value`, or a preset name as the short
 * form (`bim:mnist`), or both (`bim:preset=cifar10,eps=0.01`: the preset, then the overrides).
 */
export function attackComponent<T, P extends Record<string, unknown>>(options: {
  id: string;
  summary: string;
  params: z.ZodType<P>;
  presets: Presets<P>;
  examples: readonly string[];
  create: (p: P) => T;
}): Component<T, P> {
  const names = Object.keys(options.presets);
  return defineComponent<T, P>({
    id: options.id,
    role: 'attack' as Role,
    summary: options.summary,
    params: options.params,
    positional: (arg) => {
      const preset = options.presets[arg.trim() as keyof Presets<P>];
      if (!preset) throw new Error(`unknown preset '${arg}'; presets: ${names.join(', ') || '(none)'}`);
      return { ...preset };
    },
    expand: (raw) => expandPreset(options.presets, raw),
    examples: options.examples,
    create: options.create,
  });
}

/** Applies `preset=<name>` inside key=value parameters. */
export function expandPreset<P>(presets: Presets<P>, raw: Record<string, unknown>): Record<string, unknown> {
  const name = raw.preset;
  if (name === undefined) return raw;
  const { preset: _, ...rest } = raw;
  const base = presets[String(name) as keyof Presets<P>];
  if (!base) throw new Error(`unknown preset '${String(name)}'; presets: ${Object.keys(presets).join(', ')}`);
  return { ...base, ...rest };
}
