import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { penultimateRepresentation } from './dense-network.js'
import { trainMlp } from './mlp.js'

/*
 * A layer's outputs are float32 sums over a row's non-zero inputs in column order, however the kernel holds them
 * (several units at a time in registers): the exported ONNX model, the trigger scans and the tests' recorded
 * results all rest on these exact numbers.
 */
describe('a dense layer on MNIST digits', () => {
  it('sums each unit in float32 over the non-zero pixels in order', () => {
    const digits = mnistDataset(300)
    const x = digits.features!
    const network = trainMlp(x, digits.labels!.codes, { hiddenUnits: 13, epochs: 1, seed: 2 })
    const hidden = penultimateRepresentation(network, x)
    const { weights, bias, outCols } = network.layers[0]
    const expected = new Float32Array(x.rows * outCols)
    for (let row = 0; row < x.rows; row++) {
      for (let unit = 0; unit < outCols; unit++) {
        const sum = new Float32Array([bias[unit]])
        for (let j = 0; j < x.cols; j++) {
          const value = x.data[row * x.cols + j]
          if (value !== 0) sum[0] += value * weights[j * outCols + unit]
        }
        expected[row * outCols + unit] = sum[0] < 0 ? 0 : sum[0]
      }
    }
    expect(hidden.data).toEqual(expected)
  })
})
