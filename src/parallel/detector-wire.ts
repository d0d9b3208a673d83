import { Buffer } from 'node:buffer'
import type { Dataset, LabelColumn } from '../data/dataset.js'
import { mayReadModelInput } from '../detectors/label-issues/index.js'
import type { DetectorInput, DetectorResult, SharedAnalysis } from '../detectors/types.js'
import type { TextCountSettings, TextCounts } from '../features/text.js'
import type { FoldTask } from '../models/cross-validation.js'
import { type SharedCopies, shared, sharedMatrix } from './task-pool.js'

/**
 * A detector input without its analyses, its big arrays in shared memory: what a worker is sent once per scan. The
 * model's input goes only where `label-issues` may read it (its model of modes or a second draw of the folds; few
 * classes, see `mayReadModelInput`): no other built-in reads it, and a copy held there would keep it in memory after
 * the scan spilled it.
 */
export type WireInput = Omit<DetectorInput, SharedAnalysis>

/**
 * Strings as UTF-16 code units in shared memory (lossless, lone surrogates included). Cloning thousands of long
 * texts to every worker took about a second of the scan's thread on spam; this is one copy, read by all.
 */
export interface PackedStrings {
  readonly units: SharedArrayBuffer
  /** End of each string, in code units. */
  readonly ends: Int32Array
}

/** A detector input as sent: its texts packed, the rest in `input`. */
export interface SentInput {
  readonly input: WireInput
  readonly texts?: PackedStrings
  readonly datasetTexts?: PackedStrings
}

/** Messages from the scan's thread to a detector worker. */
export type ToWorker =
  /** Detectors will come: load their code now, while the scan's thread still prepares their input. */
  | { readonly type: 'warm' }
  | ({ readonly type: 'input'; readonly inputId: number } & SentInput)
  | { readonly type: 'release'; readonly inputId: number }
  | {
      readonly type: 'run'
      readonly taskId: number
      readonly inputId: number
      readonly detectorId: string
      readonly params: unknown
      readonly seed: number
    }
  /** A cross-validation fold to train, its arrays in shared memory; answered with `done` and the probabilities. */
  | { readonly type: 'fold'; readonly taskId: number; readonly task: FoldTask }
  /** A block of texts whose terms to count; answered with `done` and the counts. */
  | {
      readonly type: 'count'
      readonly taskId: number
      readonly texts: PackedStrings
      readonly settings: TextCountSettings
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
      readonly analysis: SharedAnalysis
      readonly k?: number
    }
  /**
   * A detector of the worker waits for the answer to `requestId`; a lane whose every detector waits takes another,
   * and counts as busy again once that answer is sent.
   */
  | { readonly type: 'waiting'; readonly requestId: number }
  | { readonly type: 'progress'; readonly taskId: number; readonly fractionDone: number }
  | {
      readonly type: 'done'
      readonly taskId: number
      readonly result: DetectorResult | Float32Array | TextCounts
    }
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

/** Strings packed once into shared memory, for any number of workers to read. */
export function packStrings(strings: readonly string[]): PackedStrings {
  let length = 0
  for (const text of strings) length += text.length
  const units = new SharedArrayBuffer(length * 2)
  const bytes = Buffer.from(units)
  const ends = new Int32Array(strings.length)
  let end = 0
  strings.forEach((text, index) => {
    bytes.write(text, end * 2, 'utf16le')
    end += text.length
    ends[index] = end
  })
  return { units, ends }
}

/** The strings `packStrings` packed. */
export function unpackStrings({ units, ends }: PackedStrings): string[] {
  const bytes = Buffer.from(units)
  const strings = new Array<string>(ends.length)
  let start = 0
  for (let index = 0; index < ends.length; index++) {
    strings[index] = bytes.toString('utf16le', start * 2, ends[index] * 2)
    start = ends[index]
  }
  return strings
}

/**
 * The input's data with pixels, features and label codes in shared memory and its texts packed there, so every
 * worker reads the same bytes; arrays the input and its dataset share stay one copy.
 */
export function wireInput(input: DetectorInput): SentInput {
  const copies: SharedCopies = new Map()
  const texts = input.texts && packStrings(input.texts)
  const datasetTexts =
    input.dataset.texts === input.texts ? texts : input.dataset.texts && packStrings(input.dataset.texts)
  return {
    input: {
      rowCount: input.rowCount,
      ids: input.ids,
      labels: shareLabels(input.labels, copies),
      dataset: { ...shareDataset(input.dataset, copies), texts: undefined },
      features: input.features && sharedMatrix(input.features, copies),
      modelFeatures:
        input.modelFeatures && input.labels && mayReadModelInput(input.rowCount, input.labels.classes.length)
          ? sharedMatrix(input.modelFeatures, copies)
          : undefined,
      probabilitiesGiven: input.probabilitiesGiven,
    },
    texts,
    datasetTexts,
  }
}

/**
 * The input `wireInput` sent. Its texts are unpacked when a detector first reads them (a worker running only
 * detectors of numbers never pays for them), once when the input and its dataset shared them.
 */
export function receiveInput(sent: SentInput): WireInput {
  let texts: string[] | undefined
  let datasetTexts: string[] | undefined
  const readTexts = () => {
    texts ??= sent.texts && unpackStrings(sent.texts)
    return texts
  }
  const readDatasetTexts = () => {
    if (sent.datasetTexts === sent.texts) return readTexts()
    datasetTexts ??= sent.datasetTexts && unpackStrings(sent.datasetTexts)
    return datasetTexts
  }
  return {
    ...sent.input,
    get texts() {
      return readTexts()
    },
    dataset: {
      ...sent.input.dataset,
      get texts() {
        return readDatasetTexts()
      },
    },
  }
}
