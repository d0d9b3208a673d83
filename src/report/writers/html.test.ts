import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../../test/fixtures/datasets.js'
import { recordEvidenceOf } from '../html.js'
import { previews } from './html.js'

describe('previews', () => {
  it('draws colour images as colour thumbnails and colour averages', async () => {
    // Two 8×8 images: all red, all blue.
    const data = Float32Array.from({ length: 2 * 192 }, (_, index) =>
      index % 3 === (index < 192 ? 0 : 2) ? 1 : 0,
    )
    const extras = previews(
      inMemoryDataset({
        features: { data, rows: 2, cols: 192 },
        imageShape: { width: 8, height: 8, channels: 3 },
      }),
    )
    const thumbnail = extras.thumbnail!(1)!
    expect(await sharp(thumbnail).metadata()).toMatchObject({ channels: 3, width: 16, height: 16 })
    const { data: pixels } = await sharp(thumbnail).raw().toBuffer({ resolveWithObject: true })
    expect(Array.from(pixels.subarray(0, 3))).toEqual([0, 0, 255])
    const average = recordEvidenceOf(extras).averageImage!(Int32Array.of(0, 1))!
    const png = Buffer.from(average.slice(average.indexOf(',') + 1), 'base64')
    const { data: mean } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
    expect(Array.from(mean.subarray(0, 3))).toEqual([128, 0, 128])
  })
})
