import type { ImageShape } from '../data/image-shape.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { selectInPlace } from '../stats/quantiles.js'

/**
 * One value per pixel for colour images: each pixel's colour projected on the axis along which its image's colours
 * vary most (the first principal component of the image's pixel colours), in units of the image's own spread, and
 * signed so that most pixels lie below the mean (a figure on a ground, the ground dark). What a picture shows
 * survives a change of palette: the same digit in yellow on blue and in blue on grey reads alike, where in raw RGB
 * or in luma the two are far apart (and in luma blue ink on a light ground is a negative). On digits tinted per
 * image (1,200, 32×32) 10% flipped labels ranked at 0.92 against 0.65 on raw RGB, 0.76 on each image's values
 * standardised and 0.86 on standardised luma; on digits in a random ink colour on black at 0.97 against 0.94.
 */
export function principalColourContrast(pixels: FeatureMatrix, shape: ImageShape): FeatureMatrix {
  const pixelCount = shape.width * shape.height
  const { rows, cols } = pixels
  const data = new Float32Array(rows * pixelCount)
  const mean = new Float64Array(3)
  const covariance = new Float64Array(9)
  for (let row = 0; row < rows; row++) {
    const image = pixels.data.subarray(row * cols, (row + 1) * cols)
    mean.fill(0)
    covariance.fill(0)
    for (let pixel = 0; pixel < pixelCount; pixel++)
      for (let channel = 0; channel < 3; channel++) mean[channel] += image[3 * pixel + channel] / pixelCount
    for (let pixel = 0; pixel < pixelCount; pixel++)
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++)
          covariance[3 * a + b] += (image[3 * pixel + a] - mean[a]) * (image[3 * pixel + b] - mean[b])
    // Power iteration from the grey axis: a 3×3 covariance converges in a few steps.
    let axis = [1, 1, 1]
    for (let step = 0; step < 30; step++) {
      const next = [0, 1, 2].map((a) =>
        axis.reduce((sum, value, b) => sum + covariance[3 * a + b] * value, 0),
      )
      const norm = Math.hypot(...next)
      if (!(norm > 0)) break
      axis = next.map((value) => value / norm)
    }
    const out = data.subarray(row * pixelCount, (row + 1) * pixelCount)
    let squares = 0
    let below = 0
    for (let pixel = 0; pixel < pixelCount; pixel++) {
      let value = 0
      for (let channel = 0; channel < 3; channel++)
        value += axis[channel] * (image[3 * pixel + channel] - mean[channel])
      out[pixel] = value
      squares += value * value
      if (value < 0) below++
    }
    const scale = (below >= pixelCount / 2 ? 1 : -1) / Math.max(Math.sqrt(squares / pixelCount), 1e-6)
    for (let pixel = 0; pixel < pixelCount; pixel++) out[pixel] *= scale
  }
  return { data, rows, cols: pixelCount }
}

/**
 * Each image's mean and standard deviation of each channel, as z-scores over the dataset (6 columns): the colour
 * `principalColourContrast` sets aside, for a model to read where the classes differ in colour.
 */
export function colourStatistics(pixels: FeatureMatrix, shape: ImageShape): FeatureMatrix {
  const pixelCount = shape.width * shape.height
  const { rows, cols } = pixels
  const data = new Float32Array(rows * 6)
  for (let row = 0; row < rows; row++) {
    const image = pixels.data.subarray(row * cols, (row + 1) * cols)
    for (let channel = 0; channel < 3; channel++) {
      let sum = 0
      let squares = 0
      for (let pixel = 0; pixel < pixelCount; pixel++) {
        const value = image[3 * pixel + channel]
        sum += value
        squares += value * value
      }
      const mean = sum / pixelCount
      data[row * 6 + channel] = mean
      data[row * 6 + 3 + channel] = Math.sqrt(Math.max(0, squares / pixelCount - mean * mean))
    }
  }
  for (let col = 0; col < 6; col++) {
    let sum = 0
    let squares = 0
    for (let row = 0; row < rows; row++) {
      sum += data[row * 6 + col]
      squares += data[row * 6 + col] ** 2
    }
    const mean = sum / rows
    const deviation = Math.sqrt(Math.max(0, squares / rows - mean * mean)) || 1
    for (let row = 0; row < rows; row++) data[row * 6 + col] = (data[row * 6 + col] - mean) / deviation
  }
  return { data, rows, cols: 6 }
}

/**
 * One value per pixel for colour images: how far its colour lies from its image's ground (the per-channel median over
 * the image, where a figure lies on one), as a Euclidean distance in the data's own units. A pattern added to some
 * images reads the same whatever their palette: where the other images show their ground it stands out of an exact
 * zero as it does on a grey image's blank background. Read in luma, random tints swamped it; read as signed
 * differences, ink lighter than one image's ground and darker than another's split every class in two.
 */
export function distanceFromGround(pixels: FeatureMatrix, shape: ImageShape): FeatureMatrix {
  const pixelCount = shape.width * shape.height
  const { rows, cols } = pixels
  const data = new Float32Array(rows * pixelCount)
  const values = new Float64Array(pixelCount)
  for (let row = 0; row < rows; row++) {
    const image = pixels.data.subarray(row * cols, (row + 1) * cols)
    const out = data.subarray(row * pixelCount, (row + 1) * pixelCount)
    for (let channel = 0; channel < 3; channel++) {
      for (let pixel = 0; pixel < pixelCount; pixel++) values[pixel] = image[3 * pixel + channel]
      const ground = selectInPlace(values, pixelCount >> 1)
      for (let pixel = 0; pixel < pixelCount; pixel++)
        out[pixel] += (image[3 * pixel + channel] - ground) ** 2
    }
    for (let pixel = 0; pixel < pixelCount; pixel++) out[pixel] = Math.sqrt(out[pixel])
  }
  return { data, rows, cols: pixelCount }
}
