import type { ImageShape } from '../../data/image-shape.js'
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

/**
 * Whether every channel of the pixel at `first` lies between its two neighbours `stride` values before and after it
 * (both inside the image): such a pixel cannot stand apart.
 */
function betweenNeighbours(data: Float32Array, first: number, channels: number, stride: number): boolean {
  for (let channel = 0; channel < channels; channel++) {
    const value = data[first + channel]
    if ((data[first - stride + channel] - value) * (data[first + stride + channel] - value) > 0) return false
  }
  return true
}

/** Pixel values held standing apart, ascending, and how many records hold each so. */
export interface LoneValues {
  readonly values: Int32Array
  readonly carrierCounts: Int32Array
}

/**
 * The cells (`row × pixelCount + pixel`) standing apart (see `standsApart`), gathered while another pass reads every
 * pixel that is not background, image by image: a pass of their own over every pixel cost as much as the tests.
 */
export class LoneCells {
  private cells = new Int32Array(256)
  private count = 0

  constructor(
    private readonly data: Float32Array,
    private readonly shape: ImageShape,
    private readonly channels: number,
  ) {}

  /** Keeps `cell`, the pixel at (`x`, `y`) of its image, where it stands apart. */
  test(cell: number, x: number, y: number): void {
    const { data, channels } = this
    const { width, height } = this.shape
    const first = cell * channels
    // Most pixels lie between their left and right neighbours, or else between those above and below, in every
    // channel: two or four reads rule them out before the eight.
    if (x > 0 && x + 1 < width && betweenNeighbours(data, first, channels, channels)) return
    if (y > 0 && y + 1 < height && betweenNeighbours(data, first, channels, width * channels)) return
    if (!standsApart(data, first, x, y, this.shape, channels)) return
    if (this.count === this.cells.length) {
      const grown = new Int32Array(2 * this.count)
      grown.set(this.cells)
      this.cells = grown
    }
    this.cells[this.count++] = cell
  }

  /** The cells kept, in the order tested. */
  kept(): Int32Array {
    return this.cells.subarray(0, this.count)
  }

  /**
   * Pixel values (`pixel × pixelLevels + level`, `levels` one per cell) held standing apart by between `minRows` and
   * `maxCarriers` records.
   */
  values(levels: Uint8Array, minRows: number, maxCarriers: number): LoneValues {
    const pixelCount = this.shape.width * this.shape.height
    // Standing apart is rare, so a map holds the few values that do.
    const counts = new Map<number, number>()
    for (let index = 0; index < this.count; index++) {
      const cell = this.cells[index]
      const feature = (cell % pixelCount) * pixelLevels + levels[cell]
      counts.set(feature, (counts.get(feature) ?? 0) + 1)
    }
    const values = Int32Array.from(
      [...counts].filter(([, count]) => count >= minRows && count <= maxCarriers).map(([feature]) => feature),
    ).sort()
    return { values, carrierCounts: Int32Array.from(values, (feature) => counts.get(feature)!) }
  }
}
