import { type Dataset, type Split } from './dataset.ts';
import { loadPenguins } from './penguins.ts';
import { loadWaveforms } from './waveforms.ts';

/** Built-in datasets outside images: a real table and generated 1-D signals. */
export const DOMAIN_DATASET_IDS = ['penguins', 'waveforms'] as const;
export type DomainDatasetId = (typeof DOMAIN_DATASET_IDS)[number];

export function isDomainDatasetId(s: string): s is DomainDatasetId {
  return (DOMAIN_DATASET_IDS as readonly string[]).includes(s);
}

export async function loadDomainDataset(id: DomainDatasetId, split: Split = 'test'): Promise<Dataset> {
  return id === 'penguins' ? loadPenguins(split) : loadWaveforms(split);
}
