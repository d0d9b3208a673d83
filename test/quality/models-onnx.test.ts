import { describe, expect, it } from 'vitest'
import { encodeModel } from '../../src/linalg/onnx/model.js'
import { predictedClasses } from '../../src/models/classifier.js'
import { networkFromLogistic } from '../../src/models/dense-network.js'
import { trainLogisticRegression } from '../../src/models/logistic-regression.js'
import { loadOnnxClassifier } from '../../src/models/onnx-classifier.js'
import { encodeNetworkModel } from '../../src/models/onnx-export.js'
import { pooledMnist } from '../fixtures/datasets.js'
import { asyncRejection } from '../fixtures/errors.js'

/*
 * Any framework's classifier must load: a model built here with another graph shape (input "pixels", one Gemm with
 * transposed weights, raw logits out, a foreign producer) stands in for one exported from PyTorch or scikit-learn.
 */
const pooled = pooledMnist()
const trainRows = 2000
const train = { data: pooled.features.data.subarray(0, trainRows * 49), rows: trainRows, cols: 49 }
const trainLabels = Int32Array.from(pooled.labels.slice(0, trainRows), Number)
const test = {
  data: pooled.features.data.subarray(trainRows * 49, (trainRows + 1000) * 49),
  rows: 1000,
  cols: 49,
}
const testLabels = Int32Array.from(pooled.labels.slice(trainRows, trainRows + 1000), Number)
const logistic = trainLogisticRegression(train, trainLabels, { epochs: 10 })

function transposed(weights: Float32Array, rows: number, cols: number): Float32Array {
  return Float32Array.from(
    { length: rows * cols },
    (_, i) => weights[(i % rows) * cols + Math.floor(i / rows)],
  )
}

function foreignLogitModel(outputClasses = 10): Uint8Array {
  return encodeModel({
    name: 'torch_jit',
    producer: 'pytorch',
    inputs: [{ name: 'pixels', type: 'float', shape: ['batch', 49] }],
    outputs: [{ name: 'logits', type: 'float', shape: ['batch', outputClasses] }],
    initializers: [
      {
        name: 'fc.weight',
        shape: [outputClasses, 49],
        values: transposed(logistic.weights, 49, 10).subarray(0, outputClasses * 49),
      },
      { name: 'fc.bias', shape: [outputClasses], values: logistic.bias.subarray(0, outputClasses) },
    ],
    nodes: [
      {
        op: 'Gemm',
        inputs: ['pixels', 'fc.weight', 'fc.bias'],
        outputs: ['logits'],
        attributes: { transB: { int: 1 } },
      },
    ],
  })
}

function accuracy(predicted: Int32Array, labels: Int32Array): number {
  return predicted.filter((label, row) => label === labels[row]).length / labels.length
}

describe('an ONNX classifier not made by poisonguard', () => {
  it('loads, turns its logits into probabilities and predicts like the model it was built from', async () => {
    const classifier = await loadOnnxClassifier(foreignLogitModel(), {
      source: 'foreign.onnx',
      inputWidth: 49,
    })
    const probabilities = await classifier.predict(test)
    await classifier.dispose()
    expect(classifier).toMatchObject({ inputWidth: 49, classCount: 10, network: undefined })
    const rowSum = probabilities.data.subarray(0, 10).reduce((sum, p) => sum + p, 0)
    expect(rowSum).toBeCloseTo(1, 5)
    const own = await loadOnnxClassifier(encodeNetworkModel(networkFromLogistic(logistic), []))
    const ownPredictions = predictedClasses(await own.predict(test))
    await own.dispose()
    expect(predictedClasses(probabilities)).toEqual(ownPredictions)
    expect(accuracy(ownPredictions, testLabels)).toBeGreaterThan(0.8)
  })

  it('names the widths when the data does not fit the model', async () => {
    const error = await asyncRejection(() =>
      loadOnnxClassifier(foreignLogitModel(), { source: 'foreign.onnx', inputWidth: 784 }),
    )
    expect(error).toMatchObject({ code: 'SHAPE_MISMATCH' })
    expect(error.message).toContain('foreign.onnx takes 49 features per row, but the data has 784')
  })

  it('rejects a file that is not a model', async () => {
    const text = new TextEncoder().encode('id,label\n1,cat\n')
    const error = await asyncRejection(() => loadOnnxClassifier(text, { source: 'data.csv' }))
    expect(error).toMatchObject({ code: 'PARSE_ERROR' })
    expect(error.message).toMatch(/^data\.csv: not a valid ONNX model/)
  })

  it('rejects a model whose output is not class scores', async () => {
    const error = await asyncRejection(() =>
      loadOnnxClassifier(foreignLogitModel(1), { source: 'regressor.onnx' }),
    )
    expect(error).toMatchObject({ code: 'INVALID_VALUE' })
    expect(error.message).toContain(
      'expected class scores of shape [3, classes ≥ 2], the model returned float32 [3, 1]',
    )
  })

  it('rejects a model with more than one input', async () => {
    const twoInputs = encodeModel({
      name: 'pair',
      inputs: [
        { name: 'a', type: 'float', shape: ['n', 4] },
        { name: 'b', type: 'float', shape: ['n', 4] },
      ],
      outputs: [{ name: 'sum', type: 'float', shape: ['n', 4] }],
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['sum'] }],
    })
    const error = await asyncRejection(() => loadOnnxClassifier(twoInputs, { source: 'pair.onnx' }))
    expect(error).toMatchObject({ code: 'INVALID_VALUE' })
    expect(error.message).toContain(
      'one float32 input of shape [rows, features], found a float32 [n, 4]; b float32',
    )
  })
})
