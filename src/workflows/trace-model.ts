import { type LoadOptions, loadDataset } from '../io/index.js'
import { writeOutputsAtomically } from '../io/transaction.js'
import { predictedClasses } from '../models/classifier.js'
import { traceResponsibleRecords } from '../models/trace.js'
import { throwIfAborted } from '../util/abort.js'
import { neighbourVoteScores } from './ensemble-trace.js'
import { type EnsembleDescription, labelsAsModelClasses, modelMatrix, openModelFile } from './model-file.js'

export interface TraceModelOptions {
  model: string
  /** The data the model was trained on. */
  training: string
  /** The inputs whose predictions are to be explained (same columns). */
  inputs: string
  load?: LoadOptions
  /** Records listed, most responsible first; default 100. */
  top?: number
  out?: string
  /** Checked between loading, predicting, attributing and writing; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

export interface TracedRecord {
  id: string
  /** Responsibility in [0,1], higher = more responsible. */
  score: number
  source: string | null
  label: string | null
  /** TracIn-style last-layer gradient agreement (built-in models), for comparison. */
  gradient?: number
  /** Whether the record is in the cluster the Poison Forensics search holds responsible. */
  cluster: boolean
}

export interface TraceModelResult {
  model: string
  training: string
  inputs: string
  /** The predictions explained, by class. */
  predictions: Record<string, number>
  /**
   * When the model is an ensemble: how it predicts, and how records were ranked — by the member votes their
   * neighbourhoods carried (k-NN members), else by closeness in the input features (no shared representation).
   */
  ensemble?: EnsembleDescription & { readonly attribution: 'neighbour votes' | 'input features' }
  records: TracedRecord[]
  /** Ids of every training record in the responsible cluster, in training order (also those outside the top). */
  cluster: string[]
}

/** Ranks the training records most responsible for a model's predictions on the given inputs. */
export async function traceModel(options: TraceModelOptions): Promise<TraceModelResult> {
  const checkAborted = () => throwIfAborted(options.signal, 'the trace')
  const training = await loadDataset(options.training, options.load)
  const inputs = await loadDataset(options.inputs, options.load)
  checkAborted()
  const opened = await openModelFile(options.model, training)
  let records: TracedRecord[]
  let cluster: string[]
  let voted: { score: Float64Array } | undefined
  const predictions: Record<string, number> = {}
  try {
    const inputsX = modelMatrix(opened, inputs)
    const predicted = predictedClasses(await opened.classifier.predict(inputsX))
    checkAborted()
    for (const code of predicted)
      predictions[opened.classNames[code]] = (predictions[opened.classNames[code]] ?? 0) + 1
    const trainLabels = labelsAsModelClasses(training, opened.classNames)
    const { network } = opened.classifier
    const trainX = modelMatrix(opened, training)
    voted =
      opened.ensemble &&
      (await neighbourVoteScores(options.model, opened.ensemble, trainX, inputsX, predicted))
    const scores =
      voted ?? traceResponsibleRecords({ trainX, trainLabels, inputsX, inputPredictions: predicted, network })
    // Voted k-NN attribution has no representation to cluster in, so its records belong to no cluster.
    const inCluster = 'cluster' in scores ? scores.cluster : new Uint8Array(scores.score.length)
    const order = Array.from(scores.score.keys()).sort((a, b) => scores.score[b] - scores.score[a])
    records = order.slice(0, options.top ?? 100).map((row) => ({
      id: training.ids[row],
      score: scores.score[row],
      source: training.sources?.[row] ?? null,
      label: trainLabels[row] >= 0 ? opened.classNames[trainLabels[row]] : null,
      ...(network && 'gradient' in scores ? { gradient: scores.gradient[row] } : {}),
      cluster: inCluster[row] === 1,
    }))
    cluster = training.ids.filter((_, row) => inCluster[row] === 1)
  } finally {
    await opened.classifier.dispose()
  }
  const result: TraceModelResult = {
    model: options.model,
    training: options.training,
    inputs: options.inputs,
    predictions,
    ...(opened.ensemble
      ? { ensemble: { ...opened.ensemble, attribution: voted ? 'neighbour votes' : 'input features' } }
      : {}),
    records,
    cluster,
  }
  checkAborted()
  if (options.out) {
    await writeOutputsAtomically([{ path: options.out, contents: `${JSON.stringify(result, null, 2)}\n` }], {
      inputs: [options.model, options.training, options.inputs],
    })
  }
  return result
}
