import { Worker } from 'node:worker_threads'
import type { FileMetaData } from 'hyparquet'
import { PoisonguardError } from '../../errors.js'

/**
 * hyparquet decodes pages in synchronous loops that a damaged file can make spin for minutes, and nothing can
 * interrupt a synchronous loop on the main thread. So row groups are decoded in one shared worker that is
 * terminated when a row group overruns its deadline: a base plus time per compressed byte, generous for real files.
 * The deadline runs from the moment the worker starts on the row group, so the worker's own start-up (loading
 * hyparquet, slow on a busy machine) and waiting behind another file's row group never count against it. A small row
 * group decodes in milliseconds, so the base leaves a hundredfold margin for a loaded machine, while each damaged
 * file that spins costs no more than the base.
 */
const BASE_DEADLINE_MS = 1_000
const DEADLINE_MS_PER_MEGABYTE = 2_000

// Plain JavaScript, so the worker runs the same under the build and under a TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const hyparquet = import(workerData.hyparquet)
parentPort.on('message', async ({ id, path, rowStart, rowEnd }) => {
  try {
    const { asyncBufferFromFile, parquetReadObjects } = await hyparquet
    parentPort.postMessage({ id, started: true })
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path), rowStart, rowEnd })
    parentPort.postMessage({ id, rows })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) })
  }
})
`

/** A row group's start, then its rows or its error. */
interface DecoderReply {
  id: number
  started?: true
  rows?: Record<string, unknown>[]
  error?: string
}

interface Pending {
  start: () => void
  resolve: (rows: Record<string, unknown>[]) => void
  reject: (error: Error) => void
}

let worker: Worker | undefined
const pending = new Map<number, Pending>()
let nextId = 0

function decoder(): Worker {
  if (worker) return worker
  const created = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { hyparquet: import.meta.resolve('hyparquet') },
  })
  created.on('message', ({ id, started, rows, error }: DecoderReply) => {
    const waiting = pending.get(id)
    if (started) return waiting?.start()
    pending.delete(id)
    // Idle, the worker must not keep the process alive; a 'message' listener refs it, so unref after adding it.
    if (pending.size === 0) created.unref()
    if (error === undefined) waiting?.resolve(rows!)
    else waiting?.reject(new Error(error))
  })
  created.on('error', (error) => stopDecoder(error))
  worker = created
  return created
}

function stopDecoder(error: Error): void {
  const stopped = worker
  worker = undefined
  for (const waiting of pending.values()) waiting.reject(error)
  pending.clear()
  void stopped?.terminate()
}

/** The rows [rowStart, rowEnd) of one row group, decoded off the main thread within a deadline. */
export function decodeRowGroup(
  path: string,
  metadata: FileMetaData,
  groupIndex: number,
  rowStart: number,
  rowEnd: number,
): Promise<Record<string, unknown>[]> {
  const compressedBytes = metadata.row_groups[groupIndex].columns.reduce(
    (sum, chunk) => sum + Number(chunk.meta_data?.total_compressed_size ?? 0),
    0,
  )
  const deadlineMs = BASE_DEADLINE_MS + (DEADLINE_MS_PER_MEGABYTE * compressedBytes) / 2 ** 20
  const id = nextId++
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    const overrun = () =>
      stopDecoder(
        PoisonguardError.at(
          'PARSE_ERROR',
          { file: path },
          `not a readable Parquet file (row group ${groupIndex + 1} did not decode within ${Math.round(deadlineMs / 1000)} s; its pages are damaged)`,
          'check that the file is complete, or rewrite it with another Parquet writer',
        ),
      )
    const start = () => {
      timer = setTimeout(overrun, deadlineMs)
    }
    const settle =
      <T>(finish: (value: T) => void) =>
      (value: T) => {
        clearTimeout(timer)
        finish(value)
      }
    pending.set(id, { start, resolve: settle(resolve), reject: settle(reject) })
    // Referenced while a row group is on its way, or the process could end waiting for it.
    const active = decoder()
    active.ref()
    active.postMessage({ id, path, rowStart, rowEnd })
  })
}
