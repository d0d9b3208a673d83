import type { InferenceSession } from 'onnxruntime-node'
import { PoisonguardError } from '../../errors.js'

/** A graph input or output as ONNX Runtime reports it; `shape` is empty when the model does not declare one. */
export interface OnnxValueInfo {
  readonly name: string
  /** Element type (`float32`, `int64`, …), or undefined for a value that is not a tensor (a sequence or map). */
  readonly type?: string
  readonly shape: readonly (number | string)[]
}

/** One output tensor of a run. */
export interface OnnxOutput {
  readonly type: string
  readonly dims: readonly number[]
  readonly data: unknown
}

/** A loaded model: its declared inputs and outputs, and a run over one float32 input. */
export interface OnnxSession {
  readonly inputs: readonly OnnxValueInfo[]
  readonly outputs: readonly OnnxValueInfo[]
  run(inputName: string, data: Float32Array, shape: readonly number[]): Promise<Record<string, OnnxOutput>>
  release(): Promise<void>
}

function describeValue(value: InferenceSession.ValueMetadata): OnnxValueInfo {
  return value.isTensor
    ? { name: value.name, type: value.type, shape: value.shape }
    : { name: value.name, shape: [] }
}

/**
 * Opens a serialised ONNX model in onnxruntime-node (CPU). Without the optional package it throws
 * `MISSING_DEPENDENCY`; bytes ONNX Runtime cannot load throw `PARSE_ERROR` naming `source`.
 */
export async function openOnnxSession(bytes: Uint8Array, source: string, threads = 2): Promise<OnnxSession> {
  let ort: typeof import('onnxruntime-node')
  try {
    ort = await import('onnxruntime-node')
  } catch (error) {
    throw new PoisonguardError(
      'MISSING_DEPENDENCY',
      `running the ONNX model ${source} needs the optional package "onnxruntime-node", which could not be loaded`,
      { hint: 'install it next to poisonguard: npm install onnxruntime-node', cause: error },
    )
  }
  let session: InferenceSession
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      // As in the linear-algebra backend: idle pool threads sleep, so a model called in small batches between
      // other work does not keep a core spinning.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: source },
      `not a valid ONNX model (${reason})`,
      'pass a model file saved in the ONNX format (.onnx), e.g. one written by poisonguard train',
    )
  }
  return {
    inputs: session.inputMetadata.map(describeValue),
    outputs: session.outputMetadata.map(describeValue),
    async run(inputName, data, shape) {
      const result = await session.run({ [inputName]: new ort.Tensor('float32', data, [...shape]) })
      const outputs: Record<string, OnnxOutput> = {}
      for (const [name, value] of Object.entries(result))
        outputs[name] = { type: value.type, dims: value.dims, data: value.data }
      return outputs
    },
    release: () => session.release(),
  }
}
