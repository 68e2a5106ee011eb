import { type Dataset, type Split } from './dataset.ts';
import { loadPenguins } from './penguins.ts';
import { loadWaveforms } from './waveforms.ts';

/** Built-in datasets outside images: a real table and generated 1-D signals. */
export const DOMAIN_DATASET_IDS = ['penguins', 'waveforms'] as const;
/** Id of a built-in non-image dataset: `penguins` or `waveforms`. */
export type DomainDatasetId = (typeof DOMAIN_DATASET_IDS)[number];

/** Whether a string is the id of a built-in non-image dataset. */
export function isDomainDatasetId(s: string): s is DomainDatasetId {
  return (DOMAIN_DATASET_IDS as readonly string[]).includes(s);
}

/** Loads a split (default `test`) of a built-in non-image dataset. */
export async function loadDomainDataset(id: DomainDatasetId, split: Split = 'test'): Promise<Dataset> {
  return id === 'penguins' ? loadPenguins(split) : loadWaveforms(split);
}
