import type { ImageShape } from '../../data/image-shape.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { pixelLevels } from './pixel-levels.js'

/**
 * Whether one pixel stands apart from the eight around it (fewer at an edge): its value lies farther outside the
 * box their values span (per channel, from the lowest to the highest) than the box's diagonal is long. A pixel
 * written into an image regardless of what is drawn there stands apart from the ground or the ink it lands on; a
 * value natural to the image comes with the content around it (bright ink clipped to the maximum lies among bright
 * ink, a stroke's edge between ink and ground), and pixel noise rarely strays that far from all its neighbours at
 * once, nor in one channel from neighbours spread in the others. Scale-free, so any range of values reads alike.
 * `first` is the index of the pixel's first channel in `data`.
 */
export function standsApart(
  data: Float32Array,
  first: number,
  x: number,
  y: number,
  shape: ImageShape,
  channels: number,
): boolean {
  const { width, height } = shape
  let outside = 0
  let diagonal = 0
  for (let channel = 0; channel < channels; channel++) {
    const value = data[first + channel]
    let low = Number.POSITIVE_INFINITY
    let high = Number.NEGATIVE_INFINITY
    for (let dy = -1; dy <= 1; dy++) {
      if (y + dy < 0 || y + dy >= height) continue
      for (let dx = -1; dx <= 1; dx++) {
        if ((dx === 0 && dy === 0) || x + dx < 0 || x + dx >= width) continue
        const neighbour = data[first + (dy * width + dx) * channels + channel]
        if (neighbour < low) low = neighbour
        if (neighbour > high) high = neighbour
        // Most grey pixels have neighbours on both sides of their value: two or three reads settle them.
        if (channels === 1 && low <= value && value <= high) return false
      }
    }
    const beyond = Math.max(0, value - high, low - value)
    outside += beyond * beyond
    diagonal += (high - low) * (high - low)
  }
  return outside > diagonal
}

/** Whether every channel of the pixel at `first` lies between its left and right neighbours' (both inside). */
function betweenSides(data: Float32Array, first: number, channels: number): boolean {
  for (let channel = 0; channel < channels; channel++) {
    const value = data[first + channel]
    if ((data[first - channels + channel] - value) * (data[first + channels + channel] - value) > 0)
      return false
  }
  return true
}

/** Pixel values held standing apart, ascending, and how many records hold each so. */
export interface LoneValues {
  readonly values: Int32Array
  readonly carrierCounts: Int32Array
}

/**
 * Pixel values (`pixel × pixelLevels + level`) held standing apart (see `standsApart`) by between `minRows` and
 * `maxCarriers` records. Only pixels whose value at least `minRows` records hold at all are read, and none at the
 * background level.
 */
export function findLoneValues(
  pixels: FeatureMatrix,
  levels: Uint8Array,
  shape: ImageShape,
  channels: number,
  levelCounts: Int32Array,
  backgroundLevel: number,
  minRows: number,
  maxCarriers: number,
): LoneValues {
  const { width, height } = shape
  const pixelCount = width * height
  const { data } = pixels
  // Standing apart is rare, so a map holds the few values that do.
  const counts = new Map<number, number>()
  for (let row = 0; row < pixels.rows; row++) {
    const offset = row * pixelCount
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const pixel = y * width + x
        const level = levels[offset + pixel]
        if (level === backgroundLevel) continue
        const first = (offset + pixel) * channels
        // Most pixels lie between their left and right neighbours, in every channel: two reads next to the pixel
        // rule them out before any read far apart in the counts.
        if (x > 0 && x + 1 < width && betweenSides(data, first, channels)) continue
        const feature = pixel * pixelLevels + level
        if (levelCounts[feature] < minRows || !standsApart(data, first, x, y, shape, channels)) continue
        counts.set(feature, (counts.get(feature) ?? 0) + 1)
      }
  }
  const values = Int32Array.from(
    [...counts].filter(([, count]) => count >= minRows && count <= maxCarriers).map(([feature]) => feature),
  ).sort()
  return { values, carrierCounts: Int32Array.from(values, (feature) => counts.get(feature)!) }
}
