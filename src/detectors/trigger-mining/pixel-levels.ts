import { type FeatureMatrix, valueSpan } from '../../data/matrix.js'

/** Grey levels per pixel; 8 bits keep every value of an 8-bit image apart. */
export const pixelLevels = 256

/** How grey levels map back to the data's own pixel values: `value = low + level × step`. */
export interface PixelScale {
  readonly low: number
  readonly step: number
  /** Where the pixels were scaled from image files: what a value of 1 is in the files (see `Dataset.imageFileScale`). */
  readonly fileScale?: number
}

/**
 * The grey-level scale of some pixels in their own units: integers spanning at most 256 values (0–16, 0–255) keep
 * one level per value, anything else ([0,1], floats, negative ranges) is spread over 256 levels from its minimum
 * to its maximum. An infinite value leaves a span no integer scale takes.
 */
export function pixelScaleOf(values: Float32Array): PixelScale {
  const { low, high, integral } = valueSpan(values)
  if (!(high > low)) return { low: Number.isFinite(low) ? low : 0, step: 1 }
  if (integral && high - low < pixelLevels) return { low, step: 1 }
  return { low, step: (high - low) / (pixelLevels - 1) }
}

/**
 * Grey levels of every pixel on `scale` (by default the pixels' own, see `pixelScaleOf`), a call per image: the
 * detector runs once per scan, and one loop over every pixel, run once, runs as code compiled on the stack (see
 * `valueSpan`).
 */
export function quantisePixels(pixels: FeatureMatrix, scale = pixelScaleOf(pixels.data)): Uint8Array {
  const { data, rows, cols } = pixels
  const levels = new Uint8Array(data.length)
  for (let row = 0; row < rows; row++) quantiseRow(data, levels, row * cols, (row + 1) * cols, scale)
  return levels
}

function quantiseRow(values: Float32Array, levels: Uint8Array, from: number, to: number, scale: PixelScale) {
  const top = pixelLevels - 1
  const { low, step } = scale
  // Integer pixels keep their values (step 1): the same levels without a division per pixel.
  if (step === 1) {
    for (let index = from; index < to; index++) {
      const level = values[index] - low
      levels[index] = level <= 0 ? 0 : level >= top ? top : (level + 0.5) | 0
    }
    return
  }
  for (let index = from; index < to; index++) {
    const level = (values[index] - low) / step
    levels[index] = level <= 0 ? 0 : level >= top ? top : (level + 0.5) | 0
  }
}

/** A grey level in the data's own units, to the precision its scale can tell apart. */
export function formatPixelLevel(level: number, scale: PixelScale): string {
  const value = scale.low + level * scale.step
  // Image files hold whole values; a resized image's in-between ones round to the nearest the files could hold.
  if (scale.fileScale !== undefined) return String(Math.round(value * scale.fileScale))
  if (scale.step === 1 && Number.isInteger(scale.low)) return String(value)
  const span = scale.step * (pixelLevels - 1)
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(span)))
  return String(Number(value.toFixed(decimals)))
}

/**
 * One colour code per pixel of colour images: 3 bits of red, 3 of green and 2 of blue (the eye tells blue apart
 * least) of each channel's level on the shared `scale`, so a patch of one colour is one code wherever it sits
 * and pixel and window features work on colour as on grey.
 */
export function colourCodes(pixels: FeatureMatrix, scale: PixelScale): Uint8Array {
  const channelLevels = quantisePixels(pixels, scale)
  const codes = new Uint8Array(channelLevels.length / 3)
  for (let pixel = 0; pixel < codes.length; pixel++) {
    const at = 3 * pixel
    codes[pixel] =
      (channelLevels[at] & 0xe0) | ((channelLevels[at + 1] & 0xe0) >> 3) | (channelLevels[at + 2] >> 6)
  }
  return codes
}
