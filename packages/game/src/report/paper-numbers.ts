/**
 * Published MNIST results of Mix'n'Squeeze (reference.md section 7), accuracy in %. Columns in the
 * paper's order; `all attacks` is the mean of the ten attack columns.
 */
export const PAPER_COLUMNS = [
  'FGSM',
  'BIM',
  'CW-inf next',
  'CW-inf LL',
  'CW-2 next',
  'CW-2 LL',
  'CW-0 next',
  'CW-0 LL',
  'JSMA next',
  'JSMA LL',
] as const;

type Row = readonly [...number[]];
const row = (attacks: Row, all: number, legitimate: number) => ({ attacks, all, legitimate });

/** Table 1: feature squeezing without randomness. */
export const PAPER_TABLE1: Record<string, ReturnType<typeof row>> = {
  none: row([54, 9, 0, 0, 0, 0, 0, 0, 27, 40], 13.0, 99.43),
  '1-bit': row([92, 87, 100, 100, 83, 66, 0, 0, 50, 49], 62.7, 99.33),
  'median 2x2': row([61, 16, 70, 55, 51, 35, 39, 36, 62, 56], 48.1, 99.28),
  'median 3x3': row([59, 14, 43, 46, 51, 53, 67, 59, 82, 79], 55.3, 98.95),
};

/** Table 2: Mix'n'Squeeze at the operating points (1-bit delta 0.2, medians delta 0.5). */
export const PAPER_TABLE2: Record<string, ReturnType<typeof row> & { delta: number }> = {
  '1-bit': { delta: 0.2, ...row([88.98, 84.06, 98.37, 98.26, 77.44, 63.19, 1.39, 0.42, 49.26, 48.41], 60.98, 99.31) },
  'median 2x2': { delta: 0.5, ...row([54.78, 25.53, 50.7, 40.22, 52.2, 42.21, 40.65, 28.27, 58.15, 54.05], 44.68, 97.54) },
  'median 3x3': { delta: 0.5, ...row([58.03, 27.61, 58.53, 52.87, 61.27, 55.4, 56.86, 48.78, 77.23, 71.67], 56.83, 97.99) },
};

/** Table 3: He et al.'s adaptive attack, 20 runs; mean, sd, and (in brackets) without randomness. */
export const PAPER_TABLE3: Record<string, { delta: number; legitimate: [number, number, number]; adversarial: [number, number, number] }> = {
  '1-bit': { delta: 0.2, legitimate: [100, 0, 100], adversarial: [96.05, 1.61, 1.0] },
  'median 2x2': { delta: 0.5, legitimate: [96.35, 1.42, 100], adversarial: [70.2, 4.48, 0.0] },
  'median 3x3': { delta: 0.5, legitimate: [94.0, 2.29, 100], adversarial: [73.75, 3.99, 0.0] },
};

/** The advantage example of the paper: MNIST, median 2x2, CW-inf targeted, N = 25. */
export const PAPER_ADVANTAGE_EXAMPLE = { squeezer: 'median 2x2', attack: 'CW-inf next', n: 25, points: [[0, 1], [0.2, 0.55], [0.5, 0.1], [0.8, 0.05]] as const };
