import { describe, expect, it } from 'vitest';
import { MNIST_TEST_SIZE, loadMnist, mnistSplitOrder } from '../src/data/mnist.ts';
import { takeSamples } from '../src/data/dataset.ts';

describe('embedded MNIST', () => {
  it('splits the 10,000 digits into 8,000 train and 2,000 test, fixed and disjoint', () => {
    const order = mnistSplitOrder(10000);
    expect(new Set(order).size).toBe(10000);
    expect(Array.from(mnistSplitOrder(10000).subarray(0, 5))).toEqual(Array.from(order.subarray(0, 5)));
    const train = loadMnist('train');
    const test = loadMnist('test');
    expect(train.x.shape).toEqual([8000, 28, 28, 1]);
    expect(test.x.shape).toEqual([MNIST_TEST_SIZE, 28, 28, 1]);
    expect(test.space.bounds).toEqual([0, 1]);
    const counts = new Array<number>(10).fill(0);
    for (const l of test.labels) counts[l]!++;
    expect(Math.min(...counts)).toBeGreaterThan(150);
  });

  it('holds values in [0, 1] on the 1/255 grid', () => {
    const d = takeSamples(loadMnist('test'), 50);
    expect(d.labels).toHaveLength(50);
    const offGrid = d.x.data.filter((v) => !(v >= 0 && v <= 1) || v !== Math.fround(Math.round(v * 255) / 255));
    expect(offGrid).toHaveLength(0);
  });
});
