// The data the scale and distributed benchmarks scan: MNIST tiled with pixel noise, a synthetic 64-column table of
// Gaussian blobs, or short labelled texts, generated in memory from a fixed seed so every run and every size measures
// the same kind of rows.
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

/**
 * Short texts like subject lines or posts: 3 to 14 words, about a third of them from one of ten classes' 300 topic
 * words and the rest from 30,000 words shared by all, both drawn with Zipf frequencies (exponent 1.1), so the
 * vocabulary, the word pairs and the near-copies grow with the rows as in real text. One text in fifty repeats an
 * earlier one of its class with a word changed, as reposts and templates do.
 */
function shortTexts(rows, rng) {
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ne',
    'ru',
    'sa',
    'ti',
    'vo',
    'de',
    'ba',
    'po',
    'ze',
    'fi',
    'gu',
    'ha',
    'jo',
  ]
  const word = (index) => {
    let text = ''
    for (let rest = index + 1; rest > 0; rest = Math.floor(rest / syllables.length))
      text += syllables[rest % syllables.length]
    return text
  }
  /** Draws ranks 0…size−1 with chance proportional to 1 / (rank + 1)^1.1, by inverting the cumulative sum. */
  const zipf = (size) => {
    const cumulative = new Float64Array(size)
    let sum = 0
    for (let rank = 0; rank < size; rank++) cumulative[rank] = sum += 1 / (rank + 1) ** 1.1
    return () => {
      const target = rng.next() * sum
      let low = 0
      let high = size - 1
      while (low < high) {
        const middle = (low + high) >> 1
        if (cumulative[middle] < target) low = middle + 1
        else high = middle
      }
      return low
    }
  }
  const shared = zipf(30_000)
  const topic = zipf(300)
  const texts = new Array(rows)
  const names = new Array(rows)
  const lastOfClass = new Array(10).fill(-1)
  for (let row = 0; row < rows; row++) {
    const label = rng.int(10)
    names[row] = `t${label}`
    const earlier = lastOfClass[label]
    if (earlier >= 0 && rng.next() < 0.02) {
      const words = texts[earlier].split(' ')
      words[rng.int(words.length)] = word(shared())
      texts[row] = words.join(' ')
    } else {
      const length = 3 + rng.int(12)
      const words = new Array(length)
      for (let position = 0; position < length; position++)
        words[position] = rng.next() < 0.35 ? word(30_000 + label * 300 + topic()) : word(shared())
      texts[row] = words.join(' ')
    }
    lastOfClass[label] = row
  }
  return { texts, names }
}

/** A dataset of `rows` rows of `kind` (`mnist`, `tabular` or `text`), the same for every call with the same arguments. */
export async function makeDataset(kind, rows) {
  const { createRng } = await import('../dist/util/rng.js')
  const { encodeLabels } = await import('../dist/data/dataset.js')
  const rng = createRng(7)
  if (kind === 'text') {
    const { texts, names } = shortTexts(rows, rng)
    return {
      origin: { path: `bench:${kind}`, format: 'csv', sha256: '', byteCount: 0 },
      rowCount: rows,
      ids: Array.from({ length: rows }, (_, row) => String(row + 1)),
      labels: encodeLabels('label', names),
      texts,
      textColumn: 'text',
      featureNames: [],
      warnings: [],
    }
  }
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
