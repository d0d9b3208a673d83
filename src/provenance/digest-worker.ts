import { parentPort, workerData } from 'node:worker_threads'
import { type CsvPartMessage, type CsvPartRequest, type CsvPartTask, digestCsvPart } from './csv-parts.js'
import { type PartDigest, partRecordings } from './digest-state.js'
import { hashBlocks } from './record-tree.js'

/**
 * Worker-thread entry: digests the second part of a CSV file (see `readCsvInParts`) and posts it back, then hashes
 * the whole blocks of its recordings when the other thread asks.
 */
const port = parentPort!
const post = (message: CsvPartMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)
const digest = digestCsvPart(workerData as CsvPartTask, (cut) => post({ cut }))
post({ digest }, digest ? buffersOf(digest) : [])
if (digest) {
  port.on('message', ({ open }: CsvPartRequest) => {
    const recordings = partRecordings(digest)
    const leaves = open.map((records, index) =>
      records < 0 || index >= recordings.length ? undefined : hashBlocks(recordings[index], records),
    )
    const transfer = leaves.flatMap((hashed) => (hashed ? [hashed.buffer as ArrayBuffer] : []))
    post({ blocks: { open, leaves } }, transfer)
  })
}

/**
 * Every buffer the digest's arrays view, once each: they move to the other thread rather than being copied. The
 * recordings are shared memory instead, read by both threads.
 */
function buffersOf(digest: PartDigest): ArrayBuffer[] {
  const views = digest.ids ? [digest.ids.pool, digest.ids.ends, digest.ids.successors] : []
  return [...new Set(views.map((view) => view.buffer as ArrayBuffer))]
}
