import { PoisonguardError } from '../errors.js'
import { encodeModel, type InitializerSpec, type NodeSpec } from '../linalg/onnx/model.js'
import { type DecodedModel, decodeModel, ProtoDecodeError } from '../linalg/onnx/read-model.js'
import {
  exportedInputName,
  exportedOutputName,
  networkGraphPart,
  readNetworkPart,
} from '../models/onnx-export.js'
import type { PartitionEnsemble } from './ensemble.js'
import { knnGraphPart, readKnnPart } from './knn-onnx.js'
import type { MemberModel } from './learners.js'
import {
  CLASSES_KEY,
  type EnsembleManifest,
  ensembleManifest,
  KIND_KEY,
  parseEnsembleManifest,
} from './onnx-ensemble.js'

const ENSEMBLE_KIND = 'ensemble'
const MANIFEST_KEY = 'poisonguard.ensemble'
/** Second output of the single graph: each class's member votes. */
export const votesOutputName = 'votes'

/**
 * A whole ensemble as one ONNX graph: every member's nodes under its own name prefix, each member's ArgMax turned
 * into a one-hot ballot, `votes` their sum and `probabilities` the vote shares, whose ArgMax (first of equals) is
 * the plurality vote with ties to the lower class. The manifest travels in the metadata, so the graph reads back as
 * the ensemble and certifies like its folder.
 */
export function encodeEnsembleGraph(ensemble: PartitionEnsemble, classNames: readonly string[]): Uint8Array {
  const manifest = ensembleManifest(ensemble, classNames, '.')
  const { classCount } = ensemble
  const identity = new Float32Array(classCount * classCount)
  for (let c = 0; c < classCount; c++) identity[c * classCount + c] = 1
  const nodes: NodeSpec[] = []
  const initializers: InitializerSpec[] = [
    { name: 'ensemble.identity', shape: [classCount, classCount], values: identity },
    { name: 'ensemble.members', shape: [1], values: Float32Array.of(ensemble.members.length) },
  ]
  const ballots = ensemble.members.map((member, index) => {
    const prefix = manifest.members[index]
    const part = memberGraphPart(member, `${prefix}probabilities`, prefix)
    nodes.push(...part.nodes)
    initializers.push(...part.initializers)
    nodes.push(
      {
        op: 'ArgMax',
        inputs: [`${prefix}probabilities`],
        outputs: [`${prefix}vote`],
        attributes: { axis: { int: 1 }, keepdims: { int: 0 } },
      },
      {
        op: 'Gather',
        inputs: ['ensemble.identity', `${prefix}vote`],
        outputs: [`${prefix}ballot`],
        attributes: { axis: { int: 0 } },
      },
    )
    return `${prefix}ballot`
  })
  nodes.push(
    { op: 'Sum', inputs: ballots, outputs: [votesOutputName] },
    { op: 'Div', inputs: [votesOutputName, 'ensemble.members'], outputs: [exportedOutputName] },
  )
  return encodeModel({
    name: 'poisonguard_ensemble',
    inputs: [{ name: exportedInputName, type: 'float', shape: ['rowCount', ensemble.cols] }],
    outputs: [
      { name: exportedOutputName, type: 'float', shape: ['rowCount', classCount] },
      { name: votesOutputName, type: 'float', shape: ['rowCount', classCount] },
    ],
    nodes,
    initializers,
    metadata: {
      [KIND_KEY]: ENSEMBLE_KIND,
      [CLASSES_KEY]: JSON.stringify(classNames),
      [MANIFEST_KEY]: JSON.stringify(manifest),
    },
  })
}

function memberGraphPart(member: MemberModel, output: string, prefix: string) {
  return member.kind === 'knn'
    ? knnGraphPart(member, exportedInputName, output, prefix)
    : networkGraphPart(member.network, exportedInputName, output, prefix)
}

/** Whether these bytes are a single-graph ensemble `encodeEnsembleGraph` wrote. */
export function isEnsembleGraph(decoded: DecodedModel): boolean {
  return decoded.producer === 'poisonguard' && decoded.metadata.get(KIND_KEY) === ENSEMBLE_KIND
}

function decodeOrUndefined(bytes: Uint8Array): DecodedModel | undefined {
  try {
    return decodeModel(bytes)
  } catch (error) {
    if (error instanceof ProtoDecodeError) return undefined
    throw error
  }
}

/** The ensemble inside a single graph `encodeEnsembleGraph` wrote; a typed error naming `source` otherwise. */
export function decodeEnsembleGraph(
  bytes: Uint8Array,
  source: string,
): { ensemble: PartitionEnsemble; classNames: readonly string[] } {
  const decoded = decodeOrUndefined(bytes)
  const manifestText = decoded && isEnsembleGraph(decoded) ? decoded.metadata.get(MANIFEST_KEY) : undefined
  if (!decoded || !manifestText) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: source },
      'expected an ensemble (a folder with ensemble.json, or one ONNX graph of an ensemble), found another file',
      'a single model has no certificate: train an ensemble (DPA) and pass its folder or graph',
    )
  }
  const manifest = parseEnsembleManifest(JSON.parse(manifestText), source)
  const { format, version, classNames, members: prefixes, ...shape } = manifest
  const members = prefixes.map((prefix): MemberModel => {
    const member =
      manifest.learner === 'knn'
        ? readKnnPart(decoded, manifest.learnerOptions.neighbours ?? 1, prefix)
        : readNetworkPart(decoded, manifest.learner, prefix)
    if (!member) {
      throw PoisonguardError.at(
        'INVALID_VALUE',
        { file: source },
        `the graph lacks the constants of member ${prefix.slice(0, -1)}`,
        'export the ensemble again with poisonguard',
      )
    }
    return 'layers' in member ? { kind: 'network', network: member } : member
  })
  return { ensemble: { ...shape, members }, classNames }
}

/** The manifest a single-graph ensemble carries, or undefined for any other model. */
export function ensembleGraphManifest(bytes: Uint8Array, source: string): EnsembleManifest | undefined {
  const decoded = decodeOrUndefined(bytes)
  const manifestText = decoded && isEnsembleGraph(decoded) ? decoded.metadata.get(MANIFEST_KEY) : undefined
  return manifestText === undefined ? undefined : parseEnsembleManifest(JSON.parse(manifestText), source)
}
