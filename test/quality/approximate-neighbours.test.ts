import { writeFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import type { FeatureMatrix } from '../../src/data/matrix.js'
import { searchNeighbourGraph } from '../../src/linalg/ann/search.js'
import type { LinalgBackend, NeighbourGraph } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { prepareRepresentation } from '../../src/scan/representation.js'
import { type ScanOptions, scanDataset } from '../../src/scan/scan.js'
import { scanFile } from '../../src/workflows/scan-file.js'
import { inMemoryDataset, mnistDataset, spamRecords } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { flipLabels, plantPatchBackdoor, rankingOf } from '../fixtures/poison.js'

/*
 * The inverted-file neighbour graph against the exact one: its recall on digits and on a table, the recall the scan
 * reports against the recall over every row, and the ranking of planted poison with either graph.
 */
let backend: LinalgBackend
beforeAll(async () => {
  backend = await createDefaultBackend()
})

/**
 * Recall@10 over every row: the share of each row's exact 10 nearest that the graph holds, ties (equal up to float32
 * rounding) counted as found.
 */
function fullRecall(approximate: NeighbourGraph, exact: NeighbourGraph, at = 10): number {
  let found = 0
  for (let row = 0; row < exact.rows; row++) {
    const limit = exact.distances[row * exact.k + at - 1]
    for (let rank = 0; rank < at; rank++)
      if (approximate.distances[row * approximate.k + rank] <= limit * (1 + 1e-3) + 1e-9) found++
  }
  return found / (at * exact.rows)
}

/**
 * Numeric statistics of every SpamAssassin mail: a real table whose columns differ in kind and scale (counts,
 * shares, lengths), shaped as the loaders shape a CSV.
 */
function mailStatistics(): Dataset {
  const mails = spamRecords()
  const columns = ['chars', 'words', 'lines', 'upper', 'digits', 'bangs', 'dollars', 'links', 'wordLength']
  const data = new Float32Array(mails.length * columns.length)
  mails.forEach((mail, row) => {
    const text = mail.text
    const words = text.split(/\s+/).filter(Boolean)
    const share = (pattern: RegExp) => (text.match(pattern)?.length ?? 0) / Math.max(text.length, 1)
    const values = [
      text.length,
      words.length,
      text.split('\n').length,
      share(/[A-Z]/g),
      share(/[0-9]/g),
      text.match(/!/g)?.length ?? 0,
      text.match(/\$/g)?.length ?? 0,
      text.match(/https?:/g)?.length ?? 0,
      words.reduce((sum, word) => sum + word.length, 0) / Math.max(words.length, 1),
    ]
    data.set(values, row * columns.length)
  })
  return inMemoryDataset({
    features: { data, rows: mails.length, cols: columns.length },
    featureNames: columns,
    labels: mails.map((mail) => mail.label),
  })
}

async function geometryOf(
  dataset: Dataset,
): Promise<{ geometry: FeatureMatrix; metric: 'euclidean' | 'cosine' }> {
  const representation = await prepareRepresentation(dataset, { backend, seed: 0, geometryDimensions: 64 })
  return representation!
}

describe.each([
  { name: 'MNIST digits (PCA to 64)', load: () => mnistDataset(6000) },
  { name: 'mail statistics (a 9-column table)', load: mailStatistics },
])('approximate neighbours on $name', ({ load }) => {
  it('find at least 95% of the exact 10 nearest, and the sampled recall it reports is within 0.03 of the full one', async () => {
    const { geometry, metric } = await geometryOf(load())
    const exact = await backend.knn(geometry, geometry, 50, { metric, excludeSelf: true })
    const { graph, summary } = await searchNeighbourGraph(backend, geometry, 50, metric, {
      method: 'approximate',
      seed: 0,
    })
    expect(summary).toMatchObject({ method: 'ivf', k: 50, recallAt: 10, recallSample: 1000 })
    const recall = fullRecall(graph, exact)
    expect(recall).toBeGreaterThanOrEqual(0.95)
    expect(Math.abs(summary.recall! - recall)).toBeLessThanOrEqual(0.03)
    // Every neighbour is a real, distinct other row, with the exact distance the exact search gives it.
    for (let row = 0; row < graph.rows; row += 97) {
      const neighbours = graph.indices.subarray(row * 50, row * 50 + 50)
      expect(new Set(neighbours).size).toBe(50)
      expect(neighbours).not.toContain(row)
      const nearest = exact.distances[row * 50]
      expect(Math.abs(graph.distances[row * 50] - nearest)).toBeLessThanOrEqual(1e-3 * Math.max(1, nearest))
    }
  })
})

describe('planted poison ranked on the approximate graph', () => {
  const digits = mnistDataset(2000)
  const labelDetectors: ScanOptions['detectors'] = ['label-issues', 'knn-label-consistency', 'targeted-flip']
  const scanBoth = async (dataset: Dataset, detectors: ScanOptions['detectors']) => {
    const exact = await scanDataset(dataset, { backend, detectors, neighbourSearch: { method: 'exact' } })
    const approximate = await scanDataset(dataset, {
      backend,
      detectors,
      neighbourSearch: { method: 'approximate' },
    })
    return { exact, approximate }
  }

  it('ranks 10% label flips within 0.01 average precision of the exact graph', async () => {
    const planted = flipLabels(digits, 0.1, 1)
    const { exact, approximate } = await scanBoth(planted.dataset, labelDetectors)
    expect(exact.analyses?.neighbours?.method).toBe('exact')
    expect(approximate.analyses?.neighbours).toMatchObject({ method: 'ivf', k: 50 })
    expect(rankingOf(exact, planted.flipped)).toBeGreaterThan(0.8)
    expect(
      Math.abs(rankingOf(approximate, planted.flipped) - rankingOf(exact, planted.flipped)),
    ).toBeLessThanOrEqual(0.01)
  })

  it('ranks a 3×3 patch backdoor on 3% of the digits within 0.01 average precision of the exact graph', async () => {
    const planted = plantPatchBackdoor(digits, { rate: 0.03, target: 0 })
    const { exact, approximate } = await scanBoth(planted.dataset, [
      'trigger-mining',
      'near-duplicates',
      'outliers',
    ])
    expect(rankingOf(exact, planted.poisoned)).toBeGreaterThan(0.8)
    expect(
      Math.abs(rankingOf(approximate, planted.poisoned) - rankingOf(exact, planted.poisoned)),
    ).toBeLessThanOrEqual(0.01)
  })
})

describe('choosing the search', () => {
  it('searches exactly below the threshold and approximately from it on', async () => {
    const { geometry, metric } = await geometryOf(mnistDataset(400))
    const below = await searchNeighbourGraph(backend, geometry, 10, metric, { approximateFrom: 401, seed: 0 })
    const from = await searchNeighbourGraph(backend, geometry, 10, metric, { approximateFrom: 400, seed: 0 })
    expect(below.summary).toEqual({ method: 'exact', k: 10 })
    expect(from.summary.method).toBe('ivf')
  })

  it('rejects an unknown method and a threshold that is not a positive integer, naming both', async () => {
    const scan = scanDataset(mnistDataset(50), {
      backend,
      detectors: ['outliers'],
      neighbourSearch: { method: 'nearest' as never, approximateFrom: 0 },
    })
    await expect(scan).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        'invalid neighbour search: neighbour method "nearest" is unknown; use one of auto, exact, approximate; approximateFrom must be a positive integer, got 0',
    })
  })
})

describe('--max-rows', () => {
  const temporary = useTemporaryFolder()
  const writeTable = () => {
    const path = temporary('table.csv')
    const rows = Array.from({ length: 300 }, (_, row) => `r${row},${row % 17},${row % 5},${row % 2}`)
    writeFileSync(path, `${['id,x,y,label', ...rows].join('\n')}\n`)
    return path
  }

  it('scans a seeded sample in input order and says so in the report', async () => {
    const path = writeTable()
    const result = await scanFile(path, { backend, maxRows: 120, seed: 3, detectors: ['outliers'] })
    if (result.status !== 'scanned') throw new Error('expected a scan')
    expect(result.report.dataset.sample).toEqual({ rows: 120, totalRows: 300, seed: 3 })
    const rows = result.report.records.map((record) => Number(record.id.slice(1)))
    expect(rows).toHaveLength(120)
    expect(rows).toEqual([...rows].sort((a, b) => a - b))
    const again = await scanFile(path, { backend, maxRows: 120, seed: 3, detectors: ['outliers'] })
    if (again.status !== 'scanned') throw new Error('expected a scan')
    expect(again.report.records.map((record) => record.id)).toEqual(
      result.report.records.map((record) => record.id),
    )
  })
})
