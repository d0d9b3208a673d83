import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { quantileSorted } from '../stats/quantiles.js'
import { throwIfAborted } from '../util/abort.js'
import { createRng } from '../util/rng.js'
import type { Classifier } from './classifier.js'

export interface StripOptions {
  /** Clean inputs superimposed on each input; default 50 (20 let a tenth of triggered MNIST digits through). */
  overlays?: number
  /** Share of clean inputs the guard may reject; default 0.01. */
  falseRejectionRate?: number
  seed?: number
  /** Checked between blocks of overlays in calibration and scoring; an abort fails with `ABORTED`. */
  signal?: AbortSignal
}

/** A STRIP guard calibrated on clean inputs: inputs whose overlay entropy falls below `threshold` are rejected. */
export interface StripGuard {
  readonly threshold: number
  readonly falseRejectionRate: number
  readonly overlays: number
  /** Entropy of each input's predictions over the overlays (nats, low = trigger dominates) and the decision. */
  score(x: FeatureMatrix): Promise<{ entropy: Float64Array; rejected: Uint8Array }>
}

/**
 * The range of all clean values: superimposed values are clipped back into it. Not per column: a trigger sits where
 * clean inputs are constant (an image corner), and a per-column box would erase it.
 */
function valueRange(x: FeatureMatrix) {
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (const value of x.data) {
    if (value < low) low = value
    if (value > high) high = value
  }
  return { low, high }
}

/**
 * Mean Shannon entropy of the predictions on `overlays` superimposed copies of each input. When the inputs are the
 * clean set itself (calibration), an input is never blended with itself: that copy is the input again, confidently
 * predicted, and would pull the threshold down.
 */
async function overlayEntropies(
  classifier: Classifier,
  x: FeatureMatrix,
  clean: FeatureMatrix,
  overlays: number,
  seed: number,
  signal: AbortSignal | undefined,
): Promise<Float64Array> {
  const calibrating = x === clean
  const { low, high } = valueRange(clean)
  const rng = createRng(seed)
  const cols = x.cols
  const entropy = new Float64Array(x.rows)
  const blockRows = Math.max(1, Math.floor(4096 / overlays))
  for (let start = 0; start < x.rows; start += blockRows) {
    throwIfAborted(signal, 'the STRIP guard')
    const end = Math.min(x.rows, start + blockRows)
    const data = new Float32Array((end - start) * overlays * cols)
    for (let row = start; row < end; row++) {
      for (let copy = 0; copy < overlays; copy++) {
        let other = rng.int(clean.rows)
        if (calibrating && other === row) other = (other + 1 + rng.int(clean.rows - 1)) % clean.rows
        const offset = ((row - start) * overlays + copy) * cols
        for (let col = 0; col < cols; col++) {
          const sum = x.data[row * cols + col] + clean.data[other * cols + col]
          data[offset + col] = Math.min(high, Math.max(low, sum))
        }
      }
    }
    const p = await classifier.predict({ data, rows: (end - start) * overlays, cols })
    for (let index = 0; index < p.rows; index++) {
      let h = 0
      for (let c = 0; c < p.cols; c++) {
        const value = p.data[index * p.cols + c]
        if (value > 0) h -= value * Math.log(value)
      }
      entropy[start + Math.floor(index / overlays)] += h / overlays
    }
  }
  return entropy
}

/**
 * Calibrates STRIP on clean inputs: each input is superimposed with random clean inputs; a trojaned input keeps
 * predicting its target whatever is blended in (low entropy), a clean one does not. The threshold is the entropy
 * quantile of clean inputs at the chosen false-rejection rate.
 * @see Gao, Xu, Wang, Chen, Ranasinghe, Nepal. STRIP: A Defence Against Trojan Attacks on Deep Neural Networks.
 *   ACSAC 2019.
 */
export async function calibrateStrip(
  classifier: Classifier,
  clean: FeatureMatrix,
  options: StripOptions = {},
): Promise<StripGuard> {
  const overlays = options.overlays ?? 50
  const falseRejectionRate = options.falseRejectionRate ?? 0.01
  const seed = options.seed ?? 1
  if (
    clean.rows < 2 ||
    !(falseRejectionRate > 0 && falseRejectionRate < 1) ||
    !(Number.isInteger(overlays) && overlays >= 1)
  ) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `cannot calibrate STRIP on ${clean.rows} clean inputs with false-rejection rate ${falseRejectionRate} and ${overlays} overlays`,
      {
        hint: 'pass at least 100 clean inputs, a rate between 0 and 1 (e.g. 0.01) and a positive overlay count',
      },
    )
  }
  const sorted = (await overlayEntropies(classifier, clean, clean, overlays, seed, options.signal)).sort()
  const threshold = quantileSorted(sorted, falseRejectionRate, 'lower')
  return {
    threshold,
    falseRejectionRate,
    overlays,
    score: async (x) => {
      const entropy = await overlayEntropies(classifier, x, clean, overlays, seed + 1, options.signal)
      return { entropy, rejected: Uint8Array.from(entropy, (h) => (h < threshold ? 1 : 0)) }
    },
  }
}
