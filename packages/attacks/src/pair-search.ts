const BLOCK_SHIFT = 3;
/** Columns per block (8): each block's extremes bound its scores, so a row skips most blocks. */
const BLOCK = 1 << BLOCK_SHIFT;
/** Columns per superblock (64, 8 blocks): a row tests a superblock's bound before its blocks'. */
const SUPER_SHIFT = 6;
/** Magnitudes up to which the AM-GM bound's rounding margins below hold (no float32 overflow). */
const AMGM_RANGE = 2 ** 60;

/**
 * JSMA's pair selection over one sample's search domain, with reused buffers: both readings
 * (cleverhans' float32 `saliency_map` and the earlier float64 logit reading) pick the first pair
 * p < q in row-major order (numpy's argmax) of strictly largest score -(a_p + a_q)(b_p + b_q)
 * among the pairs with a_p + a_q > 0 and b_p + b_q < 0.
 *
 * The brute-force search is O(m^2) per sample and step on the main thread, between gradient
 * calls. This one returns exactly the same pair while computing far fewer scores, by skipping
 * rows, and superblocks (64) and blocks (8) of columns, whose upper bound of the score cannot
 * hold the answer:
 * - extremes: the score of row p is non-decreasing in a_q and in -b_q (float addition,
 *   multiplication and Math.fround are all monotone), so the largest a_q and smallest b_q over a
 *   set of columns bound the row's scores there, computed with the score's own arithmetic;
 * - AM-GM: with e = -b and any k > 0, (a_p + a_q)(e_p + e_q) <= (r_p + r_q)^2 / (4k) where
 *   r = k a + e, tight where k (a_p + a_q) = e_p + e_q. With k from the seed row's best pair this
 *   bounds well where a and e are anti-correlated (the float32 probability Jacobian where the top
 *   class's probability rounds to 1), which the extremes bound poorly. It is computed in float64
 *   with margins that cover every rounding of both readings (see #prepareAmgm), and only where
 *   all the derivatives are finite and below 2^60.
 * The row of largest bound is scanned first; its best score is a floor for the maximum. The
 * row-major pass then scans only what reaches the floor and strictly beats the best so far: every
 * pair of the maximum is among it, and scanning it in row-major order with strict comparisons
 * keeps numpy's tie rule.
 */
export class PairSearch {
  readonly #index: Int32Array;
  readonly #a: Float64Array;
  readonly #b: Float64Array;
  /** r = k a - b of the AM-GM bound. */
  readonly #r: Float64Array;
  /** Upper bound of the scores of each row. */
  readonly #bound: Float64Array;
  /** Largest a, smallest b and largest r of each block of BLOCK gathered features, then of each superblock. */
  readonly #blockA: Float64Array;
  readonly #blockB: Float64Array;
  readonly #blockR: Float64Array;
  readonly #superA: Float64Array;
  readonly #superB: Float64Array;
  readonly #superR: Float64Array;
  /** The AM-GM bound of the current search: whether it applies, 1/(4k) with its margin, and its absolute margins. */
  #useAmgm = false;
  #amgmScale = 0;
  #amgmSumMargin = 0;
  #amgmSlack = 0;
  /** Column of the last {@link PairSearch.#scan}'s best pair, -1 when none beat its `best`. */
  #rowQ = -1;

  /** Buffers for domains of up to `d` features. */
  constructor(d: number) {
    const blocks = Math.ceil(d / BLOCK);
    this.#index = new Int32Array(d);
    this.#a = new Float64Array(d);
    this.#b = new Float64Array(d);
    this.#r = new Float64Array(d);
    this.#bound = new Float64Array(d);
    this.#blockA = new Float64Array(blocks);
    this.#blockB = new Float64Array(blocks);
    this.#blockR = new Float64Array(blocks);
    const supers = Math.ceil(d / (1 << SUPER_SHIFT));
    this.#superA = new Float64Array(supers);
    this.#superB = new Float64Array(supers);
    this.#superR = new Float64Array(supers);
  }

  /**
   * cleverhans' `saliency_map`: the pair of largest float32 score -(a_p + a_q)(b_p + b_q) among
   * pairs of domain features (`dom[f] === 1`) whose sums have the signs the direction asks for,
   * with a = `gt` and b = `go`, as [p1, p2] (p1 the later feature); undefined when no pair scores
   * above 0. (cleverhans masks the features outside the domain by giving them derivatives that
   * fail both conditions, which leaves exactly the domain's pairs.)
   */
  cleverhans(dom: Uint8Array, gt: Float32Array, go: Float32Array, increase: boolean): readonly [number, number] | undefined {
    const found = this.#best(this.#gather(dom, gt, go, increase ? 1 : -1), true);
    return found ? [this.#index[found[1]]!, this.#index[found[0]]!] : undefined;
  }

  /** JSMA's earlier selection (jacobian=logits): largest (a_p + a_q) |b_p + b_q| in float64, sign-adjusted, as [p, q] with p < q. */
  logits(dom: Uint8Array, gt: Float32Array, go: Float32Array, increase: boolean): readonly [number, number] | undefined {
    const found = this.#best(this.#gather(dom, gt, go, increase ? 1 : -1), false);
    return found ? [this.#index[found[0]]!, this.#index[found[1]]!] : undefined;
  }

  /** Gathers the domain's features (ascending) with their two derivatives times `sign`; returns their count. */
  #gather(dom: Uint8Array, gt: Float32Array, go: Float32Array, sign: number): number {
    const index = this.#index;
    const a = this.#a;
    const b = this.#b;
    let m = 0;
    for (let f = 0; f < dom.length; f++) {
      if (dom[f] !== 1) continue;
      index[m] = f;
      a[m] = sign * gt[f]!;
      b[m] = sign * go[f]!;
      m++;
    }
    return m;
  }

  /**
   * The first pair p < q (row-major) of largest -(a_p + a_q)(b_p + b_q) with a_p + a_q > 0 and
   * b_p + b_q < 0, over the m gathered features, every operation rounded to float32 when `f32`;
   * undefined when none scores above 0. Gathering with the direction's sign turns the decrease
   * conditions of cleverhans (sums < 0 and > 0) into these, score unchanged.
   */
  #best(m: number, f32: boolean): readonly [number, number] | undefined {
    const f = Math.fround;
    const a = this.#a;
    const b = this.#b;
    const bound = this.#bound;
    const blockA = this.#blockA;
    const blockB = this.#blockB;
    // Backward pass: bound[p] from the largest a_q and smallest b_q over q > p (NaN entries never
    // qualify and are left out; a NaN bound means no pair of the row qualifies either), and the
    // same extremes per block of columns.
    let hiA = -Infinity;
    let loB = Infinity;
    let seed = -1;
    let seedBound = 0;
    const superA = this.#superA;
    const superB = this.#superB;
    blockA.fill(-Infinity);
    blockB.fill(Infinity);
    superA.fill(-Infinity);
    superB.fill(Infinity);
    for (let p = m - 1; p >= 0; p--) {
      const ap = a[p]!;
      const bp = b[p]!;
      const ts = f32 ? f(ap + hiA) : ap + hiA;
      const os = f32 ? f(bp + loB) : bp + loB;
      const u = ts > 0 && os < 0 ? (f32 ? f(-ts * os) : -ts * os) : 0;
      bound[p] = u;
      if (u > seedBound) {
        seedBound = u;
        seed = p;
      }
      if (ap > hiA) hiA = ap;
      if (bp < loB) loB = bp;
      const j = p >> BLOCK_SHIFT;
      if (ap > blockA[j]!) blockA[j] = ap;
      if (bp < blockB[j]!) blockB[j] = bp;
      const J = p >> SUPER_SHIFT;
      if (ap > superA[J]!) superA[J] = ap;
      if (bp < superB[J]!) superB[J] = bp;
    }
    if (seed < 0) return undefined;
    // The seed row's best score is a floor for the maximum, and its pair's ratio the AM-GM k.
    this.#useAmgm = false;
    const floor = this.#scan(seed, m, f32, 0, 0);
    if (this.#rowQ >= 0) this.#prepareAmgm(m, (b[seed]! + b[this.#rowQ]!) / -(a[seed]! + a[this.#rowQ]!));
    let best = 0;
    let bestP = -1;
    let bestQ = -1;
    for (let p = 0; p < m; p++) {
      const u = bound[p]!;
      // A row below the floor holds no pair of the maximum; one at or below `best` cannot beat
      // the earlier pair (ties go to the first in row-major order).
      if (u < floor || u <= best) continue;
      const score = this.#scan(p, m, f32, floor, best);
      if (this.#rowQ < 0) continue;
      best = score;
      bestP = p;
      bestQ = this.#rowQ;
    }
    return bestP < 0 ? undefined : [bestP, bestQ];
  }

  /**
   * Sets up the AM-GM bound for ratio k (r = k a - b, its block maxima, and every row's bound
   * lowered to it where smaller); leaves it off where k or any derivative is outside the range
   * its margins cover.
   */
  #prepareAmgm(m: number, k: number): void {
    if (!(k >= 1 / AMGM_RANGE && k <= AMGM_RANGE)) return;
    const a = this.#a;
    const b = this.#b;
    const r = this.#r;
    let maxA = 0;
    let maxB = 0;
    for (let q = 0; q < m; q++) {
      const aq = Math.abs(a[q]!);
      const bq = Math.abs(b[q]!);
      // Also false for NaN.
      if (!(aq < AMGM_RANGE && bq < AMGM_RANGE)) return;
      if (aq > maxA) maxA = aq;
      if (bq > maxB) maxB = bq;
      r[q] = k * a[q]! - b[q]!;
    }
    this.#useAmgm = true;
    // Every rounding of both readings, against the real bound S^2 / (4k), S = r_p + r_q: the
    // float64 errors of r_p, r_q, their sum and the margin's addition are below 2^-50 (k max|a| +
    // max|b|) together (4x that here); the float32 (or float64) sums and product add at most a
    // factor (1 + 2^-23)^2 (1 + 2^-24), and in float32's subnormal range 2^-150 per rounding
    // times at most 2 (max|a| + max|b|) + 1 (2^-140 here).
    this.#amgmSumMargin = 2 ** -48 * (k * maxA + maxB);
    this.#amgmScale = (1 + 2 ** -20) / (4 * k);
    this.#amgmSlack = 2 ** -140 * (1 + maxA + maxB);
    const blockR = this.#blockR;
    const bound = this.#bound;
    const superR = this.#superR;
    blockR.fill(-Infinity);
    superR.fill(-Infinity);
    let hiR = -Infinity;
    for (let p = m - 1; p >= 0; p--) {
      const rp = r[p]!;
      const u = this.#amgm(rp + hiR);
      if (u < bound[p]!) bound[p] = u;
      if (rp > hiR) hiR = rp;
      const j = p >> BLOCK_SHIFT;
      if (rp > blockR[j]!) blockR[j] = rp;
      if (rp > superR[p >> SUPER_SHIFT]!) superR[p >> SUPER_SHIFT] = rp;
    }
  }

  /** The AM-GM bound of every score whose pair has r_p + r_q <= `sum` (0: no pair qualifies). */
  #amgm(sum: number): number {
    const s = sum + this.#amgmSumMargin;
    return s > 0 ? s * s * this.#amgmScale + this.#amgmSlack : 0;
  }

  /**
   * Whether row p (derivatives ap, bp, r of AM-GM rp) may hold, among columns whose extremes are
   * hiA, loB and hiR, a score that reaches `floor` and beats `best`.
   */
  #mayBeat(ap: number, bp: number, rp: number, hiA: number, loB: number, hiR: number, f32: boolean, floor: number, best: number): boolean {
    const f = Math.fround;
    const ts = f32 ? f(ap + hiA) : ap + hiA;
    const os = f32 ? f(bp + loB) : bp + loB;
    if (!(ts > 0 && os < 0)) return false;
    const u = f32 ? f(-ts * os) : -ts * os;
    if (u < floor || u <= best) return false;
    if (!this.#useAmgm) return true;
    const v = this.#amgm(rp + hiR);
    return !(v < floor || v <= best);
  }

  /**
   * Scans row p for its first q > p of strictly largest score above `best`, skipping the
   * superblocks and blocks of columns whose bound is below `floor` or at most `best`; sets #rowQ
   * (-1: none) and returns the row's best score (`best` when none beats it).
   */
  #scan(p: number, m: number, f32: boolean, floor: number, best: number): number {
    const f = Math.fround;
    const a = this.#a;
    const b = this.#b;
    const blockA = this.#blockA;
    const blockB = this.#blockB;
    const blockR = this.#blockR;
    const superA = this.#superA;
    const superB = this.#superB;
    const superR = this.#superR;
    const ap = a[p]!;
    const bp = b[p]!;
    const rp = this.#r[p]!;
    let at = -1;
    const blocks = (m + BLOCK - 1) >> BLOCK_SHIFT;
    const supers = (m + (1 << SUPER_SHIFT) - 1) >> SUPER_SHIFT;
    for (let J = (p + 1) >> SUPER_SHIFT; J < supers; J++) {
      if (!this.#mayBeat(ap, bp, rp, superA[J]!, superB[J]!, superR[J]!, f32, floor, best)) continue;
      const jEnd = Math.min(blocks, (J + 1) << (SUPER_SHIFT - BLOCK_SHIFT));
      for (let j = Math.max((p + 1) >> BLOCK_SHIFT, J << (SUPER_SHIFT - BLOCK_SHIFT)); j < jEnd; j++) {
        if (!this.#mayBeat(ap, bp, rp, blockA[j]!, blockB[j]!, blockR[j]!, f32, floor, best)) continue;
        const end = Math.min(m, (j + 1) << BLOCK_SHIFT);
        const start = Math.max(p + 1, j << BLOCK_SHIFT);
        if (f32) {
          for (let q = start; q < end; q++) {
            const ts = f(ap + a[q]!);
            if (!(ts > 0)) continue;
            const os = f(bp + b[q]!);
            if (!(os < 0)) continue;
            const score = f(-ts * os);
            if (score > best) {
              best = score;
              at = q;
            }
          }
        } else {
          for (let q = start; q < end; q++) {
            const ts = ap + a[q]!;
            if (!(ts > 0)) continue;
            const os = bp + b[q]!;
            if (!(os < 0)) continue;
            const score = -ts * os;
            if (score > best) {
              best = score;
              at = q;
            }
          }
        }
      }
    }
    this.#rowQ = at;
    return best;
  }
}
