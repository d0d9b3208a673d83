import { beforeAll, describe, expect, it } from 'vitest'
import { encodeLabels } from '../../src/data/dataset.js'
import { type FeatureMatrix, selectRows } from '../../src/data/matrix.js'
import { type DriftSample, runDriftTests } from '../../src/drift/run-tests.js'
import {
  concatenateCorpora,
  selectDocuments,
  type TokenizedCorpus,
  tokenizeTexts,
} from '../../src/drift/tokens.js'
import { createRng, type Rng, shuffledIndices } from '../../src/util/rng.js'
import { pooledMnist, randomSplit, spamCorpus, spamRecords } from '../fixtures/datasets.js'

const ALPHA = 0.01
const BATCHES = 100

let texts: string[]
let labels: string[]
let corpus: TokenizedCorpus
beforeAll(() => {
  const records = spamRecords()
  texts = records.map((record) => record.text)
  labels = records.map((record) => record.label)
  corpus = spamCorpus()
})

function spamSide(rows: ArrayLike<number>, corpusOfRows: TokenizedCorpus, rowLabels?: string[]): DriftSample {
  return {
    rowCount: rows.length,
    featureNames: [],
    labels: encodeLabels('label', rowLabels ?? Array.from(rows, (row) => labels[row])),
    corpus: corpusOfRows,
    textColumn: 'text',
  }
}

/** `count` rows of `pool` whose spam share is `spamShare`, drawn without replacement. */
function drawWithSpamShare(pool: Int32Array, count: number, spamShare: number, rng: Rng): Int32Array {
  const spam = pool.filter((row) => labels[row] === 'spam')
  const ham = pool.filter((row) => labels[row] === 'ham')
  const spamCount = Math.round(count * spamShare)
  const pick = (rows: Int32Array, k: number) =>
    Array.from(shuffledIndices(rows.length, rng).subarray(0, k), (i) => rows[i])
  return Int32Array.from([...pick(spam, spamCount), ...pick(ham, count - spamCount)])
}

describe('power on built-in data', () => {
  it('a 10-point spam-prior shift of a 2,000-row batch is detected in ≥ 95% of batches', () => {
    const rng = createRng(11)
    let detected = 0
    for (let trial = 0; trial < BATCHES; trial++) {
      const split = randomSplit(corpus.documentCount, 3000, 0, rng)
      const inReference = new Set(split.reference)
      const pool = Int32Array.from({ length: corpus.documentCount }, (_, row) => row).filter(
        (row) => !inReference.has(row),
      )
      const referenceShare =
        split.reference.filter((row) => labels[row] === 'spam').length / split.reference.length
      const batch = drawWithSpamShare(pool, 2000, referenceShare + 0.1, rng)
      const tests = runDriftTests(
        spamSide(split.reference, selectDocuments(corpus, split.reference)),
        spamSide(batch, selectDocuments(corpus, batch)),
        { alpha: ALPHA, seed: trial, tokenDistribution: false },
      )
      if (tests.find((test) => test.test === 'label-prior')?.significant) detected++
    }
    console.log(`label-prior shift detected: ${detected} / ${BATCHES}`)
    expect(detected / BATCHES).toBeGreaterThanOrEqual(0.95)
  })

  it('a 5% flood of near-copies of one mail in a 2,000-row spam batch is detected in ≥ 95% of batches', () => {
    const rng = createRng(12)
    let detected = 0
    let bursts = 0
    for (let trial = 0; trial < BATCHES; trial++) {
      const split = randomSplit(corpus.documentCount, 3000, 2000, rng)
      const floodTexts: string[] = []
      const batchLabels = Array.from(split.batch, (row) => labels[row])
      const source = split.batch[rng.int(split.batch.length)]
      // Near-copies: the same mail with one word changed and a varying tag, so no two are identical.
      const words = texts[source].split(' ')
      for (let copy = 0; copy < 100; copy++) {
        const edited = [...words]
        edited[rng.int(edited.length)] = `w${rng.int(1e6)}`
        floodTexts.push(`${edited.join(' ')} ref${rng.int(1e9)}`)
        batchLabels[100 + copy] = labels[source]
      }
      // Rows 100–199 of the batch are replaced by the copies; only the copies need tokenising.
      const batchCorpus = concatenateCorpora([
        selectDocuments(corpus, split.batch.subarray(0, 100)),
        tokenizeTexts(floodTexts, corpus.vocabulary),
        selectDocuments(corpus, split.batch.subarray(200)),
      ])
      const tests = runDriftTests(
        spamSide(split.reference, selectDocuments(corpus, split.reference)),
        spamSide(split.batch, batchCorpus, batchLabels),
        { alpha: ALPHA, seed: trial, tokenDistribution: false },
      )
      if (tests.some((test) => test.significant)) detected++
      if (tests.find((test) => test.test === 'token-burst')?.significant) bursts++
    }
    console.log(`spam flood detected: ${detected} / ${BATCHES} (token bursts: ${bursts})`)
    expect(detected / BATCHES).toBeGreaterThanOrEqual(0.95)
  })

  it('a 5% flood of near-copies of one digit in a 2,000-row MNIST batch is detected in ≥ 95% of batches', () => {
    const { features, labels: digits } = pooledMnist()
    const rng = createRng(13)
    const featureNames = Array.from({ length: features.cols }, (_, col) => `p${col}`)
    let detected = 0
    let byMmd = 0
    const batches = 60
    for (let trial = 0; trial < batches; trial++) {
      const split = randomSplit(features.rows, 3000, 2000, rng)
      const batch: FeatureMatrix = selectRows(features, split.batch)
      const source = rng.int(batch.rows)
      // Near-copies: the digit with every pooled pixel jittered by ±5% (blank areas stay blank).
      for (let copy = 0; copy < 100; copy++) {
        const row = (source + 1 + copy) % batch.rows
        for (let col = 0; col < batch.cols; col++) {
          const value = batch.data[source * batch.cols + col] * (1 + 0.05 * rng.normal())
          batch.data[row * batch.cols + col] = Math.min(1, value)
        }
      }
      const side = (matrix: FeatureMatrix, rows: Int32Array): DriftSample => ({
        rowCount: matrix.rows,
        features: matrix,
        featureNames,
        labels: encodeLabels(
          'label',
          Array.from(rows, (row) => digits[row]),
        ),
      })
      const tests = runDriftTests(
        side(selectRows(features, split.reference), split.reference),
        side(batch, split.batch),
        {
          alpha: ALPHA,
          seed: trial,
          permutations: 100,
          mmdMaxRowsPerSide: 500,
        },
      )
      if (tests.some((test) => test.significant)) detected++
      if (tests.find((test) => test.test === 'mmd')?.significant) byMmd++
    }
    console.log(`MNIST flood detected: ${detected} / ${batches} (MMD: ${byMmd})`)
    expect(detected / batches).toBeGreaterThanOrEqual(0.95)
  })
})
