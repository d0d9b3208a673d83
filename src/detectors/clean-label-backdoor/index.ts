import { z } from 'zod'
import { channelCount } from '../../data/image-shape.js'
import { type FeatureMatrix, valueSpan } from '../../data/matrix.js'
import { distanceFromGround } from '../../features/colour-images.js'
import { median } from '../../stats/quantiles.js'
import { normalSurvival } from '../../stats/tails.js'
import { type DetectorInput, defineDetector } from '../types.js'
import { otherClassVariation, searchesUnexplained, withoutDirections } from './explained.js'
import {
  classLevelCounts,
  columnMedians,
  crossFittedGap,
  type LevelMatrix,
  levelMatrix,
  otherClassScores,
  packRows,
  robustScores,
  rowLevelCounts,
  scoreRows,
  widestGap,
} from './score.js'
import {
  type ClassWindow,
  evidenceOf,
  type ImageGrid,
  searchClassWindows,
  standsApart,
  tailCount,
  tailPValue,
  type WindowKind,
} from './windows.js'

const paramsSchema = z
  .object({
    minClassRows: z
      .number()
      .int()
      .min(5)
      .default(50)
      .describe(
        'classes with fewer records are not analysed: the gaps between their records are too noisy to tell a pattern',
      ),
    significance: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.01)
      .describe('chance of calling any clean class attacked (Bonferroni over the classes)'),
  })
  .strict()

type Params = z.infer<typeof paramsSchema>

/** Far-out records a class needs before it can be called attacked: fewer are odd records, not a population. */
const minimumCarriers = 5

/**
 * Share of a large class its carriers must make up at least. The widest gap among a class's few most extreme
 * records is as wide as chance makes it, and varies most from class to class, which widens the null every class
 * is tested against; a backdoor needs a population of carriers to be learnt.
 */
const minimumCarrierShare = 0.02

/**
 * Least spread of the classes' log evidence: with few classes their spread is itself uncertain, and evidence
 * within a factor of two of each other's says nothing.
 */
const minimumLogSpread = Math.log(2)

/** Leading directions examined per class. */
const directionCount = 8

/**
 * Pixels kept per image at most: larger images are averaged over square blocks. Not fewer: the silent border
 * pixels of small images are where a faint global pattern shows most.
 */
const maxPixels = 1024

/**
 * Share of the significance spent on the search along directions; the rest goes to the search over small windows
 * (weighted Bonferroni), read as boxes and against their rings (see `WindowKind`). Patterns the directions find keep
 * nearly all of it; a patch the windows find stands far out.
 */
const directionShare = 0.85
const windowShares: Readonly<Record<WindowKind, number>> = { box: 0.1, ring: 0.05 }

/** Side of the squares images are averaged over to keep at most `maxPixels` pixels. */
function blockSide(pixelCount: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(pixelCount / maxPixels)))
}

/** The grid of pixels the detector reads an image on, after `levelImages`. */
function shrunkGrid(width: number, height: number): ImageGrid {
  const block = blockSide(width * height)
  return { width: Math.ceil(width / block), height: Math.ceil(height / block) }
}

/**
 * The levels (see `levelMatrix`) of images averaged over `block × block` squares and scaled by their value range to
 * [0, 1]. Images kept at their size are levelled from their own pixels, scaled on the way.
 */
function levelImages(raw: FeatureMatrix, width: number, height: number): LevelMatrix {
  const pixels = raw.data
  const { low, high } = valueSpan(pixels)
  const range = high > low ? high - low : 1
  const block = blockSide(raw.cols)
  const weight = 1 / (block * block * range)
  if (block === 1) return levelMatrix(raw, low, weight)
  const columns = Math.ceil(width / block)
  const cols = columns * Math.ceil(height / block)
  const data = new Float32Array(raw.rows * cols)
  // Each pixel's block, worked out once rather than for every image.
  const blockOf = Int32Array.from(
    { length: width * height },
    (_, pixel) =>
      Math.floor(Math.floor(pixel / width) / block) * columns + Math.floor((pixel % width) / block),
  )
  for (let row = 0; row < raw.rows; row++) {
    const from = row * raw.cols
    const to = row * cols
    for (let pixel = 0; pixel < blockOf.length; pixel++)
      data[to + blockOf[pixel]] += (pixels[from + pixel] - low) * weight
  }
  return levelMatrix({ data, rows: raw.rows, cols })
}

/**
 * One value per pixel in the data's own units: grey levels as they are; for colour images each pixel's distance from
 * its image's ground (see `distanceFromGround`). In luma, images tinted at random (1,200 digits of 32×32, ink and
 * ground in random colours) hid a sinusoid, a corner patch and a blended key on 15% of a class at chance.
 */
function pixelValues(input: DetectorInput): FeatureMatrix {
  const shape = input.dataset.imageShape!
  const pixels = input.dataset.features!
  return channelCount(shape) === 3 ? distanceFromGround(pixels, shape) : pixels
}

function rowsByClass(codes: Int32Array, classCount: number): Int32Array[] {
  const lists = Array.from({ length: classCount }, () => [] as number[])
  codes.forEach((code, row) => {
    if (code >= 0) lists[code].push(row)
  })
  return lists.map((rows) => Int32Array.from(rows))
}

interface ClassScores {
  readonly code: number
  readonly rows: Int32Array
  readonly scores: Float64Array
  /** Records beyond the gap: the carriers. */
  readonly tail: number
  /** Widest gap between the class's far records and the rest along the direction, in robust z units. */
  readonly gap: number
  /**
   * The gap times the square root of how many held-out records lie beyond it. A pattern shifts every carrier
   * alike, so a gap that many records stand beyond is more telling than the same gap past a few strays, as a shift
   * shared by k records is measured to 1/√k of one record's noise. On 8×8 digits that fill their grid a patch on 15%
   * of the ones left a gap of 1.9 with 25 records beyond it, and 10% random flips in the imbalanced digits one of 2.2
   * with 7 (foreign digits): weighed, 9.5 against 5.8.
   */
  readonly evidence: number
  /**
   * The gap the class's records leave along the same direction with each feature's values shuffled on its own: what
   * values of few kinds make with no pattern. On 2,500 baskets of 256 items bought or not, an item two shoppers in five
   * of one kind buy set them apart by a gap of 2.4 along it, as wide shuffled, and the class was called attacked.
   */
  readonly chance: number
  /** The class's widest window of each side (see `searchClassWindows`). */
  readonly windows: readonly ClassWindow[]
}

type CrossFitted = ReturnType<typeof crossFittedGap>

/** Whether a search's gap counts at all: twice what the class's values leave shuffled (see `ClassScores.chance`). */
function beatsChance({ gap, chance }: CrossFitted): boolean {
  return gap >= 2 * chance
}

/**
 * The search along the class's own leading directions, or the one along those left once the other classes' leading
 * directions are taken out (see `otherClassVariation`) where its gap weighs more. The second runs on rows that differ
 * from their class's median nearly everywhere (no silent background; see `searchesUnexplained`), where what varies
 * in every class (an image's brightness, where its object lies) leads each class and buries a faint pattern spread
 * over the whole image. On images with a silent background a pattern writes into pixels no class varies in and leads
 * already.
 */
function strongerSearch(own: CrossFitted, unexplained: () => CrossFitted | undefined): CrossFitted {
  const other = unexplained()
  if (!other || !beatsChance(other)) return own
  const weight = ({ gap, beyond }: CrossFitted) => gap * Math.sqrt(beyond)
  return !beatsChance(own) || weight(other) > weight(own) ? other : own
}

/**
 * Each class's records scored along the direction of their deviations (in normal scores among the other classes)
 * whose far records stand most apart.
 */
function scoreClasses(input: DetectorInput, params: Params, seed: number): ClassScores[] {
  const labels = input.labels!
  const shape = input.dataset.imageShape!
  const levelled = levelImages(pixelValues(input), shape.width, shape.height)
  const grid = shrunkGrid(shape.width, shape.height)
  const classRows = rowsByClass(labels.codes, labels.classes.length)
  const analysed = (rows: Int32Array) => rows.length >= params.minClassRows
  const counts = classLevelCounts(levelled, classRows, analysed)
  const all = counts.all
  return classRows.flatMap((rows, code) => {
    if (!analysed(rows)) return []
    const own = counts.own[code] ?? rowLevelCounts(levelled, rows)
    // Released once read: the other classes' counts wait in `counts.own` meanwhile.
    counts.own[code] = undefined
    const centre = columnMedians(levelled, rows, own)
    const scores = otherClassScores(levelled, rows, all, own)
    const shortenedBy = new Float64Array(rows.length).fill(1)
    const scored = scoreRows(levelled, rows, centre, scores, shortenedBy)
    const whitened = packRows(scored, rows.length, levelled.cols)
    const fewest = Math.max(minimumCarriers, Math.round(minimumCarrierShare * rows.length))
    const scoring = { rows, scored, shortenedBy, centre, scores }
    const windows = searchClassWindows(levelled, labels.codes, code, scoring, grid, fewest)
    const crossFitted = strongerSearch(crossFittedGap(whitened, directionCount, seed + code, fewest), () => {
      if (!searchesUnexplained(whitened)) return undefined
      const explained = otherClassVariation(levelled, labels.codes, code, centre, scores, seed + code)
      const residual = withoutDirections(scored, rows.length, levelled.cols, explained)
      return crossFittedGap(
        packRows(residual, rows.length, levelled.cols),
        directionCount,
        seed + code,
        fewest,
      )
    })
    const { gap, chance, beyond } = crossFitted
    // The test rests on held-out gaps; the carriers are scored along the direction that found the pattern.
    const along = robustScores(crossFitted.along)
    const evidence = gap * Math.sqrt(beyond)
    return [
      { code, rows, scores: along, tail: widestGap(along, fewest).beyond, gap, evidence, chance, windows },
    ]
  })
}

/**
 * The class's p-value: how much more its held-out gap weighs (see `ClassScores.evidence`) than the other classes'
 * do, on a log scale against their median and robust spread (an empirical null from the same data), Bonferroni over
 * classes. A gap less than twice what the class's values leave shuffled (`ClassScores.chance`) is no evidence: the
 * carriers of a pattern share a shift that shuffling takes away, while the stretches between values of few kinds stay.
 */
function classPValue(target: ClassScores, classes: readonly ClassScores[]): number {
  const others = classes.filter((other) => other !== target).map((other) => Math.log(other.evidence || 1e-9))
  if (others.length < 2 || target.evidence <= 0 || target.gap < 2 * target.chance) return 1
  const centre = median(others)
  const spread = Math.max(1.4826 * median(others.map((value) => Math.abs(value - centre))), minimumLogSpread)
  return Math.min(1, normalSurvival((Math.log(target.evidence) - centre) / spread) * classes.length)
}

/**
 * A class's window test: its p-value (Bonferroni over the window sides of its kind and over classes, divided by the
 * kind's share of the significance) and the window that gave it.
 */
interface WindowTest {
  readonly pValue: number
  readonly window: ClassWindow
}

/**
 * Each class's window test. Per side, the widest of the class's windows is held against the pooled gaps of every
 * window of the other classes (an exponential tail beyond their largest 1%, times the class's windows), and the
 * class's records must reach that window's threshold far more often than the other classes' do; both must hold, so
 * the larger of the two p-values counts. A stroke the class's own records draw in a few styles leaves narrow gaps,
 * and another class's stroke in a label error is met in that class too. A window whose gap one of its pixels leaves
 * alone (see `standsApart`) is no evidence: on 0/1 pixels the step between a pixel's two values is such a gap, and
 * the fours of scikit-learn's digits binarised at 8 passed the pooled null by one such step where no other class inks.
 */
function windowTests(classes: readonly ClassScores[]): WindowTest[] {
  const sides = classes[0]?.windows.length ?? 0
  const sidesOf = (kind: WindowKind) =>
    classes[0].windows.filter((window) => window.widest.kind === kind).length
  // Per side, every class's gaps and all of them pooled, each sorted descending.
  const descending = (values: Float64Array) => Float64Array.from(values).sort().reverse()
  const own = classes.map((entry) => entry.windows.map((window) => descending(window.gaps)))
  const pooled = Array.from({ length: sides }, (_, side) => {
    const all = new Float64Array(classes.reduce((total, entry) => total + entry.windows[side].gaps.length, 0))
    let next = 0
    for (const entry of classes) {
      all.set(entry.windows[side].gaps, next)
      next += entry.windows[side].gaps.length
    }
    return descending(all)
  })
  return classes.map((target, position) => {
    let best: WindowTest = { pValue: 1, window: target.windows[0] }
    target.windows.forEach((window, side) => {
      const otherCount = pooled[side].length - window.gaps.length
      const top = largestOfOthers(pooled[side], own[position][side], tailCount(otherCount) + 1)
      const tail = tailPValue(evidenceOf(window.widest), top, otherCount, window.gaps.length)
      const { kind } = window.widest
      const tested = sidesOf(kind) * classes.length
      const pValue = standsApart(window.widest)
        ? Math.min(1, (Math.max(tail, window.exceedance) * tested) / windowShares[kind])
        : 1
      if (pValue < best.pValue) best = { pValue, window }
    })
    return best
  })
}

/** The `count` largest of `all` once `own` (both sorted descending, `own` within `all`) is taken out of it. */
function largestOfOthers(all: Float64Array, own: Float64Array, count: number): Float64Array {
  const top = new Float64Array(Math.min(count, all.length - own.length))
  let mine = 0
  let next = 0
  for (let index = 0; index < all.length && next < top.length; index++) {
    if (mine < own.length && all[index] === own[mine]) mine++
    else top[next++] = all[index]
  }
  return top
}

/**
 * Chance each record of the class carries the pattern: none short of the gap; beyond it, one minus its q-value, where
 * the false share at a score is how many of the class's records lie as far out on the other side (the class's
 * natural spread along the direction, an empirical null from the class itself) over how many lie at least that far
 * out on the pattern’s side, and never below the class’s p-value.
 * @see Efron. Large-scale simultaneous hypothesis testing: the choice of a null hypothesis. JASA 99, 2004.
 */
function carrierChances(target: ClassScores, pValue: number): Float64Array {
  const count = target.scores.length
  const mirrored = Float64Array.from(target.scores, (score) => -score).sort()
  const order = Array.from(target.scores.keys()).sort((a, b) => target.scores[b] - target.scores[a])
  const falseShares = order.map((index, rank) => {
    const score = target.scores[index]
    let low = 0
    let high = count
    while (low < high) {
      const middle = (low + high) >> 1
      if (mirrored[middle] < score) low = middle + 1
      else high = middle
    }
    // Records short of the gap are the class's own; one beyond it is a false alarm if the class is not attacked
    // after all, or if natural records reach as far (as many as lie as far out on the other side).
    return rank >= target.tail ? 1 : Math.min(1, Math.max(pValue, (count - low) / (rank + 1)))
  })
  const chances = new Float64Array(count)
  let qValue = 1
  for (let rank = count - 1; rank >= 0; rank--) {
    qValue = Math.min(qValue, falseShares[rank])
    chances[order[rank]] = 1 - qValue
  }
  return chances
}

/**
 * Mean of the carriers minus mean of the rest of the class, in the data's own units (for colour images, the distance from
 * each image's ground): the pattern to look at, as the detector read it.
 */
function patternOf(input: DetectorInput, rows: Int32Array, carrier: (index: number) => boolean): number[] {
  const raw = pixelValues(input)
  const cols = raw.cols
  const sums = [new Float64Array(cols), new Float64Array(cols)]
  const counts = [0, 0]
  rows.forEach((row, index) => {
    const side = carrier(index) ? 0 : 1
    counts[side]++
    for (let col = 0; col < cols; col++) sums[side][col] += raw.data[row * cols + col]
  })
  return Array.from(sums[0], (sum, col) => {
    const difference = sum / Math.max(1, counts[0]) - sums[1][col] / Math.max(1, counts[1])
    return Number(difference.toPrecision(4))
  })
}

/** A pattern as rows of an image when the data are images, so it can be drawn. */
function picture(pattern: number[], input: DetectorInput): number[][] {
  const shape = input.dataset.imageShape!
  return Array.from({ length: shape.height }, (_, y) => pattern.slice(y * shape.width, (y + 1) * shape.width))
}

type DetectorOutput = ReturnType<typeof emptyResult>

/** A class's widest window, placed and sized in the image's own pixels (`block`: the side of the squares read as one). */
function windowSummary(window: ClassWindow, pValue: number, block: number) {
  const { kind, x, y, size, gap, beyond, pixelGap } = window.widest
  return {
    kind,
    x: x * block,
    y: y * block,
    size: size * block,
    gap: Number(gap.toPrecision(4)),
    pixelGap: Number(pixelGap.toPrecision(4)),
    farOut: beyond,
    pValue,
  }
}

/** Scores the class's records along its direction and flags its carriers; returns which of its records they are. */
function markDirectionCarriers(
  target: ClassScores,
  pValue: number,
  label: string,
  result: DetectorOutput,
): (index: number) => boolean {
  const chances = carrierChances(target, pValue)
  target.rows.forEach((row, index) => {
    // Records whose q-values tie keep the order of how far out they lie, which must survive float32 near 1:
    // carriers' q-values all but vanish, and a logistic of z from 5 to 50 rounds to one value there.
    const farOut = Math.max(0, target.scores[index])
    result.suspicion[row] =
      chances[index] > 0
        ? 0.99 * chances[index] + (0.01 * farOut) / (farOut + 10)
        : 0.001 / (1 + Math.exp(-target.scores[index]))
    if (chances[index] < 0.5) return
    result.flagged[row] = 1
    result.explanations[row] =
      `labelled ${label} like the rest of its class, but one of ${target.tail} records of it that carry a ` +
      `pattern no other class varies in (z = ${target.scores[index].toFixed(1)} along it)`
  })
  return (index) => chances[index] >= 0.5
}

/**
 * Scores the class's records by their sum over its widest window and flags those that reach its threshold: the
 * carriers, each with one minus the class's p-value, ordered by how far they reach.
 */
function markWindowCarriers(
  target: ClassScores,
  window: ClassWindow,
  pValue: number,
  label: string,
  result: DetectorOutput,
  block: number,
): (index: number) => boolean {
  const { threshold } = window.widest
  const { x, y, size } = windowSummary(window, pValue, block)
  const carrier = (index: number) => window.values[index] >= threshold
  const edge = window.widest.kind === 'ring' ? ' standing out of its surroundings as' : ''
  target.rows.forEach((row, index) => {
    const value = window.values[index]
    if (!carrier(index)) {
      result.suspicion[row] = 0.001 / (1 + Math.exp(-value))
      return
    }
    result.suspicion[row] = 0.99 * (1 - pValue) + (0.01 * value) / (value + 10)
    result.flagged[row] = 1
    result.explanations[row] =
      `labelled ${label} like the rest of its class, but one of the records of it that carry a ${size}×${size} ` +
      `patch at x ${x}, y ${y}${edge} no other class draws (${value.toFixed(1)} against ${threshold.toFixed(1)})`
  })
  return carrier
}

function emptyResult(rowCount: number) {
  return {
    suspicion: new Float32Array(rowCount),
    flagged: new Uint8Array(rowCount),
    explanations: new Array<string | undefined>(rowCount).fill(undefined),
  }
}

/**
 * Label-consistent (clean-label) backdoors: per class, each value is read as its normal score among the other
 * classes' values of that feature and the records' deviations from the class's median are taken there, so a pattern
 * added to part of one class (a faint sinusoid, a blended key, a corner patch) is loud where the other classes
 * rarely go. Each of the class's leading directions
 * there is turned toward what its far records share (a pattern is one shift many records carry), and the direction
 * whose far records stand most apart from the rest is kept: the pattern's carriers sit beyond an empty gap, while
 * a style of the class fades out gradually. A class is called attacked when its gap, weighed by how many records
 * stand beyond it, is far larger than the other classes' (log scale, robust spread, Bonferroni over classes), and the
 * records beyond it are scored by their q-values against the class's own spread. The pattern goes to
 * `info.patterns` as an array in the data's units.
 * @see Barni, Kallas, Tondi. A new backdoor attack in CNNs by training set corruption without label poisoning. ICIP 2019.
 * @see Tran, Li, Madry. Spectral Signatures in Backdoor Attacks. NeurIPS 2018.
 */
export const cleanLabelBackdoorDetector = defineDetector({
  id: 'clean-label-backdoor',
  kind: 'clean_label',
  summary: 'Clean-label backdoors: a pattern that part of one class carries and no other class varies in',
  requires: ['labels', 'features'],
  awaits: [],
  standalone: true,
  params: paramsSchema,
  async run(input, params, context) {
    const labels = input.labels!
    // Tables' heavy-tailed columns and texts' sparse words need their own yardstick; images are what it knows.
    if (!input.dataset.imageShape || !input.dataset.features)
      return {
        ...emptyResult(input.rowCount),
        info: { classes: [], patterns: [] },
        warnings: ['looks for clean-label patterns in images only; this dataset holds none'],
      }
    const classes = scoreClasses(input, params, context.seed)
    const result = emptyResult(input.rowCount)
    const patterns: Record<string, unknown>[] = []
    const attacks = []
    const summaries = []
    let datasetPValue = 1
    const windowed = windowTests(classes)
    const shape = input.dataset.imageShape
    const block = blockSide(shape.width * shape.height)
    for (const [position, target] of classes.entries()) {
      const directionP = Math.min(1, classPValue(target, classes) / directionShare)
      const { window, pValue: windowP } = windowed[position]
      const windowPValue = windowP
      const pValue = Math.min(directionP, windowPValue)
      datasetPValue = Math.min(datasetPValue, pValue)
      const label = labels.classes[target.code]
      summaries.push({
        label,
        records: target.rows.length,
        farOut: target.tail,
        gap: Number(target.gap.toPrecision(4)),
        evidence: Number(target.evidence.toPrecision(4)),
        pValue,
        window: windowSummary(window, windowPValue, block),
      })
      if (!(pValue < params.significance)) continue
      // The directions' finding is kept where they find one: they score every kind of pattern, the windows a patch.
      const carrier =
        directionP < params.significance && target.tail >= minimumCarriers
          ? markDirectionCarriers(target, directionP, label, result)
          : window.widest.beyond >= minimumCarriers
            ? markWindowCarriers(target, window, windowPValue, label, result, block)
            : undefined
      if (!carrier) continue
      const carriers = target.rows.filter((_, index) => carrier(index)).length
      patterns.push({
        label,
        records: carriers,
        pattern: picture(patternOf(input, target.rows, carrier), input),
      })
      attacks.push({
        kind: 'clean_label' as const,
        description: `a pattern carried by ${carriers} records of class ${label}, labels unchanged`,
        label,
        records: carriers,
        pValue,
      })
    }
    return {
      ...result,
      datasetPValue,
      attacks,
      info: { classes: summaries, patterns },
      warnings: [],
    }
  },
})
