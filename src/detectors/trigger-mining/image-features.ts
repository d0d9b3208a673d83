import { channelCount, type ImageShape } from '../../data/image-shape.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { lowerBound } from '../../util/sorted.js'
import { countWindowBuckets, forEachImageBuckets } from './image-windows.js'
import { type Incidence, IncidenceBuilder } from './incidence.js'
import { LoneCells } from './lone-pixels.js'
import {
  colourCodes,
  formatPixelLevel,
  type PixelScale,
  pixelLevels,
  pixelScaleOf,
  quantisePixels,
} from './pixel-levels.js'

export type { ImageShape }

/**
 * Candidate image features. Ids below `pixelCount × pixelLevels` mean "pixel p has level l" (fixed-position
 * triggers, blends); ids from `windowOffset` on are hashed contents of small windows at any position
 * (patches that move from image to image; even buckets 2×2, odd 3×3); ids from `loneOffset` on mean "pixel p has
 * level l and stands apart from the pixels around it" (see `standsApart`), the pixel value `loneValues[id −
 * loneOffset]`. A level is a grey level, or for colour images a colour code (see `colourCodes`).
 */
export interface ImageFeatures {
  readonly incidence: Incidence
  /** One level per pixel of every image (`row × pixelCount + pixel`). */
  readonly levels: Uint8Array
  /** The pixels as given, to name a level in the data's own units. */
  readonly pixels: FeatureMatrix
  readonly channels: 1 | 3
  readonly windowOffset: number
  readonly loneOffset: number
  /** The pixel value of each lone feature, ascending. */
  readonly loneValues: Int32Array
  /**
   * The grey level of the images' ground where one dominates, else -1; its pixels, and windows made of it alone,
   * are never candidates.
   */
  readonly backgroundLevel: number
  /**
   * The most common grey level, the background where it dominates: where it does not, its pixel values are
   * candidates of their own kind (see the image family's `kindOf`).
   */
  readonly commonLevel: number
  readonly scale: PixelScale
  /**
   * Pixel values carried on the same records as the same value at a neighbouring pixel (1, see `coCarriedPixels`)
   * and values standing apart (`loneFocus`): the label tests' groups (see `MiningOptions.focus`).
   */
  readonly focus?: Uint8Array
}

/** The focus group of values standing apart from their neighbours. */
const loneFocus = 2

/** The pixel value (`pixel × pixelLevels + level`) a pixel or lone feature names; -1 for a window. */
export function pixelValueOf(features: ImageFeatures, feature: number): number {
  if (feature < features.windowOffset) return feature
  return feature >= features.loneOffset ? features.loneValues[feature - features.loneOffset] : -1
}

/**
 * A pixel level in the data's own units: a grey level's value, or the mean colour `(r, g, b)` of the `cells`
 * (`row × pixelCount + pixel`) that hold the colour code (all of them when none does).
 */
export function nameLevel(features: ImageFeatures, level: number, cells: ArrayLike<number>): string {
  if (features.channels === 1) return formatPixelLevel(level, features.scale)
  const sums = [0, 0, 0]
  let count = 0
  for (const pass of [true, false]) {
    for (let index = 0; index < cells.length; index++) {
      const cell = cells[index]
      if (pass && features.levels[cell] !== level) continue
      for (let channel = 0; channel < 3; channel++) sums[channel] += features.pixels.data[3 * cell + channel]
      count++
    }
    if (count > 0) break
  }
  const { low, step } = features.scale
  const channelValue = (sum: number) =>
    formatPixelLevel(Math.round((sum / Math.max(1, count) - low) / step), features.scale)
  return `(${sums.map(channelValue).join(', ')})`
}

/**
 * Share of all pixels the most common level must hold to be a background: MNIST's black holds four fifths of
 * them, the 8×8 digits' zero half. Where no level dominates (a noisy ground, a photograph), the most common one is
 * often an end of the range where clipped ink or shadow piles up, the very value a patch is written with: leaving
 * it out as background hid every pixel and window of such a patch.
 */
const minBackgroundShare = 0.25

/** The most common level over every pixel and the share of all pixels it holds, from `countPixelLevels`. */
function mostCommonLevel(levelCounts: Int32Array): { level: number; share: number } {
  const counts = new Float64Array(pixelLevels)
  let total = 0
  for (let feature = 0; feature < levelCounts.length; feature++) {
    counts[feature % pixelLevels] += levelCounts[feature]
    total += levelCounts[feature]
  }
  let best = 0
  for (let level = 1; level < pixelLevels; level++) if (counts[level] > counts[best]) best = level
  return { level: best, share: counts[best] / Math.max(1, total) }
}

/**
 * Records per (pixel, level): computed first so the common levels never enter the incidence. A call per image: one
 * loop over every pixel of every image, run once per scan, runs as code compiled on the stack (see `valueSpan`).
 */
function countPixelLevels(levels: Uint8Array, rowCount: number, pixelCount: number): Int32Array {
  const counts = new Int32Array(pixelCount * pixelLevels)
  for (let row = 0; row < rowCount; row++) countImageLevels(levels, row * pixelCount, pixelCount, counts)
  return counts
}

function countImageLevels(levels: Uint8Array, offset: number, pixelCount: number, counts: Int32Array): void {
  for (let pixel = 0; pixel < pixelCount; pixel++) counts[pixel * pixelLevels + levels[offset + pixel]]++
}

/**
 * Marks the pixel values (`pixel × pixelLevels + level`, candidates only) that at least `minRows` records, and half
 * of either's carriers, hold together with the same value at the pixel to the right or below: a patch writes one
 * value into neighbouring pixels of the same records, while the values of a noisy ground or of a stroke's edge
 * rarely repeat on neighbours of the same records. Read from the pixels alone, never the labels, so the label
 * tests' correction may favour them (see `MiningOptions.focus`): a patch on a few dozen of a thousand noisy images
 * cannot clear a correction for every value of every pixel (380,000 of them at 64×64), but it can for the few values
 * neighbours share. `shared` holds how many records hold each value with the same value to the right (`right`) and
 * below (`below`). Undefined when none qualifies.
 */
function coCarriedPixels(
  carrierCounts: Int32Array,
  shared: SharedNeighbours,
  width: number,
  minRows: number,
): Uint8Array | undefined {
  const focus = new Uint8Array(carrierCounts.length)
  let focused = 0
  for (const [together, step] of [
    [shared.right, 1],
    [shared.below, width],
  ] as const) {
    const partnerOffset = step * pixelLevels
    for (let feature = 0; feature < together.length; feature++) {
      if (together[feature] < minRows) continue
      const partner = feature + partnerOffset
      if (
        2 * together[feature] < Math.max(carrierCounts[feature], carrierCounts[partner]) ||
        carrierCounts[partner] === 0
      )
        continue
      focused += 2 - focus[feature] - focus[partner]
      focus[feature] = 1
      focus[partner] = 1
    }
  }
  return focused > 0 ? focus : undefined
}

/** Per candidate pixel value, the records that hold it with the same value at the pixel to the right, and below. */
interface SharedNeighbours {
  readonly right: Int32Array
  readonly below: Int32Array
}

/**
 * Pixel-level (other than background) and window features of every image, grey or colour, that between `minRows`
 * and `maxCarriers` records carry: a trigger is rare, and a feature of fewer records than `minRows` could never be
 * one. Window buckets are counted in a first pass, so unique windows (most of a photograph's) never enter the
 * incidence. Levels are named in the image files' units where `fileScale` says what a loaded 1 was in them.
 */
export function extractImageFeatures(
  pixels: FeatureMatrix,
  shape: ImageShape,
  minRows: number,
  maxCarriers: number,
  fileScale?: number,
): ImageFeatures {
  const { rows } = pixels
  const cols = shape.width * shape.height
  const channels = channelCount(shape)
  const scale = { ...pixelScaleOf(pixels.data), fileScale }
  const levels = channels === 1 ? quantisePixels(pixels, scale) : colourCodes(pixels, scale)
  const levelCounts = countPixelLevels(levels, rows, cols)
  const common = mostCommonLevel(levelCounts)
  const commonLevel = common.level
  const backgroundLevel = common.share >= minBackgroundShare ? commonLevel : -1
  const loneCells = new LoneCells(pixels.data, shape, channels)
  const { counts: windowCounts, kept: keptBuckets } = countWindowBuckets(
    levels,
    rows,
    shape,
    backgroundLevel,
    loneCells,
  )
  const windowOffset = cols * pixelLevels
  const loneOffset = windowOffset + windowCounts.length
  const lone = loneCells.values(levels, minRows, maxCarriers)
  const loneValues = lone.values
  const carrierCounts = new Int32Array(loneOffset + loneValues.length)
  // One byte per feature for the per-pixel test: the counts themselves are four times as far apart in memory.
  const candidate = new Uint8Array(carrierCounts.length)
  const keep = (feature: number, carriers: number) => {
    if (carriers < minRows || carriers > maxCarriers) return
    carrierCounts[feature] = carriers
    candidate[feature] = 1
  }
  for (let feature = 0; feature < windowOffset; feature++) {
    // A pixel left at the background level is the absence of a stroke, not something written into the image.
    if (feature % pixelLevels !== backgroundLevel) keep(feature, levelCounts[feature])
  }
  for (let bucket = 0; bucket < windowCounts.length; bucket++)
    keep(windowOffset + bucket, windowCounts[bucket])
  for (let index = 0; index < loneValues.length; index++) keep(loneOffset + index, lone.carrierCounts[index])
  // The few cells standing apart come in the order of the records and, within one, of its pixels.
  const cellsApart = loneCells.kept()
  let nextCell = 0
  const builder = new IncidenceBuilder(rows, carrierCounts.length, carrierCounts)
  // Counted as each candidate pixel value is added, not in passes of their own over the incidence.
  const shared: SharedNeighbours = {
    right: new Int32Array(windowOffset),
    below: new Int32Array(windowOffset),
  }
  const { width } = shape
  const addImage = (row: number, buckets: Int32Array, count: number) => {
    for (let pixel = 0, at = row * cols; pixel < cols; pixel++, at++) {
      const level = levels[at]
      // Most pixels are background, never a candidate: skipping them skips a read far apart in `candidate`.
      if (level === backgroundLevel) continue
      const feature = pixel * pixelLevels + level
      if (candidate[feature] !== 1) continue
      builder.addNew(feature)
      // The last column has no pixel to its right, the last row none below.
      if (pixel % width !== width - 1 && levels[at + 1] === level) shared.right[feature]++
      if (pixel + width < cols && levels[at + width] === level) shared.below[feature]++
    }
    for (let index = 0; index < count; index++) {
      const feature = windowOffset + buckets[index]
      if (candidate[feature] === 1) builder.addNew(feature)
    }
    for (; nextCell < cellsApart.length && cellsApart[nextCell] < (row + 1) * cols; nextCell++) {
      const cell = cellsApart[nextCell]
      const feature = (cell - row * cols) * pixelLevels + levels[cell]
      const index = lowerBound(loneValues, feature)
      if (loneValues[index] === feature) builder.addNew(loneOffset + index)
    }
    builder.endRow()
  }
  if (keptBuckets) {
    for (let row = 0; row < rows; row++) {
      const start = row === 0 ? 0 : keptBuckets.ends[row - 1]
      addImage(row, keptBuckets.buckets.subarray(start, keptBuckets.ends[row]), keptBuckets.ends[row] - start)
    }
  } else {
    forEachImageBuckets(levels, rows, shape, backgroundLevel, addImage)
  }
  const incidence = builder.build()
  // Values standing apart are a group of their own: a few strays of noise where nothing is planted, they would
  // otherwise share the correction of the hundreds of co-carried values of a stroke-filled grid.
  const focus =
    coCarriedPixels(carrierCounts, shared, width, minRows) ??
    (loneValues.length > 0 ? new Uint8Array(carrierCounts.length) : undefined)
  focus?.fill(loneFocus, loneOffset)
  return {
    incidence,
    levels,
    pixels,
    channels,
    windowOffset,
    loneOffset,
    loneValues,
    backgroundLevel,
    commonLevel,
    scale,
    focus,
  }
}
