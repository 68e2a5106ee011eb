import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PairSearch } from '../src/pair-search.ts';

/**
 * The brute-force selection the pruned search must reproduce: every pair p < q of domain features
 * in row-major order, a = sign * gt, b = sign * go, score -(a_p + a_q)(b_p + b_q) where
 * a_p + a_q > 0 and b_p + b_q < 0 (each operation rounded to float32 when `f32`), the first of
 * strictly largest score above 0; as feature indices [p, q], undefined when none.
 */
function bruteForce(dom: Uint8Array, gt: Float32Array, go: Float32Array, increase: boolean, f32: boolean): [number, number] | undefined {
  const r = f32 ? Math.fround : (v: number) => v;
  const sign = increase ? 1 : -1;
  const features = [...dom.keys()].filter((f) => dom[f] === 1);
  let best = 0;
  let found: [number, number] | undefined;
  for (let i = 0; i < features.length; i++)
    for (let j = i + 1; j < features.length; j++) {
      const [p, q] = [features[i]!, features[j]!];
      const ts = r(sign * gt[p]! + sign * gt[q]!);
      const os = r(sign * go[p]! + sign * go[q]!);
      if (!(ts > 0 && os < 0)) continue;
      const score = r(-ts * os);
      if (score > best) [best, found] = [score, [p, q]];
    }
  return found;
}

/** Both readings of the search against the brute force on one input (cleverhans answers [q, p]). */
function agree(search: PairSearch, dom: Uint8Array, gt: Float32Array, go: Float32Array, increase: boolean): void {
  const ch = bruteForce(dom, gt, go, increase, true);
  expect(search.cleverhans(dom, gt, go, increase)).toEqual(ch && [ch[1], ch[0]]);
  expect(search.logits(dom, gt, go, increase)).toEqual(bruteForce(dom, gt, go, increase, false));
}

const D = 70;
// Few distinct values (many exact ties and zero sums), any float32 (NaN, infinities, -0,
// subnormals, overflow of the product), and ordinary gradient-like magnitudes.
const value = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map((v) => v / 4),
  fc.float(),
  fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true }),
);
const input = fc
  .record({
    d: fc.integer({ min: 0, max: D }),
    gt: fc.array(value, { minLength: D, maxLength: D }),
    go: fc.array(value, { minLength: D, maxLength: D }),
    // The probability Jacobian's rows are nearly opposite (exactly: b = -a); in float32 where the top
    // class's probability rounds to 1 they are nearly proportional instead (b about k a, k > 0).
    relation: fc.constantFrom('independent', 'opposite', 'proportional'),
    k: fc.constantFrom(1e-3, 0.5, 1, 3, 1e4),
    domain: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: D, maxLength: D }),
    increase: fc.boolean(),
  })
  .map(({ d, gt, go, relation, k, domain, increase }) => ({
    dom: Uint8Array.from(domain.slice(0, d), (v) => Number(v > 0)),
    gt: Float32Array.from(gt.slice(0, d)),
    go: Float32Array.from(go.slice(0, d), (v, f) =>
      relation === 'independent' ? v : Math.fround(v * 1e-3 + (relation === 'opposite' ? -1 : k) * gt[f]!),
    ),
    increase,
  }));

describe('JSMA pair search', () => {
  it('returns exactly the brute-force pair (float32 and float64 readings, ties, NaN, infinities)', () => {
    // One search for every input, as the attack reuses it across samples and steps.
    const search = new PairSearch(D);
    fc.assert(
      fc.property(input, ({ dom, gt, go, increase }) => agree(search, dom, gt, go, increase)),
      { numRuns: 2000 },
    );
  });

  it('ties go to the first pair in row-major order', () => {
    // Every pair of {0, 1, 2, 3} scores the same: (1 + 1) * (1 + 1) = 4 with a = 1, b = -1.
    const search = new PairSearch(4);
    const dom = Uint8Array.of(1, 1, 1, 1);
    const gt = Float32Array.of(1, 1, 1, 1);
    const go = Float32Array.of(-1, -1, -1, -1);
    expect(search.cleverhans(dom, gt, go, true)).toEqual([1, 0]);
    expect(search.logits(dom, gt, go, true)).toEqual([0, 1]);
    // Feature 0 out of the domain: the first pair is (1, 2).
    expect(search.logits(Uint8Array.of(0, 1, 1, 1), gt, go, true)).toEqual([1, 2]);
    // 1 + 2^-23 makes the sums with feature 3 larger in float64 but rounds them back to 2 in
    // float32: the float32 reading keeps the first pair, the float64 one takes (0, 3).
    const close = Float32Array.of(1, 1, 1, Math.fround(1 + 2 ** -23));
    expect(search.cleverhans(dom, close, go, true)).toEqual([1, 0]);
    expect(search.logits(dom, close, go, true)).toEqual([0, 3]);
  });

  it('finds no pair in an all-zero map, an empty or one-feature domain, or where no pair has the signs', () => {
    const search = new PairSearch(8);
    const zeros = new Float32Array(8);
    for (const increase of [true, false]) {
      expect(search.cleverhans(new Uint8Array(8).fill(1), zeros, zeros, increase)).toBeUndefined();
      expect(search.logits(new Uint8Array(8).fill(1), zeros, zeros, increase)).toBeUndefined();
    }
    const gt = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const go = Float32Array.of(-1, -2, -3, -4, -5, -6, -7, -8);
    expect(search.logits(new Uint8Array(8), gt, go, true)).toBeUndefined();
    expect(search.logits(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0), gt, go, true)).toBeUndefined();
    // Decreasing: the target's derivative must fall and the others' rise; these do the opposite.
    expect(search.cleverhans(new Uint8Array(8).fill(1), gt, go, false)).toBeUndefined();
    expect(search.cleverhans(new Uint8Array(8).fill(1), gt, go, true)).toEqual([7, 6]);
  });
});
