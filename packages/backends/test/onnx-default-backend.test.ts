import { describe, expect, it } from 'vitest';
import { isDifferentiable } from '@mixnsqueeze/core';
import { OnnxClassifier } from '../src/onnx/onnx-classifier.ts';
import { TfjsClassifier } from '../src/tfjs/tfjs-classifier.ts';
import { loadClassifier } from '../src/zoo/load-classifier.ts';

const quiet = () => undefined;

// The CLI (`--model mnist`, loadDefendedModel), the experiment runner (cliEnvironment) and library
// users all load a zoo model through loadClassifier without naming a backend unless asked to
// (--backend / --provider), so this default is the one all three get.
describe('loadClassifier default backend of a zoo model that ships ONNX', () => {
  it('mnist: ONNX Runtime with its gradient graph, on a worker pool; the notice says so', async () => {
    const lines: string[] = [];
    const model = await loadClassifier('mnist', { log: (l) => void lines.push(l) });
    try {
      expect(model).toBeInstanceOf(OnnxClassifier);
      expect(isDifferentiable(model)).toBe(true);
      const info = (model as OnnxClassifier).info;
      expect(info.executionProvider).toBe('cpu');
      expect(info.workers).toBeGreaterThanOrEqual(1);
      expect(lines.join('')).toMatch(/mnist on ONNX Runtime \(cpu, \d+ workers?, gradient graph\)/);
    } finally {
      await (model as OnnxClassifier).close();
    }
  });

  it('a named tfjs backend loads the tfjs files instead', async () => {
    const model = await loadClassifier('mnist', { backend: 'cpu', log: quiet });
    try {
      expect(model).toBeInstanceOf(TfjsClassifier);
      expect(isDifferentiable(model)).toBe(true);
    } finally {
      (model as TfjsClassifier).dispose();
    }
  });
});
