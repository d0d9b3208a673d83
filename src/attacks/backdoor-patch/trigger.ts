import { channelCount, type ImageShape } from '../../data/image-shape.js'
import type { Rng } from '../../util/rng.js'

export type PatchPosition = 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left' | 'center' | 'random'

/** A fully resolved image trigger: a patch of pixel values at a place, or a full-image pattern blended in. */
export type ImageTrigger =
  | {
      readonly kind: 'patch'
      /** Row-major `height × width` pixel values. */
      readonly values: Float32Array
      readonly width: number
      readonly height: number
      readonly position: PatchPosition
      readonly margin: number
    }
  | { readonly kind: 'blend'; readonly pattern: Float32Array; readonly alpha: number }

export type ImageSize = ImageShape

/** Top-left corner of the patch; `random` draws a uniformly random place where the patch fits. */
function patchOrigin(trigger: ImageTrigger & { kind: 'patch' }, image: ImageSize, rng: Rng) {
  const right = image.width - trigger.width - trigger.margin
  const bottom = image.height - trigger.height - trigger.margin
  switch (trigger.position) {
    case 'top-left':
      return { x: trigger.margin, y: trigger.margin }
    case 'top-right':
      return { x: right, y: trigger.margin }
    case 'bottom-left':
      return { x: trigger.margin, y: bottom }
    case 'bottom-right':
      return { x: right, y: bottom }
    case 'center':
      return {
        x: Math.floor((image.width - trigger.width) / 2),
        y: Math.floor((image.height - trigger.height) / 2),
      }
    case 'random':
      return {
        x: rng.int(image.width - trigger.width + 1),
        y: rng.int(image.height - trigger.height + 1),
      }
  }
}

/** Stamps the trigger into one image (a row view of the feature matrix), in place; a colour pixel gets the value in every channel. */
export function stampImage(pixels: Float32Array, image: ImageSize, trigger: ImageTrigger, rng: Rng): void {
  if (trigger.kind === 'blend') {
    const keep = 1 - trigger.alpha
    for (let pixel = 0; pixel < pixels.length; pixel++)
      pixels[pixel] = keep * pixels[pixel] + trigger.alpha * trigger.pattern[pixel]
    return
  }
  const { x, y } = patchOrigin(trigger, image, rng)
  const channels = channelCount(image)
  for (let row = 0; row < trigger.height; row++)
    for (let col = 0; col < trigger.width; col++) {
      const target = ((y + row) * image.width + x + col) * channels
      pixels.fill(trigger.values[row * trigger.width + col], target, target + channels)
    }
}

/** A `size × size` patch, solid `value` or a checkerboard of `value` and `dark` starting with `value`. */
export function squarePatch(size: number, pattern: 'solid' | 'checkerboard', value: number, dark: number) {
  const values = new Float32Array(size * size)
  for (let row = 0; row < size; row++)
    for (let col = 0; col < size; col++)
      values[row * size + col] = pattern === 'solid' || (row + col) % 2 === 0 ? value : dark
  return values
}

/** A full-image pattern of uniform noise between `low` and `high`, the blended key of Chen et al. */
export function noisePattern(pixelCount: number, low: number, high: number, rng: Rng): Float32Array {
  const pattern = new Float32Array(pixelCount)
  for (let pixel = 0; pixel < pixelCount; pixel++) pattern[pixel] = low + (high - low) * rng.next()
  return pattern
}
