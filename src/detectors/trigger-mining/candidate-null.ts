import { logBinomialTailBound, logPoissonTailBound } from '../../stats/tails.js'
import { lowerBound } from '../../util/sorted.js'

/**
 * How far a feature's carriers hold a label beyond what their content predicts, as a log ratio with half a record
 * of smoothing: about 0 for a feature that says nothing content does not, log 10 for a trigger on records whose
 * content is another class, and in between for a natural feature that is merely more telling than neighbours.
 */
export function labelExcess(observed: number, expected: number): number {
  return Math.log((observed + 0.5) / (expected + 0.5))
}

/**
 * How far a feature's carriers hold a label beyond what their content predicts, as a log ratio of odds (the label
 * against the others, half a record of smoothing each): where content already predicts the label for most
 * carriers (a class of four records in five), a ratio of counts cannot exceed the inverse of that share, while
 * carriers that hold none of the other labels content predicts for dozens of them are far apart in odds.
 */
export function labelOddsExcess(observed: number, labelled: number, expected: number): number {
  const predicted = Math.min(expected, labelled)
  return Math.log(
    ((observed + 0.5) * (labelled - predicted + 0.5)) / ((labelled - observed + 0.5) * (predicted + 0.5)),
  )
}

/** One reference feature: its support, and its best label's carriers with the label and expected with it. */
export interface ReferenceFeature {
  readonly carriers: number
  readonly observed: number
  readonly expected: number
  /** Carriers with any label: the trials of the odds scale (see `oddsScale`); the carriers where not given. */
  readonly labelled?: number
  /** Carried by nearly the same records as another reference feature, so left out of the natural spread. */
  readonly repeated?: boolean
}

/** How a kind's excess is measured, how precisely a feature's count measures it, and how it is tested. */
export interface ExcessScale {
  excess(item: ReferenceFeature): number
  /** The counting variance of `excess`. */
  noise(item: ReferenceFeature): number
  /** Counted precisely enough that counting noise barely moves the excess. */
  precise(item: ReferenceFeature): boolean
  /** Natural log of the tail bound of the observed count where the expectation is raised by `shift` of excess. */
  logTail(item: ReferenceFeature, shift: number): number
}

/** Counts precise enough that Poisson noise barely moves their excess: what natural features truly vary by. */
const preciseCount = 20

/** The label's count against the content's expectation (`labelExcess`), with the Poisson tail. */
export const countScale: ExcessScale = {
  excess: (item) => labelExcess(item.observed, item.expected),
  noise: (item) => 1 / (item.observed + 0.5),
  precise: (item) => item.observed >= preciseCount && item.expected >= preciseCount / 4,
  logTail: (item, shift) => logPoissonTailBound(item.observed, item.expected * Math.exp(shift)),
}

/**
 * The label's odds against the other labels (`labelOddsExcess`), with the binomial tail over the labelled
 * carriers: for labels content predicts for most carriers, whose excess only the other labels' deficit shows.
 */
export const oddsScale: ExcessScale = {
  excess: (item) => labelOddsExcess(item.observed, item.labelled ?? item.carriers, item.expected),
  noise: (item) => 1 / (item.observed + 0.5) + 1 / ((item.labelled ?? item.carriers) - item.observed + 0.5),
  precise: (item) =>
    item.observed >= preciseCount && (item.labelled ?? item.carriers) - item.observed >= preciseCount / 4,
  logTail(item, shift) {
    const trials = item.labelled ?? item.carriers
    const share = Math.min(Math.max(item.expected / trials, 1e-9), 1 - 1e-9)
    const odds = (share / (1 - share)) * Math.exp(shift)
    return logBinomialTailBound(item.observed, trials, (trials * odds) / (1 + odds))
  },
}

/** Reference features of one kind needed to fit its null; with fewer, the kind is judged by the count test alone. */
const minimumReference = 30
/**
 * Reference features per support band: the typical excess of a kind drifts with support (reading content apart
 * from many carriers leaves neighbours of other labels), and the band is wide enough that a trigger's own
 * features (a blend marks hundreds of pixels at one support) stay a minority of it.
 */
const bandReference = 150
/**
 * Supports within this factor of a candidate's are alike enough to judge it by; fewer than `minimumBand` such
 * features and the nearest `minimumBand` stand in, enough that a trigger's own few features (one per column it
 * writes) stay a minority.
 */
const supportFactor = 2
const minimumBand = 9
/** Nodes (in standard deviations) and weights of the natural variation integrated over, a Gaussian on a grid. */
const nodes = Array.from({ length: 17 }, (_, index) => (index - 8) / 2)
const nodeLogWeights = (() => {
  const densities = nodes.map((z) => Math.exp(-(z * z) / 2))
  const total = densities.reduce((sum, value) => sum + value, 0)
  return densities.map((value) => Math.log(value / total))
})()

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort()
  return sorted.length === 0 ? 0 : sorted[sorted.length >> 1]
}

/** Ordinary candidates of one kind: their excess by support, and how much natural features truly vary. */
interface KindNull {
  /** Ascending carrier counts of the reference features, with their excess alongside. */
  readonly carriers: Int32Array
  readonly excess: Float64Array
  /** Standard deviation of the excess of precisely counted features beyond their counting noise. */
  readonly spread: number
}

/**
 * The natural spread of a kind's excess: the robust variance of precisely counted features' excess less the
 * noise of their carrier counts, which the count test already weighs (the random-effects estimate of
 * meta-analysis), from the median absolute deviation so that a trigger's own features cannot widen it. How well
 * content predicts a feature's label varies from feature to feature and stays in the spread. A few precise
 * features measure it; without them, small features' counting noise would swamp it and leave no spread at all.
 * @see DerSimonian, Laird. Meta-analysis in clinical trials. Controlled Clinical Trials 7, 1986.
 */
function naturalSpread(reference: readonly ReferenceFeature[], scale: ExcessScale): number {
  const distinct = reference.filter((item) => !item.repeated)
  const precise = distinct.filter(scale.precise)
  const pool = precise.length >= minimumBand ? precise : distinct
  const excess = Float64Array.from(pool, scale.excess)
  const centre = median(excess)
  const deviation = 1.4826 * median(Float64Array.from(excess, (value) => Math.abs(value - centre)))
  const noise = median(Float64Array.from(pool, scale.noise))
  return Math.sqrt(Math.max(deviation * deviation - noise, 0.01 * deviation * deviation))
}

/**
 * The null of label excess drawn from the dataset itself: every kind of candidate (single pixel values, 2×2 and
 * 3×3 windows, words, column values) is compared with ordinary candidates of the same kind and similar support.
 * A natural feature that is merely label-pure (a stroke pixel of one digit, a common word of one class) is as
 * telling as many others of its kind; a trigger's carriers hold its label far beyond them.
 */
export class CandidateNull {
  private readonly kinds: (KindNull | undefined)[]

  constructor(
    kinds: readonly (readonly ReferenceFeature[])[],
    private readonly scale: ExcessScale = countScale,
  ) {
    this.kinds = kinds.map((reference) => {
      if (reference.length < minimumReference) return undefined
      const sorted = [...reference].sort((a, b) => a.carriers - b.carriers)
      return {
        carriers: Int32Array.from(sorted, (item) => item.carriers),
        excess: Float64Array.from(sorted, scale.excess),
        spread: naturalSpread(reference, scale),
      }
    })
  }

  /**
   * The typical excess of reference features of `kind` whose support is nearest `carriers`: those within a factor
   * of `supportFactor` of it, at least `minimumBand` and at most `bandReference` of them. A kind with few reference
   * features (a table whose continuous columns rarely repeat a value) holds mostly small chance repeats, and a
   * band as wide as the kind would judge a large natural feature (an empty pixel row of short digits) by them.
   */
  private typicalExcess(reference: KindNull, carriers: number): number {
    const count = reference.carriers.length
    const low = lowerBound(reference.carriers, carriers)
    const near =
      lowerBound(reference.carriers, carriers * supportFactor) -
      lowerBound(reference.carriers, carriers / supportFactor)
    const width = Math.min(count, bandReference, Math.max(minimumBand, near))
    const start = Math.max(0, Math.min(count - width, low - (width >> 1)))
    return median(reference.excess.subarray(start, start + width))
  }

  /**
   * Natural log of the chance that an ordinary candidate of this kind and support shows at least `observed`
   * carriers with the label: a count test against the expectation raised by the kind's typical excess, averaged
   * over how much more telling than typical a natural feature may be. Counting noise rules small features, the
   * natural spread large ones. Undefined when the kind has too few candidates to say.
   */
  logPValue(kind: number, feature: ReferenceFeature): number | undefined {
    const reference = this.kinds[kind]
    if (!reference) return undefined
    const typical = this.typicalExcess(reference, feature.carriers)
    let largest = Number.NEGATIVE_INFINITY
    const terms = nodes.map((z, index) => {
      const term = nodeLogWeights[index] + this.scale.logTail(feature, typical + z * reference.spread)
      largest = Math.max(largest, term)
      return term
    })
    return largest + Math.log(terms.reduce((sum, term) => sum + Math.exp(term - largest), 0))
  }
}
