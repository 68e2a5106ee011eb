import { describe, expect, it } from 'vitest';
import { ContainerModule, inject, injectable } from 'inversify';
import { z } from 'zod';
import { type Component, defineComponent } from '../src/component.ts';
import { ParameterError, UnknownComponentError } from '../src/errors.ts';
import { type Plugin, Registry, TOKENS } from '../src/registry.ts';

interface Scale {
  readonly id: 'scale';
  readonly factor: number;
}

const scale = defineComponent<Scale, { factor: number }>({
  id: 'scale',
  role: 'squeezer',
  summary: 'test component',
  params: z.strictObject({ factor: z.number().positive().default(2) }),
  positional: (arg) => {
    const v = Number(arg);
    if (!Number.isFinite(v)) throw new Error('nan');
    return { factor: v };
  },
  examples: ['scale:2', 'scale:factor=3'],
  create: (p) => ({ id: 'scale', factor: p.factor }),
});

const scalePlugin: Plugin = {
  name: 'scale-plugin',
  register: (c) => void c.bind(TOKENS.squeezer).toConstantValue(scale),
};

describe('Registry', () => {
  it('resolves positional, key=value and bare specs with schema defaults', () => {
    const r = new Registry().use(scalePlugin);
    expect(r.create<Scale>('squeezer', 'scale:4').factor).toBe(4);
    expect(r.create<Scale>('squeezer', 'scale:factor=5').factor).toBe(5);
    expect(r.create<Scale>('squeezer', 'scale').factor).toBe(2);
    expect(r.create<Scale>('squeezer', ' Scale : 1.5 ').factor).toBe(1.5);
  });

  it('an unknown id is a typed error listing what is available', () => {
    const r = new Registry().use(scalePlugin);
    expect(() => r.create('squeezer', 'median:2x2')).toThrow(UnknownComponentError);
    expect(() => r.create('squeezer', 'median:2x2')).toThrow(/available: scale/);
    expect(() => r.create('attack', 'fgsm')).toThrow(/none: use\(\) a plugin/);
  });

  it('bad parameters are typed errors that show the examples', () => {
    const r = new Registry().use(scalePlugin);
    expect(() => r.create('squeezer', 'scale:-1')).toThrow(ParameterError);
    expect(() => r.create('squeezer', 'scale:-1')).toThrow(/factor: .*Examples: scale:2, scale:factor=3/);
    expect(() => r.create('squeezer', 'scale:abc')).toThrow(/cannot read 'abc'/);
    expect(() => r.create('squeezer', 'scale:bogus=1')).toThrow(ParameterError);
    expect(() => r.create('squeezer', 'scale:factor=1,factor=2')).toThrow(/given twice/);
    expect(() => r.create('squeezer', '9lives')).toThrow(ParameterError);
  });

  it('refuses a plugin whose id is taken, and stays as it was', () => {
    const r = new Registry().use(scalePlugin);
    const clash: Plugin = { name: 'clash', register: (c) => void c.bind(TOKENS.squeezer).toConstantValue({ ...scale }) };
    expect(() => r.use(clash)).toThrow(/already registered by 'scale-plugin'/);
    expect(r.components('squeezer')).toHaveLength(1);
    expect(r.plugins).toEqual(['scale-plugin']);
  });

  it('accepts inversify ContainerModules and DI-constructed components with @inject', () => {
    @injectable()
    class Doubling implements Component<Scale, { factor: number }> {
      readonly id = 'double-of-scale';
      readonly role = 'squeezer' as const;
      readonly summary = 'uses another component through the injected registry';
      readonly params = z.strictObject({ factor: z.number().default(1) });
      readonly examples = ['double-of-scale'];
      constructor(@inject(TOKENS.registry) private readonly registry: Registry) {}
      create(p: { factor: number }): Scale {
        return { id: 'scale', factor: 2 * this.registry.create<Scale>('squeezer', `scale:${p.factor}`).factor };
      }
    }
    const module = new ContainerModule(({ bind }) => {
      bind(TOKENS.squeezer).to(Doubling);
    });
    const r = new Registry().use(scalePlugin).use(module, 'doubling');
    expect(r.create<Scale>('squeezer', 'double-of-scale:factor=3').factor).toBe(6);
    expect(r.list().map((i) => `${i.role}:${i.id}:${i.plugin}`)).toEqual(['squeezer:double-of-scale:doubling', 'squeezer:scale:scale-plugin']);
  });

  it('lists parameters as JSON schema with defaults', () => {
    const [info] = new Registry().use(scalePlugin).list();
    expect(info!.params).toMatchObject({ properties: { factor: { type: 'number', default: 2, exclusiveMinimum: 0 } } });
  });
});
