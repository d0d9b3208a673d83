import { PoisonguardError } from '../errors.js'
import { encodeModel } from '../linalg/onnx/model.js'
import { decodeModel } from '../linalg/onnx/read-model.js'
import {
  encodeNetworkModel,
  exportedInputName,
  exportedOutputName,
  readExportedNetwork,
} from '../models/onnx-export.js'
import type { AggregationScheme, PartitionEnsemble } from './ensemble.js'
import type { KnnModel } from './knn.js'
import { knnGraphPart, readKnnPart } from './knn-onnx.js'
import { baseLearners, type LearnerId, type MemberModel } from './learners.js'

/** The manifest of an ensemble folder: how its member models vote, and where they are. */
export interface EnsembleManifest {
  readonly format: 'poisonguard-ensemble'
  readonly version: 1
  readonly scheme: AggregationScheme
  readonly partitionCount: number
  readonly spread: number
  readonly learner: LearnerId
  readonly learnerOptions: PartitionEnsemble['learnerOptions']
  readonly classCount: number
  readonly cols: number
  /** Label of each class index. */
  readonly classNames: readonly string[]
  /** ONNX files of the members, relative to the folder, in member order. */
  readonly members: readonly string[]
}

/** File name of the manifest inside an ensemble folder. */
export const ensembleManifestName = 'ensemble.json'
const KNN_KIND = 'knn'
/** Metadata keys of the models poisonguard writes. */
export const KIND_KEY = 'poisonguard.model'
export const CLASSES_KEY = 'poisonguard.classes'
const NEIGHBOURS_KEY = 'poisonguard.neighbours'

/** A k-NN member as a standalone graph with the exported models' input and output names. */
function encodeKnnModel(model: KnnModel, classNames: readonly string[]): Uint8Array {
  return encodeModel({
    name: 'poisonguard_knn',
    inputs: [{ name: exportedInputName, type: 'float', shape: ['rowCount', model.cols] }],
    outputs: [{ name: exportedOutputName, type: 'float', shape: ['rowCount', model.classCount] }],
    ...knnGraphPart(model, exportedInputName, exportedOutputName),
    metadata: {
      [KIND_KEY]: KNN_KIND,
      [NEIGHBOURS_KEY]: String(model.neighbours),
      [CLASSES_KEY]: JSON.stringify(classNames),
    },
  })
}

/** The k-NN member inside a graph `encodeKnnModel` wrote, or undefined for any other model. */
function readKnnModel(bytes: Uint8Array): KnnModel | undefined {
  const decoded = decodeModel(bytes)
  if (decoded.producer !== 'poisonguard' || decoded.metadata.get(KIND_KEY) !== KNN_KIND) return undefined
  // Members written before k > 1 exported carry no neighbour count: they are 1-NN.
  const neighbours = Number(decoded.metadata.get(NEIGHBOURS_KEY) ?? 1)
  return Number.isInteger(neighbours) && neighbours >= 1 ? readKnnPart(decoded, neighbours) : undefined
}

/** One member as ONNX bytes. */
export function encodeMember(model: MemberModel, classNames: readonly string[]): Uint8Array {
  return model.kind === 'knn'
    ? encodeKnnModel(model, classNames)
    : encodeNetworkModel(model.network, classNames)
}

/** A member read back from the bytes `encodeMember` wrote; a typed error for any other model. */
export function decodeMember(bytes: Uint8Array, source: string): MemberModel {
  const network = readExportedNetwork(bytes)
  if (network) return { kind: 'network', network }
  const knn = readKnnModel(bytes)
  if (knn) return knn
  throw PoisonguardError.at(
    'INVALID_VALUE',
    { file: source },
    'not a member model poisonguard exported (logistic regression, MLP or k-NN)',
    'certify an ensemble folder written by poisonguard',
  )
}

/** The manifest and member files of an ensemble; `classNames` label the class indices. */
export function encodeEnsemble(
  ensemble: PartitionEnsemble,
  classNames: readonly string[],
): { manifest: EnsembleManifest; files: { name: string; bytes: Uint8Array }[] } {
  const manifest = ensembleManifest(ensemble, classNames, '.onnx')
  const files = ensemble.members.map((member, index) => ({
    name: manifest.members[index],
    bytes: encodeMember(member, classNames),
  }))
  return { manifest, files }
}

/** The manifest of an ensemble, its members named `member-<index><suffix>` in member order. */
export function ensembleManifest(
  ensemble: PartitionEnsemble,
  classNames: readonly string[],
  suffix: string,
): EnsembleManifest {
  const digits = String(ensemble.members.length - 1).length
  const { members, ...rest } = ensemble
  return {
    format: 'poisonguard-ensemble',
    version: 1,
    ...rest,
    classNames,
    members: members.map((_, index) => `member-${String(index).padStart(digits, '0')}${suffix}`),
  }
}

/** Checks a parsed manifest, collecting every problem; returns it typed. */
export function parseEnsembleManifest(value: unknown, source: string): EnsembleManifest {
  const manifest = value as Partial<EnsembleManifest> | null
  const issues: string[] = []
  if (manifest?.format !== 'poisonguard-ensemble') issues.push('"format" is not "poisonguard-ensemble"')
  if (manifest?.version !== 1) issues.push(`"version" ${manifest?.version} (expected 1)`)
  if (manifest?.scheme !== 'dpa' && manifest?.scheme !== 'finite')
    issues.push('"scheme" is not dpa or finite')
  for (const key of ['partitionCount', 'spread', 'classCount', 'cols'] as const) {
    const field = manifest?.[key]
    if (!Number.isInteger(field) || (field as number) < 1) issues.push(`"${key}" is not a whole number ≥ 1`)
  }
  if (!Object.hasOwn(baseLearners, String(manifest?.learner)))
    issues.push(`"learner" ${manifest?.learner} is unknown`)
  const members = manifest?.members
  if (
    !Array.isArray(members) ||
    members.some((name) => typeof name !== 'string' || name.includes('/') || name.includes('\\'))
  )
    issues.push('"members" is not a list of file names in the folder')
  else if (members.length !== (manifest?.partitionCount ?? 0) * (manifest?.spread ?? 0))
    issues.push(
      `${members.length} members for ${manifest?.partitionCount} partitions × spread ${manifest?.spread}`,
    )
  if (!Array.isArray(manifest?.classNames) || manifest.classNames.length !== manifest.classCount)
    issues.push('"classNames" does not name every class')
  if (issues.length > 0) {
    throw new PoisonguardError(
      'INVALID_VALUE',
      `${source}: not a valid ensemble manifest: ${issues.join('; ')}`,
      {
        issues: issues.map((message) => ({ file: source, message })),
        hint: 'point at a folder written by poisonguard (it holds ensemble.json and one .onnx file per member)',
      },
    )
  }
  return manifest as EnsembleManifest
}
