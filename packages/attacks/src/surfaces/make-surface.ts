import { CapabilityError, type Classifier, ParameterError, isDifferentiable, isKeyValue, parseKeyValues, splitSpec } from '@mixnsqueeze/core';
import { z } from 'zod';
import { attackRandomness } from '../seeded-random.ts';
import { type AttackSurface } from '../surface.ts';
import { EstimatedSurface } from './estimated-surface.ts';
import { GradientSurface } from './gradient-surface.ts';

const eotParams = z.strictObject({ k: z.number().int().min(1).max(10_000).default(30) });
const estimatedParams = z.strictObject({
  samples: z.number().int().min(1).max(10_000).default(64),
  step: z.number().gt(0).max(0.5).default(0.01),
});

const SURFACE_EXAMPLES = ['exact', 'bpda', 'eot:30', 'spsa', 'spsa:samples=128,step=0.01', 'nes:samples=50,step=0.001'];

function parse<T>(schema: z.ZodType<T>, spec: string, raw: Record<string, unknown>): T {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
    throw new ParameterError(`surface '${spec}': ${why}. Examples: ${SURFACE_EXAMPLES.join(', ')}.`);
  }
  return r.data;
}

/**
 * Builds an attack surface from its spec: `exact`, `bpda`, `eot:K` (or `eot:k=K`), `spsa[:samples=,step=]`,
 * `nes[:samples=,step=]`. Gradient surfaces need a differentiable model; `exact` also refuses
 * randomized models and BPDA surrogates, which would make its gradients not what its name says.
 */
export function makeSurface(model: Classifier, spec: string, seed: string): AttackSurface {
  const { id, arg } = splitSpec(spec);
  const raw = arg === undefined ? {} : isKeyValue(arg) ? parseKeyValues(spec, arg) : { [id === 'eot' ? 'k' : 'samples']: Number(arg) };
  switch (id) {
    case 'exact':
    case 'bpda':
    case 'eot': {
      if (!isDifferentiable(model)) {
        throw new CapabilityError(
          `surface '${spec}' needs model gradients and this model gives logits only; use --surface spsa or nes (gradients estimated from logits).`,
        );
      }
      if (id === 'exact' && (model.stochastic || model.gradientKind === 'bpda')) {
        throw new CapabilityError(
          `surface 'exact': the model is ${model.stochastic ? 'randomized' : 'not differentiable everywhere (rounding or NLM inside)'}; use bpda, or eot:K for randomized defenses.`,
        );
      }
      if (id === 'eot') return new GradientSurface(model, 'eot', parse(eotParams, spec, raw).k);
      if (arg !== undefined) throw new ParameterError(`surface '${id}' takes no parameters, got '${arg}'.`);
      return new GradientSurface(model, id);
    }
    case 'spsa':
    case 'nes': {
      const p = parse(estimatedParams, spec, raw);
      return new EstimatedSurface(model, id, p.samples, p.step, attackRandomness(seed, `surface:${id}`));
    }
    default:
      throw new ParameterError(`unknown surface '${id}'; available: exact, bpda, eot:K, spsa, nes.`);
  }
}
