import { readFile } from 'node:fs/promises'
import type { Dataset } from '../data/dataset.js'
import type { Severity } from '../domain/findings.js'
import { PoisonguardError } from '../errors.js'
import { type BehaviourReport, compareBehaviour } from '../evaluation/behaviour.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { writeOutputsAtomically } from '../io/transaction.js'
import { predictedClasses } from '../models/classifier.js'
import { throwIfAborted } from '../util/abort.js'
import { exitCodeForFindings } from './exit-codes.js'
import { type EnsembleDescription, labelsAsModelClasses, modelMatrix, openModelFile } from './model-file.js'

export interface EvaluateModelOptions {
  candidate: string
  golden: string
  load?: LoadOptions
  /** A known-clean reference model, run on the golden set. */
  reference?: string
  /** Or its recorded outputs: a JSON array of `{ "id": …, "label": … }`, one per golden record. */
  referenceOutputs?: string
  /** Family-wise error rate of the tests; default 0.01. */
  alpha?: number
  out?: string
  /** Checked between loading, each model's predictions and writing; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

export interface EvaluateModelResult {
  report: BehaviourReport & {
    candidate: string
    reference: string
    golden: string
    /** When the candidate is an ensemble: how its predictions were formed. */
    ensemble?: EnsembleDescription
  }
}

async function readReferenceOutputs(
  path: string,
  dataset: Dataset,
  classNames: readonly string[],
): Promise<Int32Array> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path },
      `not JSON (${(error as Error).message})`,
      'pass a JSON array of {"id": …, "label": …}',
    )
  }
  const byId = new Map<string, string>()
  if (Array.isArray(parsed))
    for (const entry of parsed)
      if (entry && typeof entry === 'object' && 'id' in entry && 'label' in entry)
        byId.set(String(entry.id), String(entry.label))
  const issues: string[] = []
  const codes = Int32Array.from(dataset.ids, (id) => {
    const label = byId.get(id)
    const code = label === undefined ? -1 : classNames.indexOf(label)
    if (code < 0 && issues.length < 20)
      issues.push(
        label === undefined
          ? `no output for golden record ${id}`
          : `label "${label}" of record ${id} is not a class of the candidate`,
      )
    return code
  })
  if (issues.length > 0) {
    throw new PoisonguardError(
      'INVALID_VALUE',
      `${path}: the reference outputs do not cover the golden set: ${issues[0]}`,
      {
        issues: issues.map((message) => ({ file: path, message })),
        hint: `write one {"id": …, "label": …} per golden record, labels among: ${classNames.join(', ')}`,
      },
    )
  }
  return codes
}

async function referencePredictions(
  options: EvaluateModelOptions,
  dataset: Dataset,
  classNames: readonly string[],
) {
  if (options.referenceOutputs) return readReferenceOutputs(options.referenceOutputs, dataset, classNames)
  const reference = await openModelFile(options.reference!, dataset)
  try {
    const predicted = predictedClasses(await reference.classifier.predict(modelMatrix(reference, dataset)))
    const codeMap = reference.classNames.map((name) => classNames.indexOf(name))
    if (codeMap.some((code) => code < 0)) {
      throw new PoisonguardError(
        'SHAPE_MISMATCH',
        `the reference ${options.reference} has classes ${reference.classNames.join(', ')}; the candidate ${classNames.join(', ')}`,
        { hint: 'compare models trained for the same classes' },
      )
    }
    return Int32Array.from(predicted, (code) => codeMap[code])
  } finally {
    await reference.classifier.dispose()
  }
}

/**
 * Runs a candidate model and a known-clean reference (or its recorded outputs) on a golden set and compares their
 * behaviour: per-class accuracy, changed records, McNemar per class pair and behavioural findings.
 */
export async function evaluateModel(options: EvaluateModelOptions): Promise<EvaluateModelResult> {
  if (Boolean(options.reference) === Boolean(options.referenceOutputs)) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      'pass exactly one of a reference model and reference outputs',
      {
        hint: 'use --reference clean.onnx or --reference-outputs ref.json',
      },
    )
  }
  const checkAborted = () => throwIfAborted(options.signal, 'the model evaluation')
  const dataset = await loadDataset(options.golden, options.load)
  checkAborted()
  const candidate = await openModelFile(options.candidate, dataset)
  let report: BehaviourReport
  const ensemble = candidate.ensemble
  try {
    const x = modelMatrix(candidate, dataset)
    const candidatePredicted = predictedClasses(await candidate.classifier.predict(x))
    checkAborted()
    const reference = await referencePredictions(options, dataset, candidate.classNames)
    checkAborted()
    // Shared features are tested on tabular columns; pixels of changed digits differ by shape, not by a trait.
    const tabular = candidate.input?.kind !== 'text' && !dataset.imageShape
    report = compareBehaviour(
      {
        classNames: candidate.classNames,
        ids: dataset.ids,
        candidate: candidatePredicted,
        reference,
        truth: labelsAsModelClasses(dataset, candidate.classNames),
        ...(tabular ? { features: x, featureNames: dataset.featureNames } : {}),
      },
      { alpha: options.alpha },
    )
  } finally {
    await candidate.classifier.dispose()
  }
  const result = {
    report: {
      candidate: options.candidate,
      reference: options.reference ?? options.referenceOutputs!,
      golden: options.golden,
      ...(ensemble ? { ensemble } : {}),
      ...report,
    },
  }
  checkAborted()
  if (options.out) {
    await writeOutputsAtomically(
      [{ path: options.out, contents: `${JSON.stringify(result.report, null, 2)}\n` }],
      {
        inputs: [options.candidate, options.golden, options.reference, options.referenceOutputs],
      },
    )
  }
  return result
}

/** Exit code of an evaluation: findings at or above `failOn` → 3. */
export function exitCodeForEvaluation(result: EvaluateModelResult, failOn: Severity | undefined) {
  return exitCodeForFindings(
    result.report.findings.map((finding) => finding.severity),
    failOn,
  )
}
