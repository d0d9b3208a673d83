import { subsetDataset } from '../data/dataset.js'
import { recordCopies } from '../data/first-copies.js'
import { type FeatureMatrix, type SparseMatrix, selectRows, selectSparseRows } from '../data/matrix.js'
import type { NeighbourGraph } from '../linalg/backend.js'
import { type ClassSpectra, measureClassSpectra } from './class-spectra.js'
import type { Detector, DetectorInfo, DetectorInput, DetectorResult } from './types.js'

/**
 * Neighbours read to find `k` distinct ones: the width the scan searches its shared graph to anyway, so reading
 * it costs no search of its own.
 */
const searchedNeighbours = 50

/**
 * `detector` run on each record once, every repeat of a record then given its first copy's result. A record
 * written twice is one draw of the data, not evidence: counted twice, five copies of one image carry "a 3×3
 * pattern on 5 images labelled 5", three make "a separate group of 3 records", and a record's copies, each other's
 * nearest neighbours, vouch for its label. Repeats with another label are a contradiction, not a copy
 * (`recordCopies`), and stay records of their own. Data without repeats is read as it is.
 */
export function countingRecordsOnce<Params, Info extends DetectorInfo>(
  detector: Detector<Params, Info>,
): Detector<Params, Info> {
  return {
    ...detector,
    async run(input, params, context) {
      const distinct = distinctRecords(input)
      if (!distinct) return detector.run(input, params, context)
      const result = await detector.run(distinct.input, params, context)
      return spreadResult(result, distinct.distinctRow)
    },
  }
}

interface DistinctRecords {
  /** The input with each record once, in the order of their first copies. */
  readonly input: DetectorInput
  /** For each row of the full input, its record's row in `input`. */
  readonly distinctRow: Int32Array
}

const distinctOfInputs = new WeakMap<DetectorInput, DistinctRecords | undefined>()

/**
 * The input's records each once, made once per input and shared by the detectors that read it, with their
 * neighbour graphs and analyses; undefined when no record is repeated.
 */
function distinctRecords(input: DetectorInput): DistinctRecords | undefined {
  if (distinctOfInputs.has(input)) return distinctOfInputs.get(input)
  const copies = recordCopies(input.dataset)
  let distinct: DistinctRecords | undefined
  if (copies.repeatCount > 0) {
    const firstRows = Int32Array.from(rowsWhere(copies.isFirst))
    const distinctRow = new Int32Array(input.rowCount)
    firstRows.forEach((row, index) => {
      distinctRow[row] = index
    })
    for (let row = 0; row < input.rowCount; row++) distinctRow[row] = distinctRow[copies.firstRow[row]]
    distinct = { input: distinctInput(input, firstRows, distinctRow), distinctRow }
  }
  distinctOfInputs.set(input, distinct)
  return distinct
}

function* rowsWhere(marks: Uint8Array) {
  for (let row = 0; row < marks.length; row++) if (marks[row]) yield row
}

function distinctInput(input: DetectorInput, firstRows: Int32Array, distinctRow: Int32Array): DetectorInput {
  const labels = input.labels && {
    ...input.labels,
    codes: Int32Array.from(firstRows, (row) => input.labels!.codes[row]),
  }
  const features = input.features && selectRows(input.features, firstRows)
  let modelFeatures: FeatureMatrix | SparseMatrix | undefined
  let probabilities: Promise<FeatureMatrix> | undefined
  let spectra: Promise<ClassSpectra> | undefined
  const graphs = new Map<number, Promise<NeighbourGraph>>()
  return {
    rowCount: firstRows.length,
    ids: Array.from(firstRows, (row) => input.ids[row]),
    labels,
    texts: input.texts && Array.from(firstRows, (row) => input.texts![row]),
    dataset: subsetDataset(input.dataset, firstRows),
    features,
    get modelFeatures() {
      const full = input.modelFeatures
      if (!full) return undefined
      modelFeatures ??= 'indptr' in full ? selectSparseRows(full, firstRows) : selectRows(full, firstRows)
      return modelFeatures
    },
    neighbours(k) {
      let graph = graphs.get(k)
      if (!graph) {
        const width = Math.min(Math.max(k, searchedNeighbours), input.rowCount - 1)
        graph = input.neighbours(width).then((full) => distinctNeighbours(full, firstRows, distinctRow, k))
        graphs.set(k, graph)
      }
      return graph
    },
    outOfFoldProbabilities() {
      probabilities ??= input.outOfFoldProbabilities().then((full) => selectRows(full, firstRows))
      return probabilities
    },
    probabilitiesGiven: input.probabilitiesGiven,
    classSpectra() {
      if (!features || !labels) throw new Error('class spectra need labels and features')
      spectra ??= Promise.resolve(measureClassSpectra(features, labels.codes, labels.classes.length))
      return spectra
    },
  }
}

/**
 * Each distinct record's `k` nearest distinct records among its neighbours in `full`: its own copies left out,
 * another record's copies counted once. Where a record's copies crowd out every other record in `full`, its list
 * is filled with the records found, again in order, so every row keeps `k` entries.
 */
function distinctNeighbours(
  full: NeighbourGraph,
  firstRows: Int32Array,
  distinctRow: Int32Array,
  k: number,
): NeighbourGraph {
  const rows = firstRows.length
  const width = Math.min(k, rows - 1)
  const indices = new Int32Array(rows * width)
  const distances = new Float32Array(rows * width)
  const seen = new Int32Array(rows).fill(-1)
  for (let index = 0; index < rows; index++) {
    const row = firstRows[index]
    seen[index] = index
    let found = 0
    for (let position = 0; position < full.k && found < width; position++) {
      const neighbour = distinctRow[full.indices[row * full.k + position]]
      if (seen[neighbour] === index) continue
      seen[neighbour] = index
      indices[index * width + found] = neighbour
      distances[index * width + found] = full.distances[row * full.k + position]
      found++
    }
    if (found === 0 && width > 0) {
      // Nothing but copies of itself among the searched neighbours: the next record stands in, at the last distance.
      indices[index * width] = (index + 1) % rows
      distances[index * width] = full.distances[row * full.k + full.k - 1]
      found = 1
    }
    for (let fill = found; fill < width; fill++) {
      indices[index * width + fill] = indices[index * width + (fill % found)]
      distances[index * width + fill] = distances[index * width + (fill % found)]
    }
  }
  return { rows, k: width, indices, distances }
}

/** `result` over every row, each repeat taking its first copy's scores, flags, explanations and labels. */
function spreadResult<Result extends DetectorResult>(result: Result, distinctRow: Int32Array): Result {
  const spread = <T>(values: ArrayLike<T> | undefined) =>
    values && Array.from(distinctRow, (index) => values[index])
  return {
    ...result,
    suspicion: Float32Array.from(distinctRow, (index) => result.suspicion[index]),
    flagged: Uint8Array.from(distinctRow, (index) => result.flagged[index]),
    explanations: spread(result.explanations)!,
    findingKinds: spread(result.findingKinds),
    suggestedLabels:
      result.suggestedLabels && Int32Array.from(distinctRow, (index) => result.suggestedLabels![index]),
    falseAlarmChances:
      result.falseAlarmChances && Float64Array.from(distinctRow, (index) => result.falseAlarmChances![index]),
  }
}
