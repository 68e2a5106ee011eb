import { fileURLToPath } from 'node:url';
import { DOMAIN_DATASET_IDS, isDomainDatasetId } from '../data/domain-datasets.ts';
import { trainDomainModel } from './domain-models.ts';

/**
 * Retrains the zoo's domain models into packages/backends/models/<id>/ (all, or those named):
 * `npx tsx packages/backends/src/zoo/train-domain-models.ts [penguins] [waveforms]`.
 */
const ids = process.argv.slice(2);
for (const id of ids.length ? ids : DOMAIN_DATASET_IDS) {
  if (!isDomainDatasetId(id)) throw new Error(`unknown domain model '${id}'; expected one of ${DOMAIN_DATASET_IDS.join(', ')}.`);
  const log = await trainDomainModel(id, fileURLToPath(new URL(`../../models/${id}/`, import.meta.url)));
  process.stdout.write(`${id}: ${log.parameters} parameters, train accuracy ${log.trainAccuracy.toFixed(3)}, test accuracy ${log.testAccuracy.toFixed(3)} (${log.testSize} test samples)\n`);
}
