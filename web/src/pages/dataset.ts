import { h } from 'preact'
import { useState } from 'preact/hooks'
import { ApiError, api } from '../api.js'
import { link, Page, Pending, StatusBadge, Table, Time, useApi } from '../ui.js'

interface Version {
  id: string
  number: number
  sha256: string
  parentId: string | null
  rows: number
  batchId: string | null
  createdAt: string
}

interface DatasetDetail {
  id: string
  projectId: string
  name: string
  format: string
  versions: Version[]
}

interface Batch {
  id: string
  sourceId: string
  status: string
  reason: string | null
  rows: number
  createdAt: string
  decidedAt: string | null
  versionId: string | null
}

function datasetPage(dataset: DatasetDetail | undefined, datasetId: string, title: string) {
  return {
    title: dataset ? `${title}: ${dataset.name}` : title,
    crumbs: [
      ['/projects', 'Projects'],
      ...(dataset ? ([[`/projects/${dataset.projectId}`, 'Project']] as [string, string][]) : []),
    ] as [string, string][],
    tabs: [
      [`/datasets/${datasetId}`, 'Batches'],
      [`/datasets/${datasetId}/versions`, 'Versions'],
    ] as [string, string][],
  }
}

/** A dataset's batches, newest first, with the gate's decision and its reasons. */
export function BatchesPage(props: { datasetId: string }) {
  const dataset = useApi<DatasetDetail>(`/v1/datasets/${props.datasetId}`)
  const batches = useApi<{ batches: Batch[] }>(`/v1/datasets/${props.datasetId}/batches`)
  return h(
    Page,
    datasetPage(dataset.data, props.datasetId, 'Batches'),
    h(
      'section',
      { 'aria-labelledby': 'batches-title' },
      h('h2', { id: 'batches-title' }, 'Batches and their gate status'),
      !batches.data
        ? h(Pending, { error: batches.error })
        : h(Table, {
            caption: 'Batches, newest first',
            head: ['Submitted', 'Rows', 'Gate status', 'Why', 'Open'],
            rows: batches.data.batches.map((batch) => [
              h(Time, { iso: batch.createdAt }),
              String(batch.rows),
              h(StatusBadge, { status: batch.status }),
              h('span', { class: 'small' }, batch.reason ?? '–'),
              h(
                'span',
                { class: 'actions' },
                link(`/batches/${batch.id}`, 'Verdict'),
                batch.status === 'needs_review' ? link(`/batches/${batch.id}/review`, 'Review') : null,
              ),
            ]),
          }),
    ),
  )
}

interface ExportJob {
  id: string
  status: 'pending' | 'done' | 'failed'
  error: { code: string; message: string } | null
  version?: unknown
  data?: string
  manifest?: string
  sidecar?: string
}

/** Asks for a version's export and waits for the server's queue to prepare it. */
async function exportWhenDone(version: Version): Promise<ExportJob> {
  const started = await api<ExportJob>('POST', `/v1/versions/${version.id}/exports`)
  for (;;) {
    const job = await api<ExportJob>('GET', `/v1/exports/${started.id}`)
    if (job.status === 'done') return job
    if (job.status === 'failed')
      throw new ApiError(500, job.error?.code ?? 'ERROR', job.error?.message ?? 'the export failed')
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** Saves a version's export (data, signed manifest, record digests) as one JSON file. */
async function download(version: Version): Promise<void> {
  const { version: exported, data, manifest, sidecar } = await exportWhenDone(version)
  const snapshot = { version: exported, data, manifest, sidecar }
  const url = URL.createObjectURL(new Blob([JSON.stringify(snapshot)], { type: 'application/json' }))
  const anchor = document.createElement('a')
  anchor.href = url
  anchor.download = `version-${version.number}.json`
  anchor.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A dataset's immutable versions: content address, size, lineage, and an export for training. */
export function VersionsPage(props: { datasetId: string }) {
  const dataset = useApi<DatasetDetail>(`/v1/datasets/${props.datasetId}`)
  const [error, setError] = useState<string | undefined>(undefined)
  const exportVersion = (version: Version) =>
    download(version).then(
      () => setError(undefined),
      (failure) => setError(failure instanceof ApiError ? failure.message : String(failure)),
    )
  return h(
    Page,
    datasetPage(dataset.data, props.datasetId, 'Versions'),
    h(
      'section',
      { 'aria-labelledby': 'versions-title' },
      h('h2', { id: 'versions-title' }, 'Dataset versions'),
      h(
        'p',
        { class: 'lead' },
        'Each version is signed by the server and names its parent, so its lineage can be verified offline.',
      ),
      error ? h('p', { class: 'verdict verdict-high', role: 'alert' }, error) : null,
      !dataset.data
        ? h(Pending, { error: dataset.error })
        : h(Table, {
            caption: 'Versions, oldest first',
            head: ['Version', 'Rows', 'SHA-256', 'From batch', 'Created', 'Export'],
            rows: dataset.data.versions.map((version) => [
              `v${version.number}`,
              String(version.rows),
              h('code', { class: 'hash', title: version.sha256 }, `${version.sha256.slice(0, 16)}…`),
              version.batchId ? link(`/batches/${version.batchId}`, 'batch') : 'trusted reference',
              h(Time, { iso: version.createdAt }),
              h(
                'button',
                {
                  type: 'button',
                  onClick: () => exportVersion(version),
                  'aria-label': `Export version ${version.number}`,
                },
                'Export',
              ),
            ]),
          }),
    ),
  )
}
