import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ParameterError } from '@mixnsqueeze/core';
import { activeTfjsBackend, useTfjsBackend } from '../src/tfjs/backend.ts';
import { mnistCnn } from '../src/tfjs/mnist-cnn.ts';

describe('useTfjsBackend', () => {
  it('selects once, logs one line, and uses wasm with SIMD when tfjs-node is not installed', async () => {
    const lines: string[] = [];
    const kind = await useTfjsBackend(undefined, (s) => lines.push(s));
    await useTfjsBackend(undefined, (s) => lines.push(s));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mixnsqueeze: tfjs backend \S+.*\n$/);
    // The optional peers are never installed by npm ci, so this checkout runs on wasm.
    expect(kind).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.env().getBool('WASM_HAS_SIMD_SUPPORT')).toBe(true);
  });

  it('switches when forced, and refuses unknown or unavailable backends with a ParameterError', async () => {
    expect(await useTfjsBackend('cpu')).toBe('cpu');
    expect(activeTfjsBackend()).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await expect(useTfjsBackend('gpu' as 'cpu')).rejects.toThrow(ParameterError);
    await expect(useTfjsBackend('node')).rejects.toThrow(/not available/);
    expect(await useTfjsBackend('wasm')).toBe('wasm');
  });
});

describe('mnistCnn', () => {
  it("is Carlini's architecture: 312,202 parameters, logits out, named layers", () => {
    const m = mnistCnn();
    expect(m.countParams()).toBe(312202);
    expect(m.outputs[0]!.shape).toEqual([null, 10]);
    expect(m.layers.map((l) => l.name)).toEqual([
      'shift', 'conv1', 'conv2', 'pool1', 'conv3', 'conv4', 'pool2', 'flatten', 'dense1', 'dropout', 'dense2', 'logits',
    ]);
    m.dispose();
  });
});
