import { describe, expect, it } from 'vitest'
import { createMatrix } from '../data/matrix.js'
import { createRng } from '../util/rng.js'
import { networkFromLogistic, predictNetwork } from './dense-network.js'
import { trainLogisticRegression } from './logistic-regression.js'
import { trainMlp } from './mlp.js'
import { loadOnnxClassifier } from './onnx-classifier.js'
import { encodeNetworkModel, readExportedNetwork } from './onnx-export.js'

function gaussianClasses(rowCount: number, cols: number, classCount: number) {
  const rng = createRng(9)
  const labels = Int32Array.from({ length: rowCount }, (_, row) => row % classCount)
  const data = Float32Array.from({ length: rowCount * cols }, (_, i) => {
    const row = Math.floor(i / cols)
    return rng.normal() + (i % cols === labels[row] ? 3 : 0)
  })
  return { x: createMatrix(rowCount, cols, data), labels }
}

describe('ONNX export of the built-in models', () => {
  const { x, labels } = gaussianClasses(300, 6, 3)
  const networks = {
    logreg: networkFromLogistic(trainLogisticRegression(x, labels, { epochs: 5 })),
    mlp: trainMlp(x, labels, { hiddenUnits: 8, epochs: 5, seed: 2 }),
  }

  for (const [kind, network] of Object.entries(networks)) {
    it(`runs the exported ${kind} in ONNX Runtime with the probabilities of the TypeScript model`, async () => {
      const bytes = encodeNetworkModel(network, ['a', 'b', 'c'])
      const classifier = await loadOnnxClassifier(bytes, { source: `${kind}.onnx` })
      const fromOnnx = await classifier.predict(x)
      const direct = predictNetwork(network, x)
      await classifier.dispose()
      expect(classifier).toMatchObject({ inputWidth: 6, classCount: 3, classNames: ['a', 'b', 'c'] })
      expect(fromOnnx.cols).toBe(3)
      for (let i = 0; i < direct.data.length; i += 7) expect(fromOnnx.data[i]).toBeCloseTo(direct.data[i], 4)
    })

    it(`reads the ${kind}'s weights back from its ONNX bytes`, () => {
      const back = readExportedNetwork(encodeNetworkModel(network, ['a', 'b', 'c']))
      expect(back?.kind).toBe(kind)
      expect(back?.layers.map((layer) => [layer.inCols, layer.outCols])).toEqual(
        network.layers.map((layer) => [layer.inCols, layer.outCols]),
      )
      expect(back?.layers[0].weights).toEqual(network.layers[0].weights)
    })
  }
})
