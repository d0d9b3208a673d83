import { applyAttack } from '../../src/attacks/registry.js'
import { type Dataset, encodeLabels } from '../../src/data/dataset.js'
import { flipLabels } from '../fixtures/poison.js'
import { zooDataset } from '../fixtures/zoo.js'

/*
 * Batches for the intake tests: 8×8 digits (real MNIST, downsampled) as CSV with `id`, `label` and 64 pixel
 * columns. The reference and each batch are disjoint slices, so a clean batch is new data from the same source.
 */

function slice(dataset: Dataset, from: number, count: number): Dataset {
  const cols = dataset.features!.cols
  const labels = dataset.labels!
  const codes = Array.from(labels.codes.subarray(from, from + count))
  return {
    ...dataset,
    rowCount: count,
    ids: dataset.ids.slice(from, from + count),
    labels: encodeLabels(
      labels.name,
      codes.map((code) => labels.classes[code]),
    ),
    features: { data: dataset.features!.data.slice(from * cols, (from + count) * cols), rows: count, cols },
  }
}

/** A dataset as CSV text: `id,label,p0,…` with the pixel values times `scale` as integers. */
export function toCsv(dataset: Dataset, scale = 1): string {
  const { cols, data } = dataset.features!
  const lines = [['id', 'label', ...dataset.featureNames].join(',')]
  for (let row = 0; row < dataset.rowCount; row++) {
    const label = dataset.labels!.classes[dataset.labels!.codes[row]]
    const pixels = Array.from(data.subarray(row * cols, (row + 1) * cols), (value) =>
      String(Math.round(value * scale)),
    )
    lines.push([dataset.ids[row], label, ...pixels].join(','))
  }
  return `${lines.join('\n')}\n`
}

/** Digits `from` to `from + count` of the 8×8 zoo set. */
export function digits(from: number, count: number): Dataset {
  return slice(zooDataset('digits-8'), from, count)
}

/** The trusted reference every intake test starts from: 400 digits. */
export function referenceCsv(): string {
  return toCsv(digits(0, 400))
}

/** A clean batch of new digits. */
export function cleanBatchCsv(from = 400, count = 60): string {
  return toCsv(digits(from, count))
}

/** A batch with a third of its labels flipped to another class. */
export function flippedBatchCsv(from = 460, count = 60): string {
  return toCsv(flipLabels(digits(from, count), 1 / 3, 7).dataset)
}

/** A batch where a quarter of the digits carry a bright corner patch and the label 0. */
export function backdoorBatchCsv(from = 520, count = 60): string {
  const run = applyAttack('backdoor-patch', digits(from, count), { rate: 0.25, target: '0', size: 2 }, 3)
  return toCsv(run.dataset)
}
