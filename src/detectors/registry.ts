import { requirements } from '../domain/index.js'
import { type ErrorIssue, PoisonguardError } from '../errors.js'
import { activationClusteringDetector } from './activation-clustering/index.js'
import { cleanLabelBackdoorDetector } from './clean-label-backdoor/index.js'
import { crowdConsensusDetector } from './crowd-consensus/index.js'
import { featureCollisionDetector } from './feature-collision/index.js'
import { instructionBackdoorDetector } from './instruction-backdoor/index.js'
import { knnLabelConsistencyDetector } from './knn-label-consistency/index.js'
import { labelIssuesDetector } from './label-issues/index.js'
import { nearDuplicatesDetector } from './near-duplicates/index.js'
import { outliersDetector } from './outliers/index.js'
import { payloadInjectionDetector } from './payload-injection/index.js'
import { ragPoisoningDetector } from './rag-poisoning/index.js'
import { spectralSignatureDetector } from './spectral-signature/index.js'
import { targetedFlipDetector } from './targeted-flip/index.js'
import { triggerMiningDetector } from './trigger-mining/index.js'
import type { Detector, DetectorInfo } from './types.js'

/** The detectors poisonguard ships, by id; the keys are the ids used by the CLI, the API and the report. */
export const builtinDetectors = {
  'label-issues': labelIssuesDetector,
  'knn-label-consistency': knnLabelConsistencyDetector,
  'targeted-flip': targetedFlipDetector,
  'near-duplicates': nearDuplicatesDetector,
  outliers: outliersDetector,
  'trigger-mining': triggerMiningDetector,
  'spectral-signature': spectralSignatureDetector,
  'activation-clustering': activationClusteringDetector,
  'clean-label-backdoor': cleanLabelBackdoorDetector,
  'feature-collision': featureCollisionDetector,
  'crowd-consensus': crowdConsensusDetector,
  'instruction-backdoor': instructionBackdoorDetector,
  'payload-injection': payloadInjectionDetector,
  'rag-poisoning': ragPoisoningDetector,
} as const satisfies Record<string, Detector<unknown>>

/** The id of a built-in detector. */
export type DetectorId = keyof typeof builtinDetectors

type BuiltinDetectors = typeof builtinDetectors

/**
 * Every detector a scan can name, by id: the built-ins, and whatever a program adds for the detectors it registers
 * (`declare module 'poisonguard' { interface RegisteredDetectors { 'my-detector': typeof myDetector } }`), so that
 * ids, parameters and `info` are checked at compile time for custom detectors too.
 */
export interface RegisteredDetectors extends BuiltinDetectors {}

/** A detector id a scan accepts: a built-in one or one declared in `RegisteredDetectors`; a misspelt id fails to compile. */
export type DetectorName = keyof RegisteredDetectors & string

/** The parameters a detector's schema produces, defaults filled in. */
export type ParamsOf<D> = D extends Detector<infer Params, DetectorInfo> ? Params : never

/** The dataset-level `info` a detector reports, as its `run` builds it. */
export type InfoOf<D> = D extends Detector<unknown, infer Info> ? Info : never

/** What a caller may set of a detector's parameters: any of them, each optional; none for a detector without any. */
export type ParamsInput<Params> = [keyof Params] extends [never]
  ? { readonly [name: string]: never }
  : { readonly [Name in keyof Params]?: Params[Name] }

/**
 * Parameters per detector id, typed from each detector's schema, so a misspelt id or parameter fails to compile;
 * every schema checks its parameters again when the scan starts.
 */
export type DetectorParamsById = {
  readonly [Id in DetectorName]?: ParamsInput<ParamsOf<RegisteredDetectors[Id]>>
}

/** Ids of the built-in detectors, in the order a scan runs them. */
export const detectorIds = Object.keys(builtinDetectors) as DetectorId[]

const registered = new Map<string, Detector<unknown>>()

/** Everything wrong with a detector's declaration, so one error can list it all. */
function declarationIssues(detector: Detector<unknown>): ErrorIssue[] {
  const issues: ErrorIssue[] = []
  const problem = (path: string, message: string) => issues.push({ path, message })
  if (typeof detector.id !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(detector.id))
    problem('id', `expected a kebab-case id such as "my-detector", received ${JSON.stringify(detector.id)}`)
  if (typeof detector.summary !== 'string' || detector.summary.trim() === '')
    problem('summary', 'expected a one-line description')
  if (!Array.isArray(detector.requires) || detector.requires.some((name) => !requirements.includes(name)))
    problem('requires', `expected a list of ${requirements.join(', ')}`)
  if (typeof detector.params?.safeParse !== 'function') problem('params', 'expected a zod schema')
  if (typeof detector.run !== 'function') problem('run', 'expected a function')
  return issues
}

/**
 * Adds a detector to the registry, where scans select it by id and run it by default; the built-in detectors are
 * registered the same way. An id can be registered once.
 */
export function registerDetector<Params>(detector: Detector<Params>): void {
  const entry = detector as Detector<unknown>
  const issues = declarationIssues(entry)
  if (issues.length > 0) {
    const first = `${issues[0].path}: ${issues[0].message}`
    throw new PoisonguardError('INVALID_ARGUMENT', `invalid detector declaration: ${first}`, {
      issues,
      hint: 'a detector declares id, kind, summary, requires, params (a zod schema) and run',
    })
  }
  if (registered.has(entry.id)) {
    throw new PoisonguardError('INVALID_ARGUMENT', `a detector with id "${entry.id}" is already registered`, {
      hint: 'choose another id',
    })
  }
  registered.set(entry.id, entry)
}

const builtins: readonly Detector<unknown>[] = Object.values(builtinDetectors)
for (const detector of builtins) registerDetector(detector)

/** Every registered detector, built-ins first, then the others in the order they were registered. */
export function listDetectors(): Detector<unknown>[] {
  return [...registered.values()]
}

function unknownDetector(names: readonly string[], where?: string): PoisonguardError {
  const listed = names.map((name) => `"${name}"`).join(', ')
  return new PoisonguardError(
    'UNKNOWN_NAME',
    `unknown detector ${listed}${where ? ` ${where}` : ''}; valid detectors: ${[...registered.keys()].join(', ')}`,
    { hint: 'run `poisonguard detectors` to list them with what each needs' },
  )
}

/** A registered detector by id; an unknown id fails with the list of valid ones. */
export function getDetector(id: string): Detector<unknown> {
  const detector = registered.get(id)
  if (!detector) throw unknownDetector([id])
  return detector
}

/** Fails, listing the valid ids, unless every name is a registered detector; `where` says where the names came from. */
export function checkDetectorNames(names: Iterable<string>, where?: string): void {
  const unknown = [...names].filter((name) => !registered.has(name))
  if (unknown.length > 0) throw unknownDetector(unknown, where)
}

/**
 * Names read at run time (command-line flags, a request body) as detector ids: fails, listing the valid ids, unless
 * every one is registered.
 */
export function parseDetectorNames(names: readonly string[]): DetectorName[] {
  checkDetectorNames(names)
  return names as DetectorName[]
}

/**
 * Resolves `--detectors` / `--skip` lists to registered ids, in registry order; unknown names are an error, and so
 * is a selection that leaves no detector to run.
 */
export function selectDetectors(only?: readonly string[], skip: readonly string[] = []): string[] {
  checkDetectorNames([...(only ?? []), ...skip])
  const selected = [...registered.keys()].filter(
    (id) => (only === undefined || only.includes(id)) && !skip.includes(id),
  )
  if (selected.length === 0) {
    const why = only?.length === 0 ? 'the list of detectors is empty' : 'every selected detector is skipped'
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `no detector to run: ${why}; valid detectors: ${[...registered.keys()].join(', ')}`,
      { hint: 'name at least one detector, or leave the selection out to run them all' },
    )
  }
  return selected
}
