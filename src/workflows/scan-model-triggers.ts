import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { triggersFromSuspects } from '../models/mined-triggers.js'
import { scanTextForTriggers, type TextLabelTrigger } from '../models/text-trigger-scan.js'
import {
  type LabelTrigger,
  scanForTriggers,
  type TriggerScanOptions,
  type TriggerScanResult,
} from '../models/trigger-scan.js'
import { encodeImagePng } from '../report/png.js'
import { scan } from '../scan/index.js'
import { throwIfAborted } from '../util/abort.js'
import {
  type EnsembleDescription,
  labelsAsModelClasses,
  modelMatrix,
  type OpenedModel,
  openModelFile,
} from './model-file.js'

export interface ScanModelTriggersOptions extends TriggerScanOptions {
  model: string
  /** Clean labelled inputs of every class. */
  clean: string
  load?: LoadOptions
  /**
   * The model's training data: tokens tied to one label there (text models), or the triggers of the records trigger
   * mining suspects (image and tabular models), are tried first.
   */
  training?: string
  /** The JSON result; `<out>.png` beside it holds the recovered trigger of an image model. */
  out?: string
}

/** The recovered trigger as the report shows it: the mask's features, and a picture for images. */
export interface ReportedTrigger {
  label: string
  maskNorm: number
  attackSuccess: number
  /** Features of the mask at ≥ half its peak, with the pattern value there. */
  features: { index: number; name: string; mask: number; value: number }[]
  /** PNG (base64) of mask × pattern, for image models. */
  png?: string
}

export type ScanModelTriggersResult =
  | {
      verdict: TriggerScanResult['verdict']
      targetLabel: string | null
      anomalyIndex: number
      evidence: TriggerScanResult['evidence']
      method: TriggerScanResult['method']
      trigger: ReportedTrigger
      /** Each label's smallest trigger; `source` says whether it was mined from the training data or searched. */
      labels: Pick<LabelTrigger, 'label' | 'maskNorm' | 'attackSuccess' | 'source' | 'minedAttackSuccess'>[]
      /** When the model is an ensemble: how it predicts (scanned black-box, on its vote). */
      ensemble?: EnsembleDescription
    }
  | {
      verdict: TriggerScanResult['verdict']
      targetLabel: string | null
      anomalyIndex: number
      /** Candidate tokens and phrases appended to clean texts. */
      method: 'text'
      /** The smallest trigger: `trigger` is the phrase, `size` the words appended (phrase × copies). */
      trigger: TextLabelTrigger
      labels: TextLabelTrigger[]
    }

function reportTrigger(
  trigger: LabelTrigger,
  featureNames: readonly string[],
  image?: { width: number; height: number },
): ReportedTrigger {
  const peak = Math.max(...trigger.mask)
  const features: ReportedTrigger['features'] = []
  trigger.mask.forEach((mask, index) => {
    if (peak > 0 && mask >= 0.5 * peak)
      features.push({
        index,
        name: featureNames[index] ?? String(index),
        mask,
        value: trigger.pattern[index],
      })
  })
  const reported: ReportedTrigger = {
    label: trigger.label,
    maskNorm: trigger.maskNorm,
    attackSuccess: trigger.attackSuccess,
    features,
  }
  if (image) {
    const picture = Float32Array.from(trigger.mask, (mask, index) => mask * trigger.pattern[index])
    reported.png = Buffer.from(encodeImagePng(picture, image, 4)).toString('base64')
  }
  return reported
}

/**
 * Is this model backdoored? Loads clean labelled inputs, reverse-engineers the smallest trigger per label and
 * reports the verdict, the suspected target label, the anomaly index and the recovered trigger.
 */
export async function scanModelTriggers(options: ScanModelTriggersOptions): Promise<ScanModelTriggersResult> {
  const dataset = await loadDataset(options.clean, options.load)
  throwIfAborted(options.signal, 'the trigger scan')
  const opened = await openModelFile(options.model, dataset)
  try {
    const input = opened.input
    if (input?.kind === 'text') {
      const training = options.training ? await loadDataset(options.training, options.load) : undefined
      const result = await scanTextForTriggers(
        {
          classifier: opened.classifier,
          texts: dataset.texts ?? [],
          labels: labelsAsModelClasses(dataset, opened.classNames),
          classNames: opened.classNames,
          input,
          training: training && {
            texts: modelTexts(training),
            labels: labelsAsModelClasses(training, opened.classNames),
          },
        },
        options,
      )
      const trigger = result.labels.reduce((best, label) => (label.size < best.size ? label : best))
      return await finish(options, { ...result, method: 'text', trigger, labels: [...result.labels] })
    }
    const image = dataset.imageShape
    const training = options.training ? await loadDataset(options.training, options.load) : undefined
    const result = await scanForTriggers(
      {
        classifier: opened.classifier,
        x: modelMatrix(opened, dataset),
        labels: labelsAsModelClasses(dataset, opened.classNames),
        classNames: opened.classNames,
        image,
        minedTriggers: training && (await minedFromTraining(opened, training, options.signal)),
      },
      options,
    )
    const smallest = result.labels.reduce((best, trigger) =>
      trigger.maskNorm < best.maskNorm ? trigger : best,
    )
    const summary: ScanModelTriggersResult = {
      ...(opened.ensemble ? { ensemble: opened.ensemble } : {}),
      verdict: result.verdict,
      targetLabel: result.targetLabel,
      anomalyIndex: result.anomalyIndex,
      evidence: result.evidence,
      method: result.method,
      trigger: reportTrigger(smallest, dataset.featureNames, image),
      labels: result.labels.map(({ label, maskNorm, attackSuccess, source, minedAttackSuccess }) => ({
        label,
        maskNorm,
        attackSuccess,
        source,
        minedAttackSuccess,
      })),
    }
    return await finish(options, summary)
  } finally {
    await opened.classifier.dispose()
  }
}

/** Triggers of the training records the trigger-mining detector suspects, in the model's input space. */
async function minedFromTraining(opened: OpenedModel, training: Dataset, signal: AbortSignal | undefined) {
  const report = await scan(training, { detectors: ['trigger-mining'], signal })
  const suspect = Uint8Array.from(report.records, (record) =>
    record.findings.some((finding) => finding.detector === 'trigger-mining') ? 1 : 0,
  )
  return triggersFromSuspects(
    modelMatrix(opened, training),
    labelsAsModelClasses(training, opened.classNames),
    suspect,
  )
}

/** The texts of a training set for a text model (the model card's input names no column, so the loader's). */
function modelTexts(dataset: Dataset): readonly string[] {
  if (dataset.texts) return dataset.texts
  throw PoisonguardError.at(
    'MISSING_INPUT',
    { file: dataset.origin.path },
    'the model reads text, but the training data has no text column',
    'name the text column with --text',
  )
}

async function finish(
  options: ScanModelTriggersOptions,
  summary: ScanModelTriggersResult,
): Promise<ScanModelTriggersResult> {
  throwIfAborted(options.signal, 'the trigger scan')
  if (options.out) {
    const outputs: OutputFile[] = [{ path: options.out, contents: `${JSON.stringify(summary, null, 2)}\n` }]
    if ('png' in summary.trigger && summary.trigger.png)
      outputs.push({ path: `${options.out}.png`, contents: Buffer.from(summary.trigger.png, 'base64') })
    await writeOutputsAtomically(outputs, { inputs: [options.model, options.clean, options.training] })
  }
  return summary
}
