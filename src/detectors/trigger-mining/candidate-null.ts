import { logPoissonTailBound } from '../../stats/tails.js'
import { lowerBound } from '../../util/sorted.js'

/**
 * How far a feature's carriers hold a label beyond what their content predicts, as a log ratio with half a record
 * of smoothing: about 0 for a feature that says nothing content does not, log 10 for a trigger on records whose
 * content is another class, and in between for a natural feature that is merely more telling than neighbours.
 */
export function labelExcess(observed: number, expected: number): number {
  return Math.log((observed + 0.5) / (expected + 0.5))
}

/** One reference feature: its support, and its best label's carriers with the label and expected with it. */
export interface ReferenceFeature {
  readonly carriers: number
  readonly observed: number
  readonly expected: number
  /** Carried by nearly the same records as another reference feature, so left out of the natural spread. */
  readonly repeated?: boolean
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
/** Counts precise enough that Poisson noise barely moves their excess: what natural features truly vary by. */
const preciseCount = 20

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
function naturalSpread(reference: readonly ReferenceFeature[]): number {
  const distinct = reference.filter((item) => !item.repeated)
  const precise = distinct.filter(
    (item) => item.observed >= preciseCount && item.expected >= preciseCount / 4,
  )
  const pool = precise.length >= minimumBand ? precise : distinct
  const excess = Float64Array.from(pool, (item) => labelExcess(item.observed, item.expected))
  const centre = median(excess)
  const deviation = 1.4826 * median(Float64Array.from(excess, (value) => Math.abs(value - centre)))
  const noise = median(Float64Array.from(pool, (item) => 1 / (item.observed + 0.5)))
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

  constructor(kinds: readonly (readonly ReferenceFeature[])[]) {
    this.kinds = kinds.map((reference) => {
      if (reference.length < minimumReference) return undefined
      const sorted = [...reference].sort((a, b) => a.carriers - b.carriers)
      return {
        carriers: Int32Array.from(sorted, (item) => item.carriers),
        excess: Float64Array.from(sorted, (item) => labelExcess(item.observed, item.expected)),
        spread: naturalSpread(reference),
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
  logPValue(kind: number, carriers: number, observed: number, expected: number): number | undefined {
    const reference = this.kinds[kind]
    if (!reference) return undefined
    const shifted = expected * Math.exp(this.typicalExcess(reference, carriers))
    let largest = Number.NEGATIVE_INFINITY
    const terms = nodes.map((z, index) => {
      const term =
        nodeLogWeights[index] + logPoissonTailBound(observed, shifted * Math.exp(z * reference.spread))
      largest = Math.max(largest, term)
      return term
    })
    return largest + Math.log(terms.reduce((sum, term) => sum + Math.exp(term - largest), 0))
  }
}
