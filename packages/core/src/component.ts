import { type z } from 'zod';

/** The roles a component can play; each role has its own id namespace and DI token. */
export type Role = 'squeezer' | 'randomizer' | 'attack' | 'adversary';

/**
 * A registrable implementation: its id, a parameter schema (zod), an optional parser for the
 * positional short form of its spec (`median:2x2`, `nlm:11-3-4`), and a factory. Plugins bind
 * components to their role's token; the registry finds them by id.
 */
export interface Component<T = unknown, P = Record<string, unknown>> {
  /** Id within its role, used in spec strings (`median`, `pgd`). */
  readonly id: string;
  /** The role it is registered under. */
  readonly role: Role;
  /** One-line description, shown by `list`. */
  readonly summary: string;
  /** Zod object schema of the parameters; it also supplies every default. */
  readonly params: z.ZodType<P>;
  /**
   * Parses the short form after `id:` into raw parameters (validated by `params` afterwards).
   * Without it, the short form is `key=value,key=value` only.
   */
  readonly positional?: (arg: string) => Record<string, unknown>;
  /** Rewrites raw `key=value` parameters before validation (e.g. expands `preset=mnist`). */
  readonly expand?: (raw: Record<string, unknown>) => Record<string, unknown>;
  /** Example spec strings, shown in `list` and in error messages. */
  readonly examples: readonly string[];
  /** Builds an instance from validated parameters (defaults filled in by `params`). */
  create(params: P): T;
}

/** Identity helper that keeps the parameter type of a component literal. */
export function defineComponent<T, P>(c: Component<T, P>): Component<T, P> {
  return c;
}
