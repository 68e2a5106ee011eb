import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { z } from 'zod';
import { type Component, type Role } from './component.ts';
import { ParameterError, PluginError, UnknownComponentError, isMixnsqueezeError } from './errors.ts';
import { componentProblem } from './component-check.ts';
import { formatKeyValues, isKeyValue, parseKeyValues, splitSpec } from './spec.ts';
import { type AdversaryFactory } from './game.ts';
import { type Randomizer, type Squeezer } from './transform.ts';

/** DI tokens: one per role, plus the registry itself (for components that need other components). */
export const TOKENS = {
  squeezer: Symbol.for('mixnsqueeze.role.squeezer'),
  randomizer: Symbol.for('mixnsqueeze.role.randomizer'),
  attack: Symbol.for('mixnsqueeze.role.attack'),
  adversary: Symbol.for('mixnsqueeze.role.adversary'),
  registry: Symbol.for('mixnsqueeze.registry'),
} as const satisfies Record<Role | 'registry', symbol>;

/** Every role, in the order `list` shows them. */
export const ROLES: readonly Role[] = ['squeezer', 'randomizer', 'attack', 'adversary'];

/**
 * A plugin: a name and a function that binds components to role tokens (unnamed), the way vite or
 * rollup plugins are objects passed to `use`. An inversify `ContainerModule` works too.
 */
export interface Plugin {
  /** Plugin name, shown as the `plugin` of its components. */
  readonly name: string;
  /** Binds the plugin's components to their role tokens in the container. */
  register(container: Container): void;
}

/** One row of `Registry.list()`. */
export interface ComponentInfo {
  /** The component's role. */
  readonly role: Role;
  /** The component's id within its role. */
  readonly id: string;
  /** One-line description. */
  readonly summary: string;
  /** Name of the plugin that registered it. */
  readonly plugin: string;
  /** JSON schema of the parameters (types, bounds, defaults). */
  readonly params: Record<string, unknown>;
  /** Example spec strings. */
  readonly examples: readonly string[];
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

function oneLineIssues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * The component registry: an inversify container that plugins are explicitly `use`d on, and the
 * id -> factory maps built from it. Spec strings (`median:2x2`, `uniform:delta=0.2`) resolve to
 * validated instances; unknown ids and bad parameters are typed errors that list what is available.
 */
export class Registry {
  readonly #container = new Container();
  readonly #owner = new Map<string, string>();
  readonly #plugins: string[] = [];

  constructor() {
    this.#container.bind(TOKENS.registry).toConstantValue(this);
  }

  /** Names of the plugins used so far, in order. */
  get plugins(): readonly string[] {
    return this.#plugins;
  }

  /** Registers a plugin's components. Refuses, and changes nothing, if an id is taken already. */
  use(plugin: Plugin | ContainerModule, name?: string): this {
    const pluginName = name ?? (plugin instanceof ContainerModule ? `module#${plugin.id}` : plugin.name);
    this.#container.snapshot();
    try {
      try {
        if (plugin instanceof ContainerModule) this.#container.load(plugin);
        else plugin.register(this.#container);
      } catch (e) {
        if (isMixnsqueezeError(e)) throw e;
        throw new PluginError(`plugin '${pluginName}' failed in register: ${firstLine(e)}. Fix the plugin or leave it out.`);
      }
      const fresh = new Map<string, string>();
      for (const role of ROLES) {
        const seen = new Set<string>();
        for (const c of this.#resolved(role, pluginName)) {
          const key = `${role}:${c.id}`;
          if (seen.has(c.id)) {
            const prior = this.#owner.get(key) ?? pluginName;
            throw new ParameterError(
              `plugin '${pluginName}': ${role} id '${c.id}' is already registered by '${prior}'. Give the component another id.`,
            );
          }
          seen.add(c.id);
          if (!this.#owner.has(key)) fresh.set(key, pluginName);
        }
      }
      for (const [k, v] of fresh) this.#owner.set(k, v);
      this.#plugins.push(pluginName);
    } catch (e) {
      this.#container.restore();
      throw e;
    }
    return this;
  }

  #all(role: Role): Component[] {
    return this.#container.getAll<Component>(TOKENS[role], { optional: true }) ?? [];
  }

  /** The role's components, each checked, with a plugin's mistakes reported as its own. */
  #resolved(role: Role, pluginName: string): Component[] {
    let all: unknown[];
    try {
      all = this.#all(role);
    } catch (e) {
      throw new PluginError(`plugin '${pluginName}': a ${role} binding cannot be resolved: ${firstLine(e)}. Fix the plugin or leave it out.`);
    }
    for (const c of all) {
      const problem = componentProblem(c, role);
      if (problem) throw new PluginError(`plugin '${pluginName}' registered a malformed ${role}: ${problem}. Fix the plugin or leave it out.`);
    }
    return all as Component[];
  }

  /** All components of a role, sorted by id. */
  components(role: Role): Component[] {
    return [...this.#all(role)].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The component with this id, or a typed error listing the available ones. */
  component(role: Role, id: string): Component {
    const found = this.#all(role).find((c) => c.id === id);
    if (found) return found;
    const ids = this.components(role).map((c) => c.id);
    throw new UnknownComponentError(
      `unknown ${role} '${id}'; available: ${ids.length ? ids.join(', ') : '(none: use() a plugin that provides one)'}.`,
    );
  }

  /** Validates raw parameters against a component's schema (defaults filled in). */
  params<P>(component: Component<unknown, P>, raw: Record<string, unknown>, spec = component.id): P {
    const r = component.params.safeParse(raw);
    if (!r.success) {
      throw new ParameterError(
        `${component.role} '${spec}': ${oneLineIssues(r.error)}. Examples: ${component.examples.join(', ')}.`,
      );
    }
    return r.data;
  }

  /** Parses a spec string of a role into its component and validated parameters. */
  resolve(role: Role, spec: string): { component: Component; params: Record<string, unknown> } {
    const { id, arg } = splitSpec(spec);
    const component = this.component(role, id);
    let raw: Record<string, unknown> = {};
    if (arg !== undefined) {
      if (isKeyValue(arg)) {
        raw = parseKeyValues(spec, arg);
        if (component.expand) {
          try {
            raw = component.expand(raw);
          } catch (e) {
            throw new ParameterError(`${role} '${spec}': ${(e as Error).message}. Examples: ${component.examples.join(', ')}.`);
          }
        }
      }
      else if (component.positional) {
        try {
          raw = component.positional(arg);
        } catch (e) {
          if (e instanceof ParameterError) throw e;
          throw new ParameterError(`${role} '${spec}': cannot read '${arg}'. Examples: ${component.examples.join(', ')}.`);
        }
      } else {
        throw new ParameterError(
          `${role} '${spec}': expected key=value parameters after ':'. Examples: ${component.examples.join(', ')}.`,
        );
      }
    }
    return { component, params: this.params(component, raw, spec) as Record<string, unknown> };
  }

  /** Creates an instance of a role from a spec string. */
  create<T>(role: Role, spec: string): T {
    const { component, params } = this.resolve(role, spec);
    return component.create(params) as T;
  }

  /** Creates a squeezer from a spec (`median:2x2`, `bit-depth:bits=4`). */
  squeezer(spec: string): Squeezer {
    return this.create<Squeezer>('squeezer', spec);
  }

  /** Creates a randomizer from a spec (`uniform:0.1`, `gaussian:sigma=0.05`). */
  randomizer(spec: string): Randomizer {
    return this.create<Randomizer>('randomizer', spec);
  }

  /** A factory of game adversaries from a spec (`greedy:m=200`, `adaptive:nearRepeats=true`). */
  adversary(spec: string): AdversaryFactory {
    return this.create<AdversaryFactory>('adversary', spec);
  }

  /** A squeezer or randomizer, whichever role owns the id. */
  transform(spec: string): Squeezer | Randomizer {
    const { id } = splitSpec(spec);
    for (const role of ['randomizer', 'squeezer'] as const) {
      if (this.#all(role).some((c) => c.id === id)) return this.create(role, spec);
    }
    const ids = [...this.components('randomizer'), ...this.components('squeezer')].map((c) => c.id);
    throw new UnknownComponentError(`unknown transform '${id}'; available: ${ids.join(', ') || '(none)'}.`);
  }

  /** Every registered component with its parameter schema, for `mixnsqueeze list`. */
  list(): ComponentInfo[] {
    return ROLES.flatMap((role) =>
      this.components(role).map((c) => ({
        role,
        id: c.id,
        summary: c.summary,
        plugin: this.#owner.get(`${role}:${c.id}`) ?? '?',
        params: jsonSchemaOf(c.params),
        examples: c.examples,
      })),
    );
  }
}

/** A parameter schema as JSON schema; `{}` for a schema zod cannot convert (e.g. another zod's). */
function jsonSchemaOf(params: unknown): Record<string, unknown> {
  try {
    return z.toJSONSchema(params as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Canonical spec string for a component id and its parameters. */
export function canonicalSpec(id: string, params: Record<string, unknown>): string {
  const kv = formatKeyValues(params);
  return kv ? `${id}:${kv}` : id;
}
