import type { FeatureMatrix } from '../data/matrix.js'
import type { DetectedAttack } from '../domain/index.js'
import { choleskyWithRidge, solveLower, solveUpper, symmetricEigen } from '../linalg/decompositions.js'
import { createRng } from '../util/rng.js'

/**
 * One class seen against the others: the directions in which it varies most relative to how the other classes vary
 * within themselves. A trigger shared by poisoned records is absent from every other class, so its direction
 * stands out by orders of magnitude here, while the natural variation of a class stays within a small factor.
 */
export interface ClassSpectrum {
  readonly code: number
  /** The class's records, in input order. */
  readonly rows: Int32Array
  /** Class variance along each direction ÷ the other classes' pooled within-class variance, descending. */
  readonly relativeVariances: Float64Array
  /** `featureCount × componentCount`, column k is direction k scaled so the other classes' variance along it is 1. */
  readonly directions: Float64Array
  /** `rows × componentCount`: coordinates of the class's records along the directions, centred on the class mean. */
  readonly coordinates: Float64Array
  readonly mean: Float64Array
}

/** Per-class spectra of a labelled representation; undefined entries are classes too small to measure. */
export interface ClassSpectra {
  readonly featureCount: number
  readonly componentCount: number
  readonly classes: readonly (ClassSpectrum | undefined)[]
}

export interface ClassSpectraOptions {
  /** Leading directions kept per class; default 10. */
  componentCount?: number
  /** Classes with fewer records, or whose other classes hold fewer than twice the feature count, get none; default 10. */
  minClassRows?: number
}

/** Ridge added to the other classes' covariance, relative to its mean variance, so near-null directions stay finite. */
const RIDGE = 1e-3

/** Rows of each class code (negative codes are unlabelled and left out). */
function rowsByClass(codes: Int32Array, classCount: number): Int32Array[] {
  const counts = new Int32Array(classCount)
  for (const code of codes) if (code >= 0) counts[code]++
  const rows = Array.from(counts, (count) => new Int32Array(count))
  counts.fill(0)
  for (let row = 0; row < codes.length; row++)
    if (codes[row] >= 0) rows[codes[row]][counts[codes[row]]++] = row
  return rows
}

/** Mean and centred scatter matrix (`Σ (x − mean)(x − mean)ᵀ`, d × d) of some rows, in double precision. */
export function meanAndScatter(features: FeatureMatrix, rows: Int32Array) {
  // One loop per function: a function run a few times is optimised while inside its first hot loop, and code
  // compiled then for the loops after it, which have not run yet, is thrown away on reaching each of them, on
  // every call. Apart, each loop is compiled once with what it has seen.
  const mean = columnMeans(features, rows)
  const scatter = new Float64Array(features.cols * features.cols)
  const done = addScatterInFours(features, rows, mean, scatter)
  addScatterOneByOne(features, rows.subarray(done), mean, scatter)
  mirrorUpperTriangle(scatter, features.cols)
  return { mean, scatter }
}

function columnMeans(features: FeatureMatrix, rows: Int32Array): Float64Array {
  const { data, cols: width } = features
  const mean = new Float64Array(width)
  for (const row of rows) for (let col = 0; col < width; col++) mean[col] += data[row * width + col]
  for (let col = 0; col < width; col++) mean[col] /= Math.max(rows.length, 1)
  return mean
}

/**
 * Adds the upper triangle of the centred scatter of the leading multiple of four of `rows`, four rows per pass over
 * the scatter: added in row order as one at a time with a quarter of its loads and stores. A zero adds nothing to a
 * sum that starts at +0, so the sums are the same to the last bit as row by row skipping the zeros. Returns how
 * many rows it took.
 */
function addScatterInFours(
  features: FeatureMatrix,
  rows: Int32Array,
  mean: Float64Array,
  scatter: Float64Array,
): number {
  const { data, cols: width } = features
  const centred = new Float64Array(4 * width)
  let index = 0
  for (; index + 4 <= rows.length; index += 4) {
    for (let part = 0; part < 4; part++) {
      const from = rows[index + part] * width
      for (let col = 0; col < width; col++) centred[part * width + col] = data[from + col] - mean[col]
    }
    for (let i = 0; i < width; i++) {
      const value0 = centred[i]
      const value1 = centred[width + i]
      const value2 = centred[2 * width + i]
      const value3 = centred[3 * width + i]
      if (value0 === 0 && value1 === 0 && value2 === 0 && value3 === 0) continue
      for (let j = i; j < width; j++)
        scatter[i * width + j] =
          scatter[i * width + j] +
          value0 * centred[j] +
          value1 * centred[width + j] +
          value2 * centred[2 * width + j] +
          value3 * centred[3 * width + j]
    }
  }
  return index
}

/** Adds the upper triangle of the centred scatter of `rows`, one row at a time, skipping zeros. */
function addScatterOneByOne(
  features: FeatureMatrix,
  rows: Int32Array,
  mean: Float64Array,
  scatter: Float64Array,
): void {
  const { data, cols: width } = features
  const centred = new Float64Array(width)
  for (const row of rows) {
    for (let col = 0; col < width; col++) centred[col] = data[row * width + col] - mean[col]
    for (let i = 0; i < width; i++) {
      const value = centred[i]
      if (value === 0) continue
      for (let j = i; j < width; j++) scatter[i * width + j] += value * centred[j]
    }
  }
}

function mirrorUpperTriangle(matrix: Float64Array, width: number): void {
  for (let i = 0; i < width; i++) for (let j = 0; j < i; j++) matrix[i * width + j] = matrix[j * width + i]
}

/** `L⁻¹ · covariance · L⁻ᵀ`: the class covariance in the coordinates where the other classes' is the identity. */
function whitenedCovariance(lower: Float64Array, covariance: Float64Array, width: number): Float64Array {
  const left = new Float64Array(covariance)
  solveLower(lower, left, width, width)
  const transposed = new Float64Array(width * width)
  for (let i = 0; i < width; i++)
    for (let j = 0; j < width; j++) transposed[j * width + i] = left[i * width + j]
  solveLower(lower, transposed, width, width)
  return transposed
}

/** Modified Gram–Schmidt on the columns of a row-major `width × columns` matrix, in place. */
function orthonormalise(basis: Float64Array, width: number, columns: number): void {
  for (let c = 0; c < columns; c++) {
    for (let previous = 0; previous < c; previous++) {
      let dot = 0
      for (let i = 0; i < width; i++) dot += basis[i * columns + c] * basis[i * columns + previous]
      for (let i = 0; i < width; i++) basis[i * columns + c] -= dot * basis[i * columns + previous]
    }
    let norm = 0
    for (let i = 0; i < width; i++) norm += basis[i * columns + c] ** 2
    const scale = norm > 1e-300 ? 1 / Math.sqrt(norm) : 0
    for (let i = 0; i < width; i++) basis[i * columns + c] *= scale
  }
}

function multiplySquare(
  matrix: Float64Array,
  basis: Float64Array,
  width: number,
  columns: number,
): Float64Array {
  const out = new Float64Array(width * columns)
  for (let i = 0; i < width; i++)
    for (let k = 0; k < width; k++) {
      const value = matrix[i * width + k]
      if (value === 0) continue
      for (let c = 0; c < columns; c++) out[i * columns + c] += value * basis[k * columns + c]
    }
  return out
}

/**
 * Leading eigenpairs of a symmetric matrix by subspace iteration with a Rayleigh–Ritz step: far cheaper than a
 * full Jacobi decomposition when only the top few directions matter.
 * @see Halko, Martinsson, Tropp. Finding structure with randomness. SIAM Review 53, 2011.
 */
function leadingEigenpairs(matrix: Float64Array, width: number, count: number) {
  const columns = Math.min(width, count + 6)
  const rng = createRng(0x5eed)
  let basis: Float64Array = new Float64Array(width * columns)
  for (let i = 0; i < basis.length; i++) basis[i] = rng.normal()
  orthonormalise(basis, width, columns)
  for (let iteration = 0; iteration < 8; iteration++) {
    basis = multiplySquare(matrix, basis, width, columns)
    orthonormalise(basis, width, columns)
  }
  const image = multiplySquare(matrix, basis, width, columns)
  const small = new Float64Array(columns * columns)
  for (let a = 0; a < columns; a++)
    for (let b = 0; b < columns; b++) {
      let sum = 0
      for (let i = 0; i < width; i++) sum += basis[i * columns + a] * image[i * columns + b]
      small[a * columns + b] = sum
    }
  for (let a = 0; a < columns; a++)
    for (let b = 0; b < a; b++)
      small[a * columns + b] = small[b * columns + a] = (small[a * columns + b] + small[b * columns + a]) / 2
  const { values, vectors } = symmetricEigen(small, columns)
  const out = new Float64Array(width * count)
  for (let i = 0; i < width; i++)
    for (let k = 0; k < count; k++) {
      let sum = 0
      for (let a = 0; a < columns; a++) sum += basis[i * columns + a] * vectors[a * columns + k]
      out[i * count + k] = sum
    }
  return { values: Float64Array.from(values.subarray(0, count), (value) => Math.max(value, 0)), vectors: out }
}

/** Mean and centred scatter of one class's rows (`meanAndScatter`). */
export interface ClassScatter {
  readonly mean: Float64Array
  readonly scatter: Float64Array
}

/** The scatters of every class added in class order, and how many rows they hold. */
export interface TotalScatter {
  readonly scatter: Float64Array
  readonly rows: number
}

/** One class's spectrum without its code and rows: what is computed from the class's own rows. */
export type ClassSpectrumValues = Pick<
  ClassSpectrum,
  'relativeVariances' | 'directions' | 'coordinates' | 'mean'
>

/**
 * The spectrum of the class whose records are `rows` of `features`, given their mean and scatter and the scatter
 * of every class together: it reads those rows and nothing else of the matrix.
 */
export function classSpectrumValues(
  features: FeatureMatrix,
  rows: Int32Array,
  own: ClassScatter,
  total: TotalScatter,
  componentCount: number,
): ClassSpectrumValues {
  const width = features.cols
  const covariance = Float64Array.from(own.scatter, (value) => value / rows.length)
  const lower = choleskyWithRidge(othersCovariance(total, own, rows.length), width, RIDGE)
  const { values, vectors } = leadingEigenpairs(
    whitenedCovariance(lower, covariance, width),
    width,
    componentCount,
  )
  // Back to feature space: a direction u = L⁻ᵀ q has unit variance in the other classes.
  solveUpper(lower, vectors, width, componentCount)
  const directions = vectors
  const coordinates = centredCoordinates(features, rows, own.mean, directions, componentCount)
  return { relativeVariances: values, directions, coordinates, mean: own.mean }
}

/**
 * The other classes' pooled covariance: every class's scatter less this one's. Computed where the class's spectrum
 * is, from the one total, so no d × d matrix per class is kept or sent.
 */
function othersCovariance(total: TotalScatter, own: ClassScatter, classRows: number): Float64Array {
  const otherRows = total.rows - classRows
  const covariance = new Float64Array(total.scatter.length)
  for (let i = 0; i < covariance.length; i++) covariance[i] = (total.scatter[i] - own.scatter[i]) / otherRows
  return covariance
}

/** `rows × componentCount`: each row less `mean`, times `directions` (`featureCount × componentCount`). */
function centredCoordinates(
  features: FeatureMatrix,
  rows: Int32Array,
  mean: Float64Array,
  directions: Float64Array,
  componentCount: number,
): Float64Array {
  const { data, cols: width } = features
  const coordinates = new Float64Array(rows.length * componentCount)
  for (let position = 0; position < rows.length; position++) {
    const base = rows[position] * width
    for (let i = 0; i < width; i++) {
      const value = data[base + i] - mean[i]
      if (value === 0) continue
      for (let k = 0; k < componentCount; k++)
        coordinates[position * componentCount + k] += value * directions[i * componentCount + k]
    }
  }
  return coordinates
}

/** One class's spectrum still to compute: its rows, their mean and scatter, and every class's scatter (one object shared by all tasks). */
export interface ClassSpectrumTask {
  readonly code: number
  readonly rows: Int32Array
  readonly own: ClassScatter
  readonly total: TotalScatter
}

/**
 * The two per-class steps of the class spectra, each reading one class's rows and nothing else of the matrix; a
 * distributed scan runs them as jobs, one per class. Each must return exactly what `meanAndScatter` and
 * `classSpectrumValues` give on this thread, in the order of its tasks.
 */
export interface ClassSpectraSteps {
  scatters(features: FeatureMatrix, rows: readonly Int32Array[]): Promise<ClassScatter[]>
  spectra(
    features: FeatureMatrix,
    tasks: readonly ClassSpectrumTask[],
    componentCount: number,
  ): Promise<ClassSpectrumValues[]>
}

/**
 * What is left to compute of each class once every class's mean and scatter are known: the total scatter is added
 * in class order, so the other classes' covariance is the same wherever the scatters came from. Undefined for a
 * class too small to measure.
 */
function spectrumTasks(
  rows: readonly Int32Array[],
  parts: readonly ClassScatter[],
  width: number,
  minClassRows: number,
): (ClassSpectrumTask | undefined)[] {
  const scatter = new Float64Array(width * width)
  let totalRows = 0
  parts.forEach((part, code) => {
    totalRows += rows[code].length
    for (let i = 0; i < scatter.length; i++) scatter[i] += part.scatter[i]
  })
  const total: TotalScatter = { scatter, rows: totalRows }
  return rows.map((classRows, code) => {
    const otherRows = totalRows - classRows.length
    // The others' covariance must be estimable in every direction, or its null space would pass for a trigger.
    if (classRows.length < minClassRows || otherRows < Math.max(minClassRows, 2 * width)) return undefined
    return { code, rows: classRows, own: parts[code], total }
  })
}

/**
 * Measures every class against the pooled within-class covariance of the other classes (a generalised eigenproblem,
 * solved by whitening with the others' covariance): the "clean class" reference of each class is the rest of the
 * data, so the poisoned class cannot hide its trigger by inflating its own covariance estimate.
 * @see Hayase, Kong, Somani, Oh. SPECTRE: Defending Against Backdoor Attacks Using Robust Statistics. ICML 2021.
 */
export function measureClassSpectra(
  features: FeatureMatrix,
  codes: Int32Array,
  classCount: number,
  options: ClassSpectraOptions = {},
): ClassSpectra {
  const width = features.cols
  const componentCount = Math.min(options.componentCount ?? 10, width)
  const rows = rowsByClass(codes, classCount)
  const parts = rows.map((classRows) => meanAndScatter(features, classRows))
  const tasks = spectrumTasks(rows, parts, width, options.minClassRows ?? 10)
  const classes = tasks.map(
    (task) =>
      task && {
        code: task.code,
        rows: task.rows,
        ...classSpectrumValues(features, task.rows, task.own, task.total, componentCount),
      },
  )
  return { featureCount: width, componentCount, classes }
}

/** `measureClassSpectra` with its two per-class steps run by `steps` (jobs on workers): the same spectra, bit for bit. */
export async function measureClassSpectraWith(
  features: FeatureMatrix,
  codes: Int32Array,
  classCount: number,
  steps: ClassSpectraSteps,
  options: ClassSpectraOptions = {},
): Promise<ClassSpectra> {
  const width = features.cols
  const componentCount = Math.min(options.componentCount ?? 10, width)
  const rows = rowsByClass(codes, classCount)
  const parts = await steps.scatters(features, rows)
  const tasks = spectrumTasks(rows, parts, width, options.minClassRows ?? 10)
  const measured = tasks.filter((task) => task !== undefined)
  const values = await steps.spectra(features, measured, componentCount)
  const byCode = new Map(measured.map((task, index) => [task.code, { task, values: values[index] }]))
  const classes = tasks.map((_, code) => {
    const entry = byCode.get(code)
    return entry && { code, rows: entry.task.rows, ...entry.values }
  })
  return { featureCount: width, componentCount, classes }
}

/** Coordinates of arbitrary rows along one direction of a spectrum (relative to the spectrum's class mean). */
export function projectRows(
  features: FeatureMatrix,
  spectrum: ClassSpectrum,
  component: number,
  componentCount: number,
  rows: ArrayLike<number>,
): Float64Array {
  const width = features.cols
  const out = new Float64Array(rows.length)
  for (let position = 0; position < rows.length; position++) {
    const base = rows[position] * width
    let sum = 0
    for (let i = 0; i < width; i++)
      sum +=
        (features.data[base + i] - spectrum.mean[i]) * spectrum.directions[i * componentCount + component]
    out[position] = sum
  }
  return out
}

/**
 * The dataset-level part of a per-class backdoor verdict: which classes look poisoned, every class's entry, and a
 * warning naming the classes too small to analyse.
 */
export function classVerdictSummary<Entry extends { label: string; suspected: number }>(
  classes: readonly Entry[],
  spectra: ClassSpectra,
  classNames: readonly string[],
): {
  info: { suspectedClasses: string[]; classes: readonly Entry[] }
  warnings: string[]
  attacks: Omit<DetectedAttack, 'detector'>[]
} {
  const skipped = classNames.filter((_, code) => !spectra.classes[code])
  return {
    attacks: classes
      .filter((entry) => entry.suspected > 0)
      .map((entry) => ({
        kind: 'backdoor' as const,
        description: `a separate group of ${entry.suspected} records inside class ${entry.label}`,
        label: entry.label,
        records: entry.suspected,
      })),
    info: {
      suspectedClasses: classes.filter((entry) => entry.suspected > 0).map((entry) => entry.label),
      classes,
    },
    warnings:
      skipped.length > 0
        ? [
            `too few records to analyse classes ${skipped.join(', ')} (each needs 10, and the other classes together twice the feature count)`,
          ]
        : [],
  }
}
