import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type FeatureSpace, FileAccessError, derivedKeys, makeBatch, tabularSpace } from '@mixnsqueeze/core';
import { type Dataset, type Split } from './dataset.ts';
import { shuffledIndices } from './shuffle.ts';

/** The penguin species, in label order. */
export const PENGUIN_SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'] as const;
const ISLANDS = ['Biscoe', 'Dream', 'Torgersen'] as const;
const SEXES = ['FEMALE', 'MALE'] as const;

/**
 * Raw range of each measured column over the 333 complete records: the min-max scaling to [0, 1]
 * (model units) and the bounds an attacker may move within.
 */
const RANGES = {
  beakLength: [32.1, 59.6],
  beakDepth: [13.1, 21.5],
  flipper: [172, 231],
  mass: [2700, 6300],
} as const;

/**
 * The penguins' feature space, in model units (each measurement min-max scaled to [0, 1]): island
 * one-hot (immutable: a penguin does not change island), beak length and depth (continuous, mm),
 * flipper length (integer mm: a lattice of step 1/59), body mass (multiples of 25 g: step 25/3600),
 * sex one-hot (immutable). 9 features.
 */
export const PENGUIN_SPACE: FeatureSpace = tabularSpace([
  { name: 'island', kind: 'categorical', levels: ISLANDS, immutable: true },
  { name: 'beak length', lo: 0, hi: 1 },
  { name: 'beak depth', lo: 0, hi: 1 },
  { name: 'flipper length', kind: 'integer', lo: 0, hi: 1, step: 1 / (RANGES.flipper[1] - RANGES.flipper[0]) },
  { name: 'body mass', kind: 'integer', lo: 0, hi: 1, step: 25 / (RANGES.mass[1] - RANGES.mass[0]) },
  { name: 'sex', kind: 'categorical', levels: SEXES, immutable: true },
]);

/** Records of the test split (the rest train): a fixed, seeded 30% of the complete records. */
const TEST_SHARE = 0.3;

interface PenguinRecord {
  readonly Species: string;
  readonly Island: string;
  readonly 'Beak Length (mm)': number | null;
  readonly 'Beak Depth (mm)': number | null;
  readonly 'Flipper Length (mm)': number | null;
  readonly 'Body Mass (g)': number | null;
  readonly Sex: string | null;
}

/** Where vega-datasets keeps its tables (its exports name no data files, so go via its entry point). */
function vegaDataFile(name: string): string {
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data', name);
}

/** Raw measurements to model units: one-hots and min-max scaled values in [0, 1]. */
export function encodePenguin(r: { island: string; beakLength: number; beakDepth: number; flipper: number; mass: number; sex: string }, out: Float32Array, at: number): void {
  const scale = (v: number, [lo, hi]: readonly [number, number]) => (v - lo) / (hi - lo);
  for (let i = 0; i < ISLANDS.length; i++) out[at + i] = ISLANDS[i] === r.island ? 1 : 0;
  out[at + 3] = scale(r.beakLength, RANGES.beakLength);
  out[at + 4] = scale(r.beakDepth, RANGES.beakDepth);
  out[at + 5] = scale(r.flipper, RANGES.flipper);
  out[at + 6] = scale(r.mass, RANGES.mass);
  for (let i = 0; i < SEXES.length; i++) out[at + 7 + i] = SEXES[i] === r.sex ? 1 : 0;
}

/**
 * The Palmer penguins (Gorman, Williams & Fraser 2014) from the `vega-datasets` package: 333 complete
 * records (11 with a missing measurement or sex dropped), species as the label, split by a fixed
 * seeded shuffle into 233 train and 100 test records.
 */
export async function loadPenguins(split: Split = 'test'): Promise<Dataset> {
  const file = vegaDataFile('penguins.json');
  let rows: PenguinRecord[];
  try {
    rows = JSON.parse(await readFile(file, 'utf8')) as PenguinRecord[];
  } catch (e) {
    throw new FileAccessError(`penguins: cannot read '${file}' (${(e as Error).message}). Run npm ci to install vega-datasets.`);
  }
  const complete = rows.filter(
    (r) => (r.Sex === 'MALE' || r.Sex === 'FEMALE') && r['Beak Length (mm)'] !== null && r['Beak Depth (mm)'] !== null && r['Flipper Length (mm)'] !== null && r['Body Mass (g)'] !== null,
  );
  const order = shuffledIndices(complete.length, derivedKeys('mixnsqueeze/penguins/split').next());
  const testCount = Math.round(complete.length * TEST_SHARE);
  const chosen = split === 'test' ? order.subarray(0, testCount) : order.subarray(testCount);
  const d = PENGUIN_SPACE.shape[0]!;
  const data = new Float32Array(chosen.length * d);
  const labels = new Int32Array(chosen.length);
  for (let i = 0; i < chosen.length; i++) {
    const r = complete[chosen[i]!]!;
    encodePenguin(
      { island: r.Island, beakLength: r['Beak Length (mm)']!, beakDepth: r['Beak Depth (mm)']!, flipper: r['Flipper Length (mm)']!, mass: r['Body Mass (g)']!, sex: r.Sex! },
      data,
      i * d,
    );
    labels[i] = PENGUIN_SPECIES.indexOf(r.Species as (typeof PENGUIN_SPECIES)[number]);
  }
  return { x: makeBatch(data, [chosen.length, d]), labels, space: PENGUIN_SPACE, classNames: PENGUIN_SPECIES };
}
