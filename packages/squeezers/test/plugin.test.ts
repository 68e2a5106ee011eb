import { describe, expect, it } from 'vitest';
import { ParameterError, Registry, UnknownComponentError } from '@mixnsqueeze/core';
import { squeezersPlugin } from '../src/plugin.ts';
import { Median } from '../src/median.ts';

const registry = new Registry().use(squeezersPlugin);

describe('spec strings of the built-in squeezers and randomizers', () => {
  it.each([
    ['bit-depth:1', 'bit-depth:1'],
    ['binary:0.5', 'binary:0.5'],
    ['binary', 'binary:0.5'],
    ['median:2x2', 'median:2x2'],
    ['median:3x3', 'median:3x3'],
    ['median:3', 'median:3x3'],
    ['nlm:11-3-4', 'nlm:11-3-4'],
    ['nlm:search=13,patch=3,h=2', 'nlm:13-3-2'],
    ['uniform:0.2', 'uniform:0.2'],
    ['gaussian:0.1', 'gaussian:0.1'],
  ])('%s resolves (canonical %s)', (spec, canonical) => {
    expect(registry.transform(spec).spec).toBe(canonical);
  });

  it('creates the right classes with the right roles', () => {
    expect(registry.squeezer('median:2x2')).toBeInstanceOf(Median);
    expect(registry.randomizer('uniform:0.5').kind).toBe('randomizer');
    expect(() => registry.squeezer('uniform:0.5')).toThrow(UnknownComponentError);
  });

  it.each([
    ['bit-depth:9', /bits/],
    ['bit-depth:0', /bits/],
    ['median:2x3', /cannot read/],
    ['median:0x0', /size/],
    ['nlm:10-3-4', /search window must be odd/],
    ['nlm:11-3', /cannot read/],
    ['uniform:1.5', /delta/],
    ['uniform:-0.1', /delta/],
    ['binary:1', /threshold/],
  ])('%s is a ParameterError', (spec, message) => {
    expect(() => registry.transform(spec)).toThrow(ParameterError);
    expect(() => registry.transform(spec)).toThrow(message);
  });

  it('an unknown id lists every available transform', () => {
    expect(() => registry.transform('blur:3')).toThrow(/available: gaussian, uniform, binary, bit-depth, median, median1d, nlm, quantize, time-quantize/);
  });
});
