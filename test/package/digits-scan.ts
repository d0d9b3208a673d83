import { createPortableBackend, fromArrays, jsonWriter, scanDataset } from '../../src/core.js'

/*
 * The scan both sides of the browser test run: bundled into the page, and imported by Node. Only
 * `poisonguard/core` is used, so the page exercises exactly what a browser user gets.
 */

/** MNIST digits as plain data a page can receive: row-major pixels in [0,1] and one label per row. */
export interface DigitRows {
  readonly pixels: Float32Array
  readonly labels: readonly string[]
  readonly side: number
}

/** Scans the digits with the portable backend and a fixed seed, and returns the report JSON. */
export async function scanDigits(digits: DigitRows): Promise<string> {
  const rowCount = digits.labels.length
  const features = { data: digits.pixels, rows: rowCount, cols: digits.side * digits.side }
  const dataset = fromArrays(features, digits.labels, {
    ids: digits.labels.map((_, row) => `m${row}`),
    imageShape: { width: digits.side, height: digits.side },
    name: 'memory:mnist',
  })
  // The default clock and report time run too: the core may only use globals a browser has.
  const report = await scanDataset(dataset, { backend: createPortableBackend(), seed: 7 })
  return String(jsonWriter.render(report, {}))
}
