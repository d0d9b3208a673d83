import type { ImageShape } from '../../data/image-shape.js'
import { FNV_PRIME, mixHash } from '../../util/hashing.js'
import { BucketSet } from './incidence.js'
import type { LoneCells } from './lone-pixels.js'

/** Window hashes land in this many buckets; a collision only adds a few unrelated carriers to a bucket. */
export const windowBucketBits = 19

/*
 * Local aliases of hashing imports used per window: some module runners (vitest's among them) turn every read of
 * an imported binding into a getter call.
 */
const mix = mixHash
const PRIME = FNV_PRIME

/** The mixed key folded to a bucket whose lowest bit is the window's side minus 2. */
function bucketOf(key: number, side: number): number {
  return (mix(key) & ((1 << windowBucketBits) - 2)) | (side - 2)
}

/** Side of the windows hashed into `bucket`. */
export function windowSide(bucket: number): number {
  return 2 + (bucket & 1)
}

interface Box {
  left: number
  top: number
  right: number
  bottom: number
}

/**
 * Smallest box holding every non-background pixel of one image; `right < left` when there is none. Each of those
 * pixels is tested for standing apart on the way where `lone` is given: this is the one pass that reads them all.
 */
function foregroundBox(
  levels: Uint8Array,
  offset: number,
  shape: ImageShape,
  background: number,
  box: Box,
  lone?: LoneCells,
) {
  box.left = shape.width
  box.top = shape.height
  box.right = -1
  box.bottom = -1
  for (let y = 0; y < shape.height; y++) {
    for (let x = 0; x < shape.width; x++) {
      const cell = offset + y * shape.width + x
      if (levels[cell] === background) continue
      lone?.test(cell, x, y)
      if (x < box.left) box.left = x
      if (x > box.right) box.right = x
      if (y < box.top) box.top = y
      box.bottom = y
    }
  }
}

/** Receives one window: its bucket, top-left corner and side. */
export type WindowVisitor = (bucket: number, x: number, y: number, side: number) => void

/**
 * Visits every 2×2 and 3×3 window of one image that touches its foreground box and is not all background. Rows
 * of two and three grey levels are packed into integers, so a window costs a few integer operations rather than
 * one per pixel.
 */
function visitBoxWindows(
  levels: Uint8Array,
  offset: number,
  shape: ImageShape,
  box: Box,
  background: number,
  visit: WindowVisitor,
): void {
  const { width, height } = shape
  const backgroundPair = (background << 8) | background
  const backgroundTriple = (backgroundPair << 8) | background
  const top = Math.max(0, box.top - 2)
  const left = Math.max(0, box.left - 2)
  for (let y = top; y <= box.bottom && y + 1 < height; y++) {
    for (let x = left; x <= box.right && x + 1 < width; x++) {
      const start = offset + y * width + x
      const top2 = (levels[start] << 8) | levels[start + 1]
      const bottom2 = (levels[start + width] << 8) | levels[start + width + 1]
      if (top2 !== backgroundPair || bottom2 !== backgroundPair)
        visit(bucketOf((top2 << 16) | bottom2, 2), x, y, 2)
      if (y + 2 >= height || x + 2 >= width) continue
      const first = (top2 << 8) | levels[start + 2]
      const second = (bottom2 << 8) | levels[start + width + 2]
      const third =
        (levels[start + 2 * width] << 16) |
        (levels[start + 2 * width + 1] << 8) |
        levels[start + 2 * width + 2]
      if (first === backgroundTriple && second === backgroundTriple && third === backgroundTriple) continue
      visit(bucketOf(Math.imul(Math.imul(first, PRIME) ^ second, PRIME) ^ third, 3), x, y, 3)
    }
  }
}

/** Visits every 2×2 and 3×3 window of the image at `offset` that is not all background. */
export function windowBuckets(
  levels: Uint8Array,
  offset: number,
  shape: ImageShape,
  background: number,
  visit: WindowVisitor,
): void {
  const box: Box = { left: 0, top: 0, right: 0, bottom: 0 }
  foregroundBox(levels, offset, shape, background, box)
  visitBoxWindows(levels, offset, shape, box, background, visit)
}

/**
 * Calls `visit` once per image with its distinct window buckets (`buckets[0, count)`), image by image, and has
 * `lone` test its pixels (see `foregroundBox`).
 */
export function forEachImageBuckets(
  levels: Uint8Array,
  rows: number,
  shape: ImageShape,
  background: number,
  visit: (row: number, buckets: Int32Array, count: number) => void,
  lone?: LoneCells,
): void {
  const pixelCount = shape.width * shape.height
  const seen = new BucketSet(2 * pixelCount)
  const buckets = new Int32Array(2 * pixelCount)
  const box: Box = { left: 0, top: 0, right: 0, bottom: 0 }
  let count = 0
  const collect = (bucket: number) => {
    if (seen.insert(bucket)) buckets[count++] = bucket
  }
  for (let row = 0; row < rows; row++) {
    seen.clear()
    count = 0
    foregroundBox(levels, row * pixelCount, shape, background, box, lone)
    visitBoxWindows(levels, row * pixelCount, shape, box, background, collect)
    visit(row, buckets, count)
  }
}

/** Window buckets kept between the two passes at most (64 MiB); beyond it the second pass visits windows again. */
const maxKeptBuckets = 1 << 24

/** Each image's distinct window buckets from the counting pass: image `r`'s end at `ends[r]` in `buckets`. */
interface KeptBuckets {
  buckets: Int32Array
  ends: Int32Array
}

/**
 * Records per window bucket, and each image's buckets as visited, so the second pass need not visit the windows
 * again (undefined when they would not fit in `maxKeptBuckets`, as for many large images). `lone` gathers the
 * pixels standing apart on the way.
 */
export function countWindowBuckets(
  levels: Uint8Array,
  rows: number,
  shape: ImageShape,
  background: number,
  lone: LoneCells,
) {
  const counts = new Int32Array(1 << windowBucketBits)
  let kept: KeptBuckets | undefined = { buckets: new Int32Array(1 << 16), ends: new Int32Array(rows) }
  let length = 0
  const tally = (row: number, buckets: Int32Array, count: number) => {
    for (let index = 0; index < count; index++) counts[buckets[index]]++
    if (!kept) return
    if (length + count > maxKeptBuckets) {
      kept = undefined
      return
    }
    if (length + count > kept.buckets.length) {
      const grown = new Int32Array(Math.min(maxKeptBuckets, 2 * (length + count)))
      grown.set(kept.buckets.subarray(0, length))
      kept.buckets = grown
    }
    kept.buckets.set(buckets.subarray(0, count), length)
    length += count
    kept.ends[row] = length
  }
  forEachImageBuckets(levels, rows, shape, background, tally, lone)
  return { counts, kept }
}
