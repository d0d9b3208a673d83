import { z } from 'zod'
import type { LabelColumn } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { median } from '../../stats/quantiles.js'
import { createRng } from '../../util/rng.js'
import { type ClassSpectrum, classVerdictSummary, projectRows } from '../class-spectra.js'
import { classSpreadPValue } from '../class-spread.js'
import { countingRecordsOnce } from '../distinct-records.js'
import { reclassifyHeldOut } from '../reclassify.js'
import { defineDetector } from '../types.js'
import { type LineSplit, logistic, splitLine, suspectPosterior } from './score.js'

const paramsSchema = z
  .object({
    minVarianceRatio: z
      .number()
      .gt(1)
      .default(8)
      .describe(
        "a class is suspect when its top direction's variance, relative to the other classes, exceeds the " +
          'median class by this factor',
      ),
    minSeparation: z
      .number()
      .gt(0)
      .default(4)
      .describe(
        "and when its records split along that direction into two groups this far apart (Ashman's D)",
      ),
    minSuspectShare: z
      .number()
      .min(0)
      .lt(1)
      .default(0.01)
      .describe(
        'smallest share of a class the suspected group must take (fewer far-out records are outliers)',
      ),
    maxSuspectShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.75)
      .describe('largest share of a class the suspected group may take'),
  })
  .strict()

type SpectralParams = z.infer<typeof paramsSchema>

/** A suspected group needs at least this many records; fewer are outliers, not a poisoned population. */
const MIN_GROUP_SIZE = 3

/** A held-out group of which more than this share keeps its label is part of its class, not a trigger's carriers. */
const MAX_OWN_LABEL_SHARE = 0.25

/** Records of the other classes used to locate where clean records lie along a direction. */
const REFERENCE_SAMPLE = 2000

/**
 * P-value that some suspected class stands out from the others both in its top direction's variance and in how far
 * apart its records split there (on a log scale), against the spread of the same numbers over the other classes.
 */
function datasetPValueOf(verdicts: readonly ClassVerdict[]): number | undefined {
  const logOf = (value: number) => Math.log(Math.min(Math.max(value, 1e-12), 1e12))
  return classSpreadPValue(
    [
      verdicts.map((verdict) => logOf(verdict.varianceRatio)),
      verdicts.map((verdict) => logOf(verdict.split.separation)),
    ],
    verdicts.map((verdict) => verdict.confidence > 0),
  )
}

/** What the detector concluded about one class. */
interface ClassVerdict {
  spectrum: ClassSpectrum
  varianceRatio: number
  split: LineSplit
  suspectIsHigh: boolean
  confidence: number
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`
}

/** Median coordinate of the other classes' records along the class's top direction: where "no trigger" lies. */
function cleanLocation(
  features: FeatureMatrix,
  codes: Int32Array,
  spectrum: ClassSpectrum,
  componentCount: number,
) {
  const others: number[] = []
  for (let row = 0; row < codes.length; row++)
    if (codes[row] >= 0 && codes[row] !== spectrum.code) others.push(row)
  // A systematic sample of the others fixes the median well enough and keeps this linear in the class count.
  const stride = Math.max(1, Math.floor(others.length / REFERENCE_SAMPLE))
  const sample = others.filter((_, index) => index % stride === 0)
  return median(projectRows(features, spectrum, 0, componentCount, sample))
}

/**
 * The top relative variance divided by the inflation sampling noise alone gives a class of this size (the
 * Marchenko–Pastur edge `(1 + √(d/n))²`), so small classes are compared with large ones on equal terms.
 */
function sizeCorrectedVariance(spectrum: ClassSpectrum, featureCount: number): number {
  return spectrum.relativeVariances[0] / (1 + Math.sqrt(featureCount / spectrum.rows.length)) ** 2
}

function judgeClass(
  spectrum: ClassSpectrum,
  varianceRatio: number,
  location: number,
  componentCount: number,
  params: SpectralParams,
): ClassVerdict {
  const projections = new Float64Array(spectrum.rows.length)
  for (let position = 0; position < projections.length; position++)
    projections[position] = spectrum.coordinates[position * componentCount]
  const split = splitLine(projections)
  // Clean records of the class sit where the other classes do: a trigger is absent from all of them.
  const suspectIsHigh = Math.abs(split.high.mean - location) > Math.abs(split.low.mean - location)
  const suspect = suspectIsHigh ? split.high : split.low
  const share = suspect.count / Math.max(spectrum.rows.length, 1)
  const confidence =
    share > params.maxSuspectShare || share < params.minSuspectShare || suspect.count < MIN_GROUP_SIZE
      ? 0
      : Math.min(
          logistic(Math.log(varianceRatio), Math.log(params.minVarianceRatio), 3),
          logistic(split.separation, params.minSeparation, 2),
        )
  return { spectrum, varianceRatio, split, suspectIsHigh, confidence }
}

/**
 * Whether the suspected group leaves its class when a model is retrained without it and without the other
 * classes' records on its side of the split (exclusionary reclassification): a trigger's carriers are other
 * classes' records and land there, while a natural part of the class, however far it lies along a direction the
 * other class does not vary in, stays in its own class.
 * @see Chen et al. Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering. SafeAI 2019.
 */
function leavesItsClass(
  verdict: ClassVerdict,
  features: FeatureMatrix,
  labels: LabelColumn,
  componentCount: number,
  seed: number,
): boolean {
  const { spectrum, split, suspectIsHigh } = verdict
  const onSuspectSide = (value: number) =>
    suspectIsHigh ? value > split.threshold : value <= split.threshold
  const members = spectrum.rows.filter((_, position) =>
    onSuspectSide(spectrum.coordinates[position * componentCount]),
  )
  const others: number[] = []
  for (let row = 0; row < labels.codes.length; row++)
    if (labels.codes[row] >= 0 && labels.codes[row] !== spectrum.code) others.push(row)
  const along = projectRows(features, spectrum, 0, componentCount, others)
  const region = others.filter((_, position) => onSuspectSide(along[position]))
  const { ownLabelShare } = reclassifyHeldOut(
    features,
    labels.codes,
    labels.classes.length,
    members,
    spectrum.code,
    createRng(seed + 7919 * (spectrum.code + 1)),
    region,
  )
  return ownLabelShare <= MAX_OWN_LABEL_SHARE
}

function describeClass(verdict: ClassVerdict, className: string, suspectedCount: number) {
  return {
    label: className,
    records: verdict.spectrum.rows.length,
    varianceRatio: Math.round(verdict.varianceRatio * 100) / 100,
    separation: Math.round(Math.min(verdict.split.separation, 1e6) * 100) / 100,
    suspected: suspectedCount,
  }
}

interface Outputs {
  suspicion: Float32Array
  flagged: Uint8Array
  explanations: (string | undefined)[]
}

/** Scores one class's records as the suspect group's posterior times the class verdict; returns how many it flags. */
function scoreClass(verdict: ClassVerdict, componentCount: number, className: string, out: Outputs): number {
  const { spectrum, split } = verdict
  const suspect = verdict.suspectIsHigh ? split.high : split.low
  const clean = verdict.suspectIsHigh ? split.low : split.high
  const flaggedRows: number[] = []
  spectrum.rows.forEach((row, position) => {
    const value = spectrum.coordinates[position * componentCount]
    out.suspicion[row] = verdict.confidence * suspectPosterior(value, suspect, clean)
    if (out.suspicion[row] >= 0.5) flaggedRows.push(row)
  })
  const explanation =
    `labelled ${className}: one of ${flaggedRows.length} records ` +
    `(${percent(flaggedRows.length / spectrum.rows.length)} of the class) forming a separate group along a ` +
    `direction in which class ${className}, measured against the other classes, spreads ` +
    `${Math.round(verdict.varianceRatio)}× as much as a typical class: the signature of a shared trigger`
  for (const row of flaggedRows) {
    out.flagged[row] = 1
    out.explanations[row] = explanation
  }
  return flaggedRows.length
}

/**
 * Spectral signatures: per class, the records that lie far out along the direction in which the class varies most
 * relative to the other classes (whose within-class covariance whitens the space, as SPECTRE's robust whitening
 * does), decided per class by how far that variance exceeds a typical class and by whether the records split
 * there into two separate groups.
 * @see Tran, Li, Madry. Spectral Signatures in Backdoor Attacks. NeurIPS 2018.
 * @see Hayase, Kong, Somani, Oh. SPECTRE: Defending Against Backdoor Attacks Using Robust Statistics. ICML 2021.
 */
export const spectralSignatureDetector = countingRecordsOnce(
  defineDetector({
    id: 'spectral-signature',
    kind: 'backdoor',
    summary: 'Spectral signatures: a class whose records split along a direction no other class varies in',
    requires: ['labels', 'features'],
    awaits: ['classSpectra'],
    params: paramsSchema,
    async run(input, params, context) {
      const labels = input.labels!
      const spectra = await input.classSpectra()
      const measured = spectra.classes.filter((spectrum) => spectrum !== undefined)
      // A lone class has no clean class to be compared with, so nothing can be concluded about it.
      const present = measured.length >= 2 ? measured : []
      const out: Outputs = {
        suspicion: new Float32Array(input.rowCount),
        flagged: new Uint8Array(input.rowCount),
        explanations: new Array(input.rowCount).fill(undefined),
      }
      const classes: ReturnType<typeof describeClass>[] = []
      const verdicts: ClassVerdict[] = []
      const corrected = present.map((spectrum) => sizeCorrectedVariance(spectrum, spectra.featureCount))
      for (const [index, spectrum] of present.entries()) {
        // What a clean class gives: the median of the other classes, each corrected for its size.
        const reference = Math.max(median(corrected.filter((_, other) => other !== index)), 1)
        const location = cleanLocation(input.features!, labels.codes, spectrum, spectra.componentCount)
        const ratio = corrected[index] / reference
        let verdict = judgeClass(spectrum, ratio, location, spectra.componentCount, params)
        // With two classes the other class's spread cannot tell a natural group from a planted one: the rest of
        // the data's verdict on the group, held out, has to.
        if (
          present.length < 3 &&
          verdict.confidence > 0 &&
          !leavesItsClass(verdict, input.features!, labels, spectra.componentCount, context.seed)
        )
          verdict = { ...verdict, confidence: 0 }
        verdicts.push(verdict)
        const className = labels.classes[spectrum.code]
        const suspected = scoreClass(verdict, spectra.componentCount, className, out)
        classes.push(describeClass(verdict, className, suspected))
        context.onProgress?.((index + 1) / present.length)
      }
      return {
        ...out,
        ...classVerdictSummary(classes, spectra, labels.classes),
        datasetPValue: datasetPValueOf(verdicts),
      }
    },
  }),
)
