import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import type sharpModule from 'sharp'
import { lumaWeights } from '../data/image-shape.js'
import { forEachLimited } from './concurrency.js'
import type { IssueList } from './issues.js'
import { importOptionalPackage } from './optional-package.js'

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg'])
/** sharp decodes on libuv threads; a few files in flight keep two cores busy without holding many buffers. */
const DECODE_CONCURRENCY = 4
const MAX_KEPT_SIDE = 64
const DEFAULT_SIDE = 32

type SharpFactory = typeof sharpModule
let sharpFactory: Promise<SharpFactory> | undefined

/** sharp, imported on first use: its native library costs import time that scans of tables never need. */
export function loadSharp(): Promise<SharpFactory> {
  sharpFactory ??= importOptionalPackage('sharp', 'reading and writing image folders', async () => {
    const module = await import('sharp')
    return module.default
  })
  return sharpFactory
}

/** Image files under `root/<label>/`, as sorted POSIX relative paths, plus what was skipped. */
export async function listImageFiles(root: string): Promise<{ files: string[]; skipped: string[] }> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const files: string[] = []
  const skipped: string[] = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const path = relative(root, join(entry.parentPath, entry.name)).replaceAll('\\', '/')
    const isImage = IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())
    if (isImage && path.includes('/')) files.push(path)
    else skipped.push(path)
  }
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  return { files: files.sort(byCodeUnit), skipped: skipped.sort(byCodeUnit) }
}

/** Most a channel may differ from another in a grey pixel: JPEG stores grey through colour planes, off by a level. */
const GREY_TOLERANCE = 2

/**
 * Reads, hashes and decodes every image once; unreadable images are collected in `invalid`. Images are decoded in
 * colour and kept in colour (interleaved RGB) when any pixel of any image has a colour; otherwise as grey levels.
 * Pixels are in [0,1].
 */
export async function decodeImages(
  root: string,
  files: string[],
  side: number,
  invalid: IssueList,
  onProgress?: (fractionDone: number) => void,
): Promise<{ pixels: Float32Array; channels: 1 | 3; fileHashes: string[]; byteCount: number }> {
  const sharp = await loadSharp()
  const valueCount = side * side * 3
  // Bytes while decoding: a quarter of the floats they become.
  const colours = new Uint8Array(files.length * valueCount)
  const fileHashes = new Array<string>(files.length)
  let byteCount = 0
  let done = 0
  await forEachLimited(files.length, DECODE_CONCURRENCY, async (row) => {
    const path = join(root, files[row])
    const bytes = await readFile(path)
    byteCount += bytes.length
    fileHashes[row] = createHash('sha256').update(bytes).digest('hex')
    try {
      writeRgb(
        await decodeRgb(sharp, bytes, side),
        colours.subarray(row * valueCount, (row + 1) * valueCount),
      )
    } catch (error) {
      invalid.add({ file: path }, `not a readable image (${(error as Error).message})`)
    }
    onProgress?.(++done / files.length)
  })
  const channels = isGrey(colours) ? 1 : 3
  const pixels = new Float32Array(colours.length / (4 - channels))
  // Grey pixels have three equal channels, or nearly (JPEG); the luma of nearly equal ones is their level.
  if (channels === 1)
    for (let pixel = 0; pixel < pixels.length; pixel++) {
      const red = colours[3 * pixel]
      const green = colours[3 * pixel + 1]
      const blue = colours[3 * pixel + 2]
      pixels[pixel] =
        red === green && red === blue
          ? red / 255
          : (lumaWeights[0] * red + lumaWeights[1] * green + lumaWeights[2] * blue) / 255
    }
  else for (let index = 0; index < pixels.length; index++) pixels[index] = colours[index] / 255
  return { pixels, channels, fileHashes, byteCount }
}

function isGrey(colours: Uint8Array): boolean {
  for (let at = 0; at < colours.length; at += 3) {
    const red = colours[at]
    if (Math.abs(red - colours[at + 1]) > GREY_TOLERANCE || Math.abs(red - colours[at + 2]) > GREY_TOLERANCE)
      return false
  }
  return true
}

/** The label folder of a relative image path. */
export function labelOfPath(relative: string): string {
  return relative.slice(0, relative.indexOf('/'))
}

/** Keeps a shared square size up to 64 pixels, otherwise resizes everything to 32. */
export async function chooseSide(root: string, files: string[], invalid: IssueList): Promise<number> {
  const sharp = await loadSharp()
  const sizes = new Set<string>()
  let side = 0
  await forEachLimited(files.length, DECODE_CONCURRENCY, async (row) => {
    try {
      const { width, height } = await sharp(join(root, files[row])).metadata()
      sizes.add(`${width}x${height}`)
      side = width === height ? width : 0
    } catch (error) {
      invalid.add({ file: join(root, files[row]) }, `not a readable image (${(error as Error).message})`)
    }
  })
  return sizes.size === 1 && side > 0 && side <= MAX_KEPT_SIDE ? side : DEFAULT_SIDE
}

async function decodeRgb(
  sharp: SharpFactory,
  bytes: Buffer,
  side: number,
): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(bytes)
    .flatten({ background: '#000000' })
    .resize(side, side, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, channels: info.channels }
}

/** Red, green and blue of each pixel; a one- or two-channel (grey, grey and alpha) image repeats its grey level. */
function writeRgb(image: { data: Buffer; channels: number }, target: Uint8Array): void {
  const { data, channels } = image
  const colour = channels >= 3
  for (let pixel = 0; pixel < target.length / 3; pixel++) {
    const from = pixel * channels
    target[3 * pixel] = data[from]
    target[3 * pixel + 1] = data[colour ? from + 1 : from]
    target[3 * pixel + 2] = data[colour ? from + 2 : from]
  }
}
