import { IssueList, MAX_LISTED_ISSUES } from './issues.js'
import { parseNumberText } from './numbers.js'

/** Column kind before the whole column is read, and of a column with no values. */
export const KIND_UNKNOWN = 0
/** Most non-empty values are numbers: a feature, and every other value is an error. */
export const KIND_NUMERIC = 1
/** Most non-empty values are text: the column is not a feature, unless it is categorical. */
export const KIND_TEXT = 2

/**
 * Most distinct texts a column may hold and still be read as categories (one-hot encoded); past it the column is
 * free text. A column must also hold fewer distinct texts than half its rows, or every value would be near unique.
 */
export const MAX_CATEGORIES = 50

/** A text column's distinct values, sorted, and the code of each non-empty cell (-1 for an empty cell). */
export interface CategoricalValues {
  readonly values: string[]
  readonly codes: Int32Array
}

const FEATURES_HINT =
  'fix the value, or choose the feature columns yourself with --features (the `features` load option)'

/** Values per block at most: big enough to amortise allocation, small enough not to over-allocate much. */
const BLOCK_VALUES = 1 << 20
/**
 * Values of the first block; each next block doubles up to `BLOCK_VALUES`. A small file then zero-fills kilobytes
 * rather than 4 MB, which was most of the cost of loading one.
 */
const FIRST_BLOCK_VALUES = 1 << 12

/**
 * Candidate feature columns parsed straight into row-major float32 blocks; rows are appended block by block so
 * growing never copies. Every cell of a row is set: a number, or NaN for an empty cell, counted per column (real
 * NaN values are rejected), so imputation only touches columns that need it. A column found after the first rows
 * (a JSON Lines key that first shows up late) starts a wider block; the rows before it count as empty there.
 */
export class NumericTable {
  /** The block holding the current row; `addRow` returns the row's offset in it. */
  values: Float32Array = new Float32Array(0)
  readonly blocks: Float32Array[] = []
  /** Columns per row of each block (the table's width when the block was started), and its first row. */
  readonly blockWidths: number[] = []
  readonly blockStarts: number[] = []
  /** Rows the current block holds, and the row it starts at. */
  private blockRows = 0
  private blockStart = 0
  /** Blocks started because the one before was full; sets the next block's size. */
  private filledBlocks = 0
  rowCount = 0
  width: number
  readonly names: string[]
  kinds: Uint8Array
  /** Empty cells per column. */
  missing: Int32Array
  readonly issues = new IssueList('INVALID_VALUE', FEATURES_HINT)
  /** Numeric cells per column. */
  numberCounts: Int32Array
  /** Cells per column that are neither empty nor a number. */
  private textCounts: Int32Array
  /** The first text cells of each column, kept to name them if the column turns out numeric. */
  private readonly textCells: TextCell[][]
  /**
   * Per column, the distinct texts interned so far and the rows and codes of its text cells; undefined once the
   * column holds more than `MAX_CATEGORIES` distinct texts.
   */
  private readonly categories: (Interned | undefined)[]

  constructor(
    names: readonly string[],
    readonly explicit: boolean,
    readonly file: string,
  ) {
    this.names = [...names]
    this.width = names.length
    this.kinds = new Uint8Array(this.width)
    this.missing = new Int32Array(this.width)
    this.numberCounts = new Int32Array(this.width)
    this.textCounts = new Int32Array(this.width)
    this.textCells = Array.from({ length: this.width }, () => [])
    this.categories = Array.from({ length: this.width }, () => this.newInterned())
  }

  private newInterned(): Interned {
    return { codes: new Map(), rows: [], rowCodes: [] }
  }

  /** Starts a row and returns the offset of its first cell in `values`. */
  addRow(): number {
    const offset = this.nextRowOffset()
    this.rowCount++
    return offset
  }

  /**
   * Makes room for the row `addRow` starts next and returns the offset its first cell will have in `values`, so a
   * reader can fill the row while it is still finding out whether the record is whole.
   */
  nextRowOffset(): number {
    const rowInBlock = this.rowCount - this.blockStart
    if (rowInBlock < this.blockRows || this.width === 0) return rowInBlock * this.width
    if (this.blocks.length > 0) this.filledBlocks++
    this.startBlock()
    return 0
  }

  /**
   * Adds a column between rows and returns its index; every row read so far is empty in it. The current block is
   * cut to the rows it holds, so the next row starts a block of the new width.
   */
  addColumn(name: string): number {
    const column = this.width
    const used = this.rowCount - this.blockStart
    const last = this.blocks.length - 1
    if (last >= 0 && used < this.blockRows) {
      // A copy, not a view: a view would keep the whole unused block alive.
      if (used === 0) {
        this.blocks.pop()
        this.blockWidths.pop()
        this.blockStarts.pop()
      } else this.blocks[last] = this.blocks[last].slice(0, used * this.width)
    }
    this.blockRows = 0
    this.blockStart = this.rowCount
    this.names.push(name)
    this.width++
    this.kinds = grown(this.kinds, this.width)
    this.missing = grown(this.missing, this.width)
    this.missing[column] = this.rowCount
    this.numberCounts = grown(this.numberCounts, this.width)
    this.textCounts = grown(this.textCounts, this.width)
    this.textCells.push([])
    this.categories.push(this.newInterned())
    return column
  }

  private startBlock(): void {
    const blockValues = Math.min(BLOCK_VALUES, FIRST_BLOCK_VALUES * 2 ** this.filledBlocks)
    this.blockRows = Math.max(1, Math.floor(blockValues / this.width))
    this.blockStart = this.rowCount
    this.values = new Float32Array(this.blockRows * this.width)
    this.blocks.push(this.values)
    this.blockWidths.push(this.width)
    this.blockStarts.push(this.rowCount)
  }

  /** Offset of a cell of the current row in `values`. */
  private cell(row: number, column: number): number {
    return (row - this.blockStart) * this.width + column
  }

  /** Marks a cell of the current row empty. */
  setMissing(row: number, column: number): void {
    this.values[this.cell(row, column)] = Number.NaN
    this.missing[column]++
  }

  /** Sets a cell of the current row from a JavaScript number (JSON Lines, Parquet); non-finite numbers are reported. */
  setNumber(row: number, column: number, value: number, line?: number): void {
    if (Number.isFinite(value)) {
      this.values[this.cell(row, column)] = value
      this.numberCounts[column]++
    } else this.reportNonFinite(row, column, String(value), line)
  }

  /** Sets a cell of the current row from text that the fast byte parser could not read: spaces, long numbers, NaN, or words. */
  setText(row: number, column: number, raw: string, line?: number): void {
    const text = raw.trim()
    const reading = text === '' ? undefined : parseNumberText(text)
    if (reading === undefined) this.setMissing(row, column)
    else if (reading.kind === 'number') this.setNumber(row, column, reading.value, line)
    else if (reading.kind === 'non-finite') this.reportNonFinite(row, column, text, line)
    else {
      this.values[this.cell(row, column)] = Number.NaN
      if (this.textCells[column].length < MAX_LISTED_ISSUES) this.textCells[column].push({ row, line, text })
      this.textCounts[column]++
      this.intern(row, column, text)
    }
  }

  private intern(row: number, column: number, text: string): void {
    const interned = this.categories[column]
    if (!interned) return
    let code = interned.codes.get(text)
    if (code === undefined) {
      if (interned.codes.size === MAX_CATEGORIES) {
        this.categories[column] = undefined
        return
      }
      code = interned.codes.size
      interned.codes.set(text, code)
    }
    interned.rows.push(row)
    interned.rowCodes.push(code)
  }

  /**
   * The categories of a text column (after `resolveKinds`), or undefined when it is free text: too many distinct
   * values, or numbers among its texts that are not categories too (see `isCategorical`), or the same text in every
   * row. Numbers of a categorical column are categories named as written in short form (`2`, `0.5`).
   */
  categoricalValues(column: number): CategoricalValues | undefined {
    if (this.kinds[column] !== KIND_TEXT) return undefined
    const numbers = this.distinctNumbers(column)
    if (!numbers || !this.isCategorical(column, numbers)) return undefined
    const interned = this.categories[column]!
    const texts = [...interned.codes.keys()]
    const numberTexts = [...numbers.keys()].map(numberText)
    const values = [...texts, ...numberTexts].sort()
    const sorted = new Map(values.map((value, index) => [value, index]))
    const textCode = Int32Array.from(texts, (text) => sorted.get(text)!)
    const numberCode = new Map(
      [...numbers.keys()].map((value, index) => [value, sorted.get(numberTexts[index])!]),
    )
    const codes = new Int32Array(this.rowCount).fill(-1)
    this.forEachNumber(column, (row, value) => {
      codes[row] = numberCode.get(value)!
    })
    interned.rows.forEach((row, index) => {
      codes[row] = textCode[interned.rowCodes[index]]
    })
    return { values, codes }
  }

  /**
   * A column one-hot columns can hold: few distinct values, and not the same value in every row. Its values are
   * words, or words and numbers where each value is a category of its own, held by at least two rows and 1% of the
   * column's values (doors `2`, `3`, `4`, `5more`): a word in a few cells of a numeric column is a mistake to
   * report, and a few numbers among words are left out with the words.
   */
  private isCategorical(column: number, numbers: ReadonlyMap<number, number> | undefined): boolean {
    const interned = this.categories[column]
    if (!interned || !numbers) return false
    const distinct = interned.codes.size + numbers.size
    if (distinct > MAX_CATEGORIES || distinct * 2 >= this.rowCount) return false
    if (numbers.size > 0) {
      const counts = new Int32Array(interned.codes.size)
      for (const code of interned.rowCodes) counts[code]++
      const least = Math.max(2, 0.01 * (this.numberCounts[column] + this.textCounts[column]))
      if (counts.some((count) => count < least) || [...numbers.values()].some((count) => count < least))
        return false
    }
    // One value in every row says nothing; one value in some rows says which rows have it.
    return !(distinct === 1 && this.missing[column] === 0)
  }

  /**
   * The distinct numbers of a column and how many cells hold each, or undefined past `MAX_CATEGORIES`. Read
   * back from the blocks, and only for columns that hold words too, so a numeric column costs nothing.
   */
  private distinctNumbers(column: number): Map<number, number> | undefined {
    const numbers = new Map<number, number>()
    if (this.numberCounts[column] === 0) return numbers
    let many = false
    this.forEachNumber(column, (_, value) => {
      if (numbers.size > MAX_CATEGORIES) many = true
      else numbers.set(value, (numbers.get(value) ?? 0) + 1)
    })
    return many ? undefined : numbers
  }

  /** Calls `visit` with every number of a column (empty and text cells are NaN in the blocks and are skipped). */
  private forEachNumber(column: number, visit: (row: number, value: number) => void): void {
    this.blocks.forEach((block, index) => {
      const width = this.blockWidths[index]
      if (column >= width) return
      const firstRow = this.blockStarts[index]
      const rows = Math.min(block.length / width, this.rowCount - firstRow)
      for (let row = 0; row < rows; row++) {
        const value = block[row * width + column]
        if (!Number.isNaN(value)) visit(firstRow + row, value)
      }
    })
  }

  /**
   * Decides each column's kind from all its values, never from its first one: a column of few words and numbers
   * that are each a category is categorical; otherwise a column is numeric when most of its non-empty values are
   * numbers (a tie counts as numeric), and then every other value is an issue. A column chosen as a feature is
   * numeric unless it is categorical: free text or another mix of numbers and words is an error there, not a
   * column left out.
   */
  resolveKinds(): void {
    for (let column = 0; column < this.width; column++) {
      const numbers = this.numberCounts[column]
      const texts = this.textCounts[column]
      if (numbers + texts === 0) continue
      const categorical = texts > 0 && this.isCategorical(column, this.distinctNumbers(column))
      const numeric = texts === 0 || (!categorical && (this.explicit || numbers >= texts))
      this.kinds[column] = numeric ? KIND_NUMERIC : KIND_TEXT
      if (numeric && texts > 0) this.reportText(column, numbers, texts)
    }
  }

  private reportNonFinite(row: number, column: number, text: string, line?: number): void {
    this.values[this.cell(row, column)] = Number.NaN
    this.numberCounts[column]++
    this.issues.add(
      { file: this.file, line, row: row + 1, column: this.names[column] },
      `${JSON.stringify(text)} is not a finite number; feature values must be finite (leave the cell empty to impute the column mean)`,
    )
  }

  private reportText(column: number, numbers: number, texts: number): void {
    const why = !this.explicit
      ? `${numbers} of the column's ${numbers + texts} values are numbers`
      : numbers > 0
        ? `the column was chosen as a feature and ${numbers} of its ${numbers + texts} values are numbers`
        : `the column was chosen as a feature and its words are not categories (a word column is a feature only as categories: at most ${MAX_CATEGORIES} distinct values, fewer than half its rows, not one value in every row)`
    for (const { row, line, text } of this.textCells[column]) {
      const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
      const location = { file: this.file, line, row: row + 1, column: this.names[column] }
      this.issues.add(location, `${shown} is not a number, but ${why}`)
    }
    // Cells beyond the listed ones still count, so the total is right.
    this.issues.total += texts - this.textCells[column].length
  }
}

/** A float32 cell's number as a category name: the shortest text that reads back as the same float32. */
function numberText(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(value.toPrecision(digits)))
    if (Math.fround(Number(text)) === value) return text
  }
  return String(value)
}

/** The per-column array one longer, its values kept. Columns are few (`maxColumns`), so copying is cheap. */
function grown<T extends Uint8Array | Int32Array>(array: T, length: number): T {
  const larger = new (array.constructor as new (length: number) => T)(length)
  larger.set(array)
  return larger
}

interface Interned {
  readonly codes: Map<string, number>
  readonly rows: number[]
  readonly rowCodes: number[]
}

interface TextCell {
  row: number
  line?: number
  text: string
}
