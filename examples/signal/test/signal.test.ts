import { describe, expect, it } from 'vitest';
import { runSignalExample } from '../src/index.ts';

describe('examples/signal', () => {
  it('classifies generated waveforms, and PGD on the bare model transfers only partly through the defense', async () => {
    const r = await runSignalExample();
    expect(r.specs).toEqual(['uniform:0.05', 'median1d:3', 'time-quantize:window=1,levels=32']);
    expect(r.cleanAccuracy).toBeGreaterThan(0.85);
    expect(r.defendedCleanAccuracy).toBeGreaterThan(0.8);
    expect(r.attackedAccuracy).toBeLessThan(0.2);
    expect(r.defendedAttackedAccuracy).toBeGreaterThan(r.attackedAccuracy);
  });
});
