import { mkdir, open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parquetWriteFile } from 'hyparquet-writer'
import sharp from 'sharp'
import type { Dataset, DatasetFormat } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { encodeCsvField } from './csv-parser.js'
import { forEachLimited } from './images.js'
import { writeOutputsAtomically } from './transaction.js'

/** How to write a dataset in full. */
export interface DatasetWriteOptions {
  /** Default: the format the dataset was loaded from. */
  format?: DatasetFormat
}

/** What was written: the format, and the id under which a reader will see each record, in row order. */
export interface WrittenDataset {
  readonly format: DatasetFormat
  /** Equal to the dataset's ids, except for image folders, where an id is the written `<label>/<file>.png`. */
  readonly ids: string[]
}

const CHUNK_CHARS = 1 << 20
const ENCODE_CONCURRENCY = 4
const ROLE_COLUMNS = ['id', 'label', 'text', 'source']
const MAX_CACHED_NUMBERS = 1 << 16

/**
 * Writes every record of a dataset, including changed values and added records, in the conventional columns
 * `id`, `label`, `text`, `source` plus one column per feature: CSV, JSON Lines, Parquet, or an image folder of
 * `<label>/<file>.png` grayscale PNGs. Feature values are written with the fewest digits that read back as the
 * same float32, so loading the output gives the same records; PNG pixels are 8-bit, so images come back rounded
 * to the nearest 1/255. Atomic: nothing is left at `outPath` on failure.
 */
export async function writeDataset(
  dataset: Dataset,
  outPath: string,
  options: DatasetWriteOptions = {},
): Promise<WrittenDataset> {
  const format = options.format ?? dataset.origin.format
  const inputs = [dataset.origin.path]
  if (format === 'images') {
    const paths = planImagePaths(dataset)
    const write = (tempPath: string) => writeImages(dataset, paths, tempPath)
    await writeOutputsAtomically([{ path: outPath, write }], { inputs })
    return { format, ids: paths }
  }
  checkColumnNames(dataset)
  const write = {
    csv: (tempPath: string) => writeLines(tempPath, csvLines(dataset)),
    jsonl: (tempPath: string) => writeLines(tempPath, jsonLines(dataset)),
    parquet: (tempPath: string) => writeParquet(dataset, tempPath),
  }[format]
  await writeOutputsAtomically([{ path: outPath, write }], { inputs })
  return { format, ids: [...dataset.ids] }
}

/** The id a reader of the written dataset will see for each record, without writing anything. */
export function writtenRecordIds(dataset: Dataset, format: DatasetFormat = dataset.origin.format): string[] {
  return format === 'images' ? planImagePaths(dataset) : [...dataset.ids]
}

function checkColumnNames(dataset: Dataset): void {
  const seen = new Set<string>()
  for (const name of dataset.featureNames) {
    if (ROLE_COLUMNS.includes(name) || seen.has(name)) {
      throw new PoisonguardError(
        'OUTPUT_ERROR',
        `cannot write feature column "${name}": the name is taken by ${seen.has(name) ? 'another feature' : 'a role column'}`,
        { hint: `feature names must be unique and differ from ${ROLE_COLUMNS.join(', ')}` },
      )
    }
    seen.add(name)
  }
}

/** Shortest decimal text that reads back as the same float32 value. */
function createNumberFormatter(): (value: number) => string {
  const cache = new Map<number, string>()
  return (value) => {
    let text = cache.get(value)
    if (text !== undefined) return text
    text = String(value)
    if (!Number.isInteger(value)) {
      for (let digits = 1; digits <= 9; digits++) {
        const candidate = Number(value.toPrecision(digits))
        if (Math.fround(candidate) === value) {
          text = String(candidate)
          break
        }
      }
    } else if (Object.is(value, -0)) text = '0'
    if (cache.size >= MAX_CACHED_NUMBERS) cache.clear()
    cache.set(value, text)
    return text
  }
}

function labelOf(dataset: Dataset, row: number): string {
  const labels = dataset.labels
  if (!labels) return ''
  const code = labels.codes[row]
  return code >= 0 ? labels.classes[code] : ''
}

function* csvLines(dataset: Dataset): Generator<string> {
  const header = ['id']
  if (dataset.labels) header.push('label')
  if (dataset.texts) header.push('text')
  if (dataset.sources) header.push('source')
  yield [...header, ...dataset.featureNames].map(encodeCsvField).join(',')
  const format = createNumberFormatter()
  const cols = dataset.features?.cols ?? 0
  const data = dataset.features?.data
  for (let row = 0; row < dataset.rowCount; row++) {
    const cells = [encodeCsvField(dataset.ids[row])]
    if (dataset.labels) cells.push(encodeCsvField(labelOf(dataset, row)))
    if (dataset.texts) cells.push(encodeCsvField(dataset.texts[row]))
    if (dataset.sources) cells.push(encodeCsvField(dataset.sources[row]))
    for (let col = 0; col < cols; col++) cells.push(format(data![row * cols + col]))
    yield cells.join(',')
  }
}

/** A label as JSON: a number when the class name is a number's canonical spelling, else a string. */
function jsonLabel(name: string): string {
  return name.trim() !== '' && String(Number(name)) === name ? name : JSON.stringify(name)
}

function* jsonLines(dataset: Dataset): Generator<string> {
  const format = createNumberFormatter()
  const cols = dataset.features?.cols ?? 0
  const data = dataset.features?.data
  const keys = dataset.featureNames.map((name) => `,${JSON.stringify(name)}:`)
  for (let row = 0; row < dataset.rowCount; row++) {
    let line = `{"id":${JSON.stringify(dataset.ids[row])}`
    if (dataset.labels) {
      const label = labelOf(dataset, row)
      line += `,"label":${label === '' ? 'null' : jsonLabel(label)}`
    }
    if (dataset.texts) line += `,"text":${JSON.stringify(dataset.texts[row])}`
    if (dataset.sources) line += `,"source":${JSON.stringify(dataset.sources[row])}`
    for (let col = 0; col < cols; col++) line += keys[col] + format(data![row * cols + col])
    yield `${line}}`
  }
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    let chunk: string[] = []
    let chunkChars = 0
    for (const line of lines) {
      chunk.push(line)
      chunkChars += line.length + 1
      if (chunkChars >= CHUNK_CHARS) {
        await handle.write(`${chunk.join('\n')}\n`)
        chunk = []
        chunkChars = 0
      }
    }
    if (chunk.length > 0) await handle.write(`${chunk.join('\n')}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function writeParquet(dataset: Dataset, path: string): Promise<void> {
  const rows = Array.from({ length: dataset.rowCount }, (_, row) => row)
  const columnData: { name: string; data: unknown[]; type: 'STRING' | 'FLOAT' }[] = [
    { name: 'id', data: [...dataset.ids], type: 'STRING' },
  ]
  if (dataset.labels)
    columnData.push({ name: 'label', data: rows.map((row) => labelOf(dataset, row) || null), type: 'STRING' })
  if (dataset.texts) columnData.push({ name: 'text', data: [...dataset.texts], type: 'STRING' })
  if (dataset.sources) columnData.push({ name: 'source', data: [...dataset.sources], type: 'STRING' })
  const features = dataset.features
  dataset.featureNames.forEach((name, col) => {
    const data = rows.map((row) => features!.data[row * features!.cols + col])
    columnData.push({ name, data, type: 'FLOAT' })
  })
  parquetWriteFile({ filename: path, columnData: columnData as never })
}

/** `<label>/<file>.png` for every record: the id's file name, made safe and unique, in its label's folder. */
function planImagePaths(dataset: Dataset): string[] {
  const labels = dataset.labels
  if (!labels || !dataset.features || !dataset.imageShape) {
    throw new PoisonguardError(
      'OUTPUT_ERROR',
      'an image folder needs labelled records with pixel features and an image shape',
      { hint: 'write the dataset as CSV or JSON Lines instead' },
    )
  }
  const taken = new Set<string>()
  return dataset.ids.map((id, row) => {
    const label = labelOf(dataset, row)
    if (label === '' || label === '.' || label === '..' || /[/\\\0]/.test(label)) {
      throw PoisonguardError.at(
        'OUTPUT_ERROR',
        { row: row + 1 },
        `record ${JSON.stringify(id)} has the label ${JSON.stringify(label)}, which cannot name an image folder`,
        'give every record a label without slashes, or write CSV or JSON Lines instead',
      )
    }
    const rest = id.includes('/') ? id.slice(id.indexOf('/') + 1) : id
    const parts = rest
      .replace(/\.(png|jpe?g)(?=$|~)/gi, '')
      .replace(/[\\:*?"<>|\0]/g, '_')
      .split('/')
      .filter((part) => part !== '' && part !== '.' && part !== '..')
    const stem = `${label}/${parts.length > 0 ? parts.join('/') : `record-${row + 1}`}`
    let path = `${stem}.png`
    for (let copy = 2; taken.has(path); copy++) path = `${stem}-${copy}.png`
    taken.add(path)
    return path
  })
}

async function writeImages(dataset: Dataset, paths: string[], root: string): Promise<void> {
  const { data, cols } = dataset.features!
  const { width, height } = dataset.imageShape!
  let high = 0
  for (let index = 0; index < data.length; index++) if (data[index] > high) high = data[index]
  // Image folders load as [0,1]; pixel columns may hold 0–255 instead.
  const toByte = high > 1 ? 1 : 255
  await mkdir(root)
  for (const folder of new Set(paths.map((path) => dirname(path))))
    await mkdir(join(root, folder), { recursive: true })
  await forEachLimited(paths.length, ENCODE_CONCURRENCY, async (row) => {
    const bytes = new Uint8Array(cols)
    for (let pixel = 0; pixel < cols; pixel++)
      bytes[pixel] = Math.min(255, Math.max(0, Math.round(data[row * cols + pixel] * toByte)))
    await sharp(bytes, { raw: { width, height, channels: 1 } })
      .png()
      .toFile(join(root, paths[row]))
  })
}
