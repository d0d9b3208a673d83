/**
 * Which candidate features each record carries, as compressed rows: record `r` carries
 * `features[indptr[r]..indptr[r+1])`, each feature at most once. Feature ids are below `featureCount`.
 */
export interface Incidence {
  readonly indptr: Int32Array
  readonly features: Int32Array
  readonly rowCount: number
  readonly featureCount: number
  /** How many records carry each feature. */
  readonly carrierCounts: Int32Array
}

/**
 * Open-addressing set of the features one record has, small enough to stay in cache; stamps clear it per record.
 * `clear(capacity)` sizes the table in use to a record expected to hold at most `capacity` features.
 */
export class BucketSet {
  private readonly keys: Int32Array
  private readonly stamps: Int32Array
  private mask: number
  private stamp = 0

  /** Room for `maxCapacity` features at most a quarter full. */
  constructor(private readonly maxCapacity: number) {
    const size = BucketSet.sizeFor(maxCapacity)
    this.keys = new Int32Array(size)
    this.stamps = new Int32Array(size).fill(-1)
    this.mask = size - 1
  }

  private static sizeFor(capacity: number): number {
    let size = 1024
    while (size < 4 * capacity) size *= 2
    return size
  }

  /** Empties the set for a record of at most `capacity` features (at most the constructor's). */
  clear(capacity = this.maxCapacity): void {
    this.stamp++
    this.mask = BucketSet.sizeFor(Math.min(capacity, this.maxCapacity)) - 1
  }

  /** True when `feature` was not in the set yet. */
  insert(feature: number): boolean {
    let slot = feature & this.mask
    while (this.stamps[slot] === this.stamp) {
      if (this.keys[slot] === feature) return false
      slot = (slot + 1) & this.mask
    }
    this.stamps[slot] = this.stamp
    this.keys[slot] = feature
    return true
  }
}

/** Appends records one at a time, dropping repeats of a feature within a record. */
export class IncidenceBuilder {
  private readonly indptr: Int32Array
  private features: Int32Array
  private length = 0
  private row = 0
  private readonly counts: Int32Array
  private readonly countsKnown: boolean
  /** Last record that added each feature, so a repeat within one record costs one comparison. */
  private lastRow: Int32Array | undefined

  /**
   * With `knownCounts` (the records that will carry each feature, counted beforehand) the entries are allocated
   * once at their final size and not counted again: on large inputs, growing and copying them cost as much as
   * filling them.
   */
  constructor(
    private readonly rowCount: number,
    private readonly featureCount: number,
    knownCounts?: Int32Array,
  ) {
    this.indptr = new Int32Array(rowCount + 1)
    this.countsKnown = knownCounts !== undefined
    this.counts = knownCounts ?? new Int32Array(featureCount)
    let total = 0
    // Indexed: a constructor runs once, so this loop is interpreted, where `for … of` allocates an iterator result
    // per feature (725,000 of them on MNIST: pixel levels and window buckets).
    if (knownCounts)
      for (let feature = 0; feature < knownCounts.length; feature++) total += knownCounts[feature]
    this.features = new Int32Array(knownCounts ? total : 1 << 16)
  }

  /** Adds a feature to the current record unless the record already has it. */
  add(feature: number): void {
    this.lastRow ??= new Int32Array(this.featureCount).fill(-1)
    if (this.lastRow[feature] === this.row) return
    this.lastRow[feature] = this.row
    this.addNew(feature)
  }

  /** Adds a feature the caller knows the current record does not have yet. */
  addNew(feature: number): void {
    if (this.length === this.features.length) {
      const grown = new Int32Array(this.features.length * 2)
      grown.set(this.features)
      this.features = grown
    }
    this.features[this.length++] = feature
    if (!this.countsKnown) this.counts[feature]++
  }

  /** Closes the current record and starts the next one. */
  endRow(): void {
    this.row++
    this.indptr[this.row] = this.length
  }

  build(): Incidence {
    for (let row = this.row; row < this.rowCount; row++) this.indptr[row + 1] = this.length
    return {
      indptr: this.indptr,
      features: this.length === this.features.length ? this.features : this.features.slice(0, this.length),
      rowCount: this.rowCount,
      featureCount: this.featureCount,
      carrierCounts: this.counts,
    }
  }
}

/** Records of each of a few features: feature slot `s` holds `rows[offsets[s]..offsets[s+1])`, ascending. */
export interface CarrierLists {
  readonly offsets: Int32Array
  readonly rows: Int32Array
}

/** Records carrying each listed feature (slot `s` is `features[s]`, no feature twice), in one pass over the incidence. */
export function carrierLists(incidence: Incidence, features: ArrayLike<number>): CarrierLists {
  const slots = new Int32Array(incidence.featureCount)
  // A bit per feature stays in cache, and the few listed features are all the pass has to look up.
  const listed = new Uint32Array((incidence.featureCount + 31) >>> 5)
  const offsets = new Int32Array(features.length + 1)
  for (let slot = 0; slot < features.length; slot++) {
    slots[features[slot]] = slot
    listed[features[slot] >>> 5] |= 1 << (features[slot] & 31)
    offsets[slot + 1] = offsets[slot] + incidence.carrierCounts[features[slot]]
  }
  const rows = new Int32Array(offsets[features.length])
  const fill = offsets.slice(0, features.length)
  const { indptr, features: entries } = incidence
  for (let row = 0; row < incidence.rowCount; row++) {
    for (let entry = indptr[row]; entry < indptr[row + 1]; entry++) {
      const feature = entries[entry]
      if ((listed[feature >>> 5] & (1 << (feature & 31))) !== 0) rows[fill[slots[feature]]++] = row
    }
  }
  return { offsets, rows }
}

/** The lists of some slots of `lists`, in the given order. */
export function selectLists(lists: CarrierLists, slots: ArrayLike<number>): CarrierLists {
  const offsets = new Int32Array(slots.length + 1)
  for (let index = 0; index < slots.length; index++)
    offsets[index + 1] = offsets[index] + lists.offsets[slots[index] + 1] - lists.offsets[slots[index]]
  const rows = new Int32Array(offsets[slots.length])
  for (let index = 0; index < slots.length; index++)
    rows.set(
      lists.rows.subarray(lists.offsets[slots[index]], lists.offsets[slots[index] + 1]),
      offsets[index],
    )
  return { offsets, rows }
}

/** Whether `row` carries `feature`. */
export function carries(incidence: Incidence, row: number, feature: number): boolean {
  for (let entry = incidence.indptr[row]; entry < incidence.indptr[row + 1]; entry++)
    if (incidence.features[entry] === feature) return true
  return false
}
