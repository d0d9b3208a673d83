import type { ImageShape } from '../data/image-shape.js'

/** Channel index of each name a colour column may give its channel. */
const channelNames: Readonly<Record<string, number>> = { r: 0, red: 0, g: 1, green: 1, b: 2, blue: 2 }
const channelLetters = 'rgb'
/**
 * Columns naming colour pixels from which they are taken for an image, whole or broken: a third of the columns of
 * 8×8 colour pixels, the smallest image read as one. Fewer are a table's own names (`r1`, `b2`).
 */
const minColourColumns = 64

/** Colour pixel columns: the image shape, and for each interleaved (HWC) column the column of the table it reads. */
export interface ColourColumns {
  readonly shape: ImageShape
  readonly order: Int32Array
}

/** What the column names say about colour pixels: a layout, why they cannot be one, or nothing. */
export type ColourColumnReading =
  | { readonly columns: ColourColumns }
  | { readonly problem: string }
  | undefined

interface ParsedName {
  readonly channel: number
  readonly numbers: number[]
}

/** A name spelling one channel of one pixel: one channel word (`r`, `red`, …) and one or two numbers. */
function parseName(name: string): ParsedName | undefined {
  const tokens = name.toLowerCase().match(/[a-z]+|\d+/g) ?? []
  const channels = tokens.filter((token) => Object.hasOwn(channelNames, token))
  const numbers = tokens.filter((token) => /^\d+$/.test(token)).map(Number)
  if (channels.length !== 1 || numbers.length < 1 || numbers.length > 2) return undefined
  return { channel: channelNames[channels[0]], numbers }
}

function pixelName(numbers: readonly number[]): string {
  return numbers.length === 2 ? `(y ${numbers[0]}, x ${numbers[1]})` : `${numbers[0]}`
}

/**
 * Reads colour pixel columns from their names: `r_y_x`, `g_y_x`, `b_y_x` (a row then a column number), `red_12`
 * (a pixel number of a square image) and the like, in any order (interleaved per pixel or one plane per channel).
 * Undefined when fewer than half the columns name a channel of a pixel; a problem when most do but they do not
 * make a whole image (a channel missing for some pixel, a pixel twice, mixed numbering).
 */
export function readColourColumns(names: readonly string[]): ColourColumnReading {
  const parsed = names.map(parseName)
  const named = parsed.filter((item) => item !== undefined)
  if (named.length < minColourColumns || named.length < 0.5 * names.length) return undefined
  const fail = (detail: string) => ({
    problem: `${named.length} of the ${names.length} feature columns name colour pixels (like "${names[parsed.indexOf(named[0])]}"), but ${detail}; they are read as table columns`,
  })
  const outside = parsed.indexOf(undefined)
  if (outside >= 0) return fail(`the column "${names[outside]}" does not`)
  const dimensions = named[0].numbers.length
  if (named.some((item) => item.numbers.length !== dimensions))
    return fail('some name one pixel number and others a row and a column')
  const firsts = Array.from({ length: dimensions }, (_, axis) =>
    Math.min(...named.map((item) => item.numbers[axis])),
  )
  const extents = Array.from(
    { length: dimensions },
    (_, axis) => Math.max(...named.map((item) => item.numbers[axis])) - firsts[axis] + 1,
  )
  const pixelCount = extents.reduce((product, extent) => product * extent, 1)
  const side = Math.round(Math.sqrt(pixelCount))
  const [height, width] = dimensions === 2 ? extents : [side, side]
  if (width * height !== pixelCount)
    return fail(`their ${pixelCount} pixel numbers do not make a square image`)
  if (width < 8 || height < 8) return fail(`they make a ${width}×${height} image, smaller than 8×8`)
  const order = new Int32Array(pixelCount * 3).fill(-1)
  for (const [column, item] of parsed.entries()) {
    const { channel, numbers } = item!
    const pixel =
      dimensions === 2 ? (numbers[0] - firsts[0]) * width + numbers[1] - firsts[1] : numbers[0] - firsts[0]
    const at = pixel * 3 + channel
    if (order[at] >= 0)
      return fail(`channel ${channelLetters[channel]} of pixel ${pixelName(numbers)} appears twice`)
    order[at] = column
  }
  const gap = order.indexOf(-1)
  if (gap >= 0) {
    const pixel = Math.floor(gap / 3)
    const numbers =
      dimensions === 2
        ? [firsts[0] + Math.floor(pixel / width), firsts[1] + (pixel % width)]
        : [firsts[0] + pixel]
    return fail(`no column holds channel ${channelLetters[gap % 3]} of pixel ${pixelName(numbers)}`)
  }
  return { columns: { shape: { width, height, channels: 3 }, order } }
}
