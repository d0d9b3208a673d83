import type { Dataset } from '../data/dataset.js'
import type { DatasetProvenance } from '../domain/index.js'
import { checkClaims, countsOfDataset } from './claims.js'
import type { DatasetVerification } from './verify.js'

/**
 * Gives each record the source its signed manifest attests. Attested sources win over a source column in the
 * file, because the file is what an attacker could have edited; records the manifest does not list keep theirs.
 */
export function withAttestedSources(dataset: Dataset, verification: DatasetVerification): Dataset {
  const attested = verification.sourcesInOrder
  if (attested.length !== dataset.rowCount || attested.every((source) => source === null)) return dataset
  const sources = attested.map((source, row) => source ?? dataset.sources?.[row] ?? 'unknown')
  return { ...dataset, sources }
}

/** A loaded dataset checked against its manifest, ready for a scan. */
export interface AttestedDataset {
  /** The verification, including any summary claim the loaded data did not bear out. */
  verification: DatasetVerification
  /** The dataset with its attested sources. */
  dataset: Dataset
  provenance?: DatasetProvenance
}

/**
 * Applies a verification to the dataset loaded from the same file: attaches the attested sources, then holds the
 * loaded records to the manifest's summary claims (record count, label counts, per-source counts), so a scan never
 * runs on data that differs from what the signer described. A claim that fails is added to the verification.
 */
export function attestDataset(dataset: Dataset, verification: DatasetVerification): AttestedDataset {
  if (!verification.ok || !verification.predicate) return { verification, dataset }
  const attested = withAttestedSources(dataset, verification)
  const failures = checkClaims(verification.predicate, countsOfDataset(attested, verification.predicate))
  if (failures.length > 0) {
    verification.failures.push(...failures)
    verification.ok = false
    verification.verdict = 'failed'
    return { verification, dataset }
  }
  return { verification, dataset: attested, provenance: datasetProvenance(verification) }
}

/** What a report records about the manifest a dataset passed. */
export function datasetProvenance(verification: DatasetVerification): DatasetProvenance {
  const { status } = verification.signature
  return {
    manifest: verification.manifestPath,
    manifestSha256: verification.manifestSha256 ?? '',
    signature: status === 'valid' ? 'verified' : status === 'unsigned' ? 'unsigned' : 'unchecked',
    keyIds: [...verification.signedBy],
  }
}
