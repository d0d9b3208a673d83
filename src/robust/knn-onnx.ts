import type { DecodedModel } from '../linalg/onnx/read-model.js'
import type { GraphPart } from '../models/onnx-export.js'
import type { KnnModel } from './knn.js'

/**
 * A k-NN member as graph nodes from `input` to a one-hot `output` of its prediction, every added name starting
 * with `prefix`. Scores `x · 2Tᵀ − ‖t‖²` (largest = nearest), TopK of the training rows, their one-hot labels; each
 * label's score is `count · (k + 1) − (last slot it holds)`, so the most frequent label wins and, among equally
 * frequent ones, the one that reached its count with nearer neighbours — the rule of `predictKnn`.
 */
export function knnGraphPart(model: KnnModel, input: string, output: string, prefix = ''): GraphPart {
  const { features, labels, cols, classCount } = model
  const trainCount = labels.length
  const limit = Math.min(model.neighbours, trainCount)
  const doubled = new Float32Array(cols * trainCount)
  const norms = new Float32Array(trainCount)
  const oneHot = new Float32Array(trainCount * classCount)
  for (let train = 0; train < trainCount; train++) {
    for (let j = 0; j < cols; j++) {
      const value = features[train * cols + j]
      doubled[j * trainCount + train] = 2 * value
      norms[train] += value * value
    }
    oneHot[train * classCount + labels[train]] = 1
  }
  const name = (suffix: string) => `${prefix}${suffix}`
  const identity = new Float32Array(classCount * classCount)
  for (let c = 0; c < classCount; c++) identity[c * classCount + c] = 1
  return {
    nodes: [
      { op: 'MatMul', inputs: [input, name('train.doubled')], outputs: [name('products')] },
      { op: 'Sub', inputs: [name('products'), name('train.norms')], outputs: [name('closeness')] },
      // TopK takes its k as an int64 tensor; the shape of the [k] slot constant is that tensor.
      { op: 'Shape', inputs: [name('knn.slots')], outputs: [name('knn.k')] },
      {
        op: 'TopK',
        inputs: [name('closeness'), name('knn.k')],
        outputs: [name('nearest.closeness'), name('nearest')],
        attributes: { axis: { int: 1 }, largest: { int: 1 }, sorted: { int: 1 } },
      },
      {
        op: 'Gather',
        inputs: [name('train.labels'), name('nearest')],
        outputs: [name('nearest.labels')],
        attributes: { axis: { int: 0 } },
      },
      { op: 'MatMul', inputs: [name('knn.slots.row'), name('nearest.labels')], outputs: [name('counts.3d')] },
      {
        op: 'Flatten',
        inputs: [name('counts.3d')],
        outputs: [name('counts')],
        attributes: { axis: { int: 1 } },
      },
      {
        op: 'ArgMax',
        inputs: [name('nearest.labels')],
        outputs: [name('last.slot.3d')],
        attributes: { axis: { int: 1 }, keepdims: { int: 0 }, select_last_index: { int: 1 } },
      },
      {
        op: 'Cast',
        inputs: [name('last.slot.3d')],
        outputs: [name('last.slot')],
        attributes: { to: { int: 1 } },
      },
      { op: 'Mul', inputs: [name('counts'), name('knn.count.weight')], outputs: [name('weighted.counts')] },
      { op: 'Sub', inputs: [name('weighted.counts'), name('last.slot')], outputs: [name('label.scores')] },
      {
        op: 'ArgMax',
        inputs: [name('label.scores')],
        outputs: [name('winner')],
        attributes: { axis: { int: 1 }, keepdims: { int: 0 } },
      },
      {
        op: 'Gather',
        inputs: [name('knn.identity'), name('winner')],
        outputs: [output],
        attributes: { axis: { int: 0 } },
      },
    ],
    initializers: [
      { name: name('train.doubled'), shape: [cols, trainCount], values: doubled },
      { name: name('train.norms'), shape: [trainCount], values: norms },
      { name: name('train.labels'), shape: [trainCount, classCount], values: oneHot },
      { name: name('knn.slots'), shape: [limit], values: new Float32Array(limit).fill(1) },
      { name: name('knn.slots.row'), shape: [1, limit], values: new Float32Array(limit).fill(1) },
      { name: name('knn.count.weight'), shape: [1], values: Float32Array.of(limit + 1) },
      { name: name('knn.identity'), shape: [classCount, classCount], values: identity },
    ],
  }
}

/** The k-NN member whose constants `knnGraphPart` wrote under `prefix`, if they are there. */
export function readKnnPart(decoded: DecodedModel, neighbours: number, prefix = ''): KnnModel | undefined {
  const doubled = decoded.initializers.get(`${prefix}train.doubled`)
  const oneHot = decoded.initializers.get(`${prefix}train.labels`)
  if (!doubled || !oneHot || doubled.shape.length !== 2 || oneHot.shape.length !== 2) return undefined
  const [cols, trainCount] = doubled.shape
  const classCount = oneHot.shape[1]
  if (oneHot.shape[0] !== trainCount) return undefined
  const features = new Float32Array(trainCount * cols)
  for (let j = 0; j < cols; j++)
    for (let train = 0; train < trainCount; train++)
      features[train * cols + j] = doubled.values[j * trainCount + train] / 2
  const labels = Int32Array.from({ length: trainCount }, (_, train) =>
    oneHot.values.subarray(train * classCount, (train + 1) * classCount).indexOf(1),
  )
  return { kind: 'knn', neighbours, features, labels, cols, classCount }
}
