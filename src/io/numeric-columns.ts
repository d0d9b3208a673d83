import type { ImputedColumn } from '../data/dataset.js'
import type { ImageShape } from '../data/image-shape.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { quoteNames } from './diagnostics.js'
import { type ColourColumns, readColourColumns } from './image-columns.js'
import { type CategoricalValues, KIND_NUMERIC, KIND_TEXT, type NumericTable } from './numeric-table.js'

const MIN_IMAGE_PIXELS = 64

/**
 * The dense feature matrix of a table, its column names, the image shape when the columns are pixels, and what was
 * left out or filled in on the way.
 */
export interface NumericColumns {
  readonly matrix?: FeatureMatrix
  readonly names: string[]
  readonly imageShape?: ImageShape
  /** Why columns named as colour pixels were read as a table; absent otherwise. */
  readonly notColourImage?: string
  readonly imputed: ReadonlyMap<string, ImputedColumn>
  readonly textColumns: string[]
  readonly emptyColumns: string[]
  readonly categoricalColumns: EncodedColumn[]
}

/** A text column read as categories: one 0/1 feature `<name>=<value>` per value, in `values` order. */
export interface EncodedColumn {
  readonly name: string
  readonly values: readonly string[]
}

/**
 * Keeps the numeric candidate columns, fills empty cells with their column mean, and recognises images: colour
 * images by their column names (see `readColourColumns`; the columns are put in interleaved order), square grey
 * images by their values (≥ 64 pixel columns, values within [0,255]).
 */
export function finishNumericColumns(table: NumericTable, encodeCategories: boolean): NumericColumns {
  const { kept, textColumns, emptyColumns, categorical } = chooseColumns(table, encodeCategories)
  table.issues.throwIfAny()
  const categoricalColumns = [...categorical].map(([column, { values }]) => ({
    name: table.names[column],
    values,
  }))
  if (kept.length === 0 && categorical.size === 0)
    return { names: [], imputed: new Map(), textColumns, emptyColumns, categoricalColumns }
  let data = gatherColumns(table, kept)
  let names = kept.map((column) => table.names[column])
  let missing: Int32Array = Int32Array.from(kept, (column) => table.missing[column])
  if (categorical.size > 0) ({ data, names, missing } = withOneHotColumns(table, kept, data, categorical))
  const colour = readColourColumns(names)
  if (colour && 'columns' in colour)
    ({ data, names, missing } = interleaved(data, names, missing, colour.columns))
  const cols = names.length
  const imputed = imputeMeans(data, cols, missing, names)
  const matrix = { data, rows: table.rowCount, cols }
  // One-hot columns are 0/1 like dark pixels; a table with categories is never an image.
  const imageShape =
    colour && 'columns' in colour
      ? colour.columns.shape
      : categorical.size === 0 && !colour
        ? imageShapeOf(data, names)
        : undefined
  const notColourImage = colour && 'problem' in colour ? colour.problem : undefined
  return {
    matrix,
    names,
    imageShape,
    ...(notColourImage ? { notColourImage } : {}),
    imputed,
    textColumns,
    emptyColumns,
    categoricalColumns,
  }
}

/** The columns in the interleaved order of a colour image (a copy only when the file held them otherwise). */
function interleaved(data: Float32Array, names: string[], missing: Int32Array, { order }: ColourColumns) {
  if (order.every((column, index) => column === index)) return { data, names, missing }
  const cols = order.length
  const rows = data.length / cols
  const out = new Float32Array(data.length)
  for (let row = 0; row < rows; row++) {
    const offset = row * cols
    for (let col = 0; col < cols; col++) out[offset + col] = data[offset + order[col]]
  }
  return {
    data: out,
    names: Array.from(order, (column) => names[column]),
    missing: Int32Array.from(order, (column) => missing[column]),
  }
}

/**
 * The numeric columns with each categorical column's one-hot group put where the column was in the file, so
 * `features/tabular.ts` reads the group back as one variable. An empty cell is all zeros, not imputed.
 */
function withOneHotColumns(
  table: NumericTable,
  kept: number[],
  numeric: Float32Array,
  categorical: Map<number, CategoricalValues>,
) {
  const sources: { column: number; keptIndex: number; value: number }[] = []
  let keptIndex = 0
  for (let column = 0; column < table.width; column++) {
    if (kept[keptIndex] === column) sources.push({ column, keptIndex: keptIndex++, value: -1 })
    const group = categorical.get(column)
    for (let value = 0; value < (group?.values.length ?? 0); value++)
      sources.push({ column, keptIndex: -1, value })
  }
  const names = sources.map(({ column, keptIndex, value }) =>
    keptIndex >= 0 ? table.names[column] : `${table.names[column]}=${categorical.get(column)!.values[value]}`,
  )
  const missing = Int32Array.from(sources, ({ column, keptIndex }) =>
    keptIndex >= 0 ? table.missing[column] : 0,
  )
  const rows = table.rowCount
  const cols = sources.length
  const keptCols = kept.length
  const data = new Float32Array(rows * cols)
  sources.forEach(({ column, keptIndex, value }, col) => {
    if (keptIndex >= 0)
      for (let row = 0; row < rows; row++) data[row * cols + col] = numeric[row * keptCols + keptIndex]
    else {
      const { codes } = categorical.get(column)!
      for (let row = 0; row < rows; row++) if (codes[row] === value) data[row * cols + col] = 1
    }
  })
  return { data, names, missing }
}

/**
 * Copies the kept columns out of the table blocks into one dense row-major matrix. Cells a block lacks are empty
 * (NaN, counted in `missing`): the rows before the first column was found, and in a block narrower than the table,
 * the columns found after it.
 */
function gatherColumns(table: NumericTable, kept: number[]): Float32Array {
  const { rowCount, blocks, blockWidths, blockStarts } = table
  const cols = kept.length
  const data = new Float32Array(rowCount * cols)
  data.fill(Number.NaN, 0, (blockStarts[0] ?? rowCount) * cols)
  blocks.forEach((block, index) => {
    const width = blockWidths[index]
    const firstRow = blockStarts[index]
    const rows = Math.min(block.length / width, rowCount - firstRow)
    if (cols === width && cols === table.width) data.set(block.subarray(0, rows * width), firstRow * width)
    else
      for (let row = 0; row < rows; row++) {
        const source = row * width
        const target = (firstRow + row) * cols
        for (let col = 0; col < cols; col++)
          data[target + col] = kept[col] < width ? block[source + kept[col]] : Number.NaN
      }
  })
  return data
}

/**
 * A square grayscale image when there are ≥ 64 columns, a square number of them, all values within [0,255], and
 * either columns named as pixels (`pixel0`, `pixel_1`, …) or neighbouring pixels alike (see
 * `pixelsNeighbourAlike`): 256 items bought or not, or any other table of a square number of small counts, is not
 * a picture.
 */
function imageShapeOf(
  data: Float32Array,
  names: readonly string[],
): { width: number; height: number } | undefined {
  const cols = names.length
  const side = Math.round(Math.sqrt(cols))
  if (cols < MIN_IMAGE_PIXELS || side * side !== cols) return undefined
  for (let index = 0; index < data.length; index++) {
    const value = data[index]
    if (!(value >= 0 && value <= 255)) return undefined
  }
  const namedAsPixels = names.every((name) => /^pixel_?\d+$/i.test(name))
  return namedAsPixels || pixelsNeighbourAlike(data, side) ? { width: side, height: side } : undefined
}

/** Rows read to tell whether neighbouring columns are alike as neighbouring pixels are. */
const NEIGHBOUR_SAMPLE_ROWS = 1000

/**
 * Share of the squared difference between pixels half an image apart that neighbouring pixels may reach on either
 * axis. Measured: 0.17 on MNIST digits, 0.21–0.43 on the 8×8 digits, 0.32–0.56 on them cut to 0/1, 0.11 on drawn
 * shapes at 64×64; 1.00 on 256 independent 0/1 items.
 */
const NEIGHBOUR_LIKENESS = 0.75

/**
 * Whether the pixels of a `side × side` image are more alike to their right and lower neighbours than to the pixel
 * half an image away on both axes, on an even sample of rows. Images are smooth; columns of independent measures are
 * as unlike their neighbours as any other column.
 */
function pixelsNeighbourAlike(data: Float32Array, side: number): boolean {
  const cols = side * side
  const rows = data.length / cols
  const step = Math.max(1, Math.floor(rows / NEIGHBOUR_SAMPLE_ROWS))
  const far = side * (side >> 1) + (side >> 1)
  let across = 0
  let down = 0
  let apart = 0
  for (let row = 0; row < rows; row += step) {
    const at = row * cols
    for (let pixel = 0; pixel < cols; pixel++) {
      const value = data[at + pixel]
      if (pixel % side < side - 1) across += (value - data[at + pixel + 1]) ** 2
      if (pixel < cols - side) down += (value - data[at + pixel + side]) ** 2
      apart += (value - data[at + ((pixel + far) % cols)]) ** 2
    }
  }
  // Per pair: each axis has side − 1 neighbour pairs a line, the far comparison one a pixel.
  const pairsPerAxis = side * (side - 1)
  const apartPerPair = apart / cols
  // Images of one flat value each say nothing against being images.
  if (apartPerPair === 0) return true
  return (
    across / pairsPerAxis < NEIGHBOUR_LIKENESS * apartPerPair &&
    down / pairsPerAxis < NEIGHBOUR_LIKENESS * apartPerPair
  )
}

function chooseColumns(table: NumericTable, encodeCategories: boolean) {
  table.resolveKinds()
  const kept: number[] = []
  const textColumns: string[] = []
  const emptyColumns: string[] = []
  const categorical = new Map<number, CategoricalValues>()
  for (let column = 0; column < table.width; column++) {
    const kind = table.kinds[column]
    if (kind === KIND_NUMERIC) kept.push(column)
    else if (kind === KIND_TEXT) {
      const values = encodeCategories ? table.categoricalValues(column) : undefined
      if (values) categorical.set(column, values)
      else textColumns.push(table.names[column])
    } else emptyColumns.push(table.names[column])
  }
  if (emptyColumns.length > 0 && table.explicit) {
    throw PoisonguardError.at(
      'INVALID_VALUE',
      { file: table.file, column: emptyColumns[0] },
      `feature column${emptyColumns.length > 1 ? 's' : ''} ${quoteNames(emptyColumns)} ha${emptyColumns.length > 1 ? 've' : 's'} no values`,
      'fill the column or leave it out of --features',
    )
  }
  return { kept, textColumns, emptyColumns, categorical }
}

/** Fills the empty (NaN) cells of each column with the mean of its other cells. */
function imputeMeans(
  data: Float32Array,
  cols: number,
  missing: Int32Array,
  names: string[],
): Map<string, ImputedColumn> {
  const rowCount = data.length / cols
  const imputed = new Map<string, ImputedColumn>()
  for (let col = 0; col < cols; col++) {
    if (missing[col] === 0) continue
    let sum = 0
    for (let index = col; index < data.length; index += cols)
      if (!Number.isNaN(data[index])) sum += data[index]
    const mean = sum / (rowCount - missing[col])
    for (let index = col; index < data.length; index += cols)
      if (Number.isNaN(data[index])) data[index] = mean
    imputed.set(names[col], { cellCount: missing[col], mean })
  }
  return imputed
}
