import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { decodeModel, ProtoDecodeError } from '../linalg/onnx/read-model.js'
import {
  type OnnxOutput,
  type OnnxSession,
  type OnnxValueInfo,
  openOnnxSession,
} from '../linalg/onnx/session.js'
import { type Classifier, checkInputWidth } from './classifier.js'
import { softmaxInPlace } from './design.js'
import { exportedClassNames, readExportedNetwork } from './onnx-export.js'

export interface OnnxClassifierOptions {
  /** Shown in error messages; usually the model's file path. */
  source?: string
  /** Feature columns of the data the model will see; required when the model leaves its input width open. */
  inputWidth?: number
  /** Threads inside one ONNX operator; default 2. */
  threads?: number
  /** Runs the model; default onnxruntime-node. Tests inject a stand-in. */
  open?: (bytes: Uint8Array, source: string) => Promise<OnnxSession>
}

// Rows per run: bounds the input tensor of a large dataset to a few MiB.
const BATCH_ROWS = 2048

function modelError(source: string, message: string, hint: string): PoisonguardError {
  return PoisonguardError.at('INVALID_VALUE', { file: source }, message, hint)
}

function describeInputs(inputs: readonly OnnxValueInfo[]): string {
  return inputs
    .map((input) => `${input.name} ${input.type ?? 'non-tensor'} [${input.shape.join(', ')}]`)
    .join('; ')
}

/** The one float input of shape [N, d]; returns its declared width (undefined when symbolic). */
function checkInput(session: OnnxSession, source: string): { name: string; width?: number } {
  const { inputs } = session
  const input = inputs[0]
  if (
    inputs.length !== 1 ||
    input.type !== 'float32' ||
    (input.shape.length !== 0 && input.shape.length !== 2)
  ) {
    throw modelError(
      source,
      `expected a classifier with one float32 input of shape [rows, features], found ${describeInputs(inputs)}`,
      'export the model with a single float input tensor (rows × features)',
    )
  }
  const width = input.shape[1]
  return { name: input.name, width: typeof width === 'number' && width > 0 ? width : undefined }
}

/** The output holding class scores: the only rank-2 float tensor, or the one whose name says probabilities. */
function chooseOutput(session: OnnxSession, source: string): string {
  const candidates = session.outputs.filter(
    (output) => output.type === 'float32' && (output.shape.length === 2 || output.shape.length === 0),
  )
  const chosen =
    candidates.length === 1 ? candidates[0] : candidates.find((output) => /prob/i.test(output.name))
  if (!chosen) {
    throw modelError(
      source,
      `expected a classifier output: one float32 tensor of shape [rows, classes] with probabilities or logits, found ${describeInputs(session.outputs)}`,
      'export the model so that it outputs class probabilities or logits as a [rows, classes] float tensor',
    )
  }
  return chosen.name
}

function outputScores(output: OnnxOutput | undefined, rows: number, source: string): FeatureMatrix {
  const classCount = output?.dims[1] ?? 0
  const isScores = output?.type === 'float32' && output.dims.length === 2 && output.dims[0] === rows
  if (!output || !isScores || classCount < 2) {
    const shape = output ? `${output.type} [${output.dims.join(', ')}]` : 'nothing'
    throw modelError(
      source,
      `expected class scores of shape [${rows}, classes ≥ 2], the model returned ${shape}`,
      'pass a classifier; regression and embedding models cannot be checked',
    )
  }
  return { data: Float32Array.from(output.data as Float32Array), rows, cols: classCount }
}

/** Whether every row is a probability distribution (non-negative, summing to 1). */
function looksLikeProbabilities(scores: FeatureMatrix): boolean {
  for (let row = 0; row < scores.rows; row++) {
    let sum = 0
    for (let c = 0; c < scores.cols; c++) {
      const value = scores.data[row * scores.cols + c]
      if (!(value >= 0)) return false
      sum += value
    }
    if (Math.abs(sum - 1) > 1e-3) return false
  }
  return true
}

function softmaxRows(scores: FeatureMatrix): void {
  const scratch = new Float64Array(scores.cols)
  for (let row = 0; row < scores.rows; row++) {
    const part = scores.data.subarray(row * scores.cols, (row + 1) * scores.cols)
    scratch.set(part)
    softmaxInPlace(scratch, scores.cols)
    part.set(scratch)
  }
}

/** A deterministic probe batch: zeros, ones and a ramp, enough to tell probabilities from logits. */
function probeBatch(width: number): FeatureMatrix {
  const rows = 3
  const data = new Float32Array(rows * width)
  for (let col = 0; col < width; col++) {
    data[width + col] = 1
    data[2 * width + col] = (col % 7) / 7
  }
  return { data, rows, cols: width }
}

function readMetadata(bytes: Uint8Array, source: string) {
  try {
    const decoded = decodeModel(bytes)
    return { network: readExportedNetwork(bytes), classNames: exportedClassNames(decoded) }
  } catch (error) {
    if (!(error instanceof ProtoDecodeError)) throw error
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: source },
      `not a valid ONNX model (${error.message})`,
      'pass a model file saved in the ONNX format (.onnx), e.g. one written by poisonguard train',
    )
  }
}

/**
 * Loads any ONNX classifier with one float input [rows, features] and a probability or logit output
 * [rows, classes]; logits are turned into probabilities. Models exported by poisonguard also expose their network.
 * Invalid files, other shapes and a width that does not match `inputWidth` are typed errors.
 */
export async function loadOnnxClassifier(
  bytes: Uint8Array,
  options: OnnxClassifierOptions = {},
): Promise<Classifier> {
  const source = options.source ?? 'model.onnx'
  const { network, classNames } = readMetadata(bytes, source)
  const open = options.open ?? ((modelBytes, name) => openOnnxSession(modelBytes, name, options.threads))
  const session = await open(bytes, source)
  try {
    const input = checkInput(session, source)
    const outputName = chooseOutput(session, source)
    const inputWidth = input.width ?? options.inputWidth
    if (inputWidth === undefined) {
      throw modelError(
        source,
        'the model does not declare its input width',
        'pass the data the model takes, so its width is known',
      )
    }
    if (options.inputWidth !== undefined) checkInputWidth({ inputWidth }, options.inputWidth, source)
    const runScores = async (x: FeatureMatrix): Promise<FeatureMatrix> => {
      const outputs = await session.run(input.name, x.data, [x.rows, x.cols])
      return outputScores(outputs[outputName], x.rows, source)
    }
    const probe = await runScores(probeBatch(inputWidth))
    const logits = !looksLikeProbabilities(probe)
    const classCount = probe.cols
    const predict = async (x: FeatureMatrix): Promise<FeatureMatrix> => {
      checkInputWidth({ inputWidth }, x.cols, source)
      const data = new Float32Array(x.rows * classCount)
      for (let start = 0; start < x.rows; start += BATCH_ROWS) {
        const end = Math.min(x.rows, start + BATCH_ROWS)
        const block = { data: x.data.subarray(start * x.cols, end * x.cols), rows: end - start, cols: x.cols }
        const scores = await runScores(block)
        if (logits) softmaxRows(scores)
        data.set(scores.data, start * classCount)
      }
      return { data, rows: x.rows, cols: classCount }
    }
    const names = classNames?.length === classCount ? classNames : undefined
    return { inputWidth, classCount, classNames: names, network, predict, dispose: () => session.release() }
  } catch (error) {
    await session.release()
    throw error
  }
}
