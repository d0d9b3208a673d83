import { type CategoryGroup, categoryGroups } from '../../data/categorical.js'
import type { Dataset } from '../../data/dataset.js'
import { channelCount, type ImageShape } from '../../data/image-shape.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { principalColourContrast } from '../../features/colour-images.js'
import { reshapeTable } from '../../features/tabular.js'
import { binomialUpperTail } from '../../stats/tails.js'
import { evenSample } from '../../util/even-sample.js'
import { describeImageTrigger } from './describe-image.js'
import { extractImageFeatures, pixelValueOf } from './image-features.js'
import { windowBuckets, windowSide } from './image-windows.js'
import { carries, type Incidence } from './incidence.js'
import {
  keptColumnRuns,
  type MaskedContentTest,
  maskedColumnReading,
  maskedContentTest,
  nearestLabels,
} from './masked-content.js'
import type { FeatureEvidence } from './mine.js'
import { pixelLevels } from './pixel-levels.js'
import { extractTokenFeatures, nameTokenBucket } from './text-features.js'
import { MaskedTextReader } from './text-reading.js'
import type { TriggerGroup } from './triggers.js'
import {
  categoryShares,
  coCarriedColumns,
  coCarriedValues,
  extractValueFeatures,
  type SharedCategory,
  sharedCategories,
  sharedValues,
  type ValueFeatures,
} from './value-features.js'

export type TriggerModality = 'image' | 'text' | 'tabular'

/** A trigger in words: the phrase used in explanations, and the features behind it for the report. */
export interface TriggerDescription {
  readonly text: string
  readonly features: string[]
  readonly placement?: string
  /** Where a fixed image patch sits, in pixels. */
  readonly box?: { x: number; y: number; width: number; height: number }
  /** Whether `text` names several things ("the values a = 1 and b = 2"), for the verb that follows. */
  readonly plural?: boolean
}

/** One kind of candidate feature of a dataset, with how to name the triggers found among them. */
export interface FeatureFamily {
  readonly modality: TriggerModality
  readonly incidence: Incidence
  /** Whether a trigger of this kind moves records in the geometry, so carriers' content is read apart from them. */
  readonly excludeCarriers: boolean
  /** Kinds of feature compared only among themselves (see `CandidateNull`), numbered from 0. */
  readonly kindCount: number
  kindOf(feature: number): number
  describe(group: TriggerGroup): TriggerDescription
  /**
   * Whether the carriers with the label still look like their label once the trigger is hidden (see
   * `maskedContentTest`); absent where a feature cannot be hidden apart from the rest of the record.
   */
  hideAndRead?(group: TriggerGroup, codes: Int32Array, k: number): MaskedContentTest
  /**
   * The labels of each of `rows`' `k` nearest records that are not marked, with the columns the rows share hidden
   * (rows × k, -1 where none), and the same reading of reference records that are not marked: how carriers that
   * crowd each other in the scan's geometry are read apart from one another, and how far that reading can be
   * trusted. Absent where a family's carriers cannot be read apart.
   */
  readApart?(rows: Int32Array, marks: Uint8Array, codes: Int32Array, k: number): ApartReading
  /**
   * Whether the group bears the mark of noise clamped to the data's range: every value is its column's exact minimum
   * or maximum, and the carriers with the label lie apart from the other records with those columns hidden. Noise
   * pushed past a column's range lands on its extreme, and such records hold whatever labels the noise gave them;
   * a planted value relabels ordinary records of other classes. Absent where a family has no column extremes.
   */
  clampedNoise?(group: TriggerGroup, codes: Int32Array): boolean
  /** Most carriers a feature of this family may have, where its extraction admits more than the detector's cap. */
  readonly maxCarriers?: number
  /** The count test's bound for each kind (see `MiningOptions.countTail`). */
  countTail?(kind: number): 'poisson' | 'binomial'
  /** Features the label tests' correction favours, chosen from the features alone (see `MiningOptions.focus`). */
  readonly focus?: Uint8Array
  /** See `MiningOptions.broaderFeature`. */
  broaderFeature?(feature: number): number
}

/** Neighbour labels of records read apart from the records that crowd them (see `FeatureFamily.readApart`). */
export interface ApartReading {
  /** `rows.length × k` labels of the rows asked for, nearest first, -1 where none. */
  readonly labels: Int32Array
  /** Records without the feature read the same way, and their labels alike. */
  readonly referenceRows: Int32Array
  readonly referenceLabels: Int32Array
}

/** Records sampled to put a name to a hashed feature. */
const namingSample = 200

/** The trigger's carriers most likely poisoned (those above even odds), or all of them when none is. */
function likelyPoisoned(group: TriggerGroup): Int32Array {
  const likely = group.rows.filter((_, index) => group.suspicion[index] >= 0.5)
  return likely.length > 0 ? likely : group.rows
}

/** Members marking at least half as many poisoned records as the widest one, widest first. */
function leadingMembers(group: TriggerGroup): FeatureEvidence[] {
  const reach = (item: FeatureEvidence) => item.observed - item.expected
  const widest = Math.max(...group.members.map(reach))
  return group.members.filter((item) => reach(item) >= 0.5 * widest).sort((a, b) => reach(b) - reach(a))
}

/** `first` followed by `second` when the end of one is the start of the other ("free money" + "money now"). */
function overlapJoin(first: string, second: string): string | undefined {
  const head = first.split(' ')
  const tail = second.split(' ')
  for (let overlap = Math.min(head.length, tail.length) - 1; overlap >= 1; overlap--) {
    if (head.slice(-overlap).join(' ') === tail.slice(0, overlap).join(' '))
      return [...head, ...tail.slice(overlap)].join(' ')
  }
  return undefined
}

/** The longest phrase the names spell together: the longest name, grown by names that overlap its ends. */
function joinPhrases(names: readonly string[]): string {
  const ordered = [...names].sort((a, b) => b.split(' ').length - a.split(' ').length)
  let phrase = ordered[0]
  for (const name of ordered.slice(1)) {
    if (` ${phrase} `.includes(` ${name} `)) continue
    phrase = overlapJoin(phrase, name) ?? overlapJoin(name, phrase) ?? phrase
  }
  return phrase
}

/**
 * Word and word-pair features each text holds at most, on the median text, for the texts to be short: where a
 * phrase of two or three words is a large part of every carrier (titles, subject lines, one-line descriptions).
 */
const shortTextFeatures = 80

/** Whether the median text holds at most `shortTextFeatures` distinct words and word pairs. */
function holdsShortTexts(incidence: Incidence): boolean {
  const lengths = new Int32Array(incidence.rowCount)
  for (let row = 0; row < incidence.rowCount; row++)
    lengths[row] = incidence.indptr[row + 1] - incidence.indptr[row]
  lengths.sort()
  return lengths.length > 0 && lengths[lengths.length >> 1] <= shortTextFeatures
}

/** Features at least half of `rows` carry: what those records share, to be hidden when they are read apart. */
function sharedFeatures(incidence: Incidence, rows: ArrayLike<number>): Set<number> {
  const counts = new Map<number, number>()
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]
    for (let at = incidence.indptr[row]; at < incidence.indptr[row + 1]; at++) {
      const feature = incidence.features[at]
      counts.set(feature, (counts.get(feature) ?? 0) + 1)
    }
  }
  const shared = new Set<number>()
  for (const [feature, count] of counts) if (2 * count >= rows.length) shared.add(feature)
  return shared
}

/** The texts' masked reader, built on first use and shared by the text families. */
type LazyReader = () => MaskedTextReader

/**
 * The words and word pairs of a text column. `apart` reads each carrier's content from neighbours that do not
 * carry the feature, those crowded by other carriers with the feature's words hidden (`MaskedTextReader`); otherwise
 * from its nearest records in the scan's geometry. A trigger phrase fills much of a short text, so its carriers are
 * each other's neighbours there and vouch for the label it was planted with; in long texts it moves them little.
 * Where `reader` is given (short texts) a trigger must also hold with its words hidden (`maskedContentTest`), which
 * tells relabelled records from a phrase natural to one class whose other words speak for it.
 */
function textFamily(
  texts: readonly string[],
  incidence: Incidence,
  apart: boolean,
  reader?: LazyReader,
): FeatureFamily {
  const family: FeatureFamily = {
    modality: 'text',
    incidence,
    excludeCarriers: apart,
    kindCount: 1,
    kindOf: () => 0,
    describe(group) {
      const sample = likelyPoisoned(group).subarray(0, namingSample)
      const names = leadingMembers(group)
        .slice(0, 6)
        .flatMap((item) => nameTokenBucket(texts, sample, item.feature) ?? [])
      const unique = [...new Set(names)]
      if (unique.length === 0) return { text: 'a hashed word feature', features: [] }
      // A pair joins the phrase only when both its words are trigger words: "tq from" is "tq" before a header.
      const words = new Set(unique.filter((name) => !name.includes(' ')))
      const pairs = unique.filter(
        (name) => name.includes(' ') && name.split(' ').every((word) => words.has(word)),
      )
      const phrase = joinPhrases(words.size > 0 ? [...words, ...pairs] : unique)
      return { text: `${phrase.includes(' ') ? 'phrase' : 'token'} '${phrase}'`, features: unique }
    },
  }
  if (!reader) return family
  return {
    ...family,
    hideAndRead(group, codes, k) {
      // The words of a phrase are hidden with its pairs: what most of the carriers share.
      const hidden = sharedFeatures(incidence, group.rows)
      for (const item of group.members) hidden.add(item.feature)
      const masked = reader().hide(hidden)
      return maskedContentTest({
        read: (row, _maskedLike, labels) => masked.nearestLabels(row, undefined, codes, labels),
        codes,
        label: group.label,
        carriers: group.rows,
        carrierMarks: group.carrierMarks,
        k,
        contrast: true,
      })
    },
    ...(apart
      ? {
          readApart(rows: Int32Array, marks: Uint8Array, codes: Int32Array, k: number): ApartReading {
            const textReader = reader()
            const masked = textReader.hide(sharedFeatures(incidence, rows))
            const referenceRows = textReader.unmarkedSample(marks, codes, apartReference)
            const read = (queries: Int32Array) => {
              const labels = new Int32Array(queries.length * k)
              queries.forEach((row, index) => {
                masked.nearestLabels(row, marks, codes, labels.subarray(index * k, (index + 1) * k))
              })
              return labels
            }
            return { labels: read(rows), referenceRows, referenceLabels: read(referenceRows) }
          },
        }
      : {}),
  }
}

/**
 * The text families of a dataset: the words read in the scan's geometry and, on short texts, read apart from
 * their carriers as well (each family is tested at its share of the significance).
 */
function textFamilies(texts: readonly string[]): FeatureFamily[] {
  const incidence = extractTokenFeatures(texts)
  if (!holdsShortTexts(incidence)) return [textFamily(texts, incidence, false)]
  let built: MaskedTextReader | undefined
  const reader = () => {
    built ??= new MaskedTextReader(incidence)
    return built
  }
  return [textFamily(texts, incidence, false, reader), textFamily(texts, incidence, true, reader)]
}

/** The pixels a record's trigger features occupy: pixel values it carries, and windows wherever they sit. */
function triggerPixels(
  features: ReturnType<typeof extractImageFeatures>,
  shape: ImageShape,
  members: ReadonlySet<number>,
  row: number,
): Uint8Array {
  const pixelCount = shape.width * shape.height
  const mask = new Uint8Array(pixelCount)
  const offset = row * pixelCount
  for (let pixel = 0; pixel < pixelCount; pixel++)
    if (members.has(pixel * pixelLevels + features.levels[offset + pixel])) mask[pixel] = 1
  windowBuckets(features.levels, offset, shape, features.backgroundLevel, (bucket, x, y, side) => {
    if (!members.has(features.windowOffset + bucket)) return
    for (let dy = 0; dy < side; dy++)
      for (let dx = 0; dx < side; dx++) mask[(y + dy) * shape.width + x + dx] = 1
  })
  return mask
}

/** The kind of pixel values standing apart from their neighbours (see `standsApart`). */
const loneKind = 4

function imageFamily(dataset: Dataset, minRows: number, maxCarriers: number): FeatureFamily {
  const shape = dataset.imageShape!
  const features = extractImageFeatures(
    dataset.features!,
    shape,
    minRows,
    maxCarriers,
    dataset.imageFileScale,
  )
  // Colour images are read as the scan's neighbours read them, one value a pixel (see `principalColourContrast`):
  // in raw colour, half of a class of tinted digits has its nearest records in other classes.
  let readable: FeatureMatrix | undefined
  return {
    modality: 'image',
    incidence: features.incidence,
    excludeCarriers: true,
    focus: features.focus,
    broaderFeature: (feature) =>
      feature >= features.loneOffset ? features.loneValues[feature - features.loneOffset] : -1,
    // Single pixel values, 2×2 windows, 3×3 windows, pixel values of the most common level where it is no
    // background, and pixel values standing apart from the pixels around them. The common level's are the ground
    // of noisy images (0 where a dark ground clips), more telling of their label than ink values: among the other
    // pixel values they raised the bar a single pixel of 255 must clear (a 1×1 patch on 5% of 64×64 drawn shapes
    // ranked at 0.026 with them, 0.994 before they were candidates). Values standing apart are rare strays of
    // pixel noise where nothing is planted, and judged among their own kind.
    kindCount: 5,
    kindOf: (feature) => {
      if (feature >= features.loneOffset) return loneKind
      if (feature >= features.windowOffset) return windowSide(feature - features.windowOffset) - 1
      return feature % pixelLevels === features.commonLevel ? 3 : 0
    },
    // A planted pixel's records stand it apart nearly all relabelled, where the Poisson bound is loose: 19 of 19
    // carriers in the middle of 32×32 shapes against 6.1 expected were e^−8.6 by it, e^−21.5 by the binomial.
    countTail: (kind) => (kind === loneKind ? 'binomial' : 'poisson'),
    describe(group) {
      const likely = likelyPoisoned(group)
      const found = describeImageTrigger(group, features, shape, {
        carriersOf: (feature) => likely.filter((row) => carries(features.incidence, row, feature)),
        likely,
      })
      return { text: found.text, features: [], placement: found.placement, box: found.box }
    },
    hideAndRead(group, codes, k) {
      // A value standing apart hides as the pixel value it is.
      const members = new Set(
        group.members.map((item) => {
          const value = pixelValueOf(features, item.feature)
          return value >= 0 ? value : item.feature
        }),
      )
      readable ??=
        channelCount(shape) === 3 ? principalColourContrast(dataset.features!, shape) : dataset.features!
      // Read the records that carry most of the trigger: a patch written with the data's common maximum shares its
      // pixels with bright ink, and records of the class holding a pixel or two of it by nature, read as their
      // class, would dilute the relabelled carriers (22 of 60 read for a 3×3 patch in the middle of drawn shapes).
      const template = group.rows.filter((row) => group.templateMarks[row] === 1)
      return maskedContentTest({
        read: maskedColumnReading(readable, codes, (row) => triggerPixels(features, shape, members, row)),
        codes,
        label: group.label,
        carriers: template.length >= minRows ? template : group.rows,
        carrierMarks: group.carrierMarks,
        k,
        // Values standing apart are chosen from the pixels alone and written regardless of what is drawn, so
        // their carriers are no part of the class that reads elsewhere more than the rest (as a window of
        // shadow in photo crops is, where the Poisson bound's slack is needed). The bound is loose where half
        // the class reads elsewhere already: 36 of 46 carriers in the middle of 32×32 shapes against a share
        // of 0.46 were e^−4.2 by it, e^−11.6 by the binomial, where e^−4.6 was needed.
        tail: group.members.some((item) => item.feature >= features.loneOffset) ? 'binomial' : 'poisson',
        // A class of four records in five is read where its relabelled carriers' neighbours are, so they are
        // rarely read elsewhere, and only their mean agreement with the label tells them from the class.
        contrast: group.members.some((item) => item.byOdds),
      })
    },
  }
}

function formatValue(value: number): string {
  return String(Number(value.toPrecision(6)))
}

/** Records searched for a crowded carrier's neighbours apart from the other carriers; every one below this. */
const apartPool = 1500
/**
 * Records without the feature read apart alike, to calibrate the reading: with columns hidden and fewer records to
 * choose from, neighbours can say less than the scan's own do (digits drawn as ink profiles).
 */
const apartReference = 150

/**
 * Share of the records a value standing alone in its column may be held by and still be tested (see
 * `extractValueFeatures`): a value written into 15–20% of a table passes the detector's cap with the records that
 * held it already; past a third, relabelled records are as many as a class.
 */
const maxDominantShare = 1 / 3

/**
 * Chance, for carriers that are ordinary records, of so many of them lying farther from the other records than the
 * median record does: only a mark that asks for the labels' second test (see `FeatureFamily.clampedNoise`), so
 * the usual level, not a corrected one.
 */
const apartSignificance = 0.05

/** Each column's smallest and largest value (NaN cells left out). */
function columnExtremes(matrix: FeatureMatrix): { min: Float32Array; max: Float32Array } {
  const { rows, cols, data } = matrix
  const min = new Float32Array(cols).fill(Number.POSITIVE_INFINITY)
  const max = new Float32Array(cols).fill(Number.NEGATIVE_INFINITY)
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) {
      const value = data[row * cols + col]
      if (value < min[col]) min[col] = value
      if (value > max[col]) max[col] = value
    }
  return { min, max }
}

/**
 * Share of a trigger's likely poisoned carriers that must hold a category for it to be named with the trigger's
 * values: a trigger sets it in every record it writes, and honest carriers of a common value it also writes (a
 * category some honest records hold) may lack it.
 */
const namedCategoryShare = 0.75

/** The categorical column and category behind each one-hot feature column. */
function categoryColumns(groups: readonly CategoryGroup[]): Map<number, Omit<SharedCategory, 'share'>> {
  const columns = new Map<number, Omit<SharedCategory, 'share'>>()
  for (const group of groups)
    for (const [category, col] of group.cols.entries()) columns.set(col, { group, category })
  return columns
}

/**
 * A value feature as a user reads it: `spend = 1257.83` in the data's units, a one-hot column set to 1 by its
 * column and category (`product = product 21`).
 */
function nameValue(
  dataset: Dataset,
  features: ValueFeatures,
  categoryOf: ReadonlyMap<number, Omit<SharedCategory, 'share'>>,
  feature: number,
): { col: number; text: string } {
  const col = features.columns[feature]
  const value = features.values[feature]
  const category = categoryOf.get(col)
  if (category && value === 1)
    return { col, text: `${category.group.name} = ${category.group.values[category.category]}` }
  return { col, text: `${dataset.featureNames[col]} = ${formatValue(value)}` }
}

function tabularFamily(dataset: Dataset, minRows: number, maxCarriers: number): FeatureFamily {
  const maxDominantCarriers = Math.max(maxCarriers, Math.floor(maxDominantShare * dataset.rowCount))
  const features = extractValueFeatures(dataset.features!, minRows, maxCarriers, maxDominantCarriers)
  // Distances with a trigger's columns hidden weigh every other column alike, as the scan's table geometry does;
  // reshaped once, and only when a trigger is mined.
  let reshaped: FeatureMatrix | undefined
  let extremes: ReturnType<typeof columnExtremes> | undefined
  const groups = categoryGroups(dataset)
  const categoryOf = categoryColumns(groups)
  const tableShares = categoryShares(dataset.features!, groups)
  /** Columns at least half of `rows` share an exact value or a category in, 1 to hide. */
  const sharedColumns = (rows: ArrayLike<number>, columnCount: number) => {
    const mask = coCarriedColumns(features, rows, columnCount)
    for (const shared of sharedCategories(dataset.features!, groups, tableShares, rows, 0.5))
      for (const col of shared.group.cols) mask[col] = 1
    return mask
  }
  /** Columns the group's carriers share, common values too, hidden with the group's own columns. */
  const hiddenColumns = (group: TriggerGroup, table: FeatureMatrix) => {
    const mask = sharedColumns(group.rows, table.cols)
    for (const { col } of sharedValues(dataset.features!, group.rows, 0.5)) mask[col] = 1
    for (const item of group.members) {
      const col = features.columns[item.feature]
      mask[col] = 1
      for (const other of categoryOf.get(col)?.group.cols ?? []) mask[other] = 1
    }
    return mask
  }
  return {
    modality: 'tabular',
    incidence: features.incidence,
    excludeCarriers: true,
    kindCount: 1,
    kindOf: () => 0,
    maxCarriers: maxDominantCarriers,
    focus: coCarriedValues(features, minRows),
    countTail: () => 'binomial',
    describe(group) {
      const named = leadingMembers(group)
        .slice(0, 8)
        .map((item) => nameValue(dataset, features, categoryOf, item.feature))
      const likely = likelyPoisoned(group)
      for (const shared of sharedCategories(
        dataset.features!,
        groups,
        tableShares,
        likely,
        namedCategoryShare,
      )) {
        const col = shared.group.cols[shared.category]
        if (named.some((entry) => entry.col === col)) continue
        named.push({ col, text: `${shared.group.name} = ${shared.group.values[shared.category]}` })
      }
      for (const { col, value } of sharedValues(dataset.features!, likely, namedCategoryShare)) {
        if (categoryOf.has(col) || named.some((entry) => entry.col === col)) continue
        named.push({ col, text: `${dataset.featureNames[col]} = ${formatValue(value)}` })
      }
      // The columns in the table's order, as a user reads them.
      const names = named.sort((a, b) => a.col - b.col).map((entry) => entry.text)
      if (names.length === 1) return { text: `the value ${names[0]}`, features: names }
      const listed = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
      return { text: `the values ${listed}`, features: names, plural: true }
    },
    // A column value natural to a kind of record of one class (a sum of pixels that are blank in some sevens) is
    // carried by records that, without the column, still look like their class; a planted value relabels records
    // whose other columns belong elsewhere. A table's neighbours can be weak (tinted RGB pixels as columns: half a
    // class reads elsewhere), where the Poisson bound on the count is loose: the exact binomial tail is used.
    hideAndRead(group, codes, k) {
      reshaped ??= reshapeTable(dataset.features!).matrix
      const mask = hiddenColumns(group, reshaped)
      return maskedContentTest({
        read: maskedColumnReading(reshaped, codes, () => mask),
        codes,
        label: group.label,
        carriers: group.rows,
        carrierMarks: group.carrierMarks,
        k,
        tail: 'binomial',
        contrast: true,
      })
    },
    clampedNoise(group, codes) {
      extremes ??= columnExtremes(dataset.features!)
      const { min, max } = extremes
      const atExtremes = group.members.every((item) => {
        const value = features.values[item.feature]
        const col = features.columns[item.feature]
        return value === min[col] || value === max[col]
      })
      if (!atExtremes) return false
      reshaped ??= reshapeTable(dataset.features!).matrix
      const table = reshaped
      const kept = keptColumnRuns(hiddenColumns(group, table))
      const rest: number[] = []
      for (let row = 0; row < codes.length; row++)
        if (!group.carrierMarks[row] && codes[row] >= 0) rest.push(row)
      const pool = evenSample(rest, apartPool)
      const label = new Int32Array(1)
      const distance = new Float64Array(1)
      const nearest = (row: number) => {
        nearestLabels(table, codes, pool, row, kept, label, distance)
        return distance[0]
      }
      const reference = Array.from(evenSample(rest, apartReference), nearest).sort((a, b) => a - b)
      const median = reference[Math.floor(reference.length / 2)]
      const read = evenSample(group.rows, apartReference)
      let apart = 0
      for (const row of read) if (nearest(row) > median) apart++
      return binomialUpperTail(apart, read.length, 0.5) <= apartSignificance
    },
    readApart(rows, marks, codes, k) {
      reshaped ??= reshapeTable(dataset.features!).matrix
      const kept = keptColumnRuns(sharedColumns(rows, reshaped.cols))
      const unmarked: number[] = []
      for (let row = 0; row < codes.length; row++) if (!marks[row] && codes[row] >= 0) unmarked.push(row)
      const pool = evenSample(unmarked, apartPool)
      const referenceRows = evenSample(unmarked, apartReference)
      const read = (queries: Int32Array) => {
        const labels = new Int32Array(queries.length * k)
        queries.forEach((row, index) => {
          nearestLabels(reshaped!, codes, pool, row, kept, labels.subarray(index * k, (index + 1) * k))
        })
        return labels
      }
      return { labels: read(rows), referenceRows, referenceLabels: read(referenceRows) }
    },
  }
}

/** Every family the dataset supports: words of a text column, pixels of images, values of numeric columns. */
export function featureFamilies(dataset: Dataset, minRows: number, maxCarriers: number): FeatureFamily[] {
  const families: FeatureFamily[] = []
  if (dataset.texts) families.push(...textFamilies(dataset.texts))
  if (dataset.features && dataset.features.cols > 0) {
    families.push(
      dataset.imageShape
        ? imageFamily(dataset, minRows, maxCarriers)
        : tabularFamily(dataset, minRows, maxCarriers),
    )
  }
  return families
}
