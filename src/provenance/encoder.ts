import { type CanonicalCell, KIND_BOOLEAN, KIND_NUMBER, KIND_STRING } from '../data/canonical-text.js'
import type { RawRecord } from '../io/records.js'
import { canonicalCell } from './canonical.js'
import type { ColumnType } from './statement.js'

/** The columns that play a part in provenance; null when absent. */
export interface RecordRoles {
  readonly id: string | null
  readonly label: string | null
  readonly source: string | null
}

/** Sort order, quoted names, role positions and per-column statistics for one list of column names. */
interface ColumnLayout {
  readonly columns: readonly string[]
  /** Indexes into `columns`, sorted by name (UTF-16 code units, as RFC 8785). */
  readonly order: Int32Array
  /** `"name":` for each column. */
  readonly prefixes: string[]
  readonly idIndex: number
  readonly labelIndex: number
  readonly sourceIndex: number
  /** Kind flags seen per column, and in how many records it held a value. */
  readonly kinds: Int32Array
  readonly filled: Float64Array
}

const MAX_CACHED_LAYOUTS = 64

/**
 * Turns raw records into canonical bodies: a JSON object of every non-empty column except the label, keys sorted,
 * every value a canonical string. The id, label and source texts of the last record are kept apart; column kinds
 * are gathered for the schema along the way.
 */
export class RecordEncoder {
  id: string | null = null
  label: string | null = null
  source: string | null = null
  /** Column names in order of first appearance. */
  readonly columnNames: string[] = []
  private readonly known = new Set<string>()
  private layout?: ColumnLayout
  private readonly cache = new Map<string, ColumnLayout>()
  private readonly totals = new Map<string, { kinds: number; filled: number }>()
  private readonly cell: CanonicalCell = { text: null, kind: 0 }

  constructor(private readonly roles: RecordRoles) {}

  /** Encodes one record and returns its canonical body. */
  encode(record: RawRecord): string {
    const layout = this.layoutFor(record.columns)
    const { order, prefixes, kinds, filled, labelIndex } = layout
    const values = record.values
    const cell = this.cell
    let body = '{'
    this.label = null
    this.id = null
    this.source = null
    for (let position = 0; position < order.length; position++) {
      const index = order[position]
      canonicalCell(values[index], cell)
      const text = cell.text
      if (text === null) continue
      kinds[index] |= cell.kind
      filled[index]++
      if (index === layout.idIndex) this.id = text
      if (index === layout.sourceIndex) this.source = text
      if (index === labelIndex) this.label = text
      else body += `${body.length === 1 ? '' : ','}${prefixes[index]}${JSON.stringify(text)}`
    }
    return `${body}}`
  }

  /** Column names with their inferred types; `nullable` when some record lacks a value. */
  schema(recordCount: number): { name: string; type: ColumnType; nullable: boolean }[] {
    for (const layout of this.cache.values()) this.mergeTotals(layout)
    this.cache.clear()
    this.layout = undefined
    return this.columnNames.map((name) => {
      const total = this.totals.get(name) ?? { kinds: 0, filled: 0 }
      return { name, type: columnTypeOf(total.kinds), nullable: total.filled < recordCount }
    })
  }

  private layoutFor(columns: readonly string[]): ColumnLayout {
    if (this.layout?.columns === columns) return this.layout
    // JSON Lines hands over a fresh key array per record; most records share a key order, so cache by it.
    const key = columns.join('\u0000')
    let layout = this.cache.get(key)
    if (!layout) {
      if (this.cache.size >= MAX_CACHED_LAYOUTS) this.evictLayouts()
      layout = this.createLayout(columns)
      this.cache.set(key, layout)
    }
    this.layout = layout
    return layout
  }

  private createLayout(columns: readonly string[]): ColumnLayout {
    for (const name of columns) {
      if (this.known.has(name)) continue
      this.known.add(name)
      this.columnNames.push(name)
    }
    const order = Int32Array.from(columns.keys()).sort((a, b) =>
      columns[a] < columns[b] ? -1 : columns[a] > columns[b] ? 1 : 0,
    )
    const indexOf = (name: string | null) => (name === null ? -1 : columns.indexOf(name))
    return {
      columns,
      order,
      prefixes: columns.map((name) => `${JSON.stringify(name)}:`),
      idIndex: indexOf(this.roles.id),
      labelIndex: indexOf(this.roles.label),
      sourceIndex: indexOf(this.roles.source),
      kinds: new Int32Array(columns.length),
      filled: new Float64Array(columns.length),
    }
  }

  private evictLayouts(): void {
    for (const layout of this.cache.values()) this.mergeTotals(layout)
    this.cache.clear()
  }

  private mergeTotals(layout: ColumnLayout): void {
    layout.columns.forEach((name, index) => {
      const total = this.totals.get(name) ?? { kinds: 0, filled: 0 }
      total.kinds |= layout.kinds[index]
      total.filled += layout.filled[index]
      this.totals.set(name, total)
      layout.kinds[index] = 0
      layout.filled[index] = 0
    })
  }
}

function columnTypeOf(kinds: number): ColumnType {
  if (kinds === 0) return 'empty'
  if (kinds & KIND_STRING) return 'string'
  if (kinds & KIND_BOOLEAN) return kinds === KIND_BOOLEAN ? 'boolean' : 'string'
  return kinds & KIND_NUMBER ? 'number' : 'integer'
}
