import { selectInPlace } from '../../stats/quantiles.js'
import { binomialUpperTail } from '../../stats/tails.js'
import { evenSample } from '../../util/even-sample.js'
import { type LevelMatrix, largestNeeded, levelOf, levels, widestGapOfSorted } from './score.js'

/**
 * Square pixel windows, read as the sum of a record's scored deviations over the window's pixels (the projection on
 * the window's uniform direction): a small patch moves its carriers far along that sum, however little it turns the
 * class's leading directions, which the class's varied strokes set.
 */
export interface ImageGrid {
  readonly width: number
  readonly height: number
}

/**
 * How a window reads a record: `box`, the sum of its deviations over the window's pixels; `ring`, that sum held
 * against the ring of pixels around the window (a unit direction, +1 on the window, the ring weighed to balance it):
 * what the record's own surroundings do not do. Where every pixel varies (the ground of drawn shapes, 10 to 80 from
 * image to image) or a class's strokes already fill the window (a patch over the ones' own ink), a patch's box sum
 * is no further out than a bright ground's or a fat stroke's; its sharp edge is.
 */
export type WindowKind = 'box' | 'ring'

/** A window's place and side, and the widest gap a class's records leave along its sum. */
export interface WindowGap {
  readonly kind: WindowKind
  readonly x: number
  readonly y: number
  readonly size: number
  /** Widest gap (see `widestGap`) in the class's scored units: normal scores among the other classes. */
  readonly gap: number
  /** Records beyond it. */
  readonly beyond: number
  /** The window sum of the nearest record beyond the gap. */
  readonly threshold: number
  /**
   * The widest gap any one of its pixels leaves on its own, in the same units: the stretches that values of few kinds
   * leave with no shift shared across pixels.
   */
  readonly pixelGap: number
}

/**
 * Window sides examined: about a fourteenth and a ninth of the image's side, and at least 2 and 3 pixels. A patch
 * larger than a window fills it whole; one smaller still fills most of it.
 */
export function windowSizes(grid: ImageGrid): number[] {
  const side = Math.min(grid.width, grid.height)
  const sizes = [Math.max(2, Math.round(side / 14)), Math.max(3, Math.round(side / 9))]
  return [...new Set(sizes)].filter((size) => size <= side)
}

/**
 * Every window's sums over the rows (`count × width·height`, row-major, one value per pixel), window after window:
 * `sums[window * count + row]`, windows in reading order. Sums of rows first, then of columns, so each costs a few
 * additions whatever the side.
 */
export function windowSums(rows: Float32Array, count: number, grid: ImageGrid, size: number): Float64Array {
  const { width, height } = grid
  const across = width - size + 1
  const down = height - size + 1
  const sums = new Float64Array(across * down * count)
  const pixels = width * height
  const rowSums = new Float64Array(across * height)
  // The uniform direction over the window: its sum divided by the side, the square root of its pixel count.
  const scale = 1 / size
  for (let row = 0; row < count; row++) {
    const first = row * pixels
    for (let y = 0; y < height; y++) {
      let sum = 0
      for (let x = 0; x < width; x++) {
        sum += rows[first + y * width + x]
        if (x >= size) sum -= rows[first + y * width + x - size]
        if (x >= size - 1) rowSums[y * across + x - size + 1] = sum
      }
    }
    for (let x = 0; x < across; x++) {
      let sum = 0
      for (let y = 0; y < height; y++) {
        sum += rowSums[y * across + x]
        if (y >= size) sum -= rowSums[(y - size) * across + x]
        if (y >= size - 1) sums[((y - size + 1) * across + x) * count + row] = sum * scale
      }
    }
  }
  return sums
}

/**
 * The widest gap each window of one side and kind leaves among the rows (see `windowSums`, `ringContrasts`), in
 * reading order; `ownGaps` holds each pixel's (see `pixelGaps`).
 */
export function windowGaps(
  rows: Float32Array,
  count: number,
  grid: ImageGrid,
  size: number,
  fewest: number,
  ownGaps: Float64Array,
  kind: WindowKind = 'box',
): WindowGap[] {
  const across = grid.width - size + 1
  const sums = kind === 'box' ? windowSums(rows, count, grid, size) : ringContrasts(rows, count, grid, size)
  const buffer = new Float64Array(2 * count)
  const gaps: WindowGap[] = []
  for (let window = 0; window * count < sums.length; window++) {
    const { width, beyond, threshold } = gapOf(
      sums.subarray(window * count, (window + 1) * count),
      fewest,
      buffer,
    )
    const x = window % across
    const y = Math.floor(window / across)
    let widestPixel = 0
    for (let dy = 0; dy < size; dy++)
      for (let dx = 0; dx < size; dx++)
        widestPixel = Math.max(widestPixel, ownGaps[(y + dy) * grid.width + x + dx])
    // A pixel's step moves the window's reading by the step times its weight there.
    const weight = kind === 'box' ? 1 / size : 1 / ringOf(grid, x, y, size).norm
    gaps.push({ kind, x, y, size, gap: width, beyond, threshold, pixelGap: widestPixel * weight })
  }
  return gaps
}

/** The ring of pixels around a window, clipped to the image, and the weight on it that balances the window's. */
function ringOf(grid: ImageGrid, x: number, y: number, size: number) {
  const left = Math.max(0, x - 1)
  const top = Math.max(0, y - 1)
  const right = Math.min(grid.width, x + size + 1)
  const bottom = Math.min(grid.height, y + size + 1)
  const ringCount = (right - left) * (bottom - top) - size * size
  const balance = ringCount > 0 ? (size * size) / ringCount : 0
  return { left, top, right, bottom, balance, norm: Math.sqrt(size * size + balance * balance * ringCount) }
}

/**
 * Every window's reading against its ring (see `WindowKind`) over the rows, laid out as `windowSums` lays out its
 * sums: from each row's running sums over the image (a summed-area table), four look-ups a box.
 */
export function ringContrasts(
  rows: Float32Array,
  count: number,
  grid: ImageGrid,
  size: number,
): Float64Array {
  const { width, height } = grid
  const across = width - size + 1
  const down = height - size + 1
  const rings = Array.from({ length: across * down }, (_, window) =>
    ringOf(grid, window % across, Math.floor(window / across), size),
  )
  const sums = new Float64Array(across * down * count)
  const stride = width + 1
  const table = new Float64Array(stride * (height + 1))
  const box = (left: number, top: number, right: number, bottom: number) =>
    table[bottom * stride + right] -
    table[top * stride + right] -
    table[bottom * stride + left] +
    table[top * stride + left]
  for (let row = 0; row < count; row++) {
    const first = row * width * height
    for (let y = 0; y < height; y++) {
      let line = 0
      for (let x = 0; x < width; x++) {
        line += rows[first + y * width + x]
        table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + line
      }
    }
    rings.forEach((ring, window) => {
      const x = window % across
      const y = Math.floor(window / across)
      const inner = box(x, y, x + size, y + size)
      const outer = box(ring.left, ring.top, ring.right, ring.bottom)
      sums[window * count + row] = (inner - ring.balance * (outer - inner)) / ring.norm
    })
  }
  return sums
}

/**
 * Each pixel's widest gap among the rows (`count × width·height`, see `gapOf`), on its own. Its risers also stand
 * apart together by its smallest rise, a step the gap search misses where fewer than `fewest` records or more than
 * half of them rise; a window of such pixels adds that step up over different records.
 */
export function pixelGaps(rows: Float32Array, count: number, grid: ImageGrid, fewest: number): Float64Array {
  const pixels = grid.width * grid.height
  const values = new Float64Array(count)
  const buffer = new Float64Array(2 * count)
  return Float64Array.from({ length: pixels }, (_, pixel) => {
    let smallestRise = Number.POSITIVE_INFINITY
    for (let row = 0; row < count; row++) {
      values[row] = rows[row * pixels + pixel]
      if (values[row] > 0) smallestRise = Math.min(smallestRise, values[row])
    }
    if (smallestRise === Number.POSITIVE_INFINITY) return 0
    return Math.max(gapOf(values, fewest, buffer).width, smallestRise)
  })
}

const silent = { width: 0, beyond: 0, threshold: Number.POSITIVE_INFINITY }

/**
 * `widestGap` of one window's sums with every sum below the class's median taken as the median's (0): a patch
 * moves its carriers up, and records that fall short of the class's strokes there are no carriers. Only the sums
 * above it are sorted (in `buffer`), which in most of a digit's windows are few; a window fewer than `fewest`
 * records rise in leaves no gap.
 */
function gapOf(values: Float64Array, fewest: number, buffer: Float64Array) {
  const count = values.length
  const needed = largestNeeded(count)
  let rising = 0
  for (let index = 0; index < count; index++) if (values[index] > 0) rising++
  if (rising < fewest) return silent
  // The largest `needed` sums, ascending: zeros below the rising ones.
  const top = buffer.subarray(0, needed)
  const zeros = Math.max(0, needed - rising)
  top.fill(0, 0, zeros)
  let next = zeros
  const skipped = Math.max(0, rising - needed)
  if (skipped === 0) {
    for (let index = 0; index < count; index++) if (values[index] > 0) top[next++] = values[index]
    top.subarray(zeros).sort()
  } else {
    // More rise than are read: the largest are set apart in linear time and only they are sorted.
    const risen = buffer.subarray(needed, needed + rising)
    for (let index = 0; index < count; index++) if (values[index] > 0) risen[next++ - zeros] = values[index]
    selectInPlace(risen, skipped)
    top.set(risen.subarray(skipped))
    top.sort()
  }
  return widestGapOfSorted(top, fewest, count)
}

/**
 * How many times the widest gap one of its pixels leaves alone a window's gap must exceed. A planted patch moves its
 * carriers on all its pixels at once, so their sum jumps by several pixels' steps: 4 to 9 times on grey and tinted
 * digits of 8×8 to 32×32. On 0/1 pixels a stroke's carriers stand apart by one pixel's step between its two values:
 * on scikit-learn's 8×8 digits binarised at 8 every class's widest window left at most 1.05 times it. Not 2: two
 * pixels of a stroke inked together leave twice it (binarised 28×28 digits, up to 1.99), and a patch laid over a
 * class's own ink less (1.85 on MNIST's 8×8 digits binarised at 8); the pooled null judges both.
 */
const sharedSteps = 1.5

/** Whether a window's gap is wider than its pixels' values of few kinds make alone (see `sharedSteps`). */
export function standsApart(window: WindowGap): boolean {
  return window.gap > sharedSteps * window.pixelGap
}

/**
 * What a window's gap weighs as evidence: a box window's gap as it is; a ring window's times the square root of how
 * many records stand beyond it, as a class's gap along a direction is weighed. Drawn shapes' noisy ground leaves
 * ring gaps as wide as a corner patch's (1.8 on 14 sampled circles) beyond two records in every class.
 */
export function evidenceOf(window: WindowGap): number {
  return window.kind === 'box' ? window.gap : window.gap * Math.sqrt(window.beyond)
}

/** Whether `window` is the better candidate: one that stands apart before one that does not, then the weightier gap. */
function outranks(window: WindowGap, best: WindowGap): boolean {
  const stands = standsApart(window)
  return stands === standsApart(best) ? evidenceOf(window) > evidenceOf(best) : stands
}

/** Share of the pooled windows' largest gaps the tail is fitted to, and the fewest of them. */
const tailShare = 0.01
const fewestInTail = 10

/**
 * Chance that the widest of `tested` windows' gaps reaches `gap` when the class is like the others: the pooled gaps of
 * the other classes' windows (`others`, sorted descending) give the null; beyond their largest 1% its tail is taken
 * as exponential (the mean excess over that threshold), and the chance is multiplied by the `tested` windows.
 * @see Pickands. Statistical inference using extreme order statistics. Annals of Statistics 3, 1975.
 */
export function windowTailPValue(gap: number, others: Float64Array, tested: number): number {
  const top = largestOf(others, tailCount(others.length) + 1)
  return tailPValue(gap, top, others.length, tested)
}

/** How many of `count` pooled gaps the tail is fitted to; 0 when too few to fit one. */
export function tailCount(count: number): number {
  if (count <= fewestInTail) return 0
  return Math.min(count - 1, Math.max(fewestInTail, Math.round(tailShare * count)))
}

function largestOf(values: Float64Array, count: number): Float64Array {
  return Float64Array.from(values).sort().reverse().subarray(0, Math.min(values.length, count))
}

/**
 * As `windowTailPValue`, from the `tailCount(otherCount) + 1` largest of `otherCount` pooled gaps (`top`,
 * descending).
 */
export function tailPValue(gap: number, top: Float64Array, otherCount: number, tested: number): number {
  const inTail = tailCount(otherCount)
  if (inTail === 0) return 1
  const threshold = top[inTail]
  let excess = 0
  for (let index = 0; index < inTail; index++) excess += top[index] - threshold
  excess /= inTail
  if (gap <= threshold) return 1
  if (!(excess > 0)) return top[0] >= gap ? 1 : 0
  return Math.min(1, (tested * inTail * Math.exp(-(gap - threshold) / excess)) / otherCount)
}

/** The pixels a window reads and the weight of each (see `WindowKind`). */
function windowPixels(grid: ImageGrid, window: WindowGap): { pixels: number[]; weights: number[] } {
  const { x, y, size } = window
  const pixels: number[] = []
  const weights: number[] = []
  if (window.kind === 'box') {
    for (let dy = 0; dy < size; dy++)
      for (let dx = 0; dx < size; dx++) {
        pixels.push((y + dy) * grid.width + x + dx)
        weights.push(1)
      }
    return { pixels, weights }
  }
  const ring = ringOf(grid, x, y, size)
  for (let row = ring.top; row < ring.bottom; row++)
    for (let col = ring.left; col < ring.right; col++) {
      const inside = col >= x && col < x + size && row >= y && row < y + size
      pixels.push(row * grid.width + col)
      weights.push((inside ? 1 : -ring.balance) / ring.norm)
    }
  return { pixels, weights }
}

/**
 * Each of `rows`' readings of one window in a class's scored units: the normal scores (`scores`, `cols × levels`, see
 * `otherClassScores`) of its values there minus those of the class's `centre`, summed over the window and divided by
 * its side, or weighed against its ring (see `WindowKind`).
 */
export function windowValues(
  features: LevelMatrix,
  rows: Int32Array,
  centre: Float64Array,
  scores: Float32Array,
  grid: ImageGrid,
  window: WindowGap,
): Float64Array {
  const { cols } = features
  const values = features.levels
  const { pixels, weights } = windowPixels(grid, window)
  const sums = new Float64Array(rows.length)
  if (window.kind === 'ring') {
    const centreScores = pixels.map((col) => scores[col * levels + levelOf(centre[col])])
    // Indexed loops, not a callback per pixel: a running sum a callback adds to lives on the heap, and the callbacks
    // made this one of the costliest functions V8 compiled in a scan.
    for (let index = 0; index < rows.length; index++) {
      const first = rows[index] * cols
      let sum = 0
      for (let at = 0; at < pixels.length; at++) {
        const col = pixels[at]
        sum += weights[at] * (scores[col * levels + values[first + col]] - centreScores[at])
      }
      sums[index] = sum
    }
    return sums
  }
  let centreSum = 0
  for (const col of pixels) centreSum += scores[col * levels + levelOf(centre[col])]
  for (let index = 0; index < rows.length; index++) {
    const first = rows[index] * cols
    let sum = -centreSum
    for (const col of pixels) sum += scores[col * levels + values[first + col]]
    sums[index] = sum / window.size
  }
  return sums
}

/** Each row's reading of one window (its sum divided by its side, or against its ring), rows held as `count × cols`. */
function sumOverWindow(
  rows: Float32Array,
  count: number,
  cols: number,
  grid: ImageGrid,
  window: WindowGap,
): Float64Array {
  const values = new Float64Array(count)
  if (window.kind === 'ring') {
    const { pixels, weights } = windowPixels(grid, window)
    // Indexed, as in `windowValues`.
    for (let row = 0; row < count; row++) {
      let sum = 0
      for (let at = 0; at < pixels.length; at++) sum += weights[at] * rows[row * cols + pixels[at]]
      values[row] = sum
    }
    return values
  }
  for (let row = 0; row < count; row++) {
    let sum = 0
    for (let dy = 0; dy < window.size; dy++)
      for (let dx = 0; dx < window.size; dx++)
        sum += rows[row * cols + (window.y + dy) * grid.width + window.x + dx]
    values[row] = sum / window.size
  }
  return values
}

/**
 * Chance that as many of the class's `count` records as `beyond` reach the window's threshold when the class shows
 * there what the other classes show: `reached` of their `otherCount` records reach it (one added, so a share of
 * zero is never taken as certain). Natural content, a stroke of another class in a label error or a style many
 * classes share, is met in the other classes too; a patch no class draws is not.
 */
export function exceedancePValue(beyond: number, count: number, reached: number, otherCount: number): number {
  return binomialUpperTail(beyond, count, Math.min(1, (reached + 1) / (otherCount + 1)))
}

/** The ways every window is read (see `WindowKind`). */
const windowKinds: readonly WindowKind[] = ['box', 'ring']

/** Records of a class, and of the other classes, the windows are read on at most: evenly spaced samples. */
const sampledRows = 100
const sampledOthers = 1000

/** Every labelled row of another class than `code`, ascending. */
export function otherRows(codes: Int32Array, code: number): Int32Array {
  let count = 0
  for (const other of codes) if (other >= 0 && other !== code) count++
  const rows = new Int32Array(count)
  let next = 0
  for (let row = 0; row < codes.length; row++) if (codes[row] >= 0 && codes[row] !== code) rows[next++] = row
  return rows
}

/**
 * A class's records as the detector scored them: `scored` holds them as `scoreRows` gives them, each shortened by
 * `shortenedBy`; `centre` and `scores` are the class's median and normal scores they were taken with.
 */
export interface ClassScoring {
  readonly rows: Int32Array
  readonly scored: Float32Array
  readonly shortenedBy: Float64Array
  readonly centre: Float64Array
  readonly scores: Float32Array
}

/** One class's widest window of one side: its gaps for the null, and its test against the other classes. */
export interface ClassWindow {
  /** Every window's gap of this side and kind as evidence (see `evidenceOf`), for the other classes' null. */
  readonly gaps: Float64Array
  /** The window with the widest gap among those that stand apart (see `standsApart`), if any do. */
  readonly widest: WindowGap
  /** Chance the class's records reach its threshold as often as they do if it shows there what the others show. */
  readonly exceedance: number
  /** Every record of the class's sum over the widest window, as its gap was measured. */
  readonly values: Float64Array
}

/**
 * The class's windows of each side (`windowSizes`), read on at most 300 of its records: the gaps of all of them
 * (the null for the other classes) and the widest, tested against how often the other classes' records reach its
 * threshold.
 */
export function searchClassWindows(
  features: LevelMatrix,
  codes: Int32Array,
  code: number,
  scoring: ClassScoring,
  grid: ImageGrid,
  fewest: number,
): ClassWindow[] {
  const { cols } = features
  const { rows, scored, shortenedBy, centre, scores } = scoring
  const positions = evenSample(Int32Array.from(rows.keys()), sampledRows)
  // Rows at their whole length: a patch lengthens its carriers, and shortening them would shrink it.
  const sample = new Float32Array(positions.length * cols)
  positions.forEach((position, index) => {
    const scale = 1 / shortenedBy[position]
    for (let col = 0; col < cols; col++) sample[index * cols + col] = scored[position * cols + col] * scale
  })
  const sampledFewest = Math.max(2, Math.round((fewest * positions.length) / rows.length))
  const others = evenSample(otherRows(codes, code), sampledOthers)
  const ownGaps = pixelGaps(sample, positions.length, grid, sampledFewest)
  return windowSizes(grid)
    .flatMap((size) => windowKinds.map((kind) => ({ size, kind })))
    .map(({ size, kind }) => {
      const gaps = windowGaps(sample, positions.length, grid, size, sampledFewest, ownGaps, kind)
      const widest = gaps.reduce((best, window) => (outranks(window, best) ? window : best), gaps[0])
      const reached = windowValues(features, others, centre, scores, grid, widest).filter(
        (value) => value >= widest.threshold,
      ).length
      return {
        gaps: Float64Array.from(gaps, evidenceOf),
        widest,
        exceedance: exceedancePValue(widest.beyond, positions.length, reached, others.length),
        values: sumOverWindow(scored, rows.length, cols, grid, widest).map(
          (value, index) => value / shortenedBy[index],
        ),
      }
    })
}
