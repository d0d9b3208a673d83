import type { FeatureMatrix } from '../data/matrix.js'
import { type Classifier, checkInputWidth } from '../models/classifier.js'
import { loadOnnxClassifier } from '../models/onnx-classifier.js'
import { calibrateStrip, type StripOptions } from '../models/strip.js'
import { throwIfAborted } from '../util/abort.js'

export interface GuardOptions extends StripOptions {
  /** The deployed model: ONNX bytes or a loaded classifier. */
  model: Uint8Array | Classifier
  /** Clean inputs (model input space) that calibrate the threshold and are superimposed on each input. */
  calibration: FeatureMatrix
}

export interface GuardResult {
  /** Overlay entropy below which an input is rejected (nats). */
  threshold: number
  falseRejectionRate: number
  /** One entry per input, in order. */
  inputs: { entropy: number; rejected: boolean }[]
}

/**
 * Runtime guard: scores each inference input with STRIP, calibrated on clean inputs to the chosen false-rejection
 * rate, and says which to reject as likely trigger carriers.
 */
export async function guard(inputs: FeatureMatrix, options: GuardOptions): Promise<GuardResult> {
  const checkAborted = () => throwIfAborted(options.signal, 'the guard')
  checkAborted()
  const owned = options.model instanceof Uint8Array
  const classifier = owned
    ? await loadOnnxClassifier(options.model as Uint8Array, { source: 'model', inputWidth: inputs.cols })
    : (options.model as Classifier)
  try {
    checkInputWidth(classifier, options.calibration.cols, 'model')
    checkInputWidth(classifier, inputs.cols, 'model')
    checkAborted()
    const strip = await calibrateStrip(classifier, options.calibration, options)
    checkAborted()
    const { entropy, rejected } = await strip.score(inputs)
    return {
      threshold: strip.threshold,
      falseRejectionRate: strip.falseRejectionRate,
      inputs: Array.from(entropy, (value, row) => ({ entropy: value, rejected: rejected[row] === 1 })),
    }
  } finally {
    if (owned) await classifier.dispose()
  }
}
