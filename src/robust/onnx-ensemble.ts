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
const KIND_KEY = 'poisonguard.model'

/**
 * A 1-nearest-neighbour member as an ONNX graph with the exported models' input and output names: scores
 * `x · 2Tᵀ − ‖t‖²` (the largest is the nearest training row), ArgMax, and a Gather of that row's one-hot label.
 */
function encodeKnnModel(model: KnnModel, classNames: readonly string[]): Uint8Array {
  if (model.neighbours !== 1) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `ONNX export of k-NN takes 1 neighbour, the ensemble uses ${model.neighbours}`,
      {
        hint: 'train the ensemble with 1 neighbour to export it',
      },
    )
  }
  const { features, labels, cols, classCount } = model
  const trainCount = labels.length
  const doubled = new Float32Array(cols * trainCount)
  const norms = new Float32Array(trainCount)
  const oneHot = new Float32Array(trainCount * classCount)
  for (let train = 0; train < trainCount; train++) {
    for (let j = 0; j < cols; j++) {
      const value = features[train * cols + j]
      doubled[j * trainCount + train] = 2 * value
      norms[train] += value * value
    }
    oneHot[train * classCount + labels[train]] = 1
  }
  return encodeModel({
    name: 'poisonguard_knn',
    inputs: [{ name: exportedInputName, type: 'float', shape: ['rowCount', cols] }],
    outputs: [{ name: exportedOutputName, type: 'float', shape: ['rowCount', classCount] }],
    nodes: [
      { op: 'MatMul', inputs: [exportedInputName, 'train.doubled'], outputs: ['products'] },
      { op: 'Sub', inputs: ['products', 'train.norms'], outputs: ['closeness'] },
      {
        op: 'ArgMax',
        inputs: ['closeness'],
        outputs: ['nearest'],
        attributes: { axis: { int: 1 }, keepdims: { int: 0 } },
      },
      {
        op: 'Gather',
        inputs: ['train.labels', 'nearest'],
        outputs: [exportedOutputName],
        attributes: { axis: { int: 0 } },
      },
    ],
    initializers: [
      { name: 'train.doubled', shape: [cols, trainCount], values: doubled },
      { name: 'train.norms', shape: [trainCount], values: norms },
      { name: 'train.labels', shape: [trainCount, classCount], values: oneHot },
    ],
    metadata: { [KIND_KEY]: KNN_KIND, 'poisonguard.classes': JSON.stringify(classNames) },
  })
}

/** The 1-NN member inside a graph `encodeKnnModel` wrote, or undefined for any other model. */
function readKnnModel(bytes: Uint8Array): KnnModel | undefined {
  const decoded = decodeModel(bytes)
  if (decoded.producer !== 'poisonguard' || decoded.metadata.get(KIND_KEY) !== KNN_KIND) return undefined
  const doubled = decoded.initializers.get('train.doubled')
  const oneHot = decoded.initializers.get('train.labels')
  if (!doubled || !oneHot || doubled.shape.length !== 2 || oneHot.shape.length !== 2) return undefined
  const [cols, trainCount] = doubled.shape
  const classCount = oneHot.shape[1]
  const features = new Float32Array(trainCount * cols)
  for (let j = 0; j < cols; j++)
    for (let train = 0; train < trainCount; train++)
      features[train * cols + j] = doubled.values[j * trainCount + train] / 2
  const labels = Int32Array.from({ length: trainCount }, (_, train) =>
    oneHot.values.subarray(train * classCount, (train + 1) * classCount).indexOf(1),
  )
  return { kind: 'knn', neighbours: 1, features, labels, cols, classCount }
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
    'not a member model poisonguard exported (logistic regression, MLP or 1-NN)',
    'certify an ensemble folder written by poisonguard',
  )
}

/** The manifest and member files of an ensemble; `classNames` label the class indices. */
export function encodeEnsemble(
  ensemble: PartitionEnsemble,
  classNames: readonly string[],
): { manifest: EnsembleManifest; files: { name: string; bytes: Uint8Array }[] } {
  const digits = String(ensemble.members.length - 1).length
  const files = ensemble.members.map((member, index) => ({
    name: `member-${String(index).padStart(digits, '0')}.onnx`,
    bytes: encodeMember(member, classNames),
  }))
  const { members, ...rest } = ensemble
  const manifest: EnsembleManifest = {
    format: 'poisonguard-ensemble',
    version: 1,
    ...rest,
    classNames,
    members: files.map((file) => file.name),
  }
  return { manifest, files }
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
