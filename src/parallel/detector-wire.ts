import type { Dataset, LabelColumn } from '../data/dataset.js'
import type { DetectorInput, DetectorResult } from '../detectors/types.js'
import { type SharedCopies, shared, sharedMatrix } from './task-pool.js'

/** The shared analyses a detector in a worker asks the scan's thread for. */
export type AnalysisName = 'neighbours' | 'outOfFoldProbabilities' | 'classSpectra'

/** A detector input without its analyses, its big arrays in shared memory: what a worker is sent once per scan. */
export type WireInput = Omit<DetectorInput, AnalysisName>

/** Messages from the scan's thread to a detector worker. */
export type ToWorker =
  | { readonly type: 'input'; readonly inputId: number; readonly input: WireInput }
  | { readonly type: 'release'; readonly inputId: number }
  | {
      readonly type: 'run'
      readonly taskId: number
      readonly inputId: number
      readonly detectorId: string
      readonly params: unknown
      readonly seed: number
    }
  | {
      readonly type: 'answer'
      readonly requestId: number
      readonly value?: unknown
      readonly failed?: boolean
    }

/** Messages from a detector worker to the scan's thread. */
export type FromWorker =
  | {
      readonly type: 'ask'
      readonly requestId: number
      readonly inputId: number
      readonly analysis: AnalysisName
      readonly k?: number
    }
  /** A detector of the worker started (+1) or stopped (−1) waiting for an analysis; a lane whose every detector waits takes another. */
  | { readonly type: 'waiting'; readonly change: 1 | -1 }
  | { readonly type: 'progress'; readonly taskId: number; readonly fractionDone: number }
  | { readonly type: 'done'; readonly taskId: number; readonly result: DetectorResult }
  | { readonly type: 'failed'; readonly taskId: number }

function shareLabels(labels: LabelColumn | undefined, copies: SharedCopies): LabelColumn | undefined {
  return labels && { ...labels, codes: shared(labels.codes, copies) }
}

function shareDataset(dataset: Dataset, copies: SharedCopies): Dataset {
  const { features, embeddings } = dataset
  return {
    ...dataset,
    labels: shareLabels(dataset.labels, copies),
    features: features && sharedMatrix(features, copies),
    embeddings: embeddings && sharedMatrix(embeddings, copies),
  }
}

/**
 * The input's data with pixels, features and label codes in shared memory, so every worker reads the same bytes;
 * arrays the input and its dataset share stay one copy.
 */
export function wireInput(input: DetectorInput): WireInput {
  const copies: SharedCopies = new Map()
  return {
    rowCount: input.rowCount,
    ids: input.ids,
    labels: shareLabels(input.labels, copies),
    texts: input.texts,
    dataset: shareDataset(input.dataset, copies),
    features: input.features && sharedMatrix(input.features, copies),
    modelFeatures: input.modelFeatures && sharedMatrix(input.modelFeatures, copies),
    probabilitiesGiven: input.probabilitiesGiven,
  }
}
