import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { PoisonguardError } from '../errors.js'
import { CsvTokenizer } from '../io/csv-parser.js'
import { CsvRecordRows } from '../io/csv-record-rows.js'
import { encodingError } from '../io/files.js'
import type { RawReadSummary } from '../io/formats/types.js'
import { Utf8Stream } from '../io/utf8-stream.js'
import { csvCutAfter } from './csv-split.js'
import type { RoleOptions } from './dataset-digest.js'
import { DigestState, type PartBlocks, type PartDigest, partDigest, partRecordings } from './digest-state.js'
import { LeafRecorder, type RecordEncoding, type RecordTree } from './record-tree.js'
import { SidecarSpill, SidecarWriter } from './sidecar-writer.js'

const CHUNK_BYTES = 1 << 20
/** Chunks a reader reuses in turn; a record longer than all but one of them makes the reader take fresh ones. */
const RING_CHUNKS = 4

/**
 * Buffers for reading a file's chunks, each reused once the tokenizer has let go of it: a fresh megabyte per chunk
 * took a page fault for every 4 KiB it was read into (a fifth of a two-thread create's page faults). The tokenizer
 * keeps only bytes after the end of the last record it has handed on (a record the chunk's end cut), so a buffer
 * whose bytes all lie before that end is free.
 */
export class ChunkRing {
  private readonly buffers: Buffer[] = []
  /** The offset just past each buffer's bytes, in the offsets of `take`. */
  private readonly ends: number[] = []
  private next = 0

  /** A buffer for the chunk read from `position`, given that the tokenizer holds no byte before `released`. */
  take(position: number, released: number): Buffer {
    const slot = this.next
    this.next = (slot + 1) % RING_CHUNKS
    let buffer = this.buffers[slot]
    if (buffer === undefined || this.ends[slot] > released) {
      buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES)
      this.buffers[slot] = buffer
    }
    this.ends[slot] = position + CHUNK_BYTES
    return buffer
  }
}

/**
 * The share of the file the calling thread reads itself: about half, as its hashing of the whole file costs about
 * what the worker's start and its scan for quotes up to the cut cost. Both should be done at once, since only then
 * can the part be taken in (the calling thread hashing sidecar rows while the worker hashes its blocks): at 0.48 the
 * worker's CPU time to the end of its part was 4–13% above the calling thread's for its own (a loaded machine).
 */
export const CALLER_SHARE = 0.49
/**
 * What hashing a byte costs in CPU against reading a byte of CSV into its digest: 0.75 against 21.7 ns in a
 * one-thread verification of the bench's million records.
 */
const HASHING_PER_READ_BYTE = 1 / 29
/**
 * Read first: by this thread to find the header and the roles before the worker starts, and by the worker so that the
 * end of a chunk (a record cut, a new buffer) comes before its record loop is compiled. Met first in compiled code,
 * each threw that code away.
 */
const HEAD_BYTES = 1 << 12

/** The second part of a CSV file for another thread: from the first cut at or after `from` to the end. */
export interface CsvPartTask {
  path: string
  /** The file's size when the first thread began. */
  size: number
  from: number
  columns: string[]
  /** The role columns as the first part resolved them, named explicitly. */
  roles: RoleOptions
  encoding: RecordEncoding
  uniqueIds: boolean
  /** The descriptor of the `SidecarSpill` to write the part's sidecar rows to; -1 without a sidecar. */
  sidecarSpill: number
  maxLineBytes: number
}

/**
 * What the worker posts: first where its part starts (-1: nowhere), then its digest (undefined: declined), and
 * when asked (`CsvPartRequest`) the leaf hashes of its recordings' whole blocks.
 */
export type CsvPartMessage = { cut: number } | { digest: PartDigest | undefined } | { blocks: PartBlocks }

/** What the worker is asked once its part is taken in: the open block of each tree its recordings go to, or -1. */
export interface CsvPartRequest {
  open: number[]
}

/**
 * Digests the part a task names, telling `onCut` first where it starts. Undefined when the part does not read
 * cleanly — a parse error, invalid UTF-8, a short record, an empty or repeated id: the first thread then reads the
 * part itself, so the error is reported as reading the whole file reports it.
 */
export function digestCsvPart(task: CsvPartTask, onCut: (cut: number) => void): PartDigest | undefined {
  const cut = csvCutAfter(task.path, task.from)
  onCut(cut)
  if (cut < 0) return undefined
  const state = new DigestState(
    task.path,
    { ...task.roles, uniqueIds: task.uniqueIds, encoding: task.encoding },
    // The first recorder records every record; each source's picks its records from it.
    recorderOfEveryRecord(),
    task.sidecarSpill >= 0 ? new SidecarWriter({ descriptor: task.sidecarSpill }) : undefined,
  )
  const rows = new CsvRecordRows(
    task.path,
    (record, columns, row) => state.addCsv(record, columns, row),
    task.columns,
  )
  // Offsets from the cut, as the tokenizer's.
  let released = 0
  const tokenizer = new CsvTokenizer(task.path, task.maxLineBytes, (record) => {
    released = record.byteOffset + record.end - record.start
    rows.read(record)
  })
  const utf8 = new Utf8Stream()
  const ring = new ChunkRing()
  const descriptor = openSync(task.path, 'r')
  // The head and then a whole chunk tell how large the recordings will grow: reserved after the head already, the
  // recordings do not grow while the record loop is compiled (growing, first met in compiled code, threw it away).
  let estimates = 2
  try {
    for (let position = cut; ; ) {
      const chunk = ring.take(position - cut, released)
      const length = readSync(descriptor, chunk, 0, position === cut ? HEAD_BYTES : CHUNK_BYTES, position)
      if (length === 0) break
      const bytes = chunk.subarray(0, length)
      if (!utf8.push(bytes)) return undefined
      tokenizer.push(bytes)
      position += length
      if (estimates > 0) {
        estimates--
        const factor = 1.05 * ((task.size - cut) / (position - cut))
        // Every source read so far has its recorder before they are reserved.
        state.flushDigests()
        for (const recorder of new Set([state.merkle, ...state.sourceTrees().map(([, tree]) => tree)]))
          recorder.reserve(factor)
      }
    }
    if (!utf8.finish()) return undefined
    tokenizer.finish()
  } catch (error) {
    if (error instanceof PoisonguardError) return undefined
    throw error
  } finally {
    closeSync(descriptor)
  }
  if (rows.shape.total > 0 || state.emptyIds.total > 0 || state.duplicateIds.total > 0) return undefined
  return partDigest(state, rows.row)
}

/** Makes the recorder of every record first, then recorders that pick a source's records from it. */
function recorderOfEveryRecord(): () => LeafRecorder {
  let whole: LeafRecorder | undefined
  return () => {
    if (whole) return new LeafRecorder(whole)
    whole = new LeafRecorder()
    return whole
  }
}

/** The worker digesting the second part; a worker that cannot start or fails counts as having declined. */
class PartWorker {
  readonly cut: Promise<number>
  readonly digest: Promise<PartDigest | undefined>
  private readonly worker?: Worker
  private blocksHashed = (_blocks: PartBlocks | undefined) => {}
  private ended = false
  /** The worker has posted its blocks, its last message: it writes nothing more. */
  private finished = false

  constructor(url: URL, task: CsvPartTask) {
    let cutFound = (_cut: number) => {}
    let digested = (_digest: PartDigest | undefined) => {}
    this.cut = new Promise((resolve) => {
      cutFound = resolve
    })
    this.digest = new Promise((resolve) => {
      digested = resolve
    })
    const fail = () => {
      this.ended = true
      cutFound(-1)
      digested(undefined)
      this.blocksHashed(undefined)
    }
    try {
      this.worker = new Worker(url, { workerData: task })
    } catch {
      fail()
      return
    }
    this.worker.on('message', (message: CsvPartMessage) => {
      if ('cut' in message) cutFound(message.cut)
      else if ('digest' in message) digested(message.digest)
      else {
        this.finished = true
        this.blocksHashed(message.blocks)
      }
    })
    this.worker.on('error', fail)
    this.worker.on('exit', fail)
  }

  /** The leaf hashes of the whole blocks of the part's recordings; undefined when the worker cannot give them. */
  hashBlocks(request: CsvPartRequest): Promise<PartBlocks | undefined> {
    if (!this.worker || this.ended) return Promise.resolve(undefined)
    const hashed = new Promise<PartBlocks | undefined>((resolve) => {
      this.blocksHashed = resolve
    })
    this.worker.postMessage(request)
    return hashed
  }

  /**
   * Stops the worker. Until it has finished this waits for it to stop, since it may still write to the spill; after
   * that this thread goes on while it stops (about 5 ms of tearing down, on the worker's own thread).
   */
  async close(): Promise<void> {
    const stopped = this.worker?.terminate()
    if (!this.finished) await stopped
  }
}

/**
 * Takes in the worker's part (`DigestState.addPart`): the worker hashes the whole blocks of its recordings while this
 * thread reads the part's sidecar rows back from `spill`, hashes and writes them; without a sidecar this thread appends the whole tree's recording
 * itself meanwhile, so both hash at once. A recording whose blocks the worker did not hash, or could not
 * hash (a tree without blocks), is appended here.
 */
async function takeInPart(
  state: DigestState<RecordTree>,
  part: PartDigest,
  columns: readonly string[],
  worker: PartWorker,
  spill: SidecarSpill | undefined,
): Promise<void> {
  // This thread's records go into the trees and the sidecar before the part's.
  state.flushDigests()
  const trees = state.partTrees(part)
  const recordings = partRecordings(part)
  const open = trees.map((tree, index) =>
    tree && (state.sidecar !== undefined || index > 0) ? tree.openBlockRecords : -1,
  )
  const blocks = worker.hashBlocks({ open })
  state.addPart(part, columns, spill)
  trees.forEach((tree, index) => {
    if (tree && open[index] < 0) tree.append(recordings[index])
  })
  const hashed = await blocks
  trees.forEach((tree, index) => {
    if (!tree || open[index] < 0) return
    const leaves = hashed?.leaves[index]
    if (leaves) tree.appendHashed(recordings[index], open[index], leaves)
    else tree.append(recordings[index])
  })
}

/** A scratch file beside the sidecar for the worker's rows; undefined when it cannot be made (one thread reads). */
function spillFor(sidecar: SidecarWriter | undefined): SidecarSpill | undefined {
  if (sidecar?.path === undefined) return undefined
  try {
    return new SidecarSpill(`${sidecar.path}.rows`)
  } catch {
    return undefined
  }
}

/** How `readCsvInParts` reads. */
export interface PartsOptions {
  workerUrl: URL
  /** The one source named for every record, if any. */
  source: string | null
  encoding: RecordEncoding
  uniqueIds: boolean
  maxLineBytes: number
  onProgress?: (fractionDone: number) => void
  /** Bytes this thread hashes meanwhile for other ends; its share of the file shrinks to leave time for them. */
  hashedMeanwhile?: number
}

/**
 * Reads a CSV file into `state` as reading it whole on this thread would, with the records after a cut near the
 * middle digested on a worker thread meanwhile. This thread reads up to the cut; when a record of its own ends
 * exactly there and the worker's part read cleanly with ids of its own, the worker's records are taken in after
 * this thread's. Otherwise this thread reads on past the cut itself.
 */
export async function readCsvInParts(
  path: string,
  size: number,
  state: DigestState<RecordTree>,
  options: PartsOptions,
): Promise<RawReadSummary & { threads: number }> {
  const hash = createHash('sha256')
  const utf8 = new Utf8Stream()
  let lastRecordEnd = -1
  const rows = new CsvRecordRows(path, (record, columns, row) => state.addCsv(record, columns, row))
  const tokenizer = new CsvTokenizer(path, options.maxLineBytes, (record) => {
    lastRecordEnd = record.byteOffset + record.end - record.start
    rows.read(record)
  })
  const file = await open(path, 'r')
  let parsed = 0
  let hashed = 0
  let reported = 0
  const ring = new ChunkRing()
  // Chunks only hashed are copied at once, so one buffer serves them all (its pages fault only once it is used).
  const hashChunk = Buffer.allocUnsafeSlow(CHUNK_BYTES)
  const read = async (position: number, end: number, forTokenizer: boolean) => {
    const buffer = forTokenizer ? ring.take(position, lastRecordEnd) : hashChunk
    const { bytesRead } = await file.read(buffer, 0, Math.min(CHUNK_BYTES, end - position), position)
    if (bytesRead === 0)
      throw PoisonguardError.at('PARSE_ERROR', { file: path }, 'the file shrank while read')
    // Reading past the cut again, after the worker declined, must not move the progress back.
    if (options.onProgress && size > 0 && position + bytesRead > reported) {
      reported = position + bytesRead
      options.onProgress(Math.min(1, reported / size))
    }
    return buffer.subarray(0, bytesRead)
  }
  const parse = async (end: number) => {
    while (parsed < end) {
      const chunk = await read(parsed, end, true)
      if (hashed === parsed) {
        hash.update(chunk)
        hashed += chunk.length
      }
      if (!utf8.push(chunk)) throw await encodingError(path)
      tokenizer.push(chunk)
      parsed += chunk.length
    }
  }
  const hashTo = async (end: number) => {
    while (hashed < end) {
      const chunk = await read(hashed, end, false)
      hash.update(chunk)
      hashed += chunk.length
    }
  }
  let worker: PartWorker | undefined
  let spill: SidecarSpill | undefined
  let threads = 1
  try {
    while (state.roles === undefined && parsed < size) await parse(Math.min(size, parsed + HEAD_BYTES))
    const roles = state.roles
    spill = rows.columns && roles && roles.id !== null ? spillFor(state.sidecar) : undefined
    if (rows.columns && roles && roles.id !== null && (spill || !state.sidecar)) {
      const hashing = ((options.hashedMeanwhile ?? 0) * HASHING_PER_READ_BYTE) / 2
      const from = Math.max(parsed, Math.floor(size * CALLER_SHARE - hashing))
      worker = new PartWorker(options.workerUrl, {
        path,
        size,
        from,
        columns: rows.columns,
        roles: { id: roles.id, label: roles.label, sourceColumn: roles.source, source: options.source },
        encoding: options.encoding,
        uniqueIds: options.uniqueIds,
        sidecarSpill: spill?.descriptor ?? -1,
        maxLineBytes: options.maxLineBytes,
      })
      await parse(from)
      const cut = await worker.cut
      if (cut >= parsed) {
        await parse(cut)
        if (lastRecordEnd === cut) {
          await hashTo(size)
          const part = await worker.digest
          if (part && (!part.ids || state.sharesNoIds(part.ids))) {
            await takeInPart(state, part, rows.columns, worker, spill)
            rows.row += part.recordCount
            parsed = size
            threads = 2
          }
        }
      }
      await worker.close()
    }
    await parse(size)
  } finally {
    // The worker may still write to the spill: it stops before the descriptor is closed and can be reused.
    await Promise.all([worker?.close(), file.close()])
    spill?.close()
  }
  if (!utf8.finish()) throw await encodingError(path)
  tokenizer.finish()
  rows.shape.throwIfAny()
  if (!rows.columns) throw PoisonguardError.at('EMPTY_FILE', { file: path }, 'the file has no header row')
  return { sha256: hash.digest('hex'), byteCount: size, recordCount: rows.row, threads }
}
