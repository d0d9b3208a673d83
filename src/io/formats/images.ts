import { createHash } from 'node:crypto'
import { copyFile, mkdir } from 'node:fs/promises'
import { dirname, extname, join } from 'node:path'
import { type Dataset, encodeLabels, type LoadDiagnostics } from '../../data/dataset.js'
import { channelCount } from '../../data/image-shape.js'
import { PoisonguardError } from '../../errors.js'
import { forEachLimited } from '../concurrency.js'
import { describeLoadDiagnostics } from '../diagnostics.js'
import { chooseSide, decodeImages, labelOfPath, listImageFiles, loadSharp } from '../image-folder.js'
import { IssueList } from '../issues.js'
import { labelOf } from '../table-write.js'
import type { DatasetFormatAdapter, FormatLoadOptions } from './types.js'

const ENCODE_CONCURRENCY = 4

/** Loads `root/<label>/<file>.png|jpg|jpeg` as square images, grey or colour (see `decodeImages`), pixels in [0,1]. */
async function loadImages(root: string, options: FormatLoadOptions): Promise<Dataset> {
  const { files, skipped } = await listImageFiles(root)
  if (files.length === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: root },
      'no images found; expected PNG or JPEG files in label folders, e.g. root/cat/001.png',
      'put each image in a folder named after its label',
    )
  }
  const invalid = new IssueList(
    'INVALID_IMAGE',
    'remove or replace the files that are not PNG or JPEG images',
  )
  const side = options.imageSize ?? (await chooseSide(root, files, invalid))
  invalid.throwIfAny()
  const decoded = await decodeImages(root, files, side, invalid, options.onProgress)
  invalid.throwIfAny()
  const digest = createHash('sha256')
  files.forEach((file, row) => {
    digest.update(`${file}\0${decoded.fileHashes[row]}\n`)
  })
  const diagnostics: LoadDiagnostics = {
    imputed: new Map(),
    textColumns: [],
    emptyColumns: [],
    skippedFiles: skipped,
    mostlyEmpty: [],
  }
  const pixelCount = side * side
  const { channels } = decoded
  return {
    origin: { path: root, format: 'images', sha256: digest.digest('hex'), byteCount: decoded.byteCount },
    rowCount: files.length,
    ids: files,
    labels: options.label === false ? undefined : encodeLabels('label', files.map(labelOfPath)),
    features: { data: decoded.pixels, rows: files.length, cols: pixelCount * channels },
    featureNames: channels === 1 ? greyNames(pixelCount) : colourNames(side),
    imageShape: channels === 1 ? { width: side, height: side } : { width: side, height: side, channels },
    imageFileScale: 255,
    diagnostics,
    warnings: describeLoadDiagnostics(diagnostics),
  }
}

function greyNames(pixelCount: number): string[] {
  return Array.from({ length: pixelCount }, (_, pixel) => `pixel${pixel}`)
}

/** `r_y_x, g_y_x, b_y_x` per pixel: the names a CSV export of the images reads back as the same colour image. */
function colourNames(side: number): string[] {
  return Array.from({ length: side * side * 3 }, (_, col) => {
    const pixel = Math.floor(col / 3)
    return `${'rgb'[col % 3]}_${Math.floor(pixel / side)}_${pixel % side}`
  })
}

const COPY_CONCURRENCY = 8

/**
 * Copies the kept images into `targetRoot` with the same `<label>/<file>` layout; a relabelled image moves to its
 * new label's folder, renamed `<name>.from-<old label>` only if that name is already taken there.
 */
async function copyFilteredImages(
  dataset: Dataset,
  keep: Uint8Array,
  targetRoot: string,
  relabel?: ReadonlyMap<number, string>,
): Promise<void> {
  const destinations = planDestinations(dataset.ids, keep, relabel)
  await mkdir(targetRoot)
  const folders = new Set(destinations.filter((path) => path !== undefined).map((path) => dirname(path)))
  for (const folder of folders) await mkdir(join(targetRoot, folder), { recursive: true })
  await forEachLimited(destinations.length, COPY_CONCURRENCY, async (row) => {
    const destination = destinations[row]
    if (destination !== undefined)
      await copyFile(join(dataset.origin.path, dataset.ids[row]), join(targetRoot, destination))
  })
}

function planDestinations(
  ids: readonly string[],
  keep: Uint8Array,
  relabel?: ReadonlyMap<number, string>,
): (string | undefined)[] {
  const destinations = new Array<string | undefined>(ids.length)
  const taken = new Set<string>()
  // Unchanged files claim their own names first, so moved files never push them aside.
  for (let row = 0; row < ids.length; row++) {
    if (keep[row] !== 1 || relabel?.has(row)) continue
    destinations[row] = ids[row]
    taken.add(ids[row])
  }
  for (const [row, label] of [...(relabel ?? [])].sort((a, b) => a[0] - b[0])) {
    if (keep[row] !== 1) continue
    const id = ids[row]
    const oldLabel = labelOfPath(id)
    const rest = id.slice(oldLabel.length + 1)
    let destination = `${label}/${rest}`
    if (taken.has(destination)) {
      const extension = extname(rest)
      const stem = `${label}/${rest.slice(0, rest.length - extension.length)}.from-${oldLabel}`
      destination = `${stem}${extension}`
      for (let copy = 2; taken.has(destination); copy++) destination = `${stem}-${copy}${extension}`
    }
    destinations[row] = destination
    taken.add(destination)
  }
  return destinations
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

async function writeImages(dataset: Dataset, root: string): Promise<void> {
  const paths = planImagePaths(dataset)
  const { data, cols } = dataset.features!
  const { width, height } = dataset.imageShape!
  const channels = channelCount(dataset.imageShape!)
  let high = 0
  for (let index = 0; index < data.length; index++) if (data[index] > high) high = data[index]
  // Image folders load as [0,1]; pixel columns may hold 0–255 instead.
  const toByte = high > 1 ? 1 : 255
  const sharp = await loadSharp()
  await mkdir(root)
  for (const folder of new Set(paths.map((path) => dirname(path))))
    await mkdir(join(root, folder), { recursive: true })
  await forEachLimited(paths.length, ENCODE_CONCURRENCY, async (row) => {
    const bytes = new Uint8Array(cols)
    for (let pixel = 0; pixel < cols; pixel++)
      bytes[pixel] = Math.min(255, Math.max(0, Math.round(data[row * cols + pixel] * toByte)))
    await sharp(bytes, { raw: { width, height, channels } }).png().toFile(join(root, paths[row]))
  })
}

/** A folder of label folders, `root/<label>/<file>.png|jpg|jpeg`, read as grey or colour squares, pixels in [0,1]. */
export const imagesFormat = {
  extensions: [],
  folder: 'a folder of label folders',
  load: loadImages,
  writeFiltered: copyFilteredImages,
  // A label names a folder.
  acceptsLabel: (label: string) => /^[^/\\]+$/.test(label),
  write: writeImages,
  writtenIds: planImagePaths,
} satisfies DatasetFormatAdapter
