import { deflateSync } from 'node:zlib'
import { channelCount, type ImageShape } from '../data/image-shape.js'
import { PoisonguardError } from '../errors.js'

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)
const COLOR_TYPE_GRAYSCALE = 0
const COLOR_TYPE_RGB = 2
const MAX_SIDE = 16_384

let crcTable: Uint32Array | undefined

function getCrcTable(): Uint32Array {
  if (crcTable) return crcTable
  crcTable = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    crcTable[n] = c >>> 0
  }
  return crcTable
}

/** CRC-32 (ISO 3309, as PNG chunks use it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  const table = getCrcTable()
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  // The CRC covers the chunk type and data, not the length.
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

function validateShape(
  pixels: Float32Array,
  width: number,
  height: number,
  scale: number,
  channels: 1 | 3,
): void {
  const issues: string[] = []
  for (const [name, value] of [
    ['width', width],
    ['height', height],
    ['scale', scale],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) issues.push(`${name} must be a positive integer, got ${value}`)
  }
  if (issues.length === 0 && (width * scale > MAX_SIDE || height * scale > MAX_SIDE))
    issues.push(`the scaled image ${width * scale}×${height * scale} exceeds ${MAX_SIDE} pixels per side`)
  if (issues.length === 0 && pixels.length !== width * height * channels)
    issues.push(
      channels === 1
        ? `expected ${width}×${height} = ${width * height} pixels, got ${pixels.length}`
        : `expected ${width}×${height} pixels of 3 channels = ${width * height * 3} values, got ${pixels.length}`,
    )
  if (issues.length > 0)
    throw new PoisonguardError('INVALID_ARGUMENT', `Cannot encode PNG: ${issues.join('; ')}`, {
      issues: issues.map((message) => ({ message })),
      hint: 'pass one float per pixel (three, interleaved, for colour), row-major, and integer dimensions',
    })
}

/** Maps pixels to bytes; values above 1 mean the image is already on the 0–255 scale. */
function toBytes(pixels: Float32Array): Uint8Array {
  let max = 0
  for (let i = 0; i < pixels.length; i++) if (pixels[i] > max) max = pixels[i]
  const factor = max > 1 ? 1 : 255
  const bytes = new Uint8Array(pixels.length)
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i] * factor
    // NaN fails both comparisons and ends up black.
    bytes[i] = value > 0 ? (value < 255 ? Math.round(value) : 255) : 0
  }
  return bytes
}

/** Raw scanlines (filter byte 0 then the row) of the image upscaled by nearest neighbour. */
function scanlines(
  bytes: Uint8Array,
  width: number,
  height: number,
  scale: number,
  channels: 1 | 3,
): Uint8Array {
  const stride = width * scale * channels + 1
  const raw = new Uint8Array(stride * height * scale)
  for (let y = 0; y < height; y++) {
    const first = y * scale * stride
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * channels
      for (
        let at = first + 1 + x * scale * channels;
        at < first + 1 + (x + 1) * scale * channels;
        at += channels
      )
        for (let channel = 0; channel < channels; channel++) raw[at + channel] = bytes[from + channel]
    }
    for (let copy = 1; copy < scale; copy++) raw.copyWithin(first + copy * stride, first, first + stride)
  }
  return raw
}

/**
 * Encodes a row-major grayscale image (values in [0,1], or [0,255] when any value exceeds 1) as an 8-bit PNG,
 * upscaled `scale` times by nearest neighbour.
 */
export function encodeGrayscalePng(
  pixels: Float32Array,
  width: number,
  height: number,
  scale = 1,
): Uint8Array {
  return encodeImagePng(pixels, { width, height }, scale)
}

/**
 * Encodes a row-major grey or colour image (colour interleaved per pixel; values in [0,1], or [0,255] when any value
 * exceeds 1) as an 8-bit PNG, upscaled `scale` times by nearest neighbour.
 */
export function encodeImagePng(pixels: Float32Array, shape: ImageShape, scale = 1): Uint8Array {
  const { width, height } = shape
  const channels = channelCount(shape)
  validateShape(pixels, width, height, scale, channels)
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, width * scale)
  view.setUint32(4, height * scale)
  header[8] = 8
  header[9] = channels === 1 ? COLOR_TYPE_GRAYSCALE : COLOR_TYPE_RGB
  // Bytes 10–12 stay 0: deflate compression, adaptive filtering, no interlace.
  const raw = scanlines(toBytes(pixels), width, height, scale, channels)
  const parts = [
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ]
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Width and height from a PNG's IHDR chunk, or undefined when `bytes` is not a PNG. */
export function readPngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24) return undefined
  for (let i = 0; i < PNG_SIGNATURE.length; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { width: view.getUint32(16), height: view.getUint32(20) }
}
