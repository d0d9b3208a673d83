import { it } from 'vitest'
import { fitGlad } from '../../src/crowd/glad.js'
import { mnistArrays } from '../fixtures/datasets.js'
import { accuracyOf, simulateCrowd, spreadAccuracies, type SimulatedAnnotator } from '../../src/crowd/simulate.js'

it('probe', () => {
  const labels = mnistArrays().labels.slice(0, 2000)
  const spam = new Int32Array(2000).map((_, i) => labels[i] % 2)
  const annotators: SimulatedAnnotator[] = spreadAccuracies(20, 0.55, 0.95).map((accuracy) => ({ kind: 'honest', accuracy }))
  const crowd = simulateCrowd(spam, 2, annotators, 5, 1)
  for (const it of [1, 2, 3, 5, 10, 30]) {
    const fit = fitGlad(crowd.table, { maxIterations: it, tolerance: 0 })
    const b = fit.itemParameter!
    console.log(it, accuracyOf(fit.label, spam), Array.from(fit.annotatorParameter!.slice(0, 5), (x) => x.toFixed(2)).join(' '), Math.min(...b).toFixed(2), Math.max(...b).toFixed(2))
  }
})
