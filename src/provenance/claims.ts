import type { Dataset } from '../data/dataset.js'
import { canonicalText } from './canonical.js'
import type { DatasetDigest } from './dataset-digest.js'
import type { ManifestPredicate } from './statement.js'
import type { VerificationFailure } from './verify-checks.js'

/** Counts to hold a manifest's summary claims against; a part left out is not compared. */
export interface ClaimCounts {
  recordCount: number
  /** Records per canonical label text, and how many have none. */
  labels?: { counts: ReadonlyMap<string, number>; unlabelled: number }
  /** Records per named source. */
  sources?: ReadonlyMap<string, number>
}

/** How many differing entries a message names before it only counts them. */
const LISTED = 10

/**
 * Compares the summary a manifest states — record count, label counts, per-source counts — with counts taken from
 * the data. A signature vouches for these claims, and a reader trusts them without recounting, so a claim that
 * the data does not bear out is a failure naming the claim, even when every record digest matches.
 */
export function checkClaims(predicate: ManifestPredicate, actual: ClaimCounts): VerificationFailure[] {
  const failures: VerificationFailure[] = []
  if (predicate.records.count !== actual.recordCount) {
    failures.push({
      check: 'record-count',
      message: `the manifest claims ${predicate.records.count} records (records.count), but the data has ${actual.recordCount}`,
    })
  }
  if (actual.labels) {
    const claimed = new Map(Object.entries(predicate.labels.counts))
    const names = new Set([...claimed.keys(), ...actual.labels.counts.keys()])
    const differing = differences(claimed, actual.labels.counts, names)
    if (predicate.labels.unlabelled !== actual.labels.unlabelled)
      differing.push(`unlabelled claimed ${predicate.labels.unlabelled}, found ${actual.labels.unlabelled}`)
    if (differing.length > 0)
      failures.push({ check: 'label-counts', message: claimMessage('labels.counts', differing) })
  }
  if (actual.sources) {
    const claimed = new Map<string, number>()
    for (const source of predicate.sources) if (source.name !== null) claimed.set(source.name, source.count)
    // Only named sources: records a manifest leaves unattributed may carry any source in the loaded data.
    const differing = differences(claimed, actual.sources, claimed.keys())
    if (differing.length > 0)
      failures.push({ check: 'source-counts', message: claimMessage('sources', differing) })
  }
  return failures
}

/** The counts a streamed digest found, in the manifest's own terms. */
export function countsOfDigest(digest: DatasetDigest): ClaimCounts {
  const sources = new Map<string, number>()
  for (const source of digest.sources) if (source.name !== null) sources.set(source.name, source.count)
  return {
    recordCount: digest.recordCount,
    labels: { counts: new Map(Object.entries(digest.labels.counts)), unlabelled: digest.labels.unlabelled },
    sources,
  }
}

/**
 * The counts of a loaded dataset. Labels are compared only when they were read from the column the manifest names
 * (a scan may label by another column), after the manifest's canonical text (`1.0` and `1` are one label).
 */
export function countsOfDataset(dataset: Dataset, predicate: ManifestPredicate): ClaimCounts {
  const counts: ClaimCounts = { recordCount: dataset.rowCount }
  const labels = dataset.labels
  if (labels && labels.name === predicate.dataset.labelColumn) {
    const byText = new Map<string, number>()
    let unlabelled = 0
    for (const code of labels.codes) {
      const text = code < 0 ? null : canonicalText(labels.classes[code])
      if (text === null) unlabelled++
      else byText.set(text, (byText.get(text) ?? 0) + 1)
    }
    counts.labels = { counts: byText, unlabelled }
  }
  if (dataset.sources) {
    const bySource = new Map<string, number>()
    for (const source of dataset.sources) bySource.set(source, (bySource.get(source) ?? 0) + 1)
    counts.sources = bySource
  }
  return counts
}

function differences(
  claimed: ReadonlyMap<string, number>,
  found: ReadonlyMap<string, number>,
  names: Iterable<string>,
): string[] {
  return [...names]
    .sort()
    .filter((name) => (claimed.get(name) ?? 0) !== (found.get(name) ?? 0))
    .map((name) => `${JSON.stringify(name)} claimed ${claimed.get(name) ?? 0}, found ${found.get(name) ?? 0}`)
}

function claimMessage(claim: string, differing: readonly string[]): string {
  const shown = differing.slice(0, LISTED).join('; ')
  const more = differing.length > LISTED ? `; … and ${differing.length - LISTED} more` : ''
  return `the signed claim ${claim} does not match the data: ${shown}${more}`
}
