import { describe, expect, it } from 'vitest';
import { sameBatch, toWire } from '../src/isolation/wire.ts';

describe('adversary process wire format', () => {
  it('a query equal to the pool bit for bit crosses as a reference; -0, NaN payloads and shapes tell batches apart', () => {
    const pool = { data: Float32Array.of(0, 1, 2, 3), shape: [2, 2] };
    expect(sameBatch({ data: pool.data.slice(), shape: [2, 2] }, pool)).toBe(true);
    expect(sameBatch({ data: Float32Array.of(-0, 1, 2, 3), shape: [2, 2] }, pool)).toBe(false);
    expect(sameBatch({ data: pool.data, shape: [4, 1] }, pool)).toBe(false);
    const nan = new Float32Array(new Uint32Array([0x7fc00001]).buffer);
    const otherNan = new Float32Array(new Uint32Array([0x7fc00002]).buffer);
    expect(sameBatch({ data: nan, shape: [1, 1] }, { data: otherNan, shape: [1, 1] })).toBe(false);
  });

  it('sends a view of a larger buffer as its own buffer, so nothing beyond the batch crosses', () => {
    const big = new Float32Array(1000).fill(7);
    const w = toWire({ data: big.subarray(10, 14), shape: [2, 2] });
    expect(w.data.buffer.byteLength).toBe(16);
    expect(Array.from(w.data)).toEqual([7, 7, 7, 7]);
  });
});
