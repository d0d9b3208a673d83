import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { PoisonguardError } from '../errors.js'
import { createRng } from '../util/rng.js'
import { crc32, encodeGrayscalePng, encodeImagePng, readPngSize } from './png.js'

/** Decodes with sharp, checking the file really is one-channel 8-bit grayscale. */
async function decode(png: Uint8Array) {
  const metadata = await sharp(png).metadata()
  expect(metadata).toMatchObject({
    format: 'png',
    channels: 1,
    space: 'b-w',
    depth: 'uchar',
    hasAlpha: false,
  })
  // sharp widens grayscale to sRGB on output; every channel then holds the same gray value.
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), info }
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082)
  })
})

describe('encodeGrayscalePng', () => {
  it('round-trips through sharp pixel for pixel for values in [0,1]', async () => {
    const rng = createRng(7)
    const width = 28
    const height = 28
    const pixels = new Float32Array(width * height)
    for (let i = 0; i < pixels.length; i++) pixels[i] = rng.next()
    const png = encodeGrayscalePng(pixels, width, height)
    const { data, info } = await decode(png)
    expect(info).toMatchObject({ width, height, channels: 1, format: 'raw' })
    const expected = Uint8Array.from(pixels, (value) => Math.round(value * 255))
    expect(data).toEqual(expected)
  })

  it('upscales by nearest neighbour', async () => {
    const pixels = Float32Array.of(0, 64, 128, 255, 10, 200)
    const png = encodeGrayscalePng(pixels, 3, 2, 2)
    expect(readPngSize(png)).toEqual({ width: 6, height: 4 })
    const { data, info } = await decode(png)
    expect(info.channels).toBe(1)
    expect(Array.from(data)).toEqual([
      0, 0, 64, 64, 128, 128, 0, 0, 64, 64, 128, 128, 255, 255, 10, 10, 200, 200, 255, 255, 10, 10, 200, 200,
    ])
  })

  it('treats values above 1 as the 0–255 scale and clamps the rest', async () => {
    const pixels = Float32Array.of(0, 1, 2, 254.6, 300, -5, Number.NaN, 127.4)
    const { data } = await decode(encodeGrayscalePng(pixels, 4, 2))
    expect(Array.from(data)).toEqual([0, 1, 2, 255, 255, 0, 0, 127])
  })

  it('scales a 28×28 image to 56×56 matching sharp’s nearest-neighbour resize', async () => {
    const rng = createRng(3)
    const pixels = Float32Array.from({ length: 28 * 28 }, () => rng.int(256))
    const small = encodeGrayscalePng(pixels, 28, 28)
    const large = encodeGrayscalePng(pixels, 28, 28, 2)
    const ours = await decode(large)
    const theirs = await sharp(small).resize(56, 56, { kernel: 'nearest' }).extractChannel(0).raw().toBuffer()
    expect(ours.info).toMatchObject({ width: 56, height: 56 })
    expect(ours.data).toEqual(new Uint8Array(theirs))
  })

  it('rejects a pixel count that does not match the shape, listing every problem', () => {
    expect(() => encodeGrayscalePng(new Float32Array(10), 3, 3)).toThrow(/expected 3×3 = 9 pixels, got 10/)
    try {
      encodeGrayscalePng(new Float32Array(4), 0, 2.5, 0)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(PoisonguardError)
      expect((error as PoisonguardError).code).toBe('INVALID_ARGUMENT')
      expect((error as PoisonguardError).issues).toHaveLength(3)
    }
  })

  it('reports no size for bytes that are not a PNG', () => {
    expect(readPngSize(new Uint8Array(30))).toBeUndefined()
  })
})

describe('encodeImagePng', () => {
  it('encodes interleaved colour pixels as an RGB PNG, upscaled, pixel for pixel', async () => {
    // 2×1: a red pixel and a blue-green one, on the 0–255 scale.
    const pixels = Float32Array.of(255, 0, 0, 0, 128, 200)
    const png = encodeImagePng(pixels, { width: 2, height: 1, channels: 3 }, 2)
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', channels: 3, width: 4, height: 2 })
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
    const row = [255, 0, 0, 255, 0, 0, 0, 128, 200, 0, 128, 200]
    expect(Array.from(data)).toEqual([...row, ...row])
  })

  it('rejects grey-sized pixels for a colour shape', () => {
    expect(() => encodeImagePng(new Float32Array(4), { width: 2, height: 2, channels: 3 })).toThrow(
      /expected 2×2 pixels of 3 channels = 12 values, got 4/,
    )
  })
})
