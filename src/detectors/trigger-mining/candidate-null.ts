import { type TailModel, type TailShape, tailProbability } from '../outliers/calibrate.js'

/**
 * How far a feature's carriers hold a label beyond what their content predicts, as a log ratio with half a record
 * of smoothing: about 0 for a feature that says nothing content does not, log 10 for a trigger on records whose
 * content is another class, and in between for a natural feature that is merely more telling than neighbours.
 */
export function labelExcess(observed: number, expected: number): number {
  return Math.log((observed + 0.5) / (expected + 0.5))
}

/** Reference features of one kind needed to fit its null; with fewer, the kind is judged by the count test alone. */
const minimumReference = 30
/**
 * Reference features per support band, so the null follows how noisy a feature of that support is; wide enough
 * that a trigger's own features (a blend marks hundreds of pixels at one support) stay a minority of its band.
 */
const bandReference = 150

/** Distance from the median to the upper quartile in units of each shape's scale. */
const upperQuartile: Record<TailShape, number> = { gaussian: 0.6744897502, exponential: Math.LN2 }

/**
 * The tail of some excess values fitted on their median and upper quartile, which a quarter of the values may
 * exceed without moving: the trigger's own features cannot widen the yardstick they are measured with.
 */
function fitQuartileTail(values: Float64Array, shape: TailShape): TailModel | undefined {
  const sorted = Float64Array.from(values).sort()
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]
  const median = at(0.5)
  const scale = (at(0.75) - median) / upperQuartile[shape]
  return scale > 1e-9 ? { shape, median, scale } : undefined
}

/** The excess of ordinary features of one kind (a pixel value, a window size, a word), by carrier count. */
interface KindNull {
  /** Ascending carrier counts of the reference features, with their best label's excess alongside. */
  readonly carriers: Int32Array
  readonly excess: Float64Array
}

/**
 * The null of label excess drawn from the dataset itself: every kind of candidate (single pixel values, 2×2 and
 * 3×3 windows, words, column values) is compared with ordinary candidates of the same kind and similar support.
 * A natural feature that is merely label-pure (a stroke pixel of one digit, a common word of one class) looks like
 * many others of its kind; a trigger stands out among them.
 */
export class CandidateNull {
  private readonly kinds: (KindNull | undefined)[]

  /**
   * `shape` is how far ordinary excess reaches: Gaussian where candidates are alike (pixel values, windows, words),
   * exponential where they mix categorical codes with coincidental continuous values (table columns).
   */
  constructor(
    kinds: readonly { carriers: number[]; excess: number[] }[],
    private readonly shape: TailShape,
  ) {
    this.kinds = kinds.map((reference) => {
      if (reference.carriers.length < minimumReference) return undefined
      const order = reference.carriers
        .map((_, index) => index)
        .sort((a, b) => reference.carriers[a] - reference.carriers[b])
      return {
        carriers: Int32Array.from(order, (index) => reference.carriers[index]),
        excess: Float64Array.from(order, (index) => reference.excess[index]),
      }
    })
  }

  /** The tail of the excess among the reference features of `kind` whose support is nearest `carriers`. */
  private tailFor(kind: number, carriers: number): TailModel | undefined {
    const reference = this.kinds[kind]
    if (!reference) return undefined
    const count = reference.carriers.length
    let low = 0
    let high = count
    while (low < high) {
      const middle = (low + high) >> 1
      if (reference.carriers[middle] < carriers) low = middle + 1
      else high = middle
    }
    const width = Math.min(count, bandReference)
    const start = Math.max(0, Math.min(count - width, low - (width >> 1)))
    return fitQuartileTail(reference.excess.subarray(start, start + width), this.shape)
  }

  /**
   * Natural log of the chance that an ordinary candidate of this kind and support shows at least this excess;
   * undefined when the kind has too few candidates to say.
   */
  logPValue(kind: number, carriers: number, observed: number, expected: number): number | undefined {
    const tail = this.tailFor(kind, carriers)
    if (!tail) return undefined
    return Math.log(Math.max(tailProbability(tail, labelExcess(observed, expected)), Number.MIN_VALUE))
  }
}
