import { parentPort, workerData } from 'node:worker_threads'
import { type CsvPartMessage, type CsvPartTask, digestCsvPart } from './csv-parts.js'
import type { PartDigest } from './digest-state.js'

/** Worker-thread entry: digests the second part of a CSV file (see `readCsvInParts`) and posts it back. */
const port = parentPort!
const post = (message: CsvPartMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)
const digest = digestCsvPart(workerData as CsvPartTask, (cut) => post({ cut }))
post({ digest }, digest ? buffersOf(digest) : [])

/** Every buffer the digest's arrays view, once each: they move to the other thread rather than being copied. */
function buffersOf(digest: PartDigest): ArrayBuffer[] {
  const views = [
    digest.merkle.bytes,
    digest.merkle.ends,
    ...digest.sources.flatMap(({ leaves }) => [leaves.bytes, leaves.ends]),
    ...(digest.ids ? [digest.ids.pool, digest.ids.ends] : []),
    ...digest.sidecarRows,
  ]
  return [...new Set(views.map((view) => view.buffer as ArrayBuffer))]
}
