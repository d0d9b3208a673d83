import { beforeAll, describe, expect, it } from 'vitest'
import { encodeLabels } from '../../src/data/dataset.js'
import { selectRows } from '../../src/data/matrix.js'
import { mmdTest } from '../../src/drift/mmd.js'
import { type DriftSample, runDriftTests } from '../../src/drift/run-tests.js'
import { selectDocuments, type TokenizedCorpus } from '../../src/drift/tokens.js'
import { createRng } from '../../src/util/rng.js'
import { pooledMnist, randomSplit, spamCorpus, spamRecords } from '../fixtures/datasets.js'

const ALPHA = 0.01
const TOLERANCE = 0.02

let corpus: TokenizedCorpus
let spamLabels: string[]
beforeAll(() => {
  corpus = spamCorpus()
  spamLabels = spamRecords().map((record) => record.label)
})

function spamSample(
  rows: Int32Array,
  labels = Array.from(rows, (row) => spamLabels[row]),
  texts?: TokenizedCorpus,
): DriftSample {
  return {
    rowCount: rows.length,
    featureNames: [],
    labels: encodeLabels('label', labels),
    corpus: texts ?? selectDocuments(corpus, rows),
    textColumn: 'text',
  }
}

describe('calibration under no shift (200 random splits of built-in data)', () => {
  it(`spam, 4,000 reference vs 2,000 batch rows: labels, token bursts and token mix alarm at most α + ${TOLERANCE}`, () => {
    const rng = createRng(1)
    let alarms = 0
    const batches = 200
    for (let trial = 0; trial < batches; trial++) {
      const split = randomSplit(corpus.documentCount, 4000, 2000, rng)
      const tests = runDriftTests(spamSample(split.reference), spamSample(split.batch), {
        alpha: ALPHA,
        seed: trial,
        // Permutation p-values are valid for any number of permutations; fewer keep 200 checks fast.
        permutations: 50,
        mmd: false,
      })
      if (tests.some((test) => test.significant)) alarms++
    }
    console.log(`spam false alarms: ${alarms} / ${batches}`)
    expect(alarms / batches).toBeLessThanOrEqual(ALPHA + TOLERANCE)
  })

  it(`MNIST pooled to 7 × 7, 3,000 vs 1,500 rows: 49 KS tests and the label prior alarm at most α + ${TOLERANCE}`, () => {
    const { features, labels } = pooledMnist()
    const rng = createRng(2)
    let alarms = 0
    const batches = 200
    for (let trial = 0; trial < batches; trial++) {
      const split = randomSplit(features.rows, 3000, 1500, rng)
      const side = (rows: Int32Array): DriftSample => ({
        rowCount: rows.length,
        features: selectRows(features, rows),
        featureNames: Array.from({ length: features.cols }, (_, col) => `p${col}`),
        labels: encodeLabels(
          'label',
          Array.from(rows, (row) => labels[row]),
        ),
      })
      const tests = runDriftTests(side(split.reference), side(split.batch), {
        alpha: ALPHA,
        seed: trial,
        mmd: false,
      })
      if (tests.some((test) => test.significant)) alarms++
    }
    console.log(`MNIST false alarms: ${alarms} / ${batches}`)
    expect(alarms / batches).toBeLessThanOrEqual(ALPHA + TOLERANCE)
  })

  it(`MMD, 200 vs 200 MNIST rows, 100 permutations: alarms at most α + ${TOLERANCE}, p-values spread over [0,1]`, () => {
    const { features } = pooledMnist()
    const rng = createRng(3)
    let alarms = 0
    let belowTenth = 0
    const batches = 200
    for (let trial = 0; trial < batches; trial++) {
      const split = randomSplit(features.rows, 200, 200, rng)
      const result = mmdTest(selectRows(features, split.reference), selectRows(features, split.batch), {
        rng: createRng(trial),
        permutations: 100,
      })
      if (result.pValue <= ALPHA) alarms++
      if (result.pValue <= 0.1) belowTenth++
    }
    console.log(`MMD false alarms: ${alarms} / ${batches}, p ≤ 0.1: ${belowTenth}`)
    expect(alarms / batches).toBeLessThanOrEqual(ALPHA + TOLERANCE)
    // Uniform p-values put 20 of 200 below 0.1; a test that never rejects would put none there.
    expect(belowTenth).toBeGreaterThanOrEqual(8)
    expect(belowTenth).toBeLessThanOrEqual(34)
  })
})
