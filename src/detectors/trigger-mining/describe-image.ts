import { type ImageFeatures, type ImageShape, nameLevel, pixelValueOf } from './image-features.js'
import { windowBuckets, windowSide } from './image-windows.js'
import type { FeatureEvidence } from './mine.js'
import { pixelLevels } from './pixel-levels.js'
import type { TriggerGroup } from './triggers.js'

/** What an image trigger looks like, for people. */
export interface ImageTriggerDescription {
  readonly text: string
  readonly placement: 'fixed' | 'moving' | 'blended'
  /** Top-left corner and size of a fixed patch, in pixels. */
  readonly box?: { x: number; y: number; width: number; height: number }
}

/** Carriers sampled to read a moving trigger's shape and positions. */
const sampledCarriers = 200

function poisonedEstimate(item: FeatureEvidence): number {
  return item.observed - item.expected
}

/** Bounding box of some pixels. */
function boundingBox(pixels: readonly number[], shape: ImageShape) {
  const xs = pixels.map((pixel) => pixel % shape.width)
  const ys = pixels.map((pixel) => Math.floor(pixel / shape.width))
  return {
    x: Math.min(...xs),
    y: Math.min(...ys),
    width: Math.max(...xs) - Math.min(...xs) + 1,
    height: Math.max(...ys) - Math.min(...ys) + 1,
  }
}

/** A fixed patch from the pixels it writes: its bounding box, or a blend when they are spread too thin. */
function describePixels(pixels: readonly number[], shape: ImageShape): ImageTriggerDescription {
  const box = boundingBox(pixels, shape)
  const distinctPixels = new Set(pixels).size
  if (distinctPixels > 0.5 * box.width * box.height && distinctPixels <= 100) {
    const shapeName = distinctPixels === box.width * box.height ? 'patch' : 'pattern'
    const where = `x ${box.x}–${box.x + box.width - 1}, y ${box.y}–${box.y + box.height - 1}`
    return { text: `a ${box.width}×${box.height} ${shapeName} at ${where}`, placement: 'fixed', box }
  }
  return { text: `a faint pattern blended into ${distinctPixels} pixels`, placement: 'blended' }
}

/** "value 255" of grey images, "colour (255, 0, 0)" of colour images, and their plurals. */
function valueWord(image: ImageFeatures, plural = false): string {
  return `${image.channels === 1 ? 'value' : 'colour'}${plural ? 's' : ''}`
}

/** Every cell (`row × pixelCount + pixel`) of `pixels` in `rows`. */
function cellsOf(rows: ArrayLike<number>, pixels: readonly number[], shape: ImageShape): number[] {
  const pixelCount = shape.width * shape.height
  return Array.from(rows).flatMap((row) => pixels.map((pixel) => row * pixelCount + pixel))
}

/**
 * A fixed patch or blend from its pixel-level features, naming the value (the mean colour in `rows`, of colour
 * images) when the patch has one.
 */
function describeLevels(
  features: readonly number[],
  shape: ImageShape,
  image: ImageFeatures,
  rows: ArrayLike<number>,
): ImageTriggerDescription {
  const levels = new Set(features.map((feature) => feature % pixelLevels))
  const pixels = features.map((feature) => Math.floor(feature / pixelLevels))
  const found = describePixels(pixels, shape)
  if (levels.size !== 1 || found.placement !== 'fixed') return found
  const value = nameLevel(image, [...levels][0], cellsOf(rows, pixels, shape))
  return {
    ...found,
    text: `${found.text.replace(/ (patch|pattern) at/, ` $1 of ${valueWord(image)} ${value} at`)}`,
  }
}

/** Share of the poisoned records that must agree on a pixel's level for the pixel to belong to a stamped patch. */
const consensusShare = 0.9

/**
 * Pixel-level features (`pixel × pixelLevels + level`) that nearly every one of `rows` shares at a non-background
 * level: a stamped patch is the same in every poisoned image, even where its pixels were too common elsewhere to
 * pass the test on their own (a corner stroke of small digits).
 */
function consensusFeatures(rows: ArrayLike<number>, features: ImageFeatures, shape: ImageShape): number[] {
  const pixelCount = shape.width * shape.height
  const counts = new Int32Array(pixelLevels)
  const found: number[] = []
  for (let pixel = 0; pixel < pixelCount; pixel++) {
    counts.fill(0)
    for (let index = 0; index < rows.length; index++)
      counts[features.levels[rows[index] * pixelCount + pixel]]++
    let best = 0
    for (let level = 1; level < pixelLevels; level++) if (counts[level] > counts[best]) best = level
    if (best !== features.backgroundLevel && counts[best] >= consensusShare * rows.length)
      found.push(pixel * pixelLevels + best)
  }
  return found
}

/** The pixel features to draw a fixed patch from: the significant ones, grown by the patch pixels all carriers share. */
function patchFeatures(
  members: readonly FeatureEvidence[],
  rows: ArrayLike<number>,
  features: ImageFeatures,
  shape: ImageShape,
): number[] {
  const significant = [...new Set(members.map((item) => item.feature))]
  const shared = consensusFeatures(rows, features, shape)
  return shared.some((feature) => significant.includes(feature))
    ? [...new Set([...significant, ...shared])]
    : significant
}

/** Width and height of the run of one grey level through (x, y) in one image: the size of a solid patch. */
function solidExtent(
  levels: Uint8Array,
  offset: number,
  shape: ImageShape,
  x: number,
  y: number,
  level: number,
) {
  const at = (px: number, py: number) =>
    px >= 0 &&
    py >= 0 &&
    px < shape.width &&
    py < shape.height &&
    levels[offset + py * shape.width + px] === level
  let left = x
  let top = y
  while (at(left - 1, y)) left--
  while (at(x, top - 1)) top--
  let right = x
  let bottom = y
  while (at(right + 1, y)) right++
  while (at(x, bottom + 1)) bottom++
  return { width: right - left + 1, height: bottom - top + 1 }
}

function mostCommon(values: readonly string[]): [string, number] {
  const counts = new Map<string, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  let best: [string, number] = ['', 0]
  for (const entry of counts) if (entry[1] > best[1]) best = entry
  return best
}

/** A moving patch from its most widespread window: where the window sits in carriers, and what it holds. */
function describeWindow(
  window: FeatureEvidence,
  carriers: ArrayLike<number>,
  features: ImageFeatures,
  shape: ImageShape,
): ImageTriggerDescription {
  const bucket = window.feature - features.windowOffset
  const pixelCount = shape.width * shape.height
  const positions: string[] = []
  const sizes: string[] = []
  const contents: string[] = []
  // Each window's cells, pixel by pixel, to name its colours from the images that hold them.
  const windowCells: number[][] = []
  for (let index = 0; index < Math.min(carriers.length, sampledCarriers); index++) {
    const offset = carriers[index] * pixelCount
    let seen = false
    windowBuckets(features.levels, offset, shape, features.backgroundLevel, (found, x, y, side) => {
      // One place per image: a large natural blob of the same level would repeat the window many times.
      if (found !== bucket || seen) return
      seen = true
      const values: number[] = []
      const cells: number[] = []
      for (let dy = 0; dy < side; dy++)
        for (let dx = 0; dx < side; dx++) {
          cells.push(offset + (y + dy) * shape.width + x + dx)
          values.push(features.levels[cells[cells.length - 1]])
        }
      windowCells.push(cells)
      positions.push(`${x},${y}`)
      contents.push(values.join(' '))
      const solid = values.every((value) => value === values[0])
      const extent = solid ? solidExtent(features.levels, offset, shape, x, y, values[0]) : undefined
      sizes.push(extent ? `${extent.width}×${extent.height}` : `${side}×${side}`)
    })
  }
  if (contents.length === 0) return { text: 'a small pattern at varying positions', placement: 'moving' }
  const [content] = mostCommon(contents)
  const values = content.split(' ').map(Number)
  const [size] = mostCommon(sizes)
  const solid = values.every((value) => value === values[0])
  const [position, atPosition] = mostCommon(positions)
  const distinct = new Set(positions).size
  const matching = windowCells.filter((_, index) => contents[index] === content)
  const format = (level: number, cell: number) =>
    nameLevel(
      features,
      level,
      matching.map((cells) => cells[cell]),
    )
  const what = solid
    ? `a ${size} patch of ${valueWord(features)} ${nameLevel(features, values[0], matching.flat())}`
    : `a ${size} pattern of ${valueWord(features, true)} ${values.map(format).join(features.channels === 1 ? ' ' : ', ')}`
  if (atPosition >= 0.8 * positions.length) {
    const [x, y] = position.split(',').map(Number)
    const side = windowSide(bucket)
    return { text: `${what} at x ${x}, y ${y}`, placement: 'fixed', box: { x, y, width: side, height: side } }
  }
  return { text: `${what} at ${distinct} different positions`, placement: 'moving' }
}

/** Members marking at least half as many poisoned records as the widest of them. */
function strongMembers(items: readonly FeatureEvidence[]): FeatureEvidence[] {
  const widest = Math.max(...items.map(poisonedEstimate))
  return items.filter((item) => poisonedEstimate(item) >= 0.5 * widest)
}

/** The window to show: the widest, or a 3×3 one nearly as wide, which shows more of the pattern. */
function chooseWindow(windows: readonly FeatureEvidence[], offset: number): FeatureEvidence {
  const widest = Math.max(...windows.map(poisonedEstimate))
  const near = windows.filter((item) => poisonedEstimate(item) >= 0.8 * widest)
  const large = near.filter((item) => windowSide(item.feature - offset) === 3)
  const pool = large.length > 0 ? large : near
  return pool.reduce((best, item) => (poisonedEstimate(item) > poisonedEstimate(best) ? item : best), pool[0])
}

/**
 * Names an image trigger by the kind of feature that reaches most of its records: exact pixel values (a fixed
 * patch or a blend) or a window (a patch that moves).
 */
export function describeImageTrigger(
  group: TriggerGroup,
  features: ImageFeatures,
  shape: ImageShape,
  lists: { carriersOf(feature: number): ArrayLike<number>; likely: ArrayLike<number> },
): ImageTriggerDescription {
  const { windowOffset } = features
  // A value standing apart from its neighbours is named as the pixel value it is.
  const levels = group.members.flatMap((item) => {
    const value = pixelValueOf(features, item.feature)
    return value >= 0 ? [{ ...item, feature: value }] : []
  })
  const windows = group.members.filter((item) => pixelValueOf(features, item.feature) < 0)
  const reach = (items: readonly FeatureEvidence[]) =>
    items.length > 0 ? Math.max(...items.map(poisonedEstimate)) : 0
  if (windows.length === 0 || reach(levels) >= 0.5 * reach(windows))
    return describeLevels(
      patchFeatures(strongMembers(levels), lists.likely, features, shape),
      shape,
      features,
      lists.likely,
    )
  const window = chooseWindow(windows, windowOffset)
  const found = describeWindow(window, lists.carriersOf(window.feature), features, shape)
  return found.placement === 'fixed' && found.box
    ? (stampAround(found, lists.likely, features, shape) ?? found)
    : found
}

/**
 * The stamp a fixed window belongs to, from the pixels nearly every poisoned record shares: where ink fills the
 * grid, a stamp's own pixel values are common in clean images and the purest window may take in a border that is
 * empty everywhere (a 3×3 window two columns of which are the stamp). Undefined when the shared pixels do not form
 * one solid patch overlapping the window.
 */
function stampAround(
  window: ImageTriggerDescription,
  likely: ArrayLike<number>,
  features: ImageFeatures,
  shape: ImageShape,
): ImageTriggerDescription | undefined {
  const box = window.box!
  const inside = (pixel: number) => {
    const x = pixel % shape.width
    const y = Math.floor(pixel / shape.width)
    return x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height
  }
  const shared = consensusFeatures(likely, features, shape)
  if (!shared.some((feature) => inside(Math.floor(feature / pixelLevels)))) return undefined
  const stamp = describeLevels(shared, shape, features, likely)
  return stamp.placement === 'fixed' && / patch /.test(stamp.text) ? stamp : undefined
}
