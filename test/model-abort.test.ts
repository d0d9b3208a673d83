import { existsSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Classifier,
  classifierFromNetwork,
  evaluateModel,
  PoisonguardError,
  scanForTriggers,
  scanModelTriggers,
  traceModel,
  trainMlp,
  trainModel,
} from '../src/index.js'
import { builtinDatasets } from '../src/io/builtin/index.js'
import { createRng } from '../src/util/rng.js'
import { useTemporaryFolder } from './fixtures/files.js'

const temporary = useTemporaryFolder()

/** The typed error a promise rejects with; any other outcome fails the test. */
async function abortCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(PoisonguardError)
  return (error as PoisonguardError).code
}

describe('aborting the model calls', () => {
  const data = temporary('digits.csv')
  const model = temporary('model.onnx')

  beforeAll(async () => {
    await builtinDatasets.mnist.write(data, { limit: 120 })
    await trainModel({ data, model: 'logreg', out: model, parameters: { epochs: 2 } })
  })

  it('fails train, evaluate, trace and trigger scans with ABORTED, writing nothing', async () => {
    const signal = AbortSignal.abort()
    const outs = ['trained.onnx', 'evaluation.json', 'trace.json', 'triggers.json'].map(temporary)
    const codes = [
      await abortCode(trainModel({ data, model: 'logreg', out: outs[0], signal })),
      await abortCode(
        evaluateModel({ candidate: model, reference: model, golden: data, out: outs[1], signal }),
      ),
      await abortCode(traceModel({ model, training: data, inputs: data, out: outs[2], signal })),
      await abortCode(scanModelTriggers({ model, clean: data, out: outs[3], signal })),
    ]
    expect(codes).toEqual(['ABORTED', 'ABORTED', 'ABORTED', 'ABORTED'])
    expect(outs.filter(existsSync)).toEqual([])
  })

  it('stops a trigger search between labels: no label is searched after the abort', async () => {
    // Four classes of 6 features around their own centres: a search per label of a small tabular model.
    const rng = createRng(5)
    const rowCount = 160
    const cols = 6
    const labels = Int32Array.from({ length: rowCount }, (_, row) => row % 4)
    const x = { data: new Float32Array(rowCount * cols), rows: rowCount, cols }
    for (let row = 0; row < rowCount; row++)
      for (let col = 0; col < cols; col++)
        x.data[row * cols + col] = (col % 4 === labels[row] ? 3 : 0) + rng.normal()
    const plain = classifierFromNetwork(trainMlp(x, labels, { epochs: 3, hiddenUnits: 8 }))
    /** Searches as a black box (no network to differentiate); counts the model's calls and may abort at the first. */
    const search = (controller?: AbortController) => {
      let calls = 0
      const blackBox: Classifier = {
        inputWidth: plain.inputWidth,
        classCount: plain.classCount,
        predict: (matrix) => {
          calls++
          controller?.abort()
          return plain.predict(matrix)
        },
        dispose: plain.dispose,
      }
      const run = scanForTriggers(
        { classifier: blackBox, x, labels, classNames: ['a', 'b', 'c', 'd'] },
        { signal: controller?.signal },
      )
      return { run, calls: () => calls }
    }
    const whole = search()
    const labelCount = (await whole.run).labels.length
    const aborted = search(new AbortController())
    expect(await abortCode(aborted.run)).toBe('ABORTED')
    // Every label costs the search about as many calls: one label's worth, not four.
    expect(labelCount).toBe(4)
    expect(aborted.calls()).toBeGreaterThan(0)
    expect(aborted.calls()).toBeLessThan((3 * whole.calls()) / labelCount)
  })
})
