// The data the scale and distributed benchmarks scan: MNIST tiled with pixel noise, or a synthetic 64-column table of
// Gaussian blobs, generated in memory from a fixed seed so every run and every size measures the same kind of rows.
async function mnistTiled(rows, rng) {
  const { loadMnistArrays } = await import('../dist/io/builtin/mnist.js')
  const { pixels, labels, rowCount, width, height } = loadMnistArrays()
  const cols = width * height
  const data = new Float32Array(rows * cols)
  for (let row = 0; row < rows; row++) {
    const source = (row % rowCount) * cols
    for (let col = 0; col < cols; col++) {
      // Every row gets pixel noise, so no two rows are equal and neighbours are not all duplicates; the first copy
      // too, so each size holds rows of one kind and the exponents measure rows, not a change in the data.
      const noise = 0.1 * rng.normal()
      data[row * cols + col] = Math.min(1, Math.max(0, pixels[source + col] + noise))
    }
  }
  const names = Array.from({ length: rows }, (_, row) => String(labels[row % rowCount]))
  return { data, cols, names, imageShape: { width, height } }
}

/** Ten classes of five Gaussian blobs each in 64 columns, eight of them rounded to integers like counts. */
function syntheticTable(rows, rng) {
  const cols = 64
  const blobs = Array.from({ length: 50 }, () => Float64Array.from({ length: cols }, () => 3 * rng.normal()))
  const data = new Float32Array(rows * cols)
  const names = new Array(rows)
  for (let row = 0; row < rows; row++) {
    const blob = rng.int(blobs.length)
    names[row] = `c${blob % 10}`
    for (let col = 0; col < cols; col++) {
      const value = blobs[blob][col] + rng.normal()
      data[row * cols + col] = col < 8 ? Math.round(value) : value
    }
  }
  return { data, cols, names }
}

/** A dataset of `rows` rows of `kind` (`mnist` or `tabular`), the same for every call with the same arguments. */
export async function makeDataset(kind, rows) {
  const { createRng } = await import('../dist/util/rng.js')
  const { encodeLabels } = await import('../dist/data/dataset.js')
  const rng = createRng(7)
  const made = kind === 'mnist' ? await mnistTiled(rows, rng) : syntheticTable(rows, rng)
  return {
    origin: { path: `bench:${kind}`, format: 'csv', sha256: '', byteCount: 0 },
    rowCount: rows,
    ids: Array.from({ length: rows }, (_, row) => String(row + 1)),
    labels: encodeLabels('label', made.names),
    features: { data: made.data, rows, cols: made.cols },
    featureNames: Array.from({ length: made.cols }, (_, col) => `f${col}`),
    imageShape: made.imageShape,
    warnings: [],
  }
}
