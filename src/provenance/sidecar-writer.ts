import { createHash, type Hash } from 'node:crypto'
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { PoisonguardError } from '../errors.js'
import { viewOf } from './word-copy.js'

/** First line of a record-digest sidecar. */
export const SIDECAR_FORMAT = 'https://poisonguard.dev/record-digests/v1'
const FIELDS = ['id', 'source', 'label', 'bodySha256'] as const
const FLUSH_BYTES = 1 << 20
/**
 * The first rows are written out sooner, so the record loop has flushed before it is compiled: a first flush after a
 * mebibyte of rows, met in compiled code, threw that code away.
 */
const FIRST_FLUSH_BYTES = 1 << 12

/** Each byte's two lowercase hex digits as one little-endian 16-bit unit, so a digest's 64 digits take 16 stores. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) => {
  const digits = byte.toString(16).padStart(2, '0')
  return digits.charCodeAt(0) | (digits.charCodeAt(1) << 8)
})

/** One record as the sidecar writes it: the id (as text and as key bytes), source and label JSON, body digest. */
export interface SidecarRecord {
  id(): string
  /** The id's key (see `writeRoleKey`): its UTF-8 unless it has a lone surrogate. */
  readonly idBytes: Buffer
  readonly idStart: number
  readonly idEnd: number
  readonly source: { readonly json: Uint8Array }
  readonly label: { readonly json: Uint8Array }
  readonly bodyDigest: Uint8Array
}

/**
 * Writes the record-digest sidecar: a JSON header line, then one JSON array per record
 * `[id, source, label, bodySha256]` in input order, hashing the bytes as they are written. Lines go straight from
 * the record's bytes into one reused buffer (a million records would otherwise make a million strings for the
 * garbage collector).
 */
export class SidecarWriter {
  private readonly descriptor: number
  /** Absent for a writer of rows only, whose bytes are hashed where they are taken in. */
  private readonly hash?: Hash
  private buffer: Buffer = Buffer.alloc(FLUSH_BYTES + 4096)
  private view = viewOf(this.buffer)
  private length = 0
  private flushAt = FIRST_FLUSH_BYTES
  byteCount = 0
  /** The sidecar file's path; absent for rows only. */
  readonly path?: string

  /**
   * A writer of the sidecar file at `target` (header first, hashed), or of rows only to an open file (the descriptor
   * of a `SidecarSpill`, perhaps on another thread), neither headed nor hashed.
   */
  constructor(target: string | { readonly descriptor: number }) {
    if (typeof target !== 'string') {
      this.descriptor = target.descriptor
      return
    }
    this.path = target
    this.hash = createHash('sha256')
    this.descriptor = openSync(target, 'wx', 0o644)
    this.writeText(`${JSON.stringify({ format: SIDECAR_FORMAT, fields: FIELDS })}\n`)
  }

  /** Appends one record. */
  add(record: SidecarRecord): void {
    const { idBytes, idStart, idEnd } = record
    const source = record.source.json
    const label = record.label.json
    // Brackets, commas, quotes, the digest's 64 hex digits and the newline take 72 bytes.
    this.reserve(idEnd - idStart + source.length + label.length + 72)
    let buffer = this.buffer
    let at = this.length
    buffer[at++] = 0x5b // [
    // Nearly every id is short plain ASCII, copied as it is; any other is written as a JSON string.
    at = writePlainId(buffer, at, idBytes, idStart, idEnd)
    if (at < 0) {
      this.writeText(`[${JSON.stringify(record.id())}`)
      this.reserve(source.length + label.length + 72)
      buffer = this.buffer
      at = this.length
    }
    buffer[at++] = 0x2c // ,
    for (let index = 0; index < source.length; index++) buffer[at++] = source[index]
    buffer[at++] = 0x2c
    for (let index = 0; index < label.length; index++) buffer[at++] = label[index]
    buffer[at++] = 0x2c
    buffer[at++] = 0x22 // "
    const digest = record.bodyDigest
    const view = this.view
    for (let index = 0; index < 32; index += 2) {
      view.setInt32(at, HEX_PAIRS[digest[index]] | (HEX_PAIRS[digest[index + 1]] << 16), true)
      at += 4
    }
    buffer[at++] = 0x22
    buffer[at++] = 0x5d // ]
    buffer[at++] = 0x0a // \n
    this.length = at
    if (at >= this.flushAt) this.flush()
  }

  /**
   * Appends the first `byteCount` bytes of rows another writer wrote to `spill`, after the rows written so far, read
   * back through this writer's own buffer.
   */
  addRowsFrom(spill: SidecarSpill, byteCount: number): void {
    this.flush()
    const buffer = this.buffer
    for (let position = 0; position < byteCount; ) {
      const length = readSync(
        spill.descriptor,
        buffer,
        0,
        Math.min(buffer.length, byteCount - position),
        position,
      )
      if (length === 0)
        throw new PoisonguardError('OUTPUT_ERROR', `${spill.path}: the spilled sidecar rows ended early`)
      this.output(buffer.subarray(0, length))
      position += length
    }
  }

  /** Flushes and closes the file; returns its SHA-256 (empty for rows only) and size. */
  finish(): { sha256: string; byteCount: number } {
    this.flush()
    if (!this.hash) return { sha256: '', byteCount: this.byteCount }
    closeSync(this.descriptor)
    return { sha256: this.hash.digest('hex'), byteCount: this.byteCount }
  }

  /** Closes the file after a failure, without a digest. */
  abort(): void {
    if (this.hash) closeSync(this.descriptor)
  }

  /** Makes room for `bytes` more bytes after `length`. */
  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return
    this.flush()
    if (bytes > this.buffer.length) this.setBuffer(Buffer.alloc(bytes))
  }

  private writeText(text: string): void {
    // A UTF-16 unit never takes more than 3 UTF-8 bytes.
    this.reserve(3 * text.length)
    this.length += this.buffer.write(text, this.length, 'utf8')
  }

  private flush(): void {
    this.flushAt = FLUSH_BYTES
    if (this.length === 0) return
    const bytes = this.buffer.subarray(0, this.length)
    this.length = 0
    this.output(bytes)
  }

  private setBuffer(buffer: Buffer): void {
    this.buffer = buffer
    this.view = viewOf(buffer)
  }

  private output(bytes: Uint8Array): void {
    this.hash?.update(bytes)
    let offset = 0
    while (offset < bytes.length) offset += writeSync(this.descriptor, bytes, offset)
    this.byteCount += bytes.length
  }
}

/**
 * A scratch file beside the sidecar for the rows another thread digests, read back into the sidecar once taken in.
 * Kept in memory instead, those rows (about 47 MiB for half a million records) were fresh pages the worker faulted
 * in one by one, about 12k faults at some 10 µs of CPU each on a virtual machine; a file's pages the kernel fills
 * without a fault. The file is removed as soon as it is open where the system allows it, else when closed; the
 * descriptor serves every thread of the process.
 */
export class SidecarSpill {
  readonly descriptor: number
  private removed = false

  constructor(readonly path: string) {
    this.descriptor = openSync(path, 'wx+', 0o600)
    this.removed = tryUnlink(path)
  }

  close(): void {
    closeSync(this.descriptor)
    if (!this.removed) this.removed = tryUnlink(this.path)
  }
}

function tryUnlink(path: string): boolean {
  try {
    unlinkSync(path)
    return true
  } catch {
    return false
  }
}

/**
 * Writes `bytes[start, end)` in quotes at `at` when it is printable ASCII without quotes or backslashes, so already
 * a JSON string, and returns the end; -1 when it needs JSON escaping (the bytes written so far are then scrap).
 */
function writePlainId(buffer: Buffer, at: number, bytes: Uint8Array, start: number, end: number): number {
  buffer[at++] = 0x22
  for (let offset = start; offset < end; offset++) {
    const byte = bytes[offset]
    if (byte < 0x20 || byte > 0x7e || byte === 0x22 || byte === 0x5c) return -1
    buffer[at++] = byte
  }
  buffer[at++] = 0x22
  return at
}
