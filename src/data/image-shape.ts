import type { FeatureMatrix } from './matrix.js'

/**
 * Width, height and channels of image records. Colour images hold their pixels interleaved, row by row and pixel
 * by pixel (HWC, as exports and decoders hold them): `r, g, b` of pixel (0,0), then of pixel (1,0), and so on, so
 * column `(y × width + x) × channels + channel`. Absent `channels` means one (grey).
 */
export interface ImageShape {
  readonly width: number
  readonly height: number
  readonly channels?: 1 | 3
}

/** Channels per pixel: 3 for colour images, 1 otherwise. */
export function channelCount(shape: ImageShape): 1 | 3 {
  return shape.channels ?? 1
}

/** Rec. 601 luma weights of red, green and blue: how bright a colour looks, on its channels' own scale. */
export const lumaWeights = [0.299, 0.587, 0.114] as const

/**
 * One grey level per pixel in the data's own units: the pixels themselves for grey images, the luma of each
 * pixel's colour for colour images, for readers that compare brightness and cannot use colour.
 */
export function luminance(pixels: FeatureMatrix, shape: ImageShape): FeatureMatrix {
  if (channelCount(shape) === 1) return pixels
  const pixelCount = shape.width * shape.height
  const { rows, data } = pixels
  const out = new Float32Array(rows * pixelCount)
  const [red, green, blue] = lumaWeights
  for (let index = 0; index < out.length; index++) {
    const at = index * 3
    out[index] = red * data[at] + green * data[at + 1] + blue * data[at + 2]
  }
  return { data: out, rows, cols: pixelCount }
}
