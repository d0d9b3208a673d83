const DIGEST_BYTES = 32

/**
 * Per-record provenance in input order, stored compactly: ids, sources and labels as (interned) strings and the
 * 32-byte body digests in one growable byte array, so a million records cost tens of megabytes, not objects.
 */
export class RecordTable {
  readonly ids: string[]
  readonly sources: (string | null)[]
  readonly labels: (string | null)[]
  private digests: Uint8Array
  private size = 0
  /** Sources and labels repeat; sharing one string per value keeps big tables small. */
  private readonly interned = new Map<string, string>()

  /**
   * `capacity`: records expected at most, when known. A million pushes into growing arrays cost three to four times
   * as much as writes into arrays made at their size; `trim` drops the room left over.
   */
  constructor(capacity = 0) {
    this.ids = capacity > 0 ? new Array<string>(capacity).fill('') : []
    this.sources = capacity > 0 ? new Array<string | null>(capacity).fill(null) : []
    this.labels = capacity > 0 ? new Array<string | null>(capacity).fill(null) : []
    this.digests = new Uint8Array(DIGEST_BYTES * Math.max(1024, capacity))
  }

  get count(): number {
    return this.size
  }

  /** Appends one record. */
  add(id: string, source: string | null, label: string | null, bodyDigest: Uint8Array): void {
    const index = this.size++
    if ((index + 1) * DIGEST_BYTES > this.digests.length) {
      const grown = new Uint8Array(this.digests.length * 2)
      grown.set(this.digests)
      this.digests = grown
    }
    // Thirty-two bytes are copied faster by hand than by a call into `set`.
    const digests = this.digests
    const start = index * DIGEST_BYTES
    for (let offset = 0; offset < DIGEST_BYTES; offset++) digests[start + offset] = bodyDigest[offset]
    const sharedSource = source === null ? null : this.intern(source)
    const sharedLabel = label === null ? null : this.intern(label)
    if (index < this.ids.length) {
      this.ids[index] = id
      this.sources[index] = sharedSource
      this.labels[index] = sharedLabel
    } else {
      this.ids.push(id)
      this.sources.push(sharedSource)
      this.labels.push(sharedLabel)
    }
  }

  /** Drops the room a capacity reserved beyond the records added, so `ids`, `sources` and `labels` hold just them. */
  trim(): void {
    this.ids.length = this.size
    this.sources.length = this.size
    this.labels.length = this.size
  }

  /** The body digest of record `index` (a view, not a copy). */
  bodyDigest(index: number): Uint8Array {
    return this.digests.subarray(index * DIGEST_BYTES, (index + 1) * DIGEST_BYTES)
  }

  /** Whether record `index` has the same body digest as `other`'s record `otherIndex`. */
  sameBody(index: number, other: RecordTable, otherIndex: number): boolean {
    const mine = this.digests
    const theirs = other.digests
    const start = index * DIGEST_BYTES
    const otherStart = otherIndex * DIGEST_BYTES
    for (let offset = 0; offset < DIGEST_BYTES; offset++)
      if (mine[start + offset] !== theirs[otherStart + offset]) return false
    return true
  }

  private intern(text: string): string {
    if (this.interned.size > 100_000) return text
    const shared = this.interned.get(text)
    if (shared !== undefined) return shared
    this.interned.set(text, text)
    return text
  }
}
