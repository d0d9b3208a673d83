import type { Dataset } from '../data/dataset.js'
import { selectRows } from '../data/matrix.js'
import type { RecordReport, ReviewDecision, ScanReport, Severity } from '../domain/index.js'
import { searchNeighboursPortable } from '../linalg/portable.js'
import { buildAttackViews } from '../report/attacks.js'
import { strongest, suggestedLabelOf } from '../report/groups.js'
import { recordEvidenceOf } from '../report/html.js'
import { type ColumnDriftTest, inferImageShape } from '../report/views/drift.js'
import { previews } from '../report/writers/html.js'
import { type BatchRow, getBatch, getDataset, getSource, getVersion } from '../store/catalog.js'
import type { Store } from '../store/store.js'
import { version as toolVersion } from '../version.js'
import { loadStoredDataset, storedResult } from './batch-data.js'
import type { IntakeFormat, IntakeResult } from './intake.js'
import { listDecisions } from './review-decisions.js'

/*
 * Everything the review app shows about one batch, built from the store: the batch's records as a scan report
 * (so the same views as the static report draw its verdict and groups), pictures and texts of its flagged records,
 * their nearest neighbours in the trusted version, the drift tests and every decision made so far.
 */

/** Flagged records a queue shows at most, the most suspicious first, so a flooded batch stays quick to open. */
const QUEUE_LIMIT = 500
const NEIGHBOUR_COUNT = 5

/** A record of the trusted version near a flagged record, with the label it was trusted with. */
export interface Neighbour {
  id: string
  label: string | null
  distance: number
  thumbnail?: string
  text?: string
}

/** One flagged record with what a reviewer needs to decide about it. */
export interface ReviewItem {
  row: number
  id: string
  label: string | null
  suggestedLabel: string | null
  source: string
  suspicion: number
  severity: Severity | null
  explanation: string
  neighbours: Neighbour[]
}

/** What the views may draw, keyed as the client asks: thumbnails and texts by row, averages by their rows. */
export interface QueueEvidence {
  imageShape?: { width: number; height: number }
  thumbnails: Record<number, string>
  texts: Record<number, string>
  /** Average images of each attack's records, keyed by the rows joined with commas. */
  averages: Record<string, string>
}

export interface ReviewQueue {
  batch: {
    id: string
    status: string
    reason: string | null
    rows: number
    createdAt: string
    decidedAt: string | null
    versionId: string | null
    dataset: { id: string; name: string; projectId: string }
    source: { id: string; name: string }
  }
  report: ScanReport
  evidence: QueueEvidence
  items: ReviewItem[]
  /** Every class of the trusted version and the batch: the labels a record can be given. */
  labels: string[]
  decisions: ReviewDecision[]
  drift?: Pick<NonNullable<IntakeResult['check']>, 'summary' | 'findings'> & { columns: ColumnDriftTest[] }
}

function labelOf(dataset: Dataset, row: number): string | undefined {
  const code = dataset.labels?.codes[row] ?? -1
  return code >= 0 ? dataset.labels!.classes[code] : undefined
}

function countBy(values: readonly (string | undefined)[], flagged: readonly boolean[]) {
  const counts: Record<string, { rows: number; flagged: number }> = {}
  values.forEach((value, row) => {
    if (value === undefined) return
    counts[value] ??= { rows: 0, flagged: 0 }
    counts[value].rows++
    if (flagged[row]) counts[value].flagged++
  })
  return counts
}

/** The batch's records as a scan report: the gate's findings on them, and the verdict of the scan that judged them. */
export function batchReport(
  batchId: string,
  batch: Dataset,
  result: IntakeResult | undefined,
  sourceName: string,
): ScanReport {
  const found = new Map((result?.scan?.records ?? []).map((record) => [record.id, record]))
  const records: RecordReport[] = batch.ids.map((id, row) => ({
    id,
    suspicion: found.get(id)?.suspicion ?? 0,
    flagged: found.get(id)?.flagged ?? false,
    severity: found.get(id)?.severity ?? null,
    label: labelOf(batch, row),
    source: sourceName,
    findings: found.get(id)?.findings ?? [],
  }))
  const flagged = records.map((record) => record.flagged)
  const bySeverity: Record<Severity, number> = { low: 0, medium: 0, high: 0 }
  const byKind: ScanReport['summary']['byKind'] = {}
  for (const record of records) {
    if (record.severity) bySeverity[record.severity]++
    const kind = strongest(record.findings)?.kind
    if (record.flagged && kind) byKind[kind] = (byKind[kind] ?? 0) + 1
  }
  const labels = countBy(
    records.map((record) => record.label),
    flagged,
  )
  return {
    tool: { name: 'poisonguard', version: toolVersion },
    createdAt: new Date(0).toISOString(),
    dataset: {
      path: `batch ${batchId}`,
      format: batch.origin.format,
      rows: batch.rowCount,
      labels: Object.fromEntries(Object.entries(labels).map(([label, count]) => [label, count.rows])),
      sha256: batch.origin.sha256,
      featureCount: batch.features?.cols ?? 0,
      imageShape: batch.imageShape,
      warnings: [],
    },
    detectors: result?.scan?.detectors ?? [],
    records,
    summary: {
      verdict: result?.scan?.verdict,
      flagged: flagged.filter(Boolean).length,
      operatingPoint: { flagAbove: 0, mediumAbove: 0, highAbove: 0 },
      bySeverity,
      byKind,
      bySource: countBy(
        records.map((record) => record.source),
        flagged,
      ),
      byLabel: labels,
    },
  }
}

/** The k nearest trusted records of each queued record, by Euclidean distance over the feature columns. */
function nearestTrusted(batch: Dataset, reference: Dataset, rows: readonly number[]) {
  if (!batch.features || !reference.features || batch.features.cols !== reference.features.cols)
    return undefined
  if (rows.length === 0 || reference.rowCount === 0) return undefined
  const k = Math.min(NEIGHBOUR_COUNT, reference.rowCount)
  const graph = searchNeighboursPortable(reference.features, selectRows(batch.features, rows), k, {
    metric: 'euclidean',
  })
  return { graph, k }
}

function withImageShape(dataset: Dataset): Dataset {
  const imageShape = inferImageShape(dataset.featureNames, dataset.imageShape)
  return imageShape ? { ...dataset, imageShape } : dataset
}

function snippet(text: string | undefined): string | undefined {
  return text === undefined ? undefined : text.slice(0, 2_000)
}

function queueEvidence(batch: Dataset, report: ScanReport, rows: readonly number[]): QueueEvidence {
  const evidence = recordEvidenceOf(previews(batch))
  const thumbnails: Record<number, string> = {}
  const texts: Record<number, string> = {}
  for (const row of rows) {
    const thumbnail = evidence.thumbnail?.(row)
    if (thumbnail) thumbnails[row] = thumbnail
    const text = snippet(evidence.text?.(row))
    if (text) texts[row] = text
  }
  const averages: Record<string, string> = {}
  for (const view of buildAttackViews(report)) {
    const average = evidence.averageImage?.(view.rows)
    if (average) averages[Array.from(view.rows).join(',')] = average
  }
  return { imageShape: evidence.imageShape, thumbnails, texts, averages }
}

/** The version a batch was judged against: the one it was appended to, else the dataset's current version. */
async function trustedVersionOf(store: Store, batch: BatchRow) {
  const dataset = await getDataset(store.db, batch.dataset_id)
  if (batch.version_id) {
    const made = await getVersion(store.db, batch.version_id)
    if (made.parent_id) return getVersion(store.db, made.parent_id)
  }
  return getVersion(store.db, dataset.current_version_id!)
}

/** Builds the review queue of a decided batch; a pending batch has nothing to review yet. */
export async function buildReviewQueue(store: Store, batchId: string): Promise<ReviewQueue> {
  const row = await getBatch(store.db, batchId)
  const dataset = await getDataset(store.db, row.dataset_id)
  const source = await getSource(store.db, row.source_id)
  const format = dataset.format as IntakeFormat
  const result = storedResult(row.result)
  const batch = withImageShape(await loadStoredDataset(format, await store.getBlob(row.data_blob)))
  const reference = withImageShape(
    await loadStoredDataset(format, await store.getBlob((await trustedVersionOf(store, row)).data_blob)),
  )
  const report = batchReport(batchId, batch, result, source.name)
  const queued = report.records
    .map((record, index) => ({ record, index }))
    .filter(({ record }) => record.flagged)
    .sort((a, b) => b.record.suspicion - a.record.suspicion || a.index - b.index)
    .slice(0, QUEUE_LIMIT)
    .map(({ index }) => index)
  const neighbours = nearestTrusted(batch, reference, queued)
  const referenceEvidence = recordEvidenceOf(previews(reference))
  const items = queued.map((index, position): ReviewItem => {
    const record = report.records[index]
    const near: Neighbour[] = []
    for (let rank = 0; neighbours && rank < neighbours.k; rank++) {
      const at = position * neighbours.k + rank
      const neighbour = neighbours.graph.indices[at]
      if (neighbour < 0) continue
      near.push({
        id: reference.ids[neighbour],
        label: labelOf(reference, neighbour) ?? null,
        distance: neighbours.graph.distances[at],
        thumbnail: referenceEvidence.thumbnail?.(neighbour),
        text: snippet(referenceEvidence.text?.(neighbour)),
      })
    }
    return {
      row: index,
      id: record.id,
      label: record.label ?? null,
      suggestedLabel: suggestedLabelOf(record) ?? null,
      source: source.name,
      suspicion: record.suspicion,
      severity: record.severity,
      explanation: strongest(record.findings)?.explanation ?? '',
      neighbours: near,
    }
  })
  const labels = [...new Set([...(reference.labels?.classes ?? []), ...(batch.labels?.classes ?? [])])].sort(
    new Intl.Collator('en', { numeric: true }).compare,
  )
  return {
    batch: {
      id: row.id,
      status: row.status,
      reason: row.reason,
      rows: row.row_count,
      createdAt: row.created_at,
      decidedAt: row.decided_at,
      versionId: row.version_id,
      dataset: { id: dataset.id, name: dataset.name, projectId: dataset.project_id },
      source: { id: source.id, name: source.name },
    },
    report,
    evidence: queueEvidence(batch, report, queued),
    items,
    labels,
    decisions: await listDecisions(store.db, batchId),
    drift: result?.check,
  }
}
