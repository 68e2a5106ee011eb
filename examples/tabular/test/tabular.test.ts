import { describe, expect, it } from 'vitest';
import { runTabularExample } from '../src/index.ts';

describe('examples/tabular', () => {
  it('attacks change only mutable columns and return valid records', async () => {
    const r = await runTabularExample();
    expect(r.features).toHaveLength(9);
    expect(r.immutable).toEqual(['island=Biscoe', 'island=Dream', 'island=Torgersen', 'sex=FEMALE', 'sex=MALE']);
    expect(r.immutableKept).toBe(true);
    expect(r.violation).toBeUndefined();
    expect(r.cleanAccuracy).toBeGreaterThan(0.95);
    expect(r.attackedAccuracy).toBeLessThan(r.cleanAccuracy);
    expect(r.defendedAccuracy).toBeGreaterThan(0.5);
  });
});
