import { describe, expect, it } from 'vitest';
import { imageSpace } from '@mixnsqueeze/core';
import { BoxBlur, runExample } from '../src/index.ts';

describe('examples/custom-defense', () => {
  it('composes registry specs with a user plugin into a working defense', async () => {
    const r = await runExample();
    expect(r.specs).toEqual(['uniform:0.1', 'box-blur:3', 'bit-depth:4']);
    expect(r.stochastic).toBe(true);
    expect(r.differentiable).toBe(true);
    expect(r.agreement).toBeGreaterThan(0.3);
    expect((await runExample()).agreement).toBe(r.agreement);
  });

  it('the user squeezer has an exact backward: <blur(x), g> = <x, blur^T(g)>', () => {
    const space = imageSpace(5, 4, 2);
    const b = new BoxBlur(3);
    const x = { data: Float32Array.from({ length: 40 }, (_, i) => Math.cos(i)), shape: [1, 5, 4, 2] };
    const g = { data: Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 3)), shape: x.shape };
    const y = b.apply(x, space);
    const lhs = y.data.reduce((s, v, i) => s + v * g.data[i]!, 0);
    const rhs = b.backward(x, y, g, space).data.reduce((s, v, i) => s + v * x.data[i]!, 0);
    expect(lhs).toBeCloseTo(rhs, 5);
  });
});
